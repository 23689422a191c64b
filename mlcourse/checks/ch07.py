"""Checks of chapter 07 (unsupervised learning): PCA variance, cluster purity, GMM responsibilities."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlcourse.exercises import as_number, call_student, exercise, fail

# Principal components needed to explain a fraction of the pixel variance of the 4,708
# PneumoniaMNIST training images (pixels scaled to [0, 1]); computed once with an SVD.
_PNEUMONIA_COMPONENTS = {0.80: 13, 0.90: 31, 0.95: 71, 0.99: 243}


@exercise("07.1", "numeric", "principal components for 90% of the variance of PneumoniaMNIST")
def _check_07_1(answer: Any) -> None:
    value = as_number(answer, "07.1")
    if 0 < value < 1:
        fail("That looks like a fraction of variance, not a number of components.",
             "count the components: the smallest k whose cumulative explained variance ratio reaches 0.9")
    if value != int(value) or value < 1:
        fail("A number of components is a positive whole number.")
    k = int(value)
    if k == _PNEUMONIA_COMPONENTS[0.90]:
        return
    if k == _PNEUMONIA_COMPONENTS[0.90] - 1:
        fail("One short: the k-th component is the k-th entry of the cumulative sum, counting from 1.",
             "np.argmax(cumulative >= 0.9) is an index that starts at 0")
    if k in (_PNEUMONIA_COMPONENTS[0.80], _PNEUMONIA_COMPONENTS[0.95], _PNEUMONIA_COMPONENTS[0.99]):
        fail("That is the number for another fraction of the variance.", "use the threshold 0.90")
    if k >= 784:
        fail("That is every component: all of them explain 100% of the variance.",
             "use the cumulative sum of the explained variance ratio")
    fail("Not the right number of components.",
         "fit PCA on all training images (features.flatten), take np.cumsum of the explained variance "
         "ratio and find the first k where it reaches 0.9")


@exercise("07.2", "code", "cluster purity")
def _check_07_2(fn: Any) -> None:
    if not callable(fn):
        fail("Pass the function itself (cluster_purity), not its result.")
    cases = [
        (np.array([0, 0, 1, 1]), np.array([1, 1, 0, 0]), 1.0, "clusters that match the classes with swapped names"),
        (np.array([0, 0, 0, 1, 1, 1]), np.array([0, 0, 1, 1, 1, 1]), 5 / 6, "one misplaced case"),
        (np.zeros(5, dtype=int), np.array([0, 1, 1, 1, 0]), 0.6, "a single cluster (purity = majority share)"),
        (np.array([3, 7, 7, 3, 9]), np.array([[1], [0], [0], [1], [0]]), 1.0,
         "arbitrary cluster ids and labels of shape (N, 1)"),
        (np.array([0, 1, 2, 3]), np.array([0, 0, 1, 1]), 1.0, "one cluster per case"),
        (np.array([0, 0, 1, 1, 1, 2]), np.array([0, 1, 0, 1, 1, 2]), 4 / 6, "three clusters and three classes"),
    ]
    for clusters, truth, expected, what in cases:
        got = call_student(fn, what, clusters.copy(), truth.copy(),
                           hint="flatten the labels with np.ravel and loop over the cluster ids that occur")
        try:
            got = float(got)
        except (TypeError, ValueError):
            fail(f"For {what} your function returned {type(got).__name__}, not a number.")
        if abs(got - expected) > 1e-9:
            if abs(got - 1.0) < 1e-9 or got > 1:
                fail(f"For {what} the purity is too high.",
                     "count, in each cluster, only the cases of its most frequent class")
            fail(f"For {what} the purity is wrong.",
                 "sum, over clusters, the count of the cluster's most frequent class, then divide by N")


def _responsibilities(x: np.ndarray, weights: np.ndarray, means: np.ndarray, variances: np.ndarray) -> np.ndarray:
    """Reference E-step of a 1-D Gaussian mixture (used to judge answers, never shown)."""
    x = np.asarray(x, dtype=float).reshape(-1, 1)
    log_p = (np.log(weights) - 0.5 * np.log(2 * np.pi * variances)
             - 0.5 * (x - means) ** 2 / variances)
    log_p -= log_p.max(axis=1, keepdims=True)
    p = np.exp(log_p)
    return p / p.sum(axis=1, keepdims=True)


@exercise("07.3", "code", "responsibilities of a 1-D Gaussian mixture (the E-step)")
def _check_07_3(fn: Any) -> None:
    if not callable(fn):
        fail("Pass the function itself (responsibilities), not its result.")
    cases = [
        (np.array([0.0, 1.0, 2.0]), np.array([0.5, 0.5]), np.array([0.0, 2.0]), np.array([1.0, 1.0]),
         "two equal components"),
        (np.array([0.3, 0.5, 0.9]), np.array([0.2, 0.3, 0.5]), np.array([0.2, 0.5, 0.8]),
         np.array([0.01, 0.02, 0.005]), "three tissue-like components with unequal weights and variances"),
        (np.array([-1.0, 4.0]), np.array([0.9, 0.1]), np.array([0.0, 0.0]), np.array([1.0, 9.0]),
         "two components with the same mean and different variances"),
    ]
    for x, w, mu, var, what in cases:
        got = np.asarray(call_student(fn, what, x.copy(), w.copy(), mu.copy(), var.copy()), dtype=float)
        expected = _responsibilities(x, w, mu, var)
        if got.shape != expected.shape:
            fail(f"For {what} the result has shape {got.shape}; it needs one row per point and one column "
                 "per component.", "broadcast x[:, None] against the component parameters")
        if not np.allclose(got.sum(axis=1), 1.0, atol=1e-6):
            fail(f"For {what} the rows do not sum to 1.", "divide each row by its sum (Bayes' rule)")
        if not np.allclose(got, expected, atol=1e-6):
            unweighted = _responsibilities(x, np.full_like(w, 1 / len(w)), mu, var)
            if len(w) > 1 and not np.allclose(w, w[0]) and np.allclose(got, unweighted, atol=1e-6):
                fail(f"For {what} the mixing weights are missing.", "multiply each density by its weight pi_k")
            fail(f"For {what} the responsibilities are wrong.",
                 "the Gaussian density is exp(-(x - mu)^2 / (2 var)) / sqrt(2 pi var); var is a variance, "
                 "not a standard deviation")
