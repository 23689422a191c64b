"""Tests for the segmentation metrics in mlcourse.segmentation: Dice, IoU, Hausdorff distance and HD95.

Every expected value below is worked out by hand on tiny masks (see the comments).
"""

from __future__ import annotations

import numpy as np
import pytest

from mlcourse import segmentation as S


def _mask(shape, *points):
    """A boolean mask of the given shape with the listed voxels set."""
    m = np.zeros(shape, dtype=bool)
    for p in points:
        m[p] = True
    return m


# ----------------------------------------------------------------------------- Dice and IoU


def test_dice_and_iou_hand_computed_2d():
    # a: 4 voxels (a 2x2 square), b: 2 of them plus 1 more -> |a ∩ b| = 2, |a| + |b| = 7, |a ∪ b| = 5
    a = _mask((4, 4), (0, 0), (0, 1), (1, 0), (1, 1))
    b = _mask((4, 4), (0, 0), (0, 1), (0, 2))
    assert S.dice(a, b) == pytest.approx(4 / 7)
    assert S.iou(a, b) == pytest.approx(2 / 5)
    d = S.dice(a, b)
    assert S.iou(a, b) == pytest.approx(d / (2 - d))  # J = D / (2 - D)


def test_dice_and_iou_3d_and_dtypes():
    a = np.zeros((3, 3, 3), dtype=np.uint8)
    a[1] = 1  # 9 voxels
    b = np.zeros((3, 3, 3), dtype=float)
    b[1, :, :2] = 1.0  # 6 voxels, all inside a
    assert S.dice(a, b) == pytest.approx(2 * 6 / 15)
    assert S.iou(a, b) == pytest.approx(6 / 9)
    assert S.dice(a, a) == 1.0 and S.iou(b, b) == 1.0


def test_dice_is_symmetric_and_disjoint_masks_give_zero():
    a = _mask((5, 5), (0, 0))
    b = _mask((5, 5), (4, 4))
    assert S.dice(a, b) == 0.0 and S.iou(a, b) == 0.0
    rng = np.random.default_rng(0)
    x, y = rng.random((8, 8)) > 0.5, rng.random((8, 8)) > 0.3
    assert S.dice(x, y) == pytest.approx(S.dice(y, x))


def test_empty_masks_convention():
    empty = np.zeros((4, 4), dtype=bool)
    one = _mask((4, 4), (2, 2))
    assert S.dice(empty, empty) == 1.0  # documented: two empty masks agree perfectly
    assert S.iou(empty, empty) == 1.0
    assert S.dice(empty, one) == 0.0 and S.iou(one, empty) == 0.0


# ----------------------------------------------------------------------------- Hausdorff and HD95


def test_hausdorff_two_points():
    a = _mask((5, 5), (0, 0))
    b = _mask((5, 5), (0, 3))
    assert S.hausdorff_distance(a, b) == pytest.approx(3.0)
    # axis 1 has voxels 0.5 mm wide: 3 voxels = 1.5 mm
    assert S.hausdorff_distance(a, b, spacing=(2.0, 0.5)) == pytest.approx(1.5)
    assert S.hausdorff_distance(a, b, spacing=2.0) == pytest.approx(6.0)  # isotropic shorthand


def test_hausdorff_diagonal_uses_euclidean_distance():
    a = _mask((6, 6), (0, 0))
    b = _mask((6, 6), (3, 4))
    assert S.hausdorff_distance(a, b) == pytest.approx(5.0)  # 3-4-5 triangle
    assert S.hausdorff_distance(b, a) == pytest.approx(5.0)  # symmetric


def test_hausdorff_is_the_larger_directed_distance():
    # a: one voxel at (0, 0). b: voxels at (0, 0) and (0, 4).
    # a -> b: 0; b -> a: max(0, 4) = 4; HD = 4.
    a = _mask((3, 6), (0, 0))
    b = _mask((3, 6), (0, 0), (0, 4))
    assert S.hausdorff_distance(a, b) == pytest.approx(4.0)


def test_hausdorff_3d_with_spacing():
    a = _mask((4, 4, 4), (0, 0, 0))
    b = _mask((4, 4, 4), (2, 0, 0))
    assert S.hausdorff_distance(a, b, spacing=(1.5, 1.0, 1.0)) == pytest.approx(3.0)


def test_identical_masks_have_zero_distance():
    m = np.zeros((10, 10), dtype=bool)
    m[2:7, 3:8] = True
    assert S.hausdorff_distance(m, m) == 0.0
    assert S.hd95(m, m) == 0.0


def test_hausdorff_is_surface_based():
    # a: a 5x5 square; b: the same square grown by one voxel on the right (5x6).
    # Surfaces: the right edge of b is 1 voxel from the right edge of a, every other surface voxel 0 or 1.
    a = np.zeros((9, 9), dtype=bool)
    a[2:7, 2:7] = True
    b = a.copy()
    b[2:7, 7] = True
    assert S.hausdorff_distance(a, b) == pytest.approx(1.0)


