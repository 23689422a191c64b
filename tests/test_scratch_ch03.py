"""The from-scratch kNN of chapter 03 (cells tagged `scratch`) against scikit-learn's brute-force kNN."""

from __future__ import annotations

import numpy as np
import pytest
from notebook_code import scratch_namespace
from sklearn.datasets import make_blobs, make_classification
from sklearn.neighbors import KNeighborsClassifier


@pytest.fixture(scope="module")
def ns():
    return scratch_namespace("03_knn.ipynb")


def test_squared_distances(ns, rng=np.random.default_rng(0)):
    A, B = rng.normal(size=(7, 5)), rng.normal(size=(4, 5))
    expected = ((A[:, None, :] - B[None, :, :]) ** 2).sum(axis=2)
    got = ns["squared_distances"](A, B)
    assert got.shape == (7, 4)
    assert np.allclose(got, expected)
    assert np.all(ns["squared_distances"](A, A) >= 0)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("k", [1, 2, 3, 4, 5, 10, 25])
def test_predictions_equal_sklearn_brute_force(ns, seed, k):
    X, y = make_classification(n_samples=300, n_features=6, n_informative=4, n_classes=3, random_state=seed)
    X_fit, y_fit, X_query = X[:200], y[:200], X[200:]
    sk = KNeighborsClassifier(n_neighbors=k, algorithm="brute").fit(X_fit, y_fit)
    assert np.array_equal(ns["knn_predict"](X_fit, y_fit, X_query, k), sk.predict(X_query))
    assert np.allclose(ns["knn_predict_proba"](X_fit, y_fit, X_query, k), sk.predict_proba(X_query), atol=1e-12)


@pytest.mark.parametrize("k", [1, 6, 15])
def test_binary_labels_of_shape_n_1_and_non_contiguous_classes(ns, k):
    X, y = make_blobs(n_samples=250, centers=2, cluster_std=3.0, random_state=1)
    y = np.where(y == 1, 7, 2)                     # labels 2 and 7
    sk = KNeighborsClassifier(n_neighbors=k, algorithm="brute").fit(X[:150], y[:150])
    got = ns["knn_predict"](X[:150], y[:150].reshape(-1, 1), X[150:], k)
    assert np.array_equal(got, sk.predict(X[150:]))
    assert set(np.unique(got)) <= {2, 7}


def test_one_neighbour_reproduces_the_training_labels(ns):
    X, y = make_blobs(n_samples=80, centers=3, random_state=2)
    assert np.array_equal(ns["knn_predict"](X, y, X, 1), y)
