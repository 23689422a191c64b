"""Turning MedMNIST images into feature matrices for classical models: pixels, HOG, subsamples."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlcourse.arrays import check_positive_int, real_array, to_float_images


def _images(images: np.ndarray) -> np.ndarray:
    """Check a stack of 2-D images (N, H, W) or (N, H, W, C) and return it as an array."""
    x = real_array(images, "images")
    if x.ndim not in (3, 4) or (x.ndim == 4 and x.shape[-1] not in (1, 3)):
        raise ValueError(f"Expected images of shape (N, H, W) or (N, H, W, 1|3), got {x.shape}. "
                         "For 3-D volumes pick slices first.")
    return x


def flatten(images: np.ndarray) -> np.ndarray:
    """Images as rows of pixel values in [0, 1] (scaled as `arrays.to_float_images` does), shape (N, H*W*C), float32."""
    x = to_float_images(_images(images), channels_last=False)
    return x.reshape(len(x), -1)


def hog_features(images: np.ndarray, orientations: int = 9, pixels_per_cell: tuple[int, int] = (4, 4),
                 cells_per_block: tuple[int, int] = (2, 2)) -> np.ndarray:
    """Histogram-of-oriented-gradients descriptor of each image (scikit-image), shape (N, F), float32."""
    from skimage.feature import hog

    x = _images(images)
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    channel_axis = -1 if x.ndim == 4 else None
    cells = x.shape[1] // pixels_per_cell[0], x.shape[2] // pixels_per_cell[1]
    if cells[0] < cells_per_block[0] or cells[1] < cells_per_block[1]:
        raise ValueError(f"Images of {x.shape[1]}x{x.shape[2]} pixels hold {cells} cells of {pixels_per_cell}, "
                         f"fewer than one block of {cells_per_block}; use smaller cells.")
    return np.stack([
        hog(img, orientations=orientations, pixels_per_cell=pixels_per_cell,
            cells_per_block=cells_per_block, channel_axis=channel_axis, feature_vector=True)
        for img in x
    ]).astype(np.float32)


def stratified_quotas(counts: Any, n: int) -> np.ndarray:
    """How many of n samples each class gets: at least one per class when n allows, the rest by largest remainder.

    When n >= the number of classes every class first gets one sample; the remaining samples are
    shared in proportion to the classes' remaining sizes, rounding down, and the few left over go to
    the classes with the largest fractional parts (ties: the earlier class). The quotas sum to exactly
    n and never exceed a class's size. With fewer samples than classes the largest classes get one each.
    """
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    n = check_positive_int(n, "n", minimum=0)
    if n > total:
        raise ValueError(f"n ({n}) is larger than the {total} samples available.")
    if n < len(counts):  # fewer samples than classes: one each for the n largest classes
        quota = np.zeros_like(counts)
        quota[np.argsort(-counts, kind="stable")[:n]] = 1
        return quota
    base = np.minimum(np.ones_like(counts), counts)
    rest, pool = counts - base, n - int(base.sum())
    if pool == 0 or rest.sum() == 0:
        quota = base
    else:
        share = rest * pool
        quota = base + share // rest.sum()
        left = n - int(quota.sum())
        order = np.argsort(-(share % rest.sum()), kind="stable")
        quota[order[:left]] += 1
    return quota


def subsample(x: np.ndarray, y: np.ndarray, n: int | None, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A stratified random subset of exactly n samples, in the original order; n is clipped to len(x).

    n None, or n >= len(x), returns all samples (x and y themselves): notebooks ask for sizes that
    may exceed a small split, and such sizes are clipped to the split. The samples per class follow
    `stratified_quotas` (proportional, at least one per class when n allows); which samples are
    picked depends only on `seed`. Classes are the distinct rows of y, so (N,), (N, 1), one-hot and
    multi-label arrays all work.
    """
    y = np.asarray(y)
    if y.ndim == 0:
        raise ValueError(f"y must hold one label per sample, got the single value {y.item()!r}.")
    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} samples but y has {len(y)}.")
    if n is None:
        return x, y
    if isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n < 1:
        raise ValueError(f"n must be positive (or None for all samples), got {n}.")
    n = check_positive_int(n, "n")
    if n >= len(x):
        return x, y
    rng = np.random.default_rng(seed)
    _, labels = np.unique(y.reshape(len(y), -1), axis=0, return_inverse=True)
    labels = labels.reshape(-1)
    counts = np.bincount(labels)
    quota = stratified_quotas(counts, n)
    picked = np.concatenate([rng.choice(np.flatnonzero(labels == c), size=int(q), replace=False)
                             for c, q in enumerate(quota)])
    picked = np.sort(picked)
    return np.asarray(x)[picked], y[picked]
