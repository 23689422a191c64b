"""The from-scratch code of chapter 06 (cells tagged `scratch`) against hand values and scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from notebook_code import scratch_namespace
from sklearn.datasets import make_classification
from sklearn.naive_bayes import GaussianNB

ns = scratch_namespace("06_bayes.ipynb")


def test_likelihood_ratios_and_post_test_probability():
    lr_pos, lr_neg = ns["likelihood_ratios"](0.9, 0.8)
    assert lr_pos == pytest.approx(4.5) and lr_neg == pytest.approx(0.125)
    post = ns["post_test_probability"]
    assert post(0.5, 1.0) == pytest.approx(0.5)
    assert post(0.1, 9.0) == pytest.approx(0.5)             # odds 1/9 x 9 = 1
    assert post(0.3, 0.125) == pytest.approx(0.05084746, abs=1e-8)
    assert np.allclose(post(np.array([0.01, 0.5]), 9.0), [0.0833333, 0.9], atol=1e-6)


@pytest.mark.parametrize("var_smoothing", [1e-9, 1e-3, 0.1])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_gaussian_nb_matches_sklearn(var_smoothing, n_classes):
    X, y = make_classification(n_samples=300, n_features=5, n_informative=3, n_redundant=0,
                               n_classes=n_classes, random_state=n_classes)
    X[:, 1] *= 100.0                                      # features on different scales
    X_train, y_train, X_test = X[:200], y[:200], X[200:]
    model = ns["fit_gaussian_nb"](X_train, y_train, var_smoothing=var_smoothing)
    sk = GaussianNB(var_smoothing=var_smoothing).fit(X_train, y_train)
    assert np.allclose(model["priors"], sk.class_prior_)
    assert np.allclose(model["means"], sk.theta_)
    assert np.allclose(model["variances"], sk.var_)
    assert np.allclose(ns["predict_proba_gaussian_nb"](model, X_test), sk.predict_proba(X_test), atol=1e-6)


def test_gaussian_nb_with_given_priors_and_labels():
    rng = np.random.default_rng(0)
    X = np.r_[rng.normal(0, 1, (50, 2)), rng.normal(3, 1, (50, 2))]
    y = np.r_[np.full(50, 4), np.full(50, 9)]
    model = ns["fit_gaussian_nb"](X, y, priors=np.array([0.2, 0.8]))
    sk = GaussianNB(priors=[0.2, 0.8]).fit(X, y)
    assert list(model["classes"]) == [4, 9]
    assert np.allclose(ns["predict_proba_gaussian_nb"](model, X), sk.predict_proba(X), atol=1e-6)


def test_posterior_is_stable_far_from_the_data():
    model = ns["fit_gaussian_nb"](np.array([[0.0], [0.1], [5.0], [5.1]]), np.array([0, 0, 1, 1]))
    prob = ns["predict_proba_gaussian_nb"](model, np.array([[1000.0], [-1000.0]]))
    assert np.all(np.isfinite(prob)) and np.allclose(prob.sum(axis=1), 1.0)
