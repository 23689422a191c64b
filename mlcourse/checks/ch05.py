"""Checks of chapter 05 (decision trees and ensembles): impurity, the gain of a split, the bootstrap."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlcourse.exercises import as_number, call_student, exercise, fail


def _gini(labels: np.ndarray) -> float:
    """Gini impurity of a vector of class labels (0 for an empty vector)."""
    if labels.size == 0:
        return 0.0
    _, counts = np.unique(labels, return_counts=True)
    p = counts / counts.sum()
    return float(1.0 - np.sum(p * p))


@exercise("05.1", "numeric", "Gini impurity of a node with 30 malignant and 10 benign cases")
def _check_05_1(answer: Any) -> None:
    value = as_number(answer, "05.1")
    if abs(value - 0.375) < 1e-3:
        return
    if not 0 <= value <= 1:
        fail("The Gini impurity of a two-class node lies between 0 and 0.5.",
             "use the class fractions of the node, not the counts")
    if abs(value - 0.8113) < 2e-3:
        fail("That is the entropy of the node (in bits), not its Gini impurity.",
             "Gini impurity is one minus the sum of the squared class fractions")
    if abs(value - 0.625) < 1e-3:
        fail("That is the sum of the squared class fractions.", "the impurity is one minus that sum")
    if abs(value - 0.25) < 1e-3:
        fail("That is the misclassification error (the minority fraction), another impurity measure.",
             "square the class fractions, add them up, and take the result from one")
    fail("Not the Gini impurity of this node.", "compute the two class fractions first; they sum to 1")


@exercise("05.2", "code", "the impurity decrease (gain) of a split")
def _check_05_2(fn: Any) -> None:
    if not callable(fn):
        fail("Pass the function itself (gini_gain), not its result.")
    rng = np.random.default_rng(5)
    random_y = rng.integers(0, 3, size=40)
    random_mask = rng.random(40) < 0.4
    cases = [
        (np.array([0, 0, 1, 1]), np.array([True, True, False, False]), "a perfect split of a 50/50 node"),
        (np.array([0, 1, 0, 1]), np.array([True, True, False, False]), "a split that leaves both children 50/50"),
        (np.array([0, 0, 1, 1, 1]), np.ones(5, dtype=bool), "a 'split' that sends every case left"),
        (np.array([5, 5, 2, 2, 2, 7]), np.array([True, True, False, False, False, True]),
         "three classes coded 2, 5 and 7"),
        (random_y, random_mask, "40 random cases of three classes"),
    ]
    for y, mask, what in cases:
        left, right = y[mask], y[~mask]
        expected = _gini(y) - (left.size * _gini(left) + right.size * _gini(right)) / y.size
        got = as_number(call_student(fn, what, y.copy(), mask.copy(),
                                     hint="an empty child holds no cases and contributes nothing to the weighted sum"),
                        "05.2")
        if not np.isfinite(got):
            fail(f"For {what} your function returned {got}.",
                 "an empty child holds no cases and contributes nothing to the weighted sum")
        if abs(got - expected) > 1e-9:
            unweighted = _gini(y) - (_gini(left) + _gini(right)) / 2
            if abs(got - unweighted) < 1e-9 and abs(unweighted - expected) > 1e-9:
                fail(f"For {what} the gain is wrong: the children seem to be averaged with equal weights.",
                     "weight each child's impurity by its share of the parent's cases")
            fail(f"For {what} the gain is wrong.",
                 "gain = impurity of the parent minus the case-weighted impurities of the two children")


@exercise("05.3", "numeric", "expected fraction of distinct patients in a bootstrap sample")
def _check_05_3(answer: Any) -> None:
    value = as_number(answer, "05.3")
    n = 455
    expected = 1 - (1 - 1 / n) ** n
    if abs(value - expected) < 0.01:
        return
    if abs(value - (1 - expected)) < 0.01:
        fail("That is the fraction of patients left OUT of the sample (the out-of-bag fraction).",
             "the question asks how many distinct patients are IN the sample")
    if value > 1:
        fail("A fraction lies between 0 and 1.", "divide the number of distinct patients by 455")
    if abs(value - 1) < 1e-6:
        fail("Drawing with replacement picks some patients twice, so not every patient appears.",
             "what is the probability that one given patient is never drawn in 455 draws?")
    fail("Not the expected fraction of distinct patients.",
         "a patient is missed by one draw with probability 1 - 1/n; the draws are independent")
