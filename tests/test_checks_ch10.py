"""Checks of chapter 10: right answers pass, wrong ones fail with feedback (never the answer), None fails."""

from __future__ import annotations

import numpy as np
import pytest

from mlcourse.exercises import ExerciseFailed, check


def p_hidden(v, W, b):
    return 1.0 / (1.0 + np.exp(-(np.asarray(v) @ W + b)))


def free_energy(v, W, a, b):
    v = np.asarray(v, dtype=float)
    return -v @ a - np.logaddexp(0.0, v @ W + b).sum(axis=1)


def test_right_answers_pass(capsys):
    check("10.1", -1.25)
    check("10.2", p_hidden)
    check("10.3", free_energy)
    assert capsys.readouterr().out.count("correct") == 3


@pytest.mark.parametrize("answer, feedback", [
    (1.25, "sign"),
    (-2.25, "interaction term"),
    (np.exp(1.25), "exponential"),
    (-0.75, "every unit"),
    (3.0, "Not the right energy"),
    ("minus one", "single number"),
])
def test_10_1_wrong_answers(answer, feedback):
    with pytest.raises(ExerciseFailed, match=feedback) as err:
        check("10.1", answer)
    assert "-1.25" not in str(err.value)


@pytest.mark.parametrize("fn, feedback", [
    (lambda v, W, b: np.asarray(v) @ W + b, "not probabilities"),
    (lambda v, W, b: 1 / (1 + np.exp(-(np.asarray(v) @ W))), "biases are missing"),
    (lambda v, W, b: 1 / (1 + np.exp(np.asarray(v) @ W + b)), "p\\(h = 0"),
    (lambda v, W, b: (p_hidden(v, W, b) > 0.5).astype(float), "not right"),
    (lambda v, W, b: p_hidden(v, W, b)[0], "shape"),
    (lambda v, W, b: np.asarray(v) @ W.T, "raised ValueError"),
    (p_hidden(np.ones((1, 3)), np.ones((3, 2)), np.zeros(2)), "function itself"),
])
def test_10_2_wrong_answers(fn, feedback):
    with pytest.raises(ExerciseFailed, match=feedback):
        check("10.2", fn)


def naive(v, W, a, b):
    return -v @ a - np.log(1 + np.exp(v @ W + b)).sum(axis=1)


@pytest.mark.parametrize("fn, feedback", [
    (lambda v, W, a, b: -free_energy(v, W, a, b), "sign"),
    (lambda v, W, a, b: -np.logaddexp(0, v @ W + b).sum(axis=1), "visible-bias term"),
    (lambda v, W, a, b: -v @ a - (v @ W + b).sum(axis=1), "log\\(1 \\+ exp"),
    (lambda v, W, a, b: free_energy(v, W, a, b).mean(), "shape"),
    (lambda v, W, a, b: free_energy(v, W, a, b) + 1.0, "not right"),
    (naive, "overflows"),
])
def test_10_3_wrong_answers(fn, feedback):
    with pytest.raises(ExerciseFailed, match=feedback):
        check("10.3", fn)


@pytest.mark.parametrize("id", ["10.1", "10.2", "10.3"])
def test_missing_answer_fails(id):
    with pytest.raises(ExerciseFailed, match="no answer yet"):
        check(id, None)


def test_stub_reports_not_written():
    def stub(*args):
        raise NotImplementedError

    with pytest.raises(NotImplementedError):
        check("10.2", stub)


def _sig(x):
    return 1.0 / (1.0 + np.exp(-x))


def cd1_update(v0, W, a, b, u_h, u_v):
    ph0 = _sig(v0 @ W + b)
    h0 = (u_h < ph0).astype(float)
    v1 = (u_v < _sig(h0 @ W.T + a)).astype(float)
    ph1 = _sig(v1 @ W + b)
    n = len(v0)
    return (v0.T @ ph0 - v1.T @ ph1) / n, (v0 - v1).mean(axis=0), (ph0 - ph1).mean(axis=0)


def _variant(pos="prob", neg_v="sample", neg_h="prob", drive="sample", rule="below", average=True,
             sign=1.0, biases=True, db_pos="prob"):
    """A CD-1 update with one typical mistake switched on."""
    def fn(v0, W, a, b, u_h, u_v):
        ph0 = _sig(v0 @ W + b)
        on = (lambda u, p: u < p) if rule == "below" else (lambda u, p: u > p)
        h0 = on(u_h, ph0).astype(float)
        pv1 = _sig((h0 if drive == "sample" else ph0) @ W.T + a)
        v1 = on(u_v, pv1).astype(float)
        ph1 = _sig(v1 @ W + b)
        vneg = v1 if neg_v == "sample" else pv1
        hneg = ph1 if neg_h == "prob" else (h0 if neg_h == "h0" else ph0)
        hpos = ph0 if pos == "prob" else h0
        scale = 1 / len(v0) if average else 1.0
        dW = sign * (v0.T @ hpos - vneg.T @ hneg) * scale
        da = sign * (v0 - vneg).sum(axis=0) * scale
        db = sign * ((ph0 if db_pos == "prob" else h0) - ph1).sum(axis=0) * scale
        if not biases:
            return dW, np.zeros_like(a), np.zeros_like(b)
        return dW, da, db
    return fn


def test_10_5_right_answer_passes(capsys):
    check("10.5", cd1_update)
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize("fn, feedback", [
    (_variant(sign=-1.0), "wrong sign"),
    (_variant(average=False), "summed over the batch"),
    (_variant(pos="sample"), "binary samples h0"),
    (_variant(neg_v="prob"), "not a binary sample v1"),
    (_variant(neg_h="h0"), "uses h0"),
    (_variant(neg_h="ph0"), "data's hidden probabilities"),
    (_variant(drive="prob"), "instead of a binary sample h0"),
    (_variant(rule="above"), "wrong way round"),
    (_variant(biases=False), "da is zero"),
    (_variant(db_pos="sample"), "db uses the sample h0"),
    (lambda v0, W, a, b, u_h, u_v: cd1_update(v0, W, a, b, u_h, u_v)[0], "expected a tuple"),
    (lambda v0, W, a, b, u_h, u_v: (cd1_update(v0, W, a, b, u_h, u_v)[0], None, None), "da is None"),
    (lambda v0, W, a, b, u_h, u_v: (cd1_update(v0, W, a, b, u_h, u_v)[0].T, a, b), "shape"),
    (lambda v0, W, a, b, u_h, u_v: tuple(x + 0.1 for x in cd1_update(v0, W, a, b, u_h, u_v)), "dW is not right"),
    (cd1_update(np.ones((1, 2)), np.zeros((2, 1)), np.zeros(2), np.zeros(1), np.zeros((1, 1)), np.zeros((1, 2))),
     "function itself"),
])
def test_10_5_wrong_answers(fn, feedback):
    with pytest.raises(ExerciseFailed, match=feedback) as err:
        check("10.5", fn)
    assert "v0.T @" not in str(err.value)


def test_10_5_in_place_update_fails():
    def in_place(v0, W, a, b, u_h, u_v):
        dW, da, db = cd1_update(v0, W, a, b, u_h, u_v)
        W += 0.1 * dW
        return dW, da, db

    with pytest.raises(ExerciseFailed, match="in place"):
        check("10.5", in_place)


def test_10_5_missing_answer_fails():
    with pytest.raises(ExerciseFailed, match="no answer yet"):
        check("10.5", None)
