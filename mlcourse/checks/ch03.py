"""Checks of chapter 03 (k-nearest neighbours): standardising without leakage, distances in high
dimensions, leave-one-out accuracy."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlcourse.exercises import as_number, call_student, exercise, fail

D_03_2 = 784  # pixels of a 28x28 image


@exercise("03.1", "code", "standardise with training statistics only")
def _check_03_1(fn: Any) -> None:
    if not callable(fn):
        fail("Pass the function itself (standardise), not its result.")
    rng = np.random.default_rng(3)
    train = rng.normal([10.0, -2.0, 500.0], [2.0, 0.5, 80.0], size=(40, 3))
    other = rng.normal([14.0, 0.0, 300.0], [4.0, 1.0, 10.0], size=(15, 3))
    mean, sd = train.mean(axis=0), train.std(axis=0)
    got = call_student(fn, "two small arrays", train.copy(), other.copy())
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        fail("Return a pair (Z_train, Z_other).")
    z_train, z_other = (np.asarray(g, dtype=float) for g in got)
    if z_train.shape != train.shape or z_other.shape != other.shape:
        fail(f"The shapes changed: got {z_train.shape} and {z_other.shape}, expected {train.shape} and {other.shape}.",
             "standardise feature by feature (axis=0); the shapes stay the same")
    if np.allclose(z_train, (train - train.mean()) / train.std()):
        fail("You used one mean and one standard deviation for the whole array.",
             "compute them per feature, along axis 0")
    if not np.allclose(z_train, (train - mean) / sd, atol=1e-6):
        if np.allclose(z_train, (train - mean) / train.std(axis=0, ddof=1), atol=1e-6):
            fail("Close: you used the sample standard deviation (ddof=1).",
                 "use NumPy's default, ddof=0, as StandardScaler does")
        fail("Z_train is not standardised correctly.",
             "each column of Z_train should have mean 0 and standard deviation 1")
    if np.allclose(z_other, (other - other.mean(axis=0)) / other.std(axis=0), atol=1e-6):
        fail("Z_other was standardised with its own statistics: that leaks information about the other set "
             "and puts the two sets on different scales.", "reuse the training mean and standard deviation")
    if not np.allclose(z_other, (other - mean) / sd, atol=1e-6):
        fail("Z_other is not standardised correctly.",
             "subtract the training mean and divide by the training standard deviation")
    constant = np.column_stack([train[:, 0], np.full(len(train), 7.0)])
    got = call_student(fn, "an array with a constant feature", constant, np.array([[1.0, 7.0], [2.0, 9.0]]))
    z_train, z_other = (np.asarray(g, dtype=float) for g in got)
    if not (np.all(np.isfinite(z_train)) and np.all(np.isfinite(z_other))):
        fail("A constant training feature gave nan or inf.", "replace a standard deviation of 0 by 1 before dividing")
    if not (np.allclose(z_train[:, 1], 0.0) and np.allclose(z_other[:, 1], [0.0, 2.0])):
        fail("A constant training feature should only be centred (divided by 1).")


@exercise("03.2", "numeric", "expected squared distance between random points in 784 dimensions")
def _check_03_2(answer: Any) -> None:
    value = as_number(answer, "03.2")
    right = D_03_2 / 6
    if abs(value - right) <= 0.01 * right:
        return
    if abs(value - D_03_2 / 12) <= 0.01 * right:
        fail("That is d times the variance of ONE uniform coordinate.",
             "the difference U - V of two independent coordinates has the variance of both added up")
    if abs(value - D_03_2 / 3) <= 0.01 * right:
        fail("That is d times E[U^2], the squared distance from a random point to the origin.",
             "expand E[(U - V)^2] = E[U^2] - 2 E[U] E[V] + E[V^2]")
    if abs(value - np.sqrt(right)) <= 0.05 * np.sqrt(right) or abs(value - np.sqrt(D_03_2 / 3)) < 1:
        fail("That looks like a distance, not a squared distance.", "squared distances add up over coordinates")
    if abs(value - 1 / 6) < 1e-3 or abs(value - 1 / 12) < 1e-3:
        fail("That is the answer for a single coordinate (d = 1).",
             "the squared distance is a sum over all d coordinates")
    fail("Not the right value.",
         "find E[(U - V)^2] for one coordinate, with U and V uniform on [0, 1], then use d = 784")


def _loo_reference(X: np.ndarray, y: np.ndarray, k: int, include_self: bool = False) -> float:
    """Leave-one-out accuracy of kNN; include_self=True reproduces the classic mistake."""
    classes = np.unique(y)
    d2 = ((X[:, None, :] - X[None, :, :]) ** 2).sum(axis=2)
    if not include_self:
        np.fill_diagonal(d2, np.inf)
    nearest = np.argsort(d2, axis=1, kind="stable")[:, :k]
    votes = (y[nearest][:, :, None] == classes[None, None, :]).sum(axis=1)
    return float(np.mean(classes[np.argmax(votes, axis=1)] == y))


@exercise("03.3", "code", "leave-one-out accuracy of kNN")
def _check_03_3(fn: Any) -> None:
    if not callable(fn):
        fail("Pass the function itself (loo_accuracy), not its result.")
    rng = np.random.default_rng(33)
    X2 = np.vstack([rng.normal(0, 1, (30, 2)), rng.normal(1.5, 1, (30, 2))])
    y2 = np.repeat([0, 1], 30)
    X3 = rng.normal(size=(45, 4))
    y3 = rng.integers(0, 3, 45)
    X3[:, 0] += y3
    cases = [(X2, y2, 1, "two overlapping classes, k = 1"), (X2, y2, 5, "two overlapping classes, k = 5"),
             (X2, y2, 4, "two classes with k = 4 (tied votes go to the smallest label)"),
             (X3, y3, 7, "three classes in 4 dimensions, k = 7"),
             (X3, y3.reshape(-1, 1), 3, "labels of shape (N, 1), k = 3")]
    for X, y, k, what in cases:
        got = call_student(fn, what, X.copy(), y.copy(), k)
        try:
            got = float(got)
        except (TypeError, ValueError):
            fail(f"For {what} your function returned {type(got).__name__}, not a number.")
        flat = y.ravel()
        right = _loo_reference(X, flat, k)
        if abs(got - right) < 1e-9:
            continue
        if abs(got - _loo_reference(X, flat, k, include_self=True)) < 1e-9:
            fail(f"For {what} each point votes for itself.",
                 "exclude the point itself from its neighbours, "
                 "e.g. set the diagonal of the distance matrix to infinity")
        if abs(got - _loo_reference(X, flat, k + 1, include_self=True)) < 1e-9 and k > 1:
            fail(f"For {what} the result matches k + 1 neighbours with the point itself among them.",
                 "drop the point itself, then take k neighbours")
        fail(f"For {what} the leave-one-out accuracy is not right.",
             "for each point: the k nearest OTHER points, their majority label (ties: smallest label), "
             "compared with its own")
