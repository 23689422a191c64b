"""Checks of chapter 02 (evaluation): PPV at low prevalence, a paired bootstrap of an AUC difference, Dice,
a threshold for 95% sensitivity chosen on validation."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from scipy import stats

from mlcourse import data
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


# Exercise 02.2: hidden pairs of models scored on the same cases


def _auc(y: np.ndarray, s: np.ndarray) -> float:
    """ROC AUC from ranks (ties count one half), as roc_auc_score computes it; NaN with one class only."""
    n_pos = int(y.sum())
    n_neg = y.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = stats.rankdata(s)
    return float((ranks[y == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _reference_interval(y: np.ndarray, a: np.ndarray, b: np.ndarray, n_boot: int, seed: int,
                        paired: bool = True) -> tuple[float, float]:
    """Stratified percentile bootstrap of AUC(a) - AUC(b); paired=False draws separate cases per model."""
    rng = np.random.default_rng(seed)
    groups = [np.flatnonzero(y == 1), np.flatnonzero(y == 0)]

    def draw() -> np.ndarray:
        return np.concatenate([g[rng.integers(0, g.size, g.size)] for g in groups])

    diffs = []
    for _ in range(n_boot):
        ia = draw()
        ib = ia if paired else draw()
        diffs.append(_auc(y[ia], a[ia]) - _auc(y[ib], b[ib]))
    low, high = np.percentile(diffs, [2.5, 97.5])
    return float(low), float(high)


@functools.lru_cache(maxsize=1)
def _paired_cases() -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray, str], ...]:
    """Three hidden test sets: two strongly correlated models, two models of clearly different quality, and a
    small set with only 4 positives (some unstratified resamples then hold no positive at all)."""
    rng = np.random.default_rng(2024)
    cases = []
    for n, sep, noise_a, noise_b, what in ((300, 1.2, 0.1, 0.5, "two similar models scored on the same 300 cases"),
                                           (200, 2.0, 0.2, 2.0, "a strong and a weak model on the same 200 cases")):
        y = (rng.random(n) < 0.4).astype(int)
        shared = rng.normal(size=n) + sep * y       # what both models see: the hard cases are hard for both
        cases.append((y, shared + noise_a * rng.normal(size=n), shared + noise_b * rng.normal(size=n), what))
    y = np.zeros(40, dtype=int)
    y[rng.choice(40, 4, replace=False)] = 1
    shared = rng.normal(size=40) + 1.5 * y
    cases.append((y, shared + 0.5 * rng.normal(size=40), 1 / (1 + np.exp(-(shared + rng.normal(size=40)))),
                  "a small test set of 40 cases with only 4 positives (B's scores are probabilities)"))
    return tuple(cases)


@functools.lru_cache(maxsize=1)
def _references() -> tuple[tuple[float, float, float], ...]:
    """(low, high) of the reference paired interval and the width of an unpaired one, per hidden case."""
    out = []
    for y, a, b, _ in _paired_cases():
        low, high = _reference_interval(y, a, b, 2000, seed=11)
        u_low, u_high = _reference_interval(y, a, b, 1000, seed=11, paired=False)
        out.append((low, high, u_high - u_low))
    return tuple(out)


def _as_interval(got: Any, what: str) -> tuple[float, float, float]:
    """(estimate, low, high) from a tuple/list/array of three numbers or a dict with those keys."""
    if isinstance(got, dict):
        try:
            got = (got["estimate"], got["low"], got["high"])
        except KeyError:
            fail(f"For {what} your function returned a dict without the keys 'estimate', 'low' and 'high'.",
                 "return (estimate, low, high)")
    try:
        values = [float(v) for v in np.asarray(got, dtype=float).ravel()]
    except (TypeError, ValueError):
        fail(f"For {what} your function returned {type(got).__name__}, not three numbers.",
             "return (estimate, low, high)")
    if len(values) != 3:
        fail(f"For {what} your function returned {len(values)} numbers instead of three.",
             "return (estimate, low, high): the difference on all cases and the two ends of the interval")
    if not all(np.isfinite(values)):
        fail(f"For {what} your function returned {values}.",
             "a resample with only one class has no AUC: draw within each class, or skip such resamples")
    return values[0], values[1], values[2]


@exercise("02.2", "code", "a paired bootstrap interval for the difference of two AUCs")
def _check_02_2(fn: Any) -> None:
    if not callable(fn):
        fail("Pass the function itself (my_paired_auc_diff), not its result.")
    n_boot, results = 500, []
    for y, a, b, what in _paired_cases():
        small = y.size < 100
        hint = ("a resample with only one class has no AUC: draw the indices within each class (positives and "
                "negatives separately), or skip such resamples") if small else None
        got = call_student(fn, what, y.copy(), a.copy(), b.copy(), n_boot, 7, hint=hint)
        estimate, low, high = _as_interval(got, what)
        auc_a, auc_b = _auc(y, a), _auc(y, b)
        if abs(estimate - (auc_a - auc_b)) > 1e-6:
            if abs(estimate + (auc_a - auc_b)) < 1e-6:
                fail(f"For {what} your estimate has the wrong sign.", "the difference is AUC(A) − AUC(B)")
            if abs(estimate - auc_a) < 1e-6 or abs(estimate - auc_b) < 1e-6:
                fail(f"For {what} your estimate is the AUC of one model, not the difference.",
                     "the first number is AUC(A) − AUC(B) on all cases, without resampling")
            fail(f"For {what} your estimate is not AUC(A) − AUC(B) on all cases.",
                 "compute the estimate once on the full data; the resamples only give the interval")
        if low > high:
            fail(f"For {what} your interval has low > high.", "return (estimate, low, high) in that order")
        if small:
            again = _as_interval(call_student(fn, what, y.copy(), a.copy(), b.copy(), n_boot, 7), what)
            if not np.allclose(again, (estimate, low, high)):
                fail(f"For {what} two calls with the same seed gave different intervals.",
                     "draw every random number from rng = np.random.default_rng(seed)")
        results.append((what, small, estimate, low, high))
    for (what, small, estimate, low, high), (ref_low, ref_high, unpaired_width) in zip(results, _references()):
        width, ref_width = high - low, ref_high - ref_low
        if small:
            continue                                 # with 4 positives the widths are too coarse to compare
        if width > 1.25 * ref_width:
            if width > 0.75 * unpaired_width:
                fail(f"For {what} your interval is about as wide as for two unrelated models.",
                     "draw one set of case indices per round and score BOTH models on those same cases; "
                     "independent draws for A and B throw away the pairing")
            fail(f"For {what} your interval is too wide.",
                 "a 95% interval runs from the 2.5th to the 97.5th percentile of the resampled differences")
        if width < 0.8 * ref_width:
            fail(f"For {what} your interval is too narrow.",
                 "resample n cases with replacement each round; np.percentile takes percentages (2.5, 97.5), "
                 "np.quantile fractions (0.025, 0.975)")
    for what, small, estimate, low, high in results:
        if not low <= estimate <= high:
            fail(f"For {what} your interval does not contain the estimate.",
                 "resample the labels together with the scores (the same indices for y, A and B), and take the "
                 "2.5th and 97.5th percentiles of the resampled differences")
    for (what, small, estimate, low, high), (ref_low, ref_high, _) in zip(results, _references()):
        tol = (0.4 if small else 0.2) * (ref_high - ref_low)
        if abs(low - ref_low) > tol or abs(high - ref_high) > tol:
            fail(f"For {what} your interval is not where a paired bootstrap puts it.",
                 "percentile bootstrap: the 2.5th and 97.5th percentiles of AUC(A*) − AUC(B*) over the resamples")


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


def _binary_split_sizes(split: str) -> dict[int, str]:
    """Number of cases in one split of each binary MedMNIST subset (from the registry), mapped to its name."""
    sizes = {}
    for flag in data.FLAGS:
        entry = data.info(flag)
        if entry["task"] == "binary-class":
            sizes.setdefault(int(entry["n_samples"][split]), entry["name"])
    return sizes


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
        fail("The labels must be 0/1 with at least one positive case (1 = the disease).")
    for split, why in (("test", "a threshold tuned on the test images makes every test number computed with it "
                                "optimistic"),
                       ("train", "the network has seen these images, so its scores on them are optimistic")):
        if y.size in _binary_split_sizes(split) and y.size not in _binary_split_sizes("val"):
            fail(f"You passed {y.size} labels, the size of {_binary_split_sizes(split)[y.size]}'s {split} split, "
                 f"not of a validation split: {why}.",
                 "choose the threshold on y_val and p_val; use the test split once, to report what it gives")
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
