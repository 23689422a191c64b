"""Checks of chapter 00 (welcome): data-set facts and a first small function."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlcourse import data
from mlcourse.exercises import as_number, exercise, fail


@exercise("00.1", "numeric", "prevalence of pneumonia in the PneumoniaMNIST test split")
def _check_00_1(answer: Any) -> None:
    value = as_number(answer, "00.1")
    if not 0 <= value <= 1:
        fail("A prevalence is a fraction between 0 and 1.", "divide a count by the number of test images")
    if abs(value - 390 / 624) < 1e-3:
        return
    if abs(value - 234 / 624) < 1e-3:
        fail("That is the fraction of normal images.", "look at info['label']: which label is pneumonia?")
    if abs(value - 3494 / 4708) < 1e-3 or abs(value - 389 / 524) < 1e-3:
        fail("That fraction comes from another split.", "use the test split: ds.test")
    fail("Not the right fraction.", "count the test labels equal to the pneumonia class and divide by their number")


@exercise("00.2", "choice", "the subset that may not be used commercially")
def _check_00_2(answer: Any) -> None:
    name = str(answer).strip().lower()
    if name not in data.INFO:
        fail(f"{answer!r} is not a MedMNIST subset name.", "answer with a flag such as 'pathmnist'")
    if data.INFO[name]["license"] == "CC BY 4.0":
        fail(f"{data.INFO[name]['name']} is CC BY 4.0, which allows commercial use with attribution.",
             "read the 'license' field of each entry of mlcourse.data.INFO")


@exercise("00.3", "code", "class balance of a label array")
def _check_00_3(fn: Any) -> None:
    if not callable(fn):
        fail("Pass the function itself (class_balance), not its result.")
    cases = [
        (np.array([[0], [1], [1], [1]]), {0: 0.25, 1: 0.75}, "labels of shape (N, 1), as MedMNIST stores them"),
        (np.array([2, 0, 2, 2, 0]), {0: 0.4, 2: 0.6}, "a 1-D array with a class that never occurs (1)"),
        (np.zeros(7, dtype=np.uint8), {0: 1.0}, "a single class in uint8"),
    ]
    for labels, expected, what in cases:
        got = fn(labels.copy())
        if not isinstance(got, dict):
            fail(f"For {what} your function returned {type(got).__name__}, not a dict.")
        got = {int(k): float(v) for k, v in got.items()}
        if set(got) != set(expected):
            fail(f"For {what} the classes are {sorted(got)}, expected {sorted(expected)}.",
                 "only classes that occur should appear; np.unique helps")
        if any(abs(got[k] - v) > 1e-9 for k, v in expected.items()):
            fail(f"For {what} the fractions are wrong.", "divide each count by the total number of labels")
