"""Checks of chapter 08: right answers pass, wrong ones fail with feedback (never the answer), None fails,
and a student stub's NotImplementedError propagates."""

from __future__ import annotations

import numpy as np
import pytest

from mlcourse.exercises import ExerciseFailed, check

RIGHT_08_1 = 128 * 128 * 256 + 256


def sigmoid_derivative(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return e / (1.0 + e) ** 2


def stable_s_times_one_minus_s(z):
    z = np.asarray(z, dtype=float)
    s = np.where(z >= 0, 1 / (1 + np.exp(-np.abs(z))), np.exp(-np.abs(z)) / (1 + np.exp(-np.abs(z))))
    return s * (1 - s)


def inverted_dropout(a, rate, rng):
    a = np.asarray(a, dtype=float)
    return np.where(rng.random(a.shape) >= rate, a / (1 - rate), 0.0)


def test_right_answers_pass(capsys):
    check("08.1", RIGHT_08_1)
    check("08.1", float(RIGHT_08_1))
    check("08.2", sigmoid_derivative)
    check("08.2", stable_s_times_one_minus_s)   # exact 0 for huge |z| is accepted
    check("08.3", inverted_dropout)
    assert capsys.readouterr().out.count("correct") == 5


@pytest.mark.parametrize("answer, feedback", [
    (128 * 128 * 256, "weights only"),
    (128 * 256 + 256, "128 inputs"),
    (128 * 128 * 256 + 128 * 128, "bias per input"),
    (12345, "Not the right count"),
    ("many", "expected a single number"),
])
def test_wrong_parameter_counts_fail(answer, feedback):
    with pytest.raises(ExerciseFailed, match=feedback) as err:
        check("08.1", answer)
    assert str(RIGHT_08_1) not in str(err.value) and f"{RIGHT_08_1:,}" not in str(err.value)


def naive_overflowing(z):
    z = np.asarray(z, dtype=float)
    s = 1 / (1 + np.exp(-z))
    return s * (1 - s)


def z_times_one_minus_z(z):
    z = np.asarray(z, dtype=float)
    return z * (1 - z)


def the_sigmoid_itself(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def crashes(z):
    raise ValueError("oops")


@pytest.mark.parametrize("fn, feedback", [
    (naive_overflowing, "floating-point problem|warned"),
    (z_times_one_minus_z, "not z itself"),
    (the_sigmoid_itself, "sigmoid itself"),
    (crashes, "raised ValueError"),
    (lambda z: np.zeros(3), "shape"),
    (sigmoid_derivative(0.0), "function itself"),
])
def test_wrong_sigmoid_derivatives_fail(fn, feedback):
    with pytest.raises(ExerciseFailed, match=feedback):
        check("08.2", fn)


def no_rescaling(a, rate, rng):
    a = np.asarray(a, dtype=float)
    return np.where(rng.random(a.shape) >= rate, a, 0.0)


def old_scaling(a, rate, rng):
    a = np.asarray(a, dtype=float)
    return np.where(rng.random(a.shape) >= rate, a * (1 - rate), 0.0)


def keep_probability_swapped(a, rate, rng):
    a = np.asarray(a, dtype=float)
    return np.where(rng.random(a.shape) < rate, a / rate, 0.0)


def in_place(a, rate, rng):
    a *= (rng.random(a.shape) >= rate) / (1 - rate)
    return a


def fixed_mask(a, rate, rng):
    a = np.asarray(a, dtype=float)
    return np.where(np.random.default_rng(0).random(a.shape) >= rate, a / (1 - rate), 0.0)


@pytest.mark.parametrize("fn, feedback", [
    (no_rescaling, "kept entries are unchanged"),
    (old_scaling, "multiplied the kept entries by 1 - rate"),
    (keep_probability_swapped, "probability of DROPPING"),
    (in_place, "changed its input"),
    (fixed_mask, "same mask"),
    (lambda a, rate, rng: np.asarray(a), "dropped 0.0%"),
])
def test_wrong_dropouts_fail(fn, feedback):
    with pytest.raises(ExerciseFailed, match=feedback):
        check("08.3", fn)


@pytest.mark.parametrize("id", ["08.1", "08.2", "08.3"])
def test_a_missing_answer_fails(id):
    with pytest.raises(ExerciseFailed, match="no answer yet"):
        check(id, None)


def stub(*args):
    raise NotImplementedError


@pytest.mark.parametrize("id", ["08.2", "08.3"])
def test_a_stub_propagates_not_implemented(id):
    with pytest.raises(NotImplementedError):
        check(id, stub)
