"""Checks of chapter 07 (unsupervised learning): PCA variance, cluster purity, the E-step and M-step of a GMM."""

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


def _m_step(x: np.ndarray, resp: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reference M-step of a Gaussian mixture with full covariances (used to judge answers, never shown)."""
    x = np.asarray(x, dtype=float)
    resp = np.asarray(resp, dtype=float)
    nk = resp.sum(axis=0)
    means = resp.T @ x / nk[:, None]
    diffs = x[None, :, :] - means[:, None, :]                       # (K, n, d)
    covs = np.einsum("nk,kni,knj->kij", resp, diffs, diffs) / nk[:, None, None]
    return nk / len(x), means, covs


def _m_step_cases() -> list[tuple[np.ndarray, np.ndarray, str]]:
    """Hidden inputs: soft and hard responsibilities, one to three dimensions, two to four components."""
    rng = np.random.default_rng(7)
    x1 = np.array([[0.1], [0.4], [0.5], [0.8], [0.9], [1.3]])
    r1 = np.array([[0.9, 0.1], [0.7, 0.3], [0.6, 0.4], [0.3, 0.7], [0.2, 0.8], [0.05, 0.95]])
    x2 = rng.normal(size=(40, 2)) @ np.array([[1.0, 0.6], [0.0, 0.8]]) + np.array([2.0, -1.0])
    r2 = rng.dirichlet(np.ones(3), size=40)
    x3 = rng.normal(size=(30, 3)) * np.array([1.0, 2.0, 0.5])
    hard = np.zeros((30, 4))
    hard[np.arange(30), np.arange(30) % 4] = 1.0
    return [(x1, r1, "six 1-D intensities and two components (soft responsibilities)"),
            (x2, r2, "40 correlated 2-D points and three components (soft responsibilities)"),
            (x3, hard, "30 3-D points with hard 0/1 responsibilities and four components")]


def _as_triple(got: Any, what: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The student's (weights, means, covariances) as float arrays, or feedback on the form."""
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        fail(f"For {what} your function returned {type(got).__name__}; return a tuple (weights, means, covariances).")
    try:
        return tuple(np.asarray(part, dtype=float) for part in got)  # type: ignore[return-value]
    except (TypeError, ValueError):
        fail(f"For {what} one of the three results is not an array of numbers.")


def _diagnose_m_step(x: np.ndarray, resp: np.ndarray, weights: np.ndarray, means: np.ndarray, covs: np.ndarray,
                     what: str) -> None:
    """Name the typical mistake behind a wrong M-step, or fail generically."""
    n, k = resp.shape
    ref_w, ref_mu, ref_cov = _m_step(x, resp)
    nk = resp.sum(axis=0)
    hard = np.eye(k)[resp.argmax(axis=1)]
    if not np.allclose(hard, resp) and np.allclose(means, _m_step(x, hard)[1], atol=1e-8):
        fail(f"For {what} the update uses hard assignments (the argmax), as k-means does.",
             "EM keeps the soft responsibilities: every point counts for every component")
    if not np.allclose(weights, ref_w, atol=1e-8):
        if np.allclose(weights, nk, atol=1e-8):
            fail(f"For {what} the weights are effective counts, not proportions: they do not sum to 1.",
                 "a weight is a share of all n points")
        if np.allclose(weights, 1 / k):
            fail(f"For {what} the weights are all equal; they must follow the responsibilities.")
        fail(f"For {what} the mixing weights are wrong.", "sum each column of the responsibilities")
    if not np.allclose(means, ref_mu, atol=1e-8):
        if np.allclose(means, np.broadcast_to(x.mean(axis=0), means.shape), atol=1e-8):
            fail(f"For {what} every component got the mean of all points.",
                 "weight each point by its responsibility for that component")
        if np.allclose(means, resp.T @ x, atol=1e-8) or np.allclose(means, resp.T @ x / n, atol=1e-8):
            fail(f"For {what} the means are weighted sums with the wrong normalisation.",
                 "divide by the effective number of points of the component, not by 1 or n")
        fail(f"For {what} the means are wrong.", "a responsibility-weighted average of the points")
    if not np.allclose(covs, ref_cov, atol=1e-8):
        ratio_minus_one = (nk - 1) / nk
        if np.allclose(covs * ratio_minus_one[:, None, None], ref_cov, atol=1e-8):
            fail(f"For {what} the covariances carry an N_k - 1 correction.",
                 "the maximum-likelihood estimate divides by the effective count itself")
        if np.allclose(covs * (n / nk)[:, None, None], ref_cov, atol=1e-8):
            fail(f"For {what} the covariances are divided by n, the number of all points.",
                 "normalise each component by its own effective count")
        uncentred = np.einsum("nk,ni,nj->kij", resp, x, x) / nk[:, None, None]
        if np.allclose(covs, uncentred, atol=1e-8):
            fail(f"For {what} the covariances are second moments about the origin, not about the means.",
                 "subtract the component's new mean from every point first")
        diag = np.einsum("kii->ki", ref_cov)
        if x.shape[1] > 1 and np.allclose(np.einsum("kii->ki", covs), diag, atol=1e-8):
            fail(f"For {what} only the variances (the diagonal) are right.",
                 "a full covariance matrix has the products of different coordinates off the diagonal")
        if np.allclose(covs**2, ref_cov, atol=1e-8):
            fail(f"For {what} the spreads look like standard deviations, not (co)variances.")
        fail(f"For {what} the covariances are wrong.",
             "a responsibility-weighted average of the outer products of the centred points")


@exercise("07.4", "code", "the M-step of a Gaussian mixture")
def _check_07_4(fn: Any) -> None:
    if not callable(fn):
        fail("Pass the function itself (m_step), not its result.")
    for x, resp, what in _m_step_cases():
        got = call_student(fn, what, x.copy(), resp.copy(),
                           hint="X has one row per point, resp one row per point and one column per component")
        weights, means, covs = _as_triple(got, what)
        k, d = resp.shape[1], x.shape[1]
        for name, arr, shape in (("weights", weights, (k,)), ("means", means, (k, d)),
                                 ("covariances", covs, (k, d, d))):
            if arr.shape != shape:
                fail(f"For {what} {name} has shape {arr.shape}; with K components in d dimensions it should have "
                     f"shape {'(K,)' if name == 'weights' else '(K, d)' if name == 'means' else '(K, d, d)'}.",
                     "resp has shape (n, K): sum over axis 0 for per-component quantities")
        _diagnose_m_step(x, resp, weights, means, covs, what)
