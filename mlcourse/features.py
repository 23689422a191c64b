"""Turning MedMNIST images into feature matrices for classical models: pixels, HOG, subsamples."""

from __future__ import annotations

import numpy as np


def _images(images: np.ndarray) -> np.ndarray:
    """Check a stack of 2-D images (N, H, W) or (N, H, W, C) and return it as an array."""
    x = np.asarray(images)
    if x.ndim not in (3, 4) or (x.ndim == 4 and x.shape[-1] not in (1, 3)):
        raise ValueError(f"Expected images of shape (N, H, W) or (N, H, W, 1|3), got {x.shape}. "
                         "For 3-D volumes pick slices first.")
    return x


def flatten(images: np.ndarray) -> np.ndarray:
    """Images as rows of pixel values scaled to [0, 1] (uint8 / 255), shape (N, H*W*C), float32."""
    x = _images(images)
    scale = 255.0 if x.dtype == np.uint8 else 1.0
    return (x.reshape(len(x), -1) / scale).astype(np.float32)


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


def subsample(x: np.ndarray, y: np.ndarray, n: int | None, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A stratified random subset of n samples (all of them when n is None or >= len(x)), order kept."""
    y = np.asarray(y)
    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} samples but y has {len(y)}.")
    if n is None or n >= len(x):
        return x, y
    if n <= 0:
        raise ValueError(f"n must be positive (or None for all samples), got {n}.")
    rng = np.random.default_rng(seed)
    labels = y.reshape(len(y), -1)[:, 0]
    classes, counts = np.unique(labels, return_counts=True)
    quota = np.maximum(1, np.round(counts / counts.sum() * n).astype(int))
    picked = np.concatenate([rng.choice(np.flatnonzero(labels == c), size=min(q, cnt), replace=False)
                             for c, q, cnt in zip(classes, quota, counts)])
    picked = np.sort(picked[:n] if len(picked) > n else picked)
    return x[picked], y[picked]
