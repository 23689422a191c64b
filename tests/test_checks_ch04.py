"""Checks of chapter 04: right answers pass, wrong ones fail with feedback (never the answer), None fails."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics.pairwise import rbf_kernel as sk_rbf

from mlcourse.exercises import ExerciseFailed, check


def svm_objective(w, b, X, y, C):
    s = 2 * np.asarray(y, float).ravel() - 1
    return 0.5 * np.dot(w, w) + C * np.maximum(0, 1 - s * (np.asarray(X) @ w + b)).sum()


def test_right_answers_pass(capsys):
    check("04.1", svm_objective)
    check("04.2", 0.4)
    check("04.3", lambda A, B, gamma: sk_rbf(A, B, gamma=gamma))
    check("04.4", "b")
    check("04.4", " (B) ")
    assert capsys.readouterr().out.count("correct") == 5


def labels01(w, b, X, y, C):
    y = np.asarray(y, float).ravel()
    return 0.5 * np.dot(w, w) + C * np.maximum(0, 1 - y * (X @ w + b)).sum()


def mean_hinge(w, b, X, y, C):
    s = 2 * np.asarray(y, float).ravel() - 1
    return 0.5 * np.dot(w, w) + C * np.maximum(0, 1 - s * (X @ w + b)).mean()


def no_half(w, b, X, y, C):
    s = 2 * np.asarray(y, float).ravel() - 1
    return np.dot(w, w) + C * np.maximum(0, 1 - s * (X @ w + b)).sum()


def no_max(w, b, X, y, C):
    s = 2 * np.asarray(y, float).ravel() - 1
    return 0.5 * np.dot(w, w) + C * (1 - s * (X @ w + b)).sum()


def flat_labels_only(w, b, X, y, C):
    s = 2 * np.asarray(y, float) - 1                       # (N, 1) labels broadcast wrongly
    return float(0.5 * np.dot(w, w) + C * np.maximum(0, 1 - s * (X @ w + b)).sum())


@pytest.mark.parametrize("fn, feedback", [
    (labels01, "0/1 labels directly"),
    (mean_hinge, "averaged"),
    (no_half, "off by a factor"),
    (no_max, "cost nothing"),
    (flat_labels_only, "shape \\(N, 1\\)"),
    (lambda w, b, X, y, C: [1, 2], "not a number"),
    (svm_objective(np.ones(2), 0, np.ones((1, 2)), [1], 1), "function itself"),
])
def test_wrong_objective_fails(fn, feedback):
    with pytest.raises(ExerciseFailed, match=feedback):
        check("04.1", fn)


@pytest.mark.parametrize("value, feedback", [
    (0.2, "ONE of the margin lines"),
    (5.0, "narrower"),
    (0.08, "squared norm"),
    (2 / 7, "Euclidean norm"),
    (1.0, "Not the right width"),
    ([0.4, 0.4], "single number"),
])
def test_wrong_margin_fails(value, feedback):
    with pytest.raises(ExerciseFailed, match=feedback) as err:
        check("04.2", value)
    assert "0.4" not in str(err.value)


def _d2(A, B):
    return ((np.asarray(A)[:, None] - np.asarray(B)[None]) ** 2).sum(-1)


@pytest.mark.parametrize("fn, feedback", [
    (lambda A, B, g: np.exp(-g * np.sqrt(_d2(A, B))), "SQUARED distance"),
    (lambda A, B, g: np.exp(g * _d2(A, B)), "sign in the exponent"),
    (lambda A, B, g: np.exp(-_d2(A, B) / g), "not a width parameter"),
    (lambda A, B, g: np.exp(-g * _d2(A, B)).T, "transposed"),
    (lambda A, B, g: np.exp(-g * _d2(A, B)) * 0.5, "not right"),
])
def test_wrong_kernel_fails(fn, feedback):
    with pytest.raises(ExerciseFailed, match=feedback):
        check("04.3", fn)


@pytest.mark.parametrize("value, feedback", [
    ("a", "hard-margin"), ("c", "zero hinge loss"), ("d", "contribute 0"), ("e", "not one of the letters"),
])
def test_wrong_choice_fails(value, feedback):
    with pytest.raises(ExerciseFailed, match=feedback):
        check("04.4", value)


@pytest.mark.parametrize("id", ["04.1", "04.2", "04.3", "04.4"])
def test_missing_answer_fails(id):
    with pytest.raises(ExerciseFailed, match="no answer yet"):
        check(id, None)
