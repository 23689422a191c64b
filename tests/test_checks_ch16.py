"""Checks of chapter 16: right answers pass, typical wrong ones fail with feedback, None fails."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from mlcourse.exercises import ExerciseFailed, check


def tversky(y, p, alpha, beta, smooth):
    axes = tuple(range(1, y.ndim - 1))
    tp = np.sum(y * p, axis=axes)
    return (tp + smooth) / (tp + alpha * np.sum((1 - y) * p, axis=axes) + beta * np.sum(y * (1 - p), axis=axes)
                            + smooth)


def surface(mask):
    return mask & ~ndimage.binary_erosion(mask, border_value=0)


def test_right_answers_pass(capsys):
    check("16.1", 0.8 / 1.2)
    check("16.1", 2 / 3)
    check("16.2", tversky)
    check("16.3", surface)
    assert capsys.readouterr().out.count("correct") == 4


@pytest.mark.parametrize("answer, feedback", [
    (0.8, "different numbers"),
    (2 * 0.8 / 1.8, "other direction"),
    (0.4, "union is smaller"),
    (0.5, "Not the IoU"),
    ("two thirds", "single number"),
])
def test_wrong_iou_values_fail(answer, feedback):
    with pytest.raises(ExerciseFailed, match=feedback) as err:
        check("16.1", answer)
    assert "0.667" not in str(err.value)


@pytest.mark.parametrize("fn, feedback", [
    (lambda y, p, a, b, s: 1 - tversky(y, p, a, b, s), "losses"),
    (lambda y, p, a, b, s: tversky(y, p, b, a, s), "swapped"),
    (lambda y, p, a, b, s: np.nan_to_num(tversky(y, p, a, b, 0.0)), "smoothing"),
    (lambda y, p, a, b, s: tversky(y, p, a, b, s).mean(axis=0), "shape"),
    (lambda y, p, a, b, s: tversky(y, p, a, b, s) * 0.9, "Wrong scores"),
    (lambda y, p, a, b, s: None, "returned None"),
    (lambda y, p: 0.0, "raised TypeError"),
])
def test_wrong_tversky_functions_fail(fn, feedback):
    with pytest.raises(ExerciseFailed, match=feedback):
        check("16.2", fn)


def _changes_input(mask):
    mask[...] = False
    return mask


@pytest.mark.parametrize("fn, feedback", [
    (lambda m: m & ~ndimage.binary_erosion(m, border_value=1), "edge of the array"),
    (lambda m: m & ~ndimage.binary_erosion(m, ndimage.generate_binary_structure(m.ndim, m.ndim), border_value=0),
     "face neighbours"),
    (lambda m: ndimage.binary_dilation(m) & ~m, "just outside"),
    (lambda m: m.copy(), "Wrong surface"),
    (_changes_input, "changed the mask"),
    (lambda m: surface(m)[:2], "shape"),
    (lambda m: None, "returned None"),
])
def test_wrong_surface_functions_fail(fn, feedback):
    with pytest.raises(ExerciseFailed, match=feedback):
        check("16.3", fn)


@pytest.mark.parametrize("ex", ["16.1", "16.2", "16.3"])
def test_missing_answer_fails(ex):
    with pytest.raises(ExerciseFailed):
        check(ex, None)
