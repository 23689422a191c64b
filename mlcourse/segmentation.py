"""Segmentation metrics: Dice, IoU, Hausdorff distance and HD95 on 2-D and 3-D binary masks.

Conventions:

* Masks are 2-D or 3-D arrays of the same shape holding only 0/1 (any integer or float dtype)
  or False/True. Anything else (probabilities, label maps with 2, 3, ..., NaN) raises ValueError:
  threshold a probability map first, e.g. ``prob > 0.5``.
* `dice` and `iou` of two EMPTY masks return 1.0 (both say "nothing here", which is perfect
  agreement); when only one mask is empty they return 0.0.
* `hausdorff_distance` and `hd95` are SURFACE-based: the surface of a mask is the set of its
  voxels with at least one face-neighbour (4-connectivity in 2-D, 6-connectivity in 3-D) outside
  the mask; voxels on the border of the array count as surface. For every surface voxel of one
  mask the Euclidean distance (in the units of `spacing`, e.g. mm) to the nearest surface voxel of
  the other mask is found with ``scipy.ndimage.distance_transform_edt(..., sampling=spacing)``.
  The q-th percentile of each of the two directed distance sets is taken, and the larger of the
  two is returned. With q = 100 this is the classical symmetric Hausdorff distance
  max(sup_a inf_b |a - b|, sup_b inf_a |a - b|); with q = 95 it is HD95.
* The Hausdorff distance is undefined when either mask is empty: ValueError.
* `spacing`: None (1 per axis, distances in voxels), one positive number (isotropic) or one
  positive number per axis, in array-axis order (e.g. ``img.header.get_zooms()`` for NIfTI).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["dice", "hausdorff_distance", "hd95", "iou"]


def _mask(m: ArrayLike, name: str) -> np.ndarray:
    """A 2-D or 3-D binary mask as a bool array, or a ValueError that says what is wrong."""
    if isinstance(m, (str, bytes)):
        raise ValueError(f"{name} must be a 2-D or 3-D array of 0/1 (or False/True), got the string {m!r:.40}.")
    arr = np.asarray(m)
    if arr.ndim not in (2, 3):
        raise ValueError(
            f"{name} must be a 2-D or 3-D mask; got an array of shape {arr.shape}. "
            "Squeeze channel axes first, e.g. mask[..., 0]."
        )
    if arr.size == 0:
        raise ValueError(f"{name} has shape {arr.shape}, which holds no voxels.")
    if arr.dtype == bool:
        return arr
    if not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise ValueError(f"{name} must be a boolean or 0/1 numeric mask; got dtype {arr.dtype}.")
    bad = np.unique(arr[~np.isin(arr, (0, 1))])
    if bad.size:
        raise ValueError(
            f"{name} must contain only 0/1 (or False/True); found other values such as {bad[:3].tolist()}. "
            "Threshold a probability map first (e.g. prob > 0.5) or select one label (labels == k)."
        )
    return arr.astype(bool)


def _mask_pair(a: ArrayLike, b: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Validate two masks and check that they have the same shape."""
    ma, mb = _mask(a, "a"), _mask(b, "b")
    if ma.shape != mb.shape:
        raise ValueError(
            f"a and b must have the same shape; got {ma.shape} and {mb.shape}. "
            "Resample one mask onto the grid of the other before comparing them."
        )
    return ma, mb


def _spacing(spacing: ArrayLike | float | None, ndim: int) -> np.ndarray:
    """Voxel spacing as ndim positive finite numbers (None: all ones)."""
    if spacing is None:
        return np.ones(ndim)
    if isinstance(spacing, (str, bytes, bool, np.bool_)):
        raise ValueError(f"spacing must be numbers (voxel size per axis, e.g. in mm); got {spacing!r}.")
    try:
        sp = np.asarray(spacing, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"spacing must be numbers (voxel size per axis, e.g. in mm); got {spacing!r}.") from None
    if sp.ndim == 0:
        sp = np.full(ndim, float(sp))
    if sp.ndim != 1 or sp.size != ndim:
        raise ValueError(
            f"spacing must give one voxel size per axis of the masks ({ndim} values); got {np.shape(spacing)} "
            f"values: {np.asarray(spacing).tolist()}."
        )
    if not np.all(np.isfinite(sp)) or np.any(sp <= 0):
        raise ValueError(f"spacing values must be positive and finite; got {sp.tolist()}.")
    return sp


def dice(a: ArrayLike, b: ArrayLike) -> float:
    """Dice coefficient 2|A ∩ B| / (|A| + |B|) of two binary masks; 1.0 when both are empty."""
    ma, mb = _mask_pair(a, b)
    total = int(ma.sum()) + int(mb.sum())
    if total == 0:
        return 1.0
    return float(2 * np.logical_and(ma, mb).sum() / total)


def iou(a: ArrayLike, b: ArrayLike) -> float:
    """Intersection over union (Jaccard index) |A ∩ B| / |A ∪ B| of two binary masks; 1.0 when both are empty."""
    ma, mb = _mask_pair(a, b)
    union = int(np.logical_or(ma, mb).sum())
    if union == 0:
        return 1.0
    return float(np.logical_and(ma, mb).sum() / union)


def _surface(m: np.ndarray) -> np.ndarray:
    """Voxels of a mask with at least one face-neighbour outside it (the array border counts as outside)."""
    from scipy import ndimage

    structure = ndimage.generate_binary_structure(m.ndim, 1)
    return m & ~ndimage.binary_erosion(m, structure=structure, border_value=0)


def _directed_surface_distances(src: np.ndarray, dst: np.ndarray, sampling: np.ndarray) -> np.ndarray:
    """Distance from every surface voxel of src to the nearest surface voxel of dst."""
    from scipy import ndimage

    dist_to_dst = ndimage.distance_transform_edt(~dst, sampling=sampling)
    return dist_to_dst[src]


def hausdorff_distance(
    a: ArrayLike, b: ArrayLike, spacing: ArrayLike | float | None = None, percentile: float = 100
) -> float:
    """Symmetric surface Hausdorff distance between two binary masks, in the units of `spacing`.

    percentile=100 gives the classical (maximum) Hausdorff distance; percentile=95 gives HD95, the larger
    of the two directed 95th percentiles. Raises ValueError when either mask is empty.
    """
    ma, mb = _mask_pair(a, b)
    sp = _spacing(spacing, ma.ndim)
    is_number = isinstance(percentile, (int, float, np.integer, np.floating)) and not isinstance(percentile, bool)
    if not is_number or not (0 <= percentile <= 100):
        raise ValueError(f"percentile must be a number in [0, 100] (100: Hausdorff, 95: HD95); got {percentile!r}.")
    empty = [name for name, m in (("a", ma), ("b", mb)) if not m.any()]
    if empty:
        raise ValueError(
            f"The Hausdorff distance is undefined because mask {' and '.join(empty)} is empty (no voxel is 1): "
            "there is no surface to measure from. Report this case separately (e.g. as a missed structure)."
        )
    sa, sb = _surface(ma), _surface(mb)
    d_ab = _directed_surface_distances(sa, sb, sp)
    d_ba = _directed_surface_distances(sb, sa, sp)
    return float(max(np.percentile(d_ab, percentile), np.percentile(d_ba, percentile)))


def hd95(a: ArrayLike, b: ArrayLike, spacing: ArrayLike | float | None = None) -> float:
    """95th-percentile surface Hausdorff distance (HD95): `hausdorff_distance(a, b, spacing, percentile=95)`."""
    return hausdorff_distance(a, b, spacing=spacing, percentile=95)
