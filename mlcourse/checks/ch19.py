"""Checks of chapter 19 (trustworthy medical AI): two things to build, class-conditional (Mondrian) conformal
sets and Platt scaling, and the smallest calibration set that gives a finite conformal threshold."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import optimize

from mlcourse.exercises import as_number, call_student, exercise, fail


def _threshold(scores: np.ndarray, alpha: float, correction: int = 1, infinite: bool = True,
               quantile: bool = False) -> float:
    """The conformal threshold with switches for the typical mistakes (no +1, no infinite threshold,
    np.quantile's 'higher' method at the corrected level, which is not the k-th smallest score)."""
    scores = np.sort(scores)
    n = len(scores)
    rank = int(np.ceil((n + correction) * (1 - alpha) - 1e-9))          # - 1e-9: (9 + 1) * 0.9 is 9.000...02
    if quantile and n and rank <= n:
        return float(np.quantile(scores, rank / n, method="higher"))
    if rank > n or rank < 1:
        return np.inf if infinite else (float(scores[-1]) if n else np.inf)
    return float(scores[rank - 1])


def _mondrian(cal_probs: np.ndarray, cal_labels: np.ndarray, test_probs: np.ndarray, alpha: float,
              per_class: bool = True, correction: int = 1, infinite: bool = True, strict: bool = False,
              score: str = "true", quantile: bool = False) -> np.ndarray:
    """Class-conditional LAC sets, with switches for the typical mistakes."""
    sets = np.zeros(test_probs.shape, dtype=bool)
    true_scores = 1.0 - cal_probs[np.arange(len(cal_labels)), cal_labels]
    if score == "top":
        true_scores = 1.0 - cal_probs.max(axis=1)
    for k in range(test_probs.shape[1]):
        if per_class:
            chosen = 1.0 - cal_probs[cal_labels == k, k] if score == "true" else true_scores[cal_labels == k]
        else:
            chosen = true_scores
        q = _threshold(chosen, alpha, correction, infinite, quantile)
        test_scores = 1.0 - test_probs[:, k]
        sets[:, k] = test_scores < q if strict else test_scores <= q
    return sets


def _probs(rng: np.random.Generator, n: int, k: int, sharp: float, grid: bool = True) -> np.ndarray:
    """Random class probabilities in steps of 1/16: exact in floating point (so 1 - p and p >= 1 - q agree), and
    coarse enough that test scores tie with the threshold."""
    logits = sharp * rng.normal(size=(n, k))
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    if not grid:                                  # continuous: no ties, so every rank gives a different threshold
        return p / p.sum(axis=1, keepdims=True)
    return np.stack([rng.multinomial(16, row / row.sum()) for row in p]) / 16.0


def _mondrian_cases() -> list[tuple[np.ndarray, np.ndarray, np.ndarray, float, str]]:
    """Hidden (cal_probs, cal_labels, test_probs, alpha, description) cases."""
    cases = []
    for seed, n_cal, n_test, k, alpha, what in ((1901, 60, 40, 2, 0.1, "two classes, 60 calibration cases"),
                                                (1902, 90, 50, 3, 0.2, "three classes at alpha = 0.2"),
                                                (1903, 200, 30, 4, 0.1, "four classes, one of them rare")):
        rng = np.random.default_rng(seed)
        cal, test = _probs(rng, n_cal, k, 1.5, grid=k > 2), _probs(rng, n_test, k, 1.5, grid=k > 2)
        weights = np.ones(k) if k < 4 else np.array([1.0, 1.0, 1.0, 0.02])      # the last class gets few cases
        labels = rng.choice(k, size=n_cal, p=weights / weights.sum())
        if k == 4:                          # the rare class: 4 confident calibration cases, too few for a finite q
            labels[:4] = 3
            cal[:4] = np.array([1.0, 1.0, 2.0, 12.0]) / 16
        cases.append((cal, labels, test, alpha, what))
    return cases


_MONDRIAN_MISTAKES = [
    (dict(per_class=False), "These are marginal sets: one threshold from all calibration cases.",
     "take, for each class k, only the calibration cases whose true label is k, and their scores 1 - p_k"),
    (dict(infinite=False), "A class with too few calibration cases should get an infinite threshold.",
     "when ceil((n_k + 1)(1 - alpha)) > n_k, no finite threshold has the guarantee, so the label is always in"),
    (dict(correction=0), "The finite-sample correction is missing.",
     "the rank of the threshold is ceil((n_k + 1)(1 - alpha)), with n_k the calibration cases of class k"),
    (dict(strict=True), "A label whose score equals the threshold belongs in the set.", "use <=, not <"),
    (dict(score="top"), "The calibration scores should use the probability of the true class, not the top one.",
     None),
    (dict(quantile=True), "np.quantile with method='higher' at level k / n does not return the k-th smallest score.",
     "sort the class's scores and take the one at rank k (index k - 1), or use method='inverted_cdf'"),
]


@exercise("19.1", "code", "class-conditional (Mondrian) conformal prediction sets")
def _check_19_1(fn: Any) -> None:
    if not callable(fn):
        fail("Pass the function itself (mondrian_sets), not its result.")
    for cal, labels, test, alpha, what in _mondrian_cases():
        got = call_student(fn, what, cal.copy(), labels.copy(), test.copy(), alpha)
        if got is None:
            fail(f"For {what}, your function returned None; return the boolean array of sets.")
        got = np.asarray(got)
        right = _mondrian(cal, labels, test, alpha)
        if got.shape != right.shape:
            fail(f"For {what}, the sets should have shape (test cases, classes) = {right.shape}; got {got.shape}.")
        if got.dtype.kind not in "buif" or not np.isin(got, (0, 1)).all():
            fail(f"For {what}, the sets should be True/False (or 1/0) per test case and class.")
        got = got.astype(bool)
        if np.array_equal(got, right):
            continue
        for change, message, hint in _MONDRIAN_MISTAKES:
            if np.array_equal(got, _mondrian(cal, labels, test, alpha, **change)):
                fail(f"For {what}: {message}", hint)
        fail(f"Wrong sets for {what}.",
             "per class k: scores 1 - p_k of the calibration cases labelled k, threshold at rank "
             "ceil((n_k + 1)(1 - alpha)), and k is in a test set when 1 - p_k <= that threshold")


def _platt_nll(params: np.ndarray, s: np.ndarray, y: np.ndarray) -> float:
    """Mean NLL of sigmoid(a s + b), computed without overflow."""
    z = params[0] * s + params[1]
    return float(np.mean(np.logaddexp(0.0, z) - y * z))


def _platt_reference(s: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The (a, b) that minimise the NLL."""
    return optimize.minimize(_platt_nll, np.array([1.0, 0.0]), args=(s, y), method="BFGS",
                             options={"gtol": 1e-10}).x


def _platt_cases() -> list[tuple[np.ndarray, np.ndarray, str]]:
    """Hidden (scores, labels, description) cases."""
    cases = []
    for seed, n, a, b, scale, what in ((1911, 400, 0.7, 0.3, 1.0, "log-odds that are too confident"),
                                       (1912, 300, 1.0, -1.0, 12.0, "a badly scaled score (standard deviation 24)"),
                                       (1913, 250, -0.8, 0.2, 1.0, "an inverted score (the best a is negative)")):
        rng = np.random.default_rng(seed)
        s = scale * rng.normal(scale=2.0, size=n)
        y = (rng.random(n) < 1 / (1 + np.exp(-(a * s / scale + b)))).astype(int)
        cases.append((s, y, what))
    return cases


@exercise("19.2", "code", "Platt scaling fitted by maximum likelihood")
def _check_19_2(fn: Any) -> None:
    if not callable(fn):
        fail("Pass the function itself (fit_platt), not its result.")
    for s, y, what in _platt_cases():
        got = call_student(fn, what, s.copy(), y.copy())
        try:
            a, b = (float(v) for v in got)
        except (TypeError, ValueError):
            fail(f"For {what}, fit_platt should return the pair (a, b) of two numbers; got {got!r:.80}.")
        if not (np.isfinite(a) and np.isfinite(b)):
            fail(f"For {what}, a or b is not finite (a = {a}, b = {b}).",
                 "large |a s + b| overflows exp; write -log sigma(z) as logaddexp(0, -z)")
        right = _platt_reference(s, y)
        best = _platt_nll(right, s, y)
        if _platt_nll(np.array([a, b]), s, y) <= best + 1e-5:
            continue
        if a == 1.0 and b == 0.0:
            fail(f"For {what}, (a, b) = (1, 0) is where a minimiser starts: the fit did not move.",
                 "if your loss overflows (exp of a large number), the optimiser stops at once; write -log sigma(z) "
                 "as logaddexp(0, -z)")
        if _platt_nll(np.array([b, a]), s, y) <= best + 1e-5:
            fail(f"For {what}, a and b came back swapped; return (a, b) with p = sigmoid(a s + b).")
        if abs(b) < 1e-9:
            fail(f"For {what}, b is 0: that is temperature scaling, which only rescales the score.",
                 "fit the intercept b together with a")
        if a * right[0] < 0:
            fail(f"For {what}, a has the wrong sign.", "p should be sigmoid(a s + b), the probability of label 1")
        fail(f"For {what}, (a, b) = ({a:.3f}, {b:.3f}) does not minimise the NLL.",
             "minimise mean(logaddexp(0, z) - y z) with z = a s + b over both a and b")


def _smallest_n(alpha: float, correction: int = 1) -> int:
    """The smallest n for which ceil((n + correction)(1 - alpha)) <= n."""
    n = 1
    while np.ceil((n + correction) * (1 - alpha) - 1e-9) > n:
        n += 1
    return n


@exercise("19.3", "numeric", "the smallest calibration set with a finite threshold at alpha = 0.05")
def _check_19_3(answer: Any) -> None:
    value = as_number(answer, "19.3")
    if value == _smallest_n(0.05):
        return
    known = [(_smallest_n(0.05) + 1, "Close, but not the smallest.", "try the numbers just below yours and compute "
                                                                    "the rank for each"),
             (_smallest_n(0.1), "That is the answer for alpha = 0.1; here alpha = 0.05.", None),
             (_smallest_n(0.05, correction=0), "Without the finite-sample correction any n works; the rank "
                                               "uses n + 1.", None)]
    for number, message, hint in known:
        if value == number:
            fail(message, hint)
    fail("Not the smallest such n.", "solve ceil((n + 1)(1 - alpha)) <= n for n, with 1 - alpha = 0.95")
