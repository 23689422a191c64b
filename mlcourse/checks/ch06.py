"""Checks of chapter 06 (Bayes and naive Bayes): post-test probabilities, prevalence, Bernoulli likelihoods."""

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


@exercise("06.3", "numeric", "positive predictive value at 1% prevalence")
def _check_06_3(answer: Any) -> None:
    value = as_number(answer, "06.3")
    prev, sens, spec = 0.01, 0.95, 0.95
    expected = prev * sens / (prev * sens + (1 - prev) * (1 - spec))
    if abs(value - expected) < 2e-3:
        return
    if not 0 <= value <= 1:
        fail("A predictive value is a probability between 0 and 1.", "give it as a fraction, not a percentage")
    if abs(value - 0.95) < 1e-3:
        fail("0.95 is the sensitivity (and the specificity); the PPV also depends on prevalence.",
             "of all positive results, which fraction comes from diseased patients?")
    if abs(value - prev * sens) < 1e-3:
        fail("That is the fraction of ALL patients who are diseased and test positive.",
             "divide it by the fraction of all patients who test positive")
    if abs(value - (1 - spec) * (1 - prev)) < 1e-3:
        fail("That is the fraction of all patients who are false positives.",
             "PPV = true positives / all positives")
    fail("Not the positive predictive value.", "PPV = prev*sens / (prev*sens + (1 - prev)*(1 - spec))")


@exercise("06.4", "choice", "the metric that is undefined for an all-negative classifier")
def _check_06_4(answer: Any) -> None:
    name = str(answer).strip().lower()
    if name in ("precision", "ppv", "positive predictive value"):
        return
    known = {
        "accuracy": "Accuracy is defined: it equals the fraction of negative cases.",
        "sensitivity": "Sensitivity is defined (TP / (TP + FN) with some diseased patients): it is 0.",
        "recall": "Recall (sensitivity) is defined: it is 0.",
        "specificity": "Specificity is defined: every healthy patient is called negative, so it is 1.",
        "npv": "The NPV is defined: every case is predicted negative, so its denominator is all cases.",
    }
    if name in known:
        fail(known[name], "look for the metric whose denominator counts the cases predicted POSITIVE")
    fail(f"{answer!r} is not one of the metrics in the question.",
         "answer with one word: accuracy, sensitivity, specificity, precision or npv")
