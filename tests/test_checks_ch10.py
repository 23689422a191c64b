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
