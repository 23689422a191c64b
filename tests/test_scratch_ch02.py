"""The from-scratch logistic regression of chapter 02 (cells tagged `scratch`) against scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from notebook_code import scratch_namespace
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler


@pytest.fixture(scope="module")
def ns():
    return scratch_namespace("02_evaluation.ipynb")


def data(seed, n=300, d=5):
    X, y = make_classification(n_samples=n, n_features=d, n_informative=min(3, d), n_redundant=int(d > 3),
                               flip_y=0.05, class_sep=1.0, random_state=seed)
    return StandardScaler().fit_transform(X), y


def test_sigmoid_is_stable_and_symmetric(ns):
    z = np.array([-800.0, -30.0, -1.0, 0.0, 1.0, 30.0, 800.0])
    with np.errstate(over="raise", invalid="raise"):     # no overflow for large |z|
        s = ns["sigmoid"](z)
    assert np.allclose(s, 1 / (1 + np.exp(-np.clip(z, -700, 700))))
    assert np.allclose(s + ns["sigmoid"](-z), 1.0)
    assert ns["sigmoid"](0.0) == 0.5


def test_loss_by_hand(ns):
    X = np.array([[1.0, 0.0], [0.0, 2.0]])
    y = np.array([1, 0])
    w, b = np.array([1.0, -0.5]), 0.5
    # z = (1.5, -0.5): -log sigmoid(1.5) and -log(1 - sigmoid(-0.5)) = log(1 + e^-1.5), log(1 + e^-0.5)
    expected = (np.log1p(np.exp(-1.5)) + np.log1p(np.exp(-0.5))) / 2 + 0.5 * 0.1 * 1.25
    assert ns["logistic_loss"](w, b, X, y, lam=0.1) == pytest.approx(expected)
    assert ns["logistic_loss"](np.zeros(2), 0.0, X, y) == pytest.approx(np.log(2))


@pytest.mark.parametrize("lam", [0.0, 0.05])
def test_gradient_matches_finite_differences(ns, lam):
    X, y = data(0, n=60, d=4)
    rng = np.random.default_rng(1)
    w, b, eps = rng.normal(size=4), 0.3, 1e-6
    gw, gb = ns["logistic_gradient"](w, b, X, y, lam)
    loss = ns["logistic_loss"]
    num_w = [(loss(w + eps * e, b, X, y, lam) - loss(w - eps * e, b, X, y, lam)) / (2 * eps) for e in np.eye(4)]
    num_b = (loss(w, b + eps, X, y, lam) - loss(w, b - eps, X, y, lam)) / (2 * eps)
    assert np.allclose(gw, num_w, atol=1e-7)
    assert gb == pytest.approx(num_b, abs=1e-7)
    p = 1 / (1 + np.exp(-(X @ w + b)))
    assert np.allclose(gw, X.T @ (p - y) / len(y) + lam * w)                 # the formula X^T (p - y) / n + lam w


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("C", [0.1, 1.0])
def test_same_coefficients_as_sklearn(ns, seed, C):
    X, y = data(seed)
    lam = 1.0 / (C * len(y))                             # scikit-learn minimises C * sum(loss) + ||w||^2 / 2
    w, b, losses = ns["fit_logistic_gd"](X, y, lam=lam, n_steps=5000)
    sk = LogisticRegression(C=C, tol=1e-10, max_iter=10_000).fit(X, y)
    assert np.allclose(w, sk.coef_[0], atol=1e-4)
    assert b == pytest.approx(sk.intercept_[0], abs=1e-4)
    assert losses[-1] == pytest.approx(ns["logistic_loss"](sk.coef_[0], sk.intercept_[0], X, y, lam), abs=1e-8)
    assert np.all(np.diff(losses) <= 1e-12)              # the step 1/L never increases the loss


def test_unpenalised_fit_on_overlapping_classes(ns):
    X, y = data(3, n=400, d=3)
    w, b, _ = ns["fit_logistic_gd"](X, y, lam=0.0, n_steps=5000)
    sk = LogisticRegression(C=np.inf, tol=1e-10, max_iter=10_000).fit(X, y)
    assert np.allclose(w, sk.coef_[0], atol=1e-3)
    assert np.mean((X @ w + b > 0) == sk.predict(X)) >= 0.99


def test_bad_input_is_named(ns):
    X, y = data(0, n=20, d=2)
    with pytest.raises(ValueError, match="0/1 labels"):
        ns["fit_logistic_gd"](X, 2 * y - 1)
    with pytest.raises(ValueError, match="2-D"):
        ns["logistic_loss"](np.zeros(2), 0.0, X[:, 0], y)
    with pytest.raises(ValueError, match="rows"):
        ns["logistic_gradient"](np.zeros(2), 0.0, X, y[:-1])
    with pytest.raises(ValueError, match="lam"):
        ns["fit_logistic_gd"](X, y, lam=-1.0)
    with pytest.raises(ValueError, match="lr"):
        ns["fit_logistic_gd"](X, y, lr=0.0)
    with pytest.raises(ValueError, match="n_steps"):
        ns["fit_logistic_gd"](X, y, n_steps=0)
