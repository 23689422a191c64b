"""Checks of chapter 09: right answers pass, wrong ones fail with feedback (never the answer), None fails,
and a student stub's NotImplementedError propagates."""

from __future__ import annotations

import numpy as np
import pytest

from mlcourse.exercises import ExerciseFailed, check


def kl_to_standard_normal(mu, log_var):
    mu, log_var = np.asarray(mu, dtype=float), np.asarray(log_var, dtype=float)
    return 0.5 * (mu**2 + np.exp(log_var) - 1.0 - log_var)


def reparameterise(mu, log_var, eps):
    return np.asarray(mu) + np.exp(0.5 * np.asarray(log_var)) * np.asarray(eps)


def test_right_answers_pass(capsys):
    check("09.1", 49)
    check("09.1", 784 / 16)
    check("09.2", kl_to_standard_normal)
    check("09.3", reparameterise)
    assert capsys.readouterr().out.count("correct") == 4


@pytest.mark.parametrize("answer, feedback", [
    (16 / 784, "wrong way round"),
    (28 / 16, "number of input values"),
    (10, "Not the right ratio"),
    ("many", "expected a single number"),
])
def test_wrong_ratios_fail(answer, feedback):
    with pytest.raises(ExerciseFailed, match=feedback) as err:
        check("09.1", answer)
    assert "49" not in str(err.value)


@pytest.mark.parametrize("fn, feedback", [
    (lambda m, lv: -kl_to_standard_normal(m, lv), "sign is wrong"),
    (lambda m, lv: 2 * kl_to_standard_normal(m, lv), "twice too large"),
    (lambda m, lv: 0.5 * (np.asarray(m) ** 2 + np.exp(lv) - 1.0), "term is missing"),
    (lambda m, lv: np.sum(kl_to_standard_normal(m, lv)), "shape"),
    (lambda m, lv: np.abs(m) + np.exp(lv), "Wrong values"),
    (lambda m, lv: None, "returned None"),
    (lambda m: m, "raised TypeError"),
])
def test_wrong_kl_functions_fail(fn, feedback):
    with pytest.raises(ExerciseFailed, match=feedback):
        check("09.2", fn)


def test_log_var_used_as_variance_fails():
    def kl(mu, log_var):
        with np.errstate(all="ignore"):
            return 0.5 * (mu**2 + log_var - 1.0 - np.log(log_var))
    with pytest.raises(ExerciseFailed):
        check("09.2", kl)


@pytest.mark.parametrize("fn, feedback", [
    (lambda m, lv, e: m + np.exp(lv) * e, "variance"),
    (lambda m, lv, e: m + lv * e, "log_var itself"),
    (lambda m, lv, e: np.exp(0.5 * lv) * e, "mean is missing"),
    (lambda m, lv, e: m + e, "not scaled"),
    (lambda m, lv, e: m, "Not the right z"),
    (lambda m, lv, e: None, "returned None"),
    (lambda m, lv, e: (m + np.exp(0.5 * lv) * e)[:2], "shape"),
])
def test_wrong_reparameterisations_fail(fn, feedback):
    with pytest.raises(ExerciseFailed, match=feedback):
        check("09.3", fn)


@pytest.mark.parametrize("id", ["09.1", "09.2", "09.3"])
def test_none_fails(id):
    with pytest.raises(ExerciseFailed):
        check(id, None)


@pytest.mark.parametrize("id", ["09.2", "09.3"])
def test_student_stub_raises_not_implemented(id):
    def stub(*args):
        raise NotImplementedError
    with pytest.raises(NotImplementedError):
        check(id, stub)
