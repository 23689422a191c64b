"""Checks of chapter 12 (the breast-mass case study): metrics with malignant as the positive class,
feature-map sizes through the report's five blocks, and the width of a confidence interval."""

from __future__ import annotations

import math
from typing import Any

from mlcourse.exercises import as_number, call_student, exercise, fail

# Exercise 12.1: confusion matrix in MedMNIST's label order (0 = malignant, 1 = normal or benign).
TP_12_1, FN_12_1, FP_12_1, TN_12_1 = 33, 9, 12, 102
# Exercise 12.4: sensitivity 0.85 estimated on the 42 malignant test images, of 156 in all.
SENS_12_4, N_POS_12_4, N_ALL_12_4 = 0.85, 42, 156


def _three_numbers(answer: Any, id: str) -> tuple[float, float, float]:
    """An answer as a tuple of three floats, or feedback on its form."""
    if isinstance(answer, dict):
        fail(f"Exercise {id}: pass a tuple (sensitivity, specificity, precision), not a dict.")
    try:
        values = tuple(float(v) for v in answer)
    except (TypeError, ValueError):
        fail(f"Exercise {id}: expected a tuple of three numbers (sensitivity, specificity, precision).")
    if len(values) != 3:
        fail(f"Exercise {id}: expected three numbers (sensitivity, specificity, precision); got {len(values)}.")
    if any(v > 1.0 + 1e-9 or v < 0.0 for v in values):
        fail("Each metric is a fraction between 0 and 1.", "divide the counts; do not give percentages")
    return values  # type: ignore[return-value]


@exercise("12.1", "numeric", "sensitivity, specificity and precision with malignant as positive")
def _check_12_1(answer: Any) -> None:
    """Sensitivity, specificity and precision of the given matrix with label 0 as positive."""
    sens, spec, prec = _three_numbers(answer, "12.1")
    tp, fn, fp, tn = TP_12_1, FN_12_1, FP_12_1, TN_12_1
    right = (tp / (tp + fn), tn / (tn + fp), tp / (tp + fp))
    close = [abs(a - b) <= 5e-3 for a, b in zip((sens, spec, prec), right)]
    if all(close):
        return
    flipped = (tn / (tn + fp), tp / (tp + fn), tn / (tn + fn))  # class 1 (normal or benign) taken as positive
    if all(abs(a - b) <= 5e-3 for a, b in zip((sens, spec, prec), flipped)):
        fail("You treated label 1 (normal or benign) as the positive class.",
             "in BreastMNIST label 0 is malignant; the malignant row and column hold the true positives")
    if abs(sens - right[1]) <= 5e-3 and abs(spec - right[0]) <= 5e-3:
        fail("Sensitivity and specificity are swapped.", "sensitivity is about the malignant images")
    if not close[2] and abs(prec - tn / (tn + fn)) <= 5e-3:
        fail("Your precision is the negative predictive value.",
             "precision looks at the images the model called malignant")
    if not close[2] and abs(prec - tp / (tp + fn)) <= 5e-3:
        fail("Your precision equals the sensitivity.", "precision divides by a column of the matrix, not a row")
    wrong = [name for name, ok in zip(("sensitivity", "specificity", "precision"), close) if not ok]
    fail(f"Not right yet: {', '.join(wrong)}.",
         "read the matrix with rows = true class, columns = predicted class, and malignant (0) as positive")


_SIZE_CASES = [(28, 0), (28, 1), (28, 3), (28, 4), (28, 5), (64, 5), (50, 2), (7, 1), (224, 5), (33, 5)]


def _size_reference(size: int, k: int) -> int:
    """Side length after k blocks: same convolution, then 2x2 pooling that rounds down."""
    for _ in range(k):
        size //= 2
    return size


@exercise("12.2", "code", "feature-map size after k conv-pool blocks")
def _check_12_2(fn: Any) -> None:
    """The student's feature_map_size on sizes that do and do not divide evenly."""
    if not callable(fn):
        fail("Pass the function itself (feature_map_size), not its result.")
    for size, k in _SIZE_CASES:
        got = call_student(fn, f"size = {size}, k = {k}", size, k)
        if got is None:
            fail("Your function returned None.", "return the side length, an integer")
        right = _size_reference(size, k)
        try:
            value = float(got)
        except (TypeError, ValueError):
            fail(f"For size = {size}, k = {k} your function returned {got!r}, not a number.")
        if value == right:
            continue
        if value == math.ceil(size / 2**k) or value == _ceil_halvings(size, k):
            fail(f"Wrong for size = {size}, k = {k}: you rounded up.",
                 "a 2x2 pooling without padding drops a leftover row or column")
        if abs(value - size / 2**k) < 1e-9:
            fail(f"Wrong for size = {size}, k = {k}: the result is not a whole number of pixels.",
                 "each pooling rounds down")
        if value == _valid_conv_reference(size, k):
            fail(f"Wrong for size = {size}, k = {k}: your convolution shrinks the map.",
                 "'same' padding keeps the height and width of a stride-1 convolution")
        fail(f"Wrong size for size = {size}, k = {k}.",
             "apply the convolution (size unchanged) and the pooling (halved, rounded down) k times")


def _ceil_halvings(size: int, k: int) -> int:
    """The typical mistake of rounding up at every pooling."""
    for _ in range(k):
        size = -(-size // 2)
    return size


def _valid_conv_reference(size: int, k: int) -> int:
    """The typical mistake of a 'valid' convolution (loses 2 pixels) before each pooling."""
    for _ in range(k):
        size = max(size - 2, 0) // 2
    return size


@exercise("12.3", "numeric", "smallest input for which five poolings leave a 2x2 map")
def _check_12_3(answer: Any) -> None:
    """The smallest square input whose map is still 2x2 after five poolings."""
    value = as_number(answer, "12.3")
    if value == 64:
        return
    if value == 32:
        fail("At 32 pixels five poolings leave a 1x1 map.", "the map must still be 2x2 after the fifth pooling")
    if value == 28:
        fail("28 is BreastMNIST's size, where the fifth pooling has nothing left.", "work backwards from 2x2")
    if 64 < value <= 127:
        fail("That works, but it is not the smallest size.", "work backwards from 2x2: double it five times")
    if value < 64:
        fail("Too small: the fifth pooling leaves less than 2x2.", "work backwards from 2x2")
    fail("Too large.", "work backwards from 2x2: each pooling halves the size")


@exercise("12.4", "numeric", "half-width of a 95% interval for a sensitivity")
def _check_12_4(answer: Any) -> None:
    """1.96 standard errors of a proportion estimated on the 42 malignant images."""
    value = as_number(answer, "12.4")
    p = SENS_12_4
    se_pos = math.sqrt(p * (1 - p) / N_POS_12_4)
    right = 1.96 * se_pos
    if abs(value - right) <= 2e-3:
        return
    if abs(value - 100 * right) <= 0.2:
        fail("Give the half-width as a fraction, not in percentage points.")
    if abs(value - 2 * right) <= 2e-3:
        fail("That is the full width of the interval.", "the question asks for the ± part")
    if abs(value - 1.96 * math.sqrt(p * (1 - p) / N_ALL_12_4)) <= 5e-4:
        fail("You used all 156 test images.", "a sensitivity is estimated from the malignant images only")
    if abs(value - se_pos) <= 5e-4:
        fail("That is one standard error.", "a 95 % interval spans about 1.96 standard errors on each side")
    fail("Not the right half-width.",
         "standard error of a proportion: sqrt(p (1 - p) / n), with n the cases it is estimated on")
