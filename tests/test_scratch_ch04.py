"""The from-scratch linear SVM of chapter 04 (cells tagged `scratch`) against scikit-learn's SVMs."""

from __future__ import annotations

import numpy as np
import pytest
from notebook_code import scratch_namespace
from sklearn.datasets import make_blobs
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, LinearSVC


@pytest.fixture(scope="module")
def ns():
    return scratch_namespace("04_svm.ipynb")


def blobs(seed, spread=2.0, n=400, d=2):
    X, y = make_blobs(n_samples=n, centers=2, n_features=d, cluster_std=spread, random_state=seed)
    return StandardScaler().fit_transform(X), y


def test_objective_by_hand(ns):
    X = np.array([[1.0, 0.0], [0.0, 2.0], [-1.0, -1.0]])
    y = np.array([1.0, -1.0, -1.0])
    w, b = np.array([1.0, -1.0]), 0.5
    # margins y (w.x + b): 1.5, 1.5, -0.5 -> hinge 0, 0, 1.5
    assert ns["hinge_objective"](w, b, X, y, 2.0) == pytest.approx(0.5 * 2 + 2.0 * 1.5)
    assert np.allclose(ns["linear_svm_decision"](w, b, X), [1.5, -1.5, 0.5])


def test_rejects_zero_one_labels(ns):
    X, y = blobs(0)
    with pytest.raises(ValueError, match="-1 or \\+1"):
        ns["fit_linear_svm"](X, y)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("C", [0.1, 1.0, 10.0])
def test_close_to_sklearn_svc_linear(ns, seed, C):
    X, y = blobs(seed)
    s = 2 * y - 1
    w, b = ns["fit_linear_svm"](X, s, C=C, epochs=2000)
    svc = SVC(kernel="linear", C=C).fit(X, y)
    w_sk, b_sk = svc.coef_[0], svc.intercept_[0]
    ours = ns["linear_svm_decision"](w, b, X) > 0
    assert abs(np.mean(ours == y) - svc.score(X, y)) <= 0.02                      # accuracy
    assert np.mean(ours == (svc.decision_function(X) > 0)) >= 0.97                 # same side of the boundary
    assert w @ w_sk / np.linalg.norm(w) / np.linalg.norm(w_sk) > 0.99              # same orientation
    j_ours = ns["hinge_objective"](w, b, X, s, C)
    j_sk = ns["hinge_objective"](w_sk, b_sk, X, s, C)
    if C <= 1:                                         # sub-gradient descent is slow for large C on separable data
        assert j_ours <= 1.05 * j_sk + 0.1                                         # nearly optimal
    assert j_ours >= j_sk * (1 - 1e-4) - 1e-3  # libsvm solves to a tolerance of 1e-3


@pytest.mark.parametrize("seed", [4, 5])
def test_close_to_liblinear_in_more_dimensions(ns, seed):
    X, y = blobs(seed, spread=3.0, n=500, d=5)
    w, b = ns["fit_linear_svm"](X, 2 * y - 1, C=1.0, epochs=2000)
    lin = LinearSVC(C=1.0, loss="hinge", dual=True, max_iter=100_000).fit(X, y)
    ours = ns["linear_svm_decision"](w, b, X) > 0
    assert abs(np.mean(ours == y) - lin.score(X, y)) <= 0.02
    assert np.mean(ours == (lin.decision_function(X) > 0)) >= 0.97


def test_separable_data_are_separated_with_a_positive_margin(ns):
    X, y = blobs(7, spread=0.6)
    s = 2 * y - 1
    w, b = ns["fit_linear_svm"](X, s, C=10.0, epochs=2000)
    assert np.all(s * ns["linear_svm_decision"](w, b, X) > 0)
