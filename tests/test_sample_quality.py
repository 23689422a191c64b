"""Tests of mlcourse.sample_quality: Frechet distance, nearest neighbours and mean pairwise distance."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import linalg


def test_frechet_distance_matches_the_closed_form_for_gaussians():
    from mlcourse.sample_quality import frechet_distance

    rng = np.random.default_rng(0)
    mu1, mu2 = np.array([0.0, 1.0, -1.0]), np.array([0.5, 0.0, 1.0])
    a = rng.normal(size=(3, 3))
    b = rng.normal(size=(3, 3))
    cov1, cov2 = a @ a.T + 0.5 * np.eye(3), b @ b.T + 0.2 * np.eye(3)
    x1 = rng.multivariate_normal(mu1, cov1, size=50_000)
    x2 = rng.multivariate_normal(mu2, cov2, size=50_000)
    closed = float((mu1 - mu2) @ (mu1 - mu2) + np.trace(cov1 + cov2 - 2 * np.real(linalg.sqrtm(cov1 @ cov2))))
    assert frechet_distance(x1, x2) == pytest.approx(closed, rel=0.05)
    # exact on the sample statistics: two sets built to have given means and covariances
    z = rng.normal(size=(500, 2))
    z = (z - z.mean(0)) @ np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False))).T   # mean 0, cov I exactly
    s1, s2 = np.array([[2.0, 0.5], [0.5, 1.0]]), np.array([[1.0, -0.2], [-0.2, 0.3]])
    f1 = z @ np.linalg.cholesky(s1).T + np.array([1.0, 2.0])
    f2 = z @ np.linalg.cholesky(s2).T + np.array([-1.0, 0.0])
    exact = 8.0 + float(np.trace(s1 + s2 - 2 * np.real(linalg.sqrtm(s1 @ s2))))
    assert frechet_distance(f1, f2) == pytest.approx(exact, rel=1e-9)
    # 1-D: (m1 - m2)^2 + (s1 - s2)^2
    one = (z[:, :1] * 3.0 + 1.0, z[:, :1] * 1.0 - 1.0)
    assert frechet_distance(*one) == pytest.approx(4.0 + 4.0, rel=1e-9)
    assert frechet_distance(x1[:1000], x1[:1000]) == pytest.approx(0.0, abs=1e-6)


def test_frechet_distance_handles_singular_covariances_and_bad_input():
    from mlcourse.sample_quality import frechet_distance

    rng = np.random.default_rng(1)
    flat = np.c_[rng.normal(size=50), np.zeros(50)]          # rank-deficient covariance
    assert np.isfinite(frechet_distance(flat, flat + 1.0))
    with pytest.raises(ValueError, match="2-D array"):
        frechet_distance(np.zeros((5, 2, 2)), np.zeros((5, 4)))
    with pytest.raises(ValueError, match="must match"):
        frechet_distance(np.zeros((5, 2)), np.zeros((5, 3)))
    with pytest.raises(ValueError, match="at least 2 samples"):
        frechet_distance(np.zeros((1, 2)), np.zeros((5, 2)))
    with pytest.raises(ValueError, match="NaN"):
        frechet_distance(np.full((3, 2), np.nan), np.zeros((3, 2)))


def test_nearest_neighbours_and_diversity():
    from mlcourse.sample_quality import mean_pairwise_distance, nearest_neighbours

    rng = np.random.default_rng(2)
    refs = rng.uniform(size=(50, 6, 6))
    queries = refs[[3, 17, 41]] + 0.001
    dist, idx = nearest_neighbours(queries, refs, batch_size=2)
    assert idx.tolist() == [3, 17, 41]
    assert np.allclose(dist, 0.001 * 6)
    brute = np.sqrt(((refs[:, None] - refs[None]) ** 2).sum(axis=(2, 3)))
    np.fill_diagonal(brute, np.inf)
    d2, _ = nearest_neighbours(refs[:10] + 0.0, np.delete(refs, range(10), axis=0))
    assert np.allclose(d2, brute[:10, 10:].min(axis=1))
    assert mean_pairwise_distance(np.ones((5, 4, 4))) == pytest.approx(0.0, abs=1e-6)
    pts = np.array([[0.0, 0.0], [3.0, 4.0], [6.0, 8.0]])
    assert mean_pairwise_distance(pts) == pytest.approx((5 + 10 + 5) / 3)
    with pytest.raises(ValueError, match="must match"):
        nearest_neighbours(np.zeros((2, 4)), np.zeros((3, 5)))
    with pytest.raises(ValueError, match="non-empty"):
        nearest_neighbours(np.zeros((0, 4)), np.zeros((3, 4)))
    with pytest.raises(ValueError, match="at least 2"):
        mean_pairwise_distance(np.zeros((1, 4)))
