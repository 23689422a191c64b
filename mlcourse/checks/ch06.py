"""Checks of chapter 06 (Bayes and naive Bayes): post-test probability, Bernoulli likelihoods, prior shift, costs."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlcourse.exercises import as_number, call_student, exercise, fail


@exercise("06.1", "numeric", "post-test probability after a negative result")
def _check_06_1(answer: Any) -> None:
    value = as_number(answer, "06.1")
    pre, sens, spec = 0.30, 0.90, 0.80
    lr_neg = (1 - sens) / spec
    odds = pre / (1 - pre) * lr_neg
    expected = odds / (1 + odds)
    if abs(value - expected) < 1e-3:
        return
    if not 0 <= value <= 1:
        fail("A probability lies between 0 and 1.", "convert the post-test odds back: p = odds / (1 + odds)")
    if abs(value - lr_neg) < 1e-3:
        fail("That is the negative likelihood ratio, not a probability.",
             "multiply the pre-test odds by it, then turn the odds into a probability")
    if abs(value - pre * lr_neg) < 1e-3:
        fail("You multiplied the pre-test probability by the likelihood ratio.",
             "likelihood ratios multiply odds, not probabilities")
    if abs(value - odds) < 1e-3:
        fail("That is the post-test odds.", "turn odds into a probability: p = odds / (1 + odds)")
    if abs(value - (1 - expected)) < 1e-3:
        fail("That is the probability of NO disease after the negative result (the NPV).",
             "the question asks for the probability of disease")
    if abs(value - pre) < 1e-3:
        fail("A test with these sensitivity and specificity does change the probability.",
             "use the likelihood ratio of a negative result, (1 - sensitivity) / specificity")
    fail("Not the post-test probability.", "pre-test odds x LR- = post-test odds; then odds / (1 + odds)")


@exercise("06.2", "code", "Laplace-smoothed pixel probabilities of a Bernoulli naive Bayes")
def _check_06_2(fn: Any) -> None:
    if not callable(fn):
        fail("Pass the function itself (bernoulli_pixel_probabilities), not its result.")
    rng = np.random.default_rng(6)
    cases = [
        ((rng.random((30, 8)) < 0.3).astype(np.uint8), rng.integers(0, 2, 30), 1.0, "30 images, classes 0/1, alpha=1"),
        ((rng.random((25, 5)) < 0.6).astype(bool), rng.choice([3, 7, 9], 25), 0.5, "classes 3, 7, 9 and alpha=0.5"),
        (np.zeros((6, 4), dtype=np.uint8), np.array([0, 0, 0, 1, 1, 1]), 1.0, "images with no pixel on"),
    ]
    for X, y, alpha, what in cases:
        classes = np.unique(y)
        Xf = X.astype(float)
        expected = np.array([(Xf[y == c].sum(axis=0) + alpha) / ((y == c).sum() + 2 * alpha) for c in classes])
        got = np.asarray(call_student(fn, what, X.copy(), y.copy(), alpha), dtype=float)
        if got.shape != expected.shape:
            fail(f"For {what} the result has shape {got.shape}, expected (classes, pixels) = {expected.shape}.",
                 "one row per class that occurs in y, in sorted order, one column per pixel")
        if np.allclose(got, expected, atol=1e-9):
            continue
        raw = np.array([Xf[y == c].mean(axis=0) for c in classes])
        if np.allclose(got, raw, atol=1e-9):
            fail(f"For {what} the probabilities are not smoothed.",
                 "add alpha to the count of 'on' pixels and 2 * alpha to the number of images of the class")
        if np.allclose(got, 1 - expected, atol=1e-9):
            fail(f"For {what} you computed the probability of a pixel being OFF.",
                 "count the pixels equal to 1")
        fail(f"For {what} the probabilities are wrong.",
             "(number of class images with the pixel on + alpha) / (number of class images + 2 alpha)")


def _odds(p: Any) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    return p / (1.0 - p)


def _prob(odds: Any) -> np.ndarray:
    odds = np.asarray(odds, dtype=float)
    return odds / (1.0 + odds)


_PRIOR_CASES = [
    (np.array([0.05, 0.3, 0.5, 0.8, 0.97]), 0.37, 0.05, "five probabilities, prevalence 0.37 -> 0.05"),
    (np.array([[0.2, 0.6], [0.9, 0.01]]), 0.10, 0.50, "a 2 x 2 array, prevalence 0.10 -> 0.50"),
    (0.4, 0.25, 0.25, "a single probability, prevalence unchanged"),
    (np.linspace(0.01, 0.99, 9), 0.74, 0.62, "nine probabilities, prevalence 0.74 -> 0.62"),
]


@exercise("06.3", "code", "a classifier's posterior at another prevalence (prior shift)")
def _check_06_3(fn: Any) -> None:
    if not callable(fn):
        fail("Pass the function itself (adjust_to_prevalence), not its result.")
    for p, pi_train, pi_new, what in _PRIOR_CASES:
        arg = p.copy() if isinstance(p, np.ndarray) else p
        got = np.asarray(call_student(fn, what, arg, pi_train, pi_new,
                                      hint="work with odds: posterior odds = prior odds x likelihood ratio"),
                         dtype=float)
        expected = _prob(_odds(p) * _odds(pi_new) / _odds(pi_train))
        if got.shape != np.shape(expected):
            fail(f"For {what} the result has shape {got.shape}, expected {np.shape(expected)}.",
                 "return one probability per input probability, in the same shape")
        if np.allclose(got, expected, atol=1e-9):
            continue
        wrong = [
            (np.asarray(p) * pi_new / pi_train, "You scaled the probabilities by the ratio of the prevalences.",
             "the prevalence changes the prior ODDS; Bayes' theorem multiplies odds"),
            (_prob(_odds(p) * _odds(pi_train) / _odds(pi_new)), "The correction goes the wrong way.",
             "a lower new prevalence must lower the posterior"),
            (_odds(p) * _odds(pi_new) / _odds(pi_train), "You returned odds, not probabilities.",
             "turn odds o back into a probability o / (1 + o)"),
            (_prob(_odds(p) * _odds(pi_new)),
             "You multiplied by the new prior odds but did not divide out the old ones.",
             "the model's posterior already contains the training prevalence; remove its odds first"),
        ]
        for value, feedback, hint in wrong:
            if np.allclose(got, value, atol=1e-9) and not np.allclose(value, expected, atol=1e-9):
                fail(f"For {what}: {feedback}", hint)
        if np.allclose(got, p, atol=1e-9):
            fail(f"For {what} the probabilities did not change.",
                 "the posterior depends on the prior: the prevalence enters through the prior odds")
        fail(f"For {what} the adjusted probabilities are wrong.",
             "likelihood ratio = posterior odds / training prior odds; new posterior odds = LR x new prior odds")


_COST_CASES = [
    (1.0, 10.0, 0.37, 0.37, "missing a case costs 10 false alarms, same prevalence"),
    (1.0, 10.0, 0.37, 0.05, "missing a case costs 10 false alarms, prevalence 0.37 -> 0.05"),
    (2.0, 2.0, 0.20, 0.60, "equal costs, prevalence 0.20 -> 0.60"),
    (5.0, 1.0, 0.50, 0.10, "a false alarm costs 5 misses, prevalence 0.50 -> 0.10"),
]


def _threshold(c_fp: float, c_fn: float, pi_train: float, pi_new: float) -> float:
    ratio = c_fp / (c_fn * (_odds(pi_new) / _odds(pi_train)))
    return float(ratio / (1.0 + ratio))


@exercise("06.4", "code", "the minimum-cost threshold for given costs and prevalence")
def _check_06_4(fn: Any) -> None:
    if not callable(fn):
        fail("Pass the function itself (min_cost_threshold), not its result.")
    for c_fp, c_fn, pi_train, pi_new, what in _COST_CASES:
        got = as_number(call_student(fn, what, c_fp, c_fn, pi_train, pi_new,
                                     hint="call positive when P(disease) x cost_fn > P(healthy) x cost_fp"), "06.4")
        expected = _threshold(c_fp, c_fn, pi_train, pi_new)
        if abs(got - expected) < 1e-6:
            continue
        k = float(_odds(pi_new) / _odds(pi_train))
        wrong = [
            (c_fn / (c_fp + c_fn), "The two costs are swapped.",
             "the threshold rises when false alarms get more expensive"),
            (_threshold(c_fn, c_fp, pi_train, pi_new), "The two costs are swapped.",
             "the threshold rises when false alarms get more expensive"),
            (c_fp / (c_fp + c_fn), "Your threshold ignores the change of prevalence.",
             "the model's probabilities were calibrated at the training prevalence; correct their odds first"),
            (_threshold(c_fp, c_fn, pi_new, pi_train), "The prevalence correction goes the wrong way.",
             "a lower new prevalence makes each positive less likely, so the threshold on the old probability rises"),
            (c_fp / (c_fn * k), "That is a threshold on the odds, not on the probability.",
             "turn the odds threshold r into a probability r / (1 + r)"),
            (pi_new, "The prevalence itself is not the threshold.",
             "compare the expected cost of calling a case positive with that of calling it negative"),
        ]
        for value, feedback, hint in wrong:
            if abs(got - value) < 1e-6 and abs(value - expected) > 1e-6:
                fail(f"For {what}: {feedback}", hint)
        if not 0 < got < 1:
            fail(f"For {what} your threshold {got} is not a probability between 0 and 1.",
                 "the threshold is a value of P(disease | x)")
        fail(f"For {what} the threshold is wrong.",
             "at the threshold the two decisions cost the same: p' cost_fn = (1 - p') cost_fp, with p' at the new "
             "prevalence")