def test_one_outlier_blows_up_hd_but_not_hd95_or_dice():
    # a: a line of 20 voxels in row 0. b: the same line plus one outlier voxel 10 rows below.
    # a -> b distances: twenty zeros. b -> a distances: twenty zeros and one 10.
    # HD = 10. HD95: the 95th percentile of [0]*20 + [10] (linear interpolation at position 0.95 * 20 = 19) is 0.
    a = np.zeros((12, 20), dtype=bool)
    a[0, :] = True
    b = a.copy()
    b[10, 0] = True
    assert S.hausdorff_distance(a, b) == pytest.approx(10.0)
    assert S.hd95(a, b) == pytest.approx(0.0)
    assert S.hausdorff_distance(a, b, percentile=95) == S.hd95(a, b)
    assert S.dice(a, b) == pytest.approx(40 / 41)  # Dice barely moves


def test_hd95_on_a_shifted_square_equals_the_shift():
    a = np.zeros((20, 20), dtype=bool)
    a[5:12, 5:12] = True
    b = np.roll(a, 2, axis=0)
    assert S.hausdorff_distance(a, b) == pytest.approx(2.0)
    assert S.hd95(a, b) <= S.hausdorff_distance(a, b)


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("fn", [S.dice, S.iou, S.hausdorff_distance, S.hd95])
def test_mismatched_shapes(fn):
    with pytest.raises(ValueError, match="same shape"):
        fn(np.ones((3, 3), bool), np.ones((3, 4), bool))


@pytest.mark.parametrize("fn", [S.dice, S.iou, S.hausdorff_distance, S.hd95])
@pytest.mark.parametrize("shape", [(5,), (2, 2, 2, 2), ()])
def test_wrong_dimensionality(fn, shape):
    with pytest.raises(ValueError, match="2-D or 3-D"):
        fn(np.ones(shape, bool), np.ones(shape, bool))


@pytest.mark.parametrize("fn", [S.dice, S.iou, S.hausdorff_distance, S.hd95])
@pytest.mark.parametrize("bad_value", [0.5, 2, -1, np.nan])
def test_non_binary_masks(fn, bad_value):
    a = np.zeros((4, 4))
    a[1, 1] = 1
    b = a.copy()
    b[2, 2] = bad_value
    with pytest.raises(ValueError, match="only 0/1"):
        fn(a, b)


def test_non_numeric_mask():
    with pytest.raises(ValueError, match="dtype"):
        S.dice(np.array([["a", "b"], ["c", "d"]]), np.zeros((2, 2)))


@pytest.mark.parametrize("fn", [S.hausdorff_distance, S.hd95])
def test_hausdorff_with_an_empty_mask_raises(fn):
    empty = np.zeros((5, 5), dtype=bool)
    one = _mask((5, 5), (2, 2))
    with pytest.raises(ValueError, match="empty"):
        fn(empty, one)
    with pytest.raises(ValueError, match="mask b is empty"):
        fn(one, empty)
    with pytest.raises(ValueError, match="a and b is empty"):
        fn(empty, empty)


@pytest.mark.parametrize("spacing", [(1.0,), (1.0, 1.0, 1.0), [[1.0, 1.0]]])
def test_spacing_of_wrong_length(spacing):
    a = _mask((5, 5), (0, 0))
    with pytest.raises(ValueError, match="one voxel size per axis"):
        S.hausdorff_distance(a, a, spacing=spacing)


@pytest.mark.parametrize("spacing", [(1.0, 0.0), (1.0, -2.0), (1.0, np.inf), ("a", "b")])
def test_spacing_values_must_be_positive_numbers(spacing):
    a = _mask((5, 5), (0, 0))
    with pytest.raises(ValueError, match="spacing"):
        S.hd95(a, a, spacing=spacing)


@pytest.mark.parametrize("percentile", [-1, 101, "95", True])
def test_bad_percentile(percentile):
    a = _mask((5, 5), (0, 0))
    with pytest.raises(ValueError, match="percentile"):
        S.hausdorff_distance(a, a, percentile=percentile)


def test_new_names_are_exported():
    for name in ("dice", "iou", "hausdorff_distance", "hd95"):
        assert name in S.__all__


@pytest.mark.parametrize("fn", [S.dice, S.iou, S.hausdorff_distance, S.hd95])
@pytest.mark.parametrize("bad_value", [np.inf, -np.inf])
def test_infinite_mask_values_are_refused(fn, bad_value):
    a = _mask((5, 5), (1, 1))
    b = a.astype(float)
    b[3, 3] = bad_value
    with pytest.raises(ValueError, match="b must contain only 0/1"):
        fn(a, b)


def test_all_nan_masks_are_refused_not_scored():
    nan_mask = np.full((4, 4), np.nan)
    for fn in (S.dice, S.iou, S.hausdorff_distance):
        with pytest.raises(ValueError, match="a must contain only 0/1"):
            fn(nan_mask, nan_mask)


def test_strings_and_complex_masks_are_refused():
    a = _mask((5, 5), (1, 1))
    with pytest.raises(ValueError, match="a must be a 2-D or 3-D array of 0/1.*string"):
        S.dice("mask", a)
    with pytest.raises(ValueError, match="b must be a boolean or 0/1 numeric mask; got dtype complex"):
        S.iou(a, a.astype(complex))


@pytest.mark.parametrize("spacing", [np.nan, "1.0", True, (1.0, np.nan)])
def test_spacing_refuses_nan_strings_and_bools(spacing):
    a = _mask((5, 5), (0, 0))
    with pytest.raises(ValueError, match="spacing"):
        S.hausdorff_distance(a, a, spacing=spacing)


def test_percentile_refuses_nan():
    a = _mask((5, 5), (0, 0))
    with pytest.raises(ValueError, match="percentile"):
        S.hausdorff_distance(a, a, percentile=float("nan"))
