"""Checks of chapter 02 (evaluation): PPV at low prevalence, specificity, Dice, a threshold for 95% sensitivity."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlcourse.exercises import as_number, call_student, exercise, fail

# Exercise 02.1: the test of the exercise text
SENS_02_1, SPEC_02_1, PREV_02_1 = 0.95, 0.90, 0.01


def _ppv(sens: float, spec: float, prev: float) -> float:
    return sens * prev / (sens * prev + (1 - spec) * (1 - prev))


def _npv(sens: float, spec: float, prev: float) -> float:
    return spec * (1 - prev) / (spec * (1 - prev) + (1 - sens) * prev)


@exercise("02.1", "numeric", "PPV of a good test at 1% prevalence")
def _check_02_1(answer: Any) -> None:
    value = as_number(answer, "02.1")
    right = _ppv(SENS_02_1, SPEC_02_1, PREV_02_1)
    if abs(value - right) < 5e-4:
        return
    if abs(value - 100 * right) < 5e-2:
        fail("That looks like a percentage.", "give the PPV as a fraction between 0 and 1")
    if not 0 <= value <= 1:
        fail("A predictive value is a probability between 0 and 1.")
    if abs(value - SENS_02_1) < 5e-4 or abs(value - SPEC_02_1) < 5e-4:
        fail("That is a property of the test, not the probability of disease after a positive result.",
             "PPV = P(disease | positive); use Bayes' theorem with the prevalence")
    if abs(value - _npv(SENS_02_1, SPEC_02_1, PREV_02_1)) < 5e-4:
        fail("That is the NPV, the probability of being healthy after a negative result.",
             "the PPV puts true positives over all positives")
    if abs(value - _ppv(SENS_02_1, SPEC_02_1, 0.5)) < 5e-4:
        fail("That is the PPV at 50% prevalence.", "use the prevalence of the screening population, 1%")
    if abs(value - SENS_02_1 * PREV_02_1) < 5e-4:
        fail("You have the true positives per person screened; the false positives are missing.",
             "divide by the fraction of all people who test positive: sens·p + (1 − spec)·(1 − p)")
    fail("Not the right value.", "PPV = sens·p / (sens·p + (1 − spec)·(1 − p)) with p the prevalence")


@exercise("02.2", "code", "specificity from labels and predictions")
def _check_02_2(fn: Any) -> None:
    if not callable(fn):
        fail("Pass the function itself (my_specificity), not its result.")
    cases = [
        (np.array([0, 0, 0, 0, 1, 1]), np.array([0, 0, 1, 0, 1, 0]), 0.75, "4 negatives, one called positive"),
        (np.array([[1], [0], [0], [1], [0]]), np.array([[1], [0], [0], [0], [1]]), 2 / 3,
         "labels of shape (N, 1), as MedMNIST stores them"),
        (np.array([0, 1, 0, 1]), np.array([0, 1, 0, 1]), 1.0, "a perfect prediction"),
        (np.array([1, 1, 1, 0, 0]), np.array([1, 1, 1, 1, 1]), 0.0, "an always-positive prediction"),
        (np.array([True, False, False]), np.array([True, True, False]), 0.5, "boolean arrays"),
    ]
    for y_true, y_pred, expected, what in cases:
        got = call_student(fn, what, y_true.copy(), y_pred.copy())
        try:
            got = float(got)
        except (TypeError, ValueError):
            fail(f"For {what} your function returned {type(got).__name__}, not a number.")
        if abs(got - expected) > 1e-9:
            sens = np.mean(y_pred.ravel()[y_true.ravel() == 1] == 1)
            if abs(got - sens) < 1e-9 and abs(sens - expected) > 1e-9:
                fail(f"For {what} you returned the sensitivity.",
                     "specificity looks only at the truly negative cases (y_true == 0)")
            fail(f"For {what} the specificity is wrong.",
                 "TN / (TN + FP): among the cases with y_true == 0, the fraction predicted 0; "
                 "flatten (N, 1) arrays first")


@exercise("02.3", "code", "Dice coefficient of two masks")
def _check_02_3(fn: Any) -> None:
    if not callable(fn):
        fail("Pass the function itself (my_dice), not its result.")
    square = np.zeros((6, 6), dtype=bool)
    square[1:4, 1:4] = True  # 9 pixels
    shifted = np.roll(square, 1, axis=1)  # 6 of 9 overlap
    cube = np.zeros((4, 4, 4), dtype=np.uint8)
    cube[:2, :2, :2] = 1  # 8 voxels
    half = cube.copy()
    half[1] = 0  # 4 voxels inside cube
    empty = np.zeros((6, 6), dtype=bool)
    cases = [
        (square, square, 1.0, "two identical masks"),
        (square, shifted, 2 * 6 / 18, "a 3x3 square and the same square shifted by one pixel"),
        (cube, half, 2 * 4 / 12, "two 3-D masks stored as uint8"),
        (square, ~square, 0.0, "two masks that do not overlap"),
        (empty, empty, 1.0, "two empty masks (the convention of the exercise)"),
    ]
    for a, b, expected, what in cases:
        hint = "handle the case |A| + |B| = 0 before dividing" if what.startswith("two empty") else None
        got = call_student(fn, what, a.copy(), b.copy(), hint=hint)
        try:
            got = float(got)
        except (TypeError, ValueError):
            fail(f"For {what} your function returned {type(got).__name__}, not a number.")
        if not np.isfinite(got):
            fail(f"For {what} your function returned {got}.", "two empty masks should give 1.0")
        if abs(got - expected) > 1e-9:
            inter = np.logical_and(a, b).sum()
            union = np.logical_or(a, b).sum()
            if union and abs(got - inter / union) < 1e-9:
                fail(f"For {what} you returned the IoU (Jaccard index).",
                     "Dice divides 2|A ∩ B| by |A| + |B|, not |A ∩ B| by |A ∪ B|")
            fail(f"For {what} the Dice coefficient is wrong.",
                 "2 * (number of voxels in both) / (voxels in A + voxels in B); cast to bool first")


@exercise("02.4", "numeric", "the highest threshold with at least 95% sensitivity on validation")
def _check_02_4(answer: Any) -> None:
    if not isinstance(answer, (tuple, list)) or len(answer) != 3:
        fail("Pass a tuple (threshold, y_val, scores_val): your threshold and the validation labels and scores "
             "you chose it on.")
    threshold = as_number(answer[0], "02.4")
    y = np.asarray(answer[1]).ravel()
    s = np.asarray(answer[2], dtype=float)
    if s.ndim == 2 and s.shape[1] in (1, 2):
        s = s[:, -1]
    s = s.ravel()
    if y.shape != s.shape or y.size == 0:
        fail("The labels and scores must describe the same cases, one score per case.")
    if not set(np.unique(y).tolist()) <= {0, 1} or y.sum() == 0:
        fail("The labels must be 0/1 with at least one positive case (1 = pneumonia).")
    if threshold > 1 and np.all((s >= 0) & (s <= 1)):
        fail("Your scores are probabilities in [0, 1], so the threshold must be one too.")
    pos = s[y == 1]
    sens = float(np.mean(pos >= threshold))
    if sens < 0.95:
        fail(f"At your threshold only {100 * sens:.1f}% of the validation positives score at or above it.",
             "lower the threshold; a case counts as positive when score >= threshold")
    better = pos[pos > threshold]
    if better.size and np.mean(pos >= better.min()) >= 0.95:
        fail("Your threshold reaches 95% sensitivity, but a higher threshold does too (and gives fewer false "
             "positives).", "take the highest threshold that still keeps sensitivity >= 0.95, e.g. with "
             "mlcourse.metrics.threshold_for_sensitivity")
