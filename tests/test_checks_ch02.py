"""Tests of the chapter 02 exercise checks: right answers pass, wrong ones (and None) fail with feedback."""

from __future__ import annotations

import numpy as np
import pytest

from mlcourse import metrics, segmentation
from mlcourse.exercises import EXERCISES, ExerciseFailed, check


def _ppv(sens, spec, p):
    return sens * p / (sens * p + (1 - spec) * (1 - p))


def test_all_exercises_are_registered():
    check("02.1", _ppv(0.95, 0.90, 0.01))  # imports the module
    assert {"02.1", "02.2", "02.3", "02.4"} <= set(EXERCISES)
    assert [EXERCISES[i].kind for i in ("02.1", "02.2", "02.3", "02.4")] == ["numeric", "code", "code", "numeric"]


@pytest.mark.parametrize("exercise_id", ["02.1", "02.2", "02.3", "02.4"])
def test_none_fails(exercise_id):
    with pytest.raises(ExerciseFailed, match="no answer yet"):
        check(exercise_id, None)


# ----------------------------------------------------------------------------- 02.1


def test_02_1_right(capsys):
    check("02.1", 0.0876)
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, feedback", [
    (8.756, "percentage"),
    (0.95, "property of the test"),
    (0.90, "property of the test"),
    (_ppv(0.95, 0.90, 0.5), "50% prevalence"),
    (0.9995, "NPV"),
    (0.0095, "false positives are missing"),
    (0.5, "Not the right value"),
    (-0.1, "between 0 and 1"),
    ("abc", "single number"),
])
def test_02_1_wrong(wrong, feedback):
    with pytest.raises(ExerciseFailed, match=feedback) as info:
        check("02.1", wrong)
    assert "0.0875" not in str(info.value) and "0.0876" not in str(info.value)  # never the answer


# ----------------------------------------------------------------------------- 02.2


def _good_specificity(y_true, y_pred):
    y_true, y_pred = np.ravel(y_true), np.ravel(y_pred)
    neg = y_true == 0
    return float(np.mean(y_pred[neg] == 0))


def test_02_2_right():
    check("02.2", _good_specificity)
    check("02.2", metrics.specificity)


@pytest.mark.parametrize("wrong, feedback", [
    (lambda t, p: float(np.mean(np.ravel(p)[np.ravel(t) == 1] == 1)), "sensitivity"),
    (lambda t, p: float(np.mean(np.ravel(t) == np.ravel(p))), "specificity is wrong"),
    (lambda t, p: "0.75", "specificity is wrong"),
    (lambda t, p: [1, 2], "not a number"),
    (lambda t, p: 1 / 0, "raised ZeroDivisionError"),
    (0.75, "function itself"),
])
def test_02_2_wrong(wrong, feedback):
    with pytest.raises(ExerciseFailed, match=feedback):
        check("02.2", wrong)


# ----------------------------------------------------------------------------- 02.3


def _good_dice(a, b):
    a, b = np.asarray(a, bool), np.asarray(b, bool)
    total = a.sum() + b.sum()
    return 1.0 if total == 0 else 2 * np.logical_and(a, b).sum() / total


def _naive_dice(a, b):
    a, b = np.asarray(a, bool), np.asarray(b, bool)
    return 2 * np.logical_and(a, b).sum() / (a.sum() + b.sum())


def test_02_3_right():
    check("02.3", _good_dice)
    check("02.3", segmentation.dice)


@pytest.mark.parametrize("wrong, feedback", [
    (lambda a, b: np.logical_and(a, b).sum() / max(np.logical_or(a, b).sum(), 1), "IoU"),
    (lambda a, b: 2 * np.sum(a * b) / (np.sum(a) + np.sum(b) + 1), "Dice coefficient is wrong"),
    (_naive_dice, "two empty masks"),
    (lambda a, b: None, "not a number"),
    ("my_dice", "function itself"),
])
def test_02_3_wrong(wrong, feedback):
    with np.errstate(all="ignore"), pytest.raises(ExerciseFailed, match=feedback):
        check("02.3", wrong)


# ----------------------------------------------------------------------------- 02.4


def _scores(seed=0, n=400):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    s = 1 / (1 + np.exp(-(2 * y - 1 + rng.normal(0, 1, n))))
    return y, s


def test_02_4_right():
    y, s = _scores()
    t = metrics.threshold_for_sensitivity(y, s, 0.95)
    check("02.4", (t, y, s))
    check("02.4", (t, y.reshape(-1, 1), s.reshape(-1, 1)))  # MedMNIST shapes
    check("02.4", (t, y, np.column_stack([1 - s, s])))  # two-column softmax


def test_02_4_wrong():
    y, s = _scores()
    t = metrics.threshold_for_sensitivity(y, s, 0.95)
    higher = np.sort(s[y == 1])[np.searchsorted(np.sort(s[y == 1]), t) + 1]
    with pytest.raises(ExerciseFailed, match="lower the threshold"):
        check("02.4", (higher, y, s))
    with pytest.raises(ExerciseFailed, match="higher threshold does too"):
        check("02.4", (0.0, y, s))
    with pytest.raises(ExerciseFailed, match="probabilities in"):
        check("02.4", (50, y, s))
    with pytest.raises(ExerciseFailed, match="tuple"):
        check("02.4", t)
    with pytest.raises(ExerciseFailed, match="same cases"):
        check("02.4", (t, y[:10], s))
    with pytest.raises(ExerciseFailed, match="0/1"):
        check("02.4", (t, y + 1, s))
