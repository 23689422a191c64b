"""The from-scratch PCA and k-means of chapter 07 (cells tagged `scratch`) agree with scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from notebook_code import scratch_namespace
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA


@pytest.fixture(scope="module")
def ns():
    return scratch_namespace("07_unsupervised.ipynb")


def correlated_data(n=300, d=12, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)) @ rng.normal(size=(d, d)) + rng.normal(size=d)


def test_scratch_cells_use_only_numpy(ns):
    modules = {name for name, value in ns.items() if type(value).__name__ == "module"}
    assert modules <= {"np"}, f"scratch cells import {modules - {'np'}}"


@pytest.mark.parametrize("n_components", [1, 5, 12])
def test_pca_matches_sklearn(ns, n_components):
    X = correlated_data()
    mean, components, variance = ns["pca_fit"](X, n_components)
    ref = PCA(n_components=n_components, svd_solver="full").fit(X)
    assert components.shape == ref.components_.shape
    np.testing.assert_allclose(mean, ref.mean_, atol=1e-10)
    # equal up to the sign of each component
    cosines = np.abs(np.sum(components * ref.components_, axis=1))
    np.testing.assert_allclose(cosines, 1.0, atol=1e-6)
    np.testing.assert_allclose(variance, ref.explained_variance_, rtol=1e-6, atol=1e-12)


def test_pca_all_components_explain_all_variance(ns):
    X = correlated_data(n=50, d=8, seed=1)
    _, components, variance = ns["pca_fit"](X, None)
    assert components.shape == (8, 8)
    np.testing.assert_allclose(components @ components.T, np.eye(8), atol=1e-10)
    np.testing.assert_allclose(variance.sum(), X.var(axis=0, ddof=1).sum(), rtol=1e-10)


def test_pca_transform_and_reconstruct_match_sklearn(ns):
    X = correlated_data(seed=2)
    mean, components, _ = ns["pca_fit"](X, 4)
    ref = PCA(n_components=4, svd_solver="full").fit(X)
    scores = ns["pca_transform"](X, mean, components)
    signs = np.sign(np.sum(components * ref.components_, axis=1))
    np.testing.assert_allclose(scores, ref.transform(X) * signs, atol=1e-8)
    np.testing.assert_allclose(ns["pca_reconstruct"](scores, mean, components),
                               ref.inverse_transform(ref.transform(X)), atol=1e-8)


def test_full_reconstruction_is_exact(ns):
    X = correlated_data(n=40, d=6, seed=3)
    mean, components, _ = ns["pca_fit"](X, None)
    back = ns["pca_reconstruct"](ns["pca_transform"](X, mean, components), mean, components)
    np.testing.assert_allclose(back, X, atol=1e-9)


def blobs(seed=0):
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0, 0.0], [4.0, 4.0, 0.0], [0.0, 5.0, 3.0], [5.0, 0.0, 4.0]])
    return np.vstack([rng.normal(c, 1.2, size=(120, 3)) for c in centres])


@pytest.mark.parametrize("seed, k", [(0, 4), (1, 3), (2, 6)])
def test_kmeans_matches_sklearn_with_the_same_initial_centres(ns, seed, k):
    X = blobs(seed)
    rng = np.random.default_rng(seed)
    init = X[rng.choice(len(X), size=k, replace=False)]
    labels, centres, inertia = ns["kmeans_lloyd"](X, init.copy())
    ref = KMeans(n_clusters=k, init=init, n_init=1, algorithm="lloyd", tol=0.0).fit(X)
    np.testing.assert_array_equal(labels, ref.labels_)
    np.testing.assert_allclose(centres, ref.cluster_centers_, atol=1e-8)
    assert inertia == pytest.approx(ref.inertia_, rel=1e-8)


def test_kmeans_on_one_dimensional_intensities(ns):
    rng = np.random.default_rng(5)
    x = np.concatenate([rng.normal(m, 0.05, 400) for m in (0.3, 0.6, 0.85)])[:, None]
    init = np.array([[0.1], [0.5], [0.9]])
    labels, centres, _ = ns["kmeans_lloyd"](x, init.copy())
    ref = KMeans(n_clusters=3, init=init, n_init=1).fit(x)
    np.testing.assert_array_equal(labels, ref.labels_)
    np.testing.assert_allclose(centres, ref.cluster_centers_, atol=1e-8)


def test_kmeans_does_not_modify_the_initial_centres(ns):
    X = blobs(3)
    init = X[:4].copy()
    ns["kmeans_lloyd"](X, init)
    np.testing.assert_array_equal(init, X[:4])
