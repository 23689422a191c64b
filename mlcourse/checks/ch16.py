"""Checks of chapter 16 (segmentation): IoU from Dice, and two things to build: the Tversky index per image and
class (a soft Dice that weighs false positives and negatives apart), and the surface voxels of a mask."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlcourse.exercises import as_number, call_student, exercise, fail

DICE_16_1 = 0.8     # a Dice score; the exercise asks for the IoU of the same pair of masks


@exercise("16.1", "numeric", "the IoU of two masks whose Dice is 0.8")
def _check_16_1(answer: Any) -> None:
    value = as_number(answer, "16.1")
    right = DICE_16_1 / (2 - DICE_16_1)
    if abs(value - right) <= 1e-3:
        return
    if abs(value - DICE_16_1) <= 1e-3:
        fail("Dice and IoU are different numbers for the same masks (they agree only at 0 and 1).",
             "write both in terms of the overlap |A n B| and the total |A| + |B|")
    if abs(value - 2 * DICE_16_1 / (1 + DICE_16_1)) <= 1e-3:
        fail("That formula turns an IoU into a Dice; you need the other direction.")
    if abs(value - DICE_16_1 / 2) <= 1e-3:
        fail("Halving the Dice forgets that the union is smaller than |A| + |B|.",
             "|A u B| = |A| + |B| - |A n B|")
    fail("Not the IoU.", "with D = 2|A n B| / (|A| + |B|) and J = |A n B| / |A u B|, express J through D")


def _tversky_reference(y: np.ndarray, p: np.ndarray, alpha: float, beta: float, smooth: float) -> np.ndarray:
    axes = tuple(range(1, y.ndim - 1))
    tp = np.sum(y * p, axis=axes)
    return (tp + smooth) / (tp + alpha * np.sum((1 - y) * p, axis=axes) + beta * np.sum(y * (1 - p), axis=axes)
                            + smooth)


def _tversky_cases() -> list[tuple[np.ndarray, np.ndarray, float, float, str]]:
    """Hidden (one-hot, probability, alpha, beta) cases, batch x H x W x classes."""
    rng = np.random.default_rng(1616)
    labels = rng.integers(0, 3, size=(2, 5, 6))
    onehot = np.eye(3)[labels]
    prob = rng.dirichlet(np.ones(3), size=(2, 5, 6))
    no2 = np.eye(3)[np.where(labels == 2, 0, labels)]                    # class 2 absent from both images
    prob_no2 = np.concatenate([prob[..., :2] / prob[..., :2].sum(-1, keepdims=True), np.zeros((2, 5, 6, 1))], -1)
    return [(onehot, prob, 0.3, 0.7, "two random 5x6 images, alpha 0.3 and beta 0.7"),
            (onehot, prob, 0.5, 0.5, "the same images with alpha = beta = 0.5"),
            (no2, prob_no2, 0.2, 0.8, "images in which class 2 is absent and not predicted"),
            (onehot[:1], onehot[:1].copy(), 0.4, 0.6, "a perfect prediction")]


@exercise("16.2", "code", "the Tversky index per image and class")
def _check_16_2(fn: Any) -> None:
    if not callable(fn):
        fail("Pass the function itself (tversky), not its result.")
    for y, p, alpha, beta, what in _tversky_cases():
        got = call_student(fn, what, y.copy(), p.copy(), alpha, beta, 1.0)
        if got is None:
            fail(f"For {what} your function returned None; return the array of scores.")
        arr = np.asarray(got, dtype=float)
        right = _tversky_reference(y, p, alpha, beta, 1.0)
        if arr.shape != right.shape:
            fail(f"For {what} the result has shape {arr.shape}, expected {right.shape} (images x classes).",
                 "sum over the spatial axes only, not over the batch or the classes")
        if not np.all(np.isfinite(arr)):
            fail(f"For {what} some scores are NaN or infinite.",
                 "a class that is empty in both masks divides 0 by 0 unless you smooth")
        if np.allclose(arr, right, atol=1e-6):
            continue
        if np.allclose(arr, 1 - right, atol=1e-6):
            fail("Those are losses (1 - T); the function should return the index itself.")
        if np.allclose(arr, _tversky_reference(y, p, beta, alpha, 1.0), atol=1e-6):
            fail(f"For {what} alpha and beta are swapped.",
                 "alpha multiplies the false positives: probability given to pixels outside the label")
        if np.allclose(arr, _tversky_reference(y, p, alpha, beta, 0.0), atol=1e-6) or not np.allclose(
                _tversky_reference(y, p, alpha, beta, 1.0)[np.isclose(right, 1.0)], arr[np.isclose(right, 1.0)]):
            fail(f"For {what} the smoothing term is missing or misplaced.",
                 "add smooth once to the numerator and once to the denominator")
        fail(f"Wrong scores for {what}.",
             "true positives sum(y p), false positives sum((1 - y) p), false negatives sum(y (1 - p)), per class")


def _surface_cases() -> list[tuple[np.ndarray, str]]:
    """Hidden binary masks (2-D and 3-D) for the surface exercise."""
    square = np.zeros((7, 7), bool)
    square[1:6, 1:6] = True
    edge = np.zeros((5, 6), bool)
    edge[0:4, 0:3] = True                                   # touches the edge of the array
    cube = np.zeros((5, 5, 5), bool)
    cube[1:4, 1:4, 1:4] = True
    ring = np.zeros((6, 6), bool)
    ring[1:5, 1:5] = True
    ring[2:4, 2:4] = False                                  # a hole: its rim is surface too
    pinhole = np.zeros((8, 8), bool)
    pinhole[1:7, 1:7] = True
    pinhole[3, 3] = False                                   # its diagonal neighbours keep all face neighbours
    return [(square, "a 5x5 square inside a 7x7 image"), (pinhole, "a block with a one-pixel hole"),
            (edge, "a block touching the edge of the array"),
            (cube, "a 3x3x3 cube"), (ring, "a square with a hole"), (np.ones((3, 4), bool), "a full image"),
            (np.zeros((4, 4), bool), "an empty mask")]


def _surface_reference(mask: np.ndarray) -> np.ndarray:
    from mlcourse.segmentation import _surface  # the definition HD95 uses: the exercise must match it

    return _surface(mask)


@exercise("16.3", "code", "the surface voxels of a 2-D or 3-D mask")
def _check_16_3(fn: Any) -> None:
    from scipy import ndimage

    if not callable(fn):
        fail("Pass the function itself (surface), not its result.")
    for mask, what in _surface_cases():
        original = mask.copy()
        got = call_student(fn, what, mask)
        if got is None:
            fail(f"For {what} your function returned None; return the surface mask.")
        arr = np.asarray(got)
        if not np.array_equal(mask, original):
            fail("Your function changed the mask it was given; build a new array instead.")
        if arr.shape != mask.shape:
            fail(f"For {what} the result has shape {arr.shape}, not the mask's {mask.shape}.")
        right = _surface_reference(mask)
        if np.array_equal(arr.astype(bool), right):
            continue
        if np.array_equal(arr.astype(bool), mask & ~ndimage.binary_erosion(mask, border_value=1)):
            fail(f"For {what} voxels on the edge of the array are missing.",
                 "beyond the edge counts as outside the mask: erode with border_value=0")
        full = ndimage.generate_binary_structure(mask.ndim, mask.ndim)
        if np.array_equal(arr.astype(bool), mask & ~ndimage.binary_erosion(mask, full, border_value=0)):
            fail("Only face neighbours count (4 in 2-D, 6 in 3-D), not the diagonal ones.")
        if np.array_equal(arr.astype(bool), ndimage.binary_dilation(mask) & ~mask):
            fail("Those are the voxels just outside the mask; the surface is inside it.")
        fail(f"Wrong surface for {what}.", "a surface voxel is in the mask and has a face neighbour outside it")
