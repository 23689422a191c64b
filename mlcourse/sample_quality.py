"""Measures of generated samples: the Frechet distance between feature sets, nearest-neighbour
distances (a memorisation check) and mean pairwise distance (a diversity score).

Used with GANs and VAEs; plain NumPy and SciPy, no Keras.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

__all__ = ["frechet_distance", "mean_pairwise_distance", "nearest_neighbours"]


def _features(x: Any, name: str) -> np.ndarray:
    """A 2-D float64 feature matrix with at least two rows and finite values."""
    f = np.asarray(x, dtype="float64")
    if f.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (samples, features); got shape {f.shape}. "
                         "Flatten images or take a layer's feature vectors first.")
    if f.shape[0] < 2:
        raise ValueError(f"{name} needs at least 2 samples to estimate a covariance; got {f.shape[0]}.")
    if not np.all(np.isfinite(f)):
        raise ValueError(f"{name} contains NaN or infinite values.")
    return f


def frechet_distance(feats_a: Any, feats_b: Any) -> float:
    """Frechet distance between Gaussians fitted to two feature sets (rows are samples).

    d^2 = |mu_a - mu_b|^2 + tr(C_a + C_b - 2 (C_a C_b)^(1/2)). This is the formula of the FID; the FID
    proper uses Inception-v3 ImageNet features, here any feature extractor's. The matrix square root
    can pick up a tiny imaginary part or fail on singular covariances; then a small multiple of the
    identity is added to both, and imaginary parts above 1e-3 raise an error.
    """
    from scipy import linalg

    a, b = _features(feats_a, "feats_a"), _features(feats_b, "feats_b")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"the two feature sets have {a.shape[1]} and {b.shape[1]} features; they must match.")
    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    cov_a = np.atleast_2d(np.cov(a, rowvar=False))
    cov_b = np.atleast_2d(np.cov(b, rowvar=False))
    with warnings.catch_warnings():  # a singular product is handled below
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        covmean = linalg.sqrtm(cov_a @ cov_b)
        if not np.all(np.isfinite(covmean)):
            offset = np.eye(cov_a.shape[0]) * 1e-6
            covmean = linalg.sqrtm((cov_a + offset) @ (cov_b + offset))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            raise ValueError(f"the matrix square root has a large imaginary part "
                             f"({np.max(np.abs(covmean.imag)):.3g}); the covariances are badly conditioned.")
        covmean = covmean.real
    diff = mu_a - mu_b
    value = float(diff @ diff + np.trace(cov_a) + np.trace(cov_b) - 2.0 * np.trace(covmean))
    return max(value, 0.0)


def _flat(x: Any, name: str) -> np.ndarray:
    """Images (N, ...) as a float64 (N, D) matrix."""
    f = np.asarray(x, dtype="float64")
    if f.ndim < 2 or f.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty array of images (N, H, W[, C]) or vectors (N, D); "
                         f"got shape {f.shape}.")
    return f.reshape(len(f), -1)


def nearest_neighbours(queries: Any, references: Any, batch_size: int = 512) -> tuple[np.ndarray, np.ndarray]:
    """For each query image, the Euclidean (L2) distance to its closest reference image and that image's index.

    Images are flattened; both sets must use the same scale. A generator that memorised its training
    set makes samples whose distances are much smaller than those of held-out real images.
    """
    q, r = _flat(queries, "queries"), _flat(references, "references")
    if q.shape[1] != r.shape[1]:
        raise ValueError(f"queries have {q.shape[1]} values per image and references {r.shape[1]}; they must match.")
    r_sq = np.sum(r**2, axis=1)
    dist, idx = np.empty(len(q)), np.empty(len(q), dtype=int)
    for start in range(0, len(q), batch_size):
        block = q[start:start + batch_size]
        d2 = np.sum(block**2, axis=1)[:, None] + r_sq[None, :] - 2.0 * block @ r.T
        j = np.argmin(d2, axis=1)
        idx[start:start + len(block)] = j
        dist[start:start + len(block)] = np.sqrt(np.maximum(d2[np.arange(len(block)), j], 0.0))
    return dist, idx


def mean_pairwise_distance(images: Any) -> float:
    """Mean Euclidean distance between all pairs of (flattened) images: a simple diversity score.

    A collapsed generator, which draws nearly the same image for every z, scores close to 0.
    """
    x = _flat(images, "images")
    if len(x) < 2:
        raise ValueError("mean_pairwise_distance needs at least 2 images.")
    sq = np.sum(x**2, axis=1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2.0 * x @ x.T, 0.0)
    iu = np.triu_indices(len(x), k=1)
    return float(np.mean(np.sqrt(d2[iu])))
