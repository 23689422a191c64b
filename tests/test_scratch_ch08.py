"""The from-scratch perceptron and MLP of chapter 08 (cells tagged `scratch`): backprop against central
differences, and training that lowers the loss and separates separable data."""

from __future__ import annotations

import numpy as np
import pytest
from notebook_code import scratch_namespace


@pytest.fixture(scope="module")
def ns():
    return scratch_namespace("08_mlp.ipynb")


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
@pytest.mark.parametrize("seed", range(3))
def test_backprop_matches_central_differences(ns, activation, seed):
    rng = np.random.default_rng(seed)
    n, d, h = 15 + seed, 4 + seed, 3 + seed
    X, y = rng.normal(size=(n, d)), rng.integers(0, 2, n)
    params = ns["init_mlp"](d, h, seed=seed)
    params = {k: v + rng.normal(0, 0.1, v.shape) for k, v in params.items()}   # non-zero biases too
    _, cache = ns["mlp_forward"](params, X, activation)
    analytic = ns["mlp_backward"](params, cache, y, activation)
    numeric = ns["numerical_gradient"](params, X, y, activation)
    assert set(analytic) == {"W1", "b1", "W2", "b2"}
    for name in analytic:
        assert analytic[name].shape == params[name].shape
    assert ns["relative_error"](analytic, numeric) < 1e-6


def test_gradient_check_detects_a_wrong_gradient(ns):
    rng = np.random.default_rng(7)
    X, y = rng.normal(size=(12, 3)), rng.integers(0, 2, 12)
    params = ns["init_mlp"](3, 4, seed=1)
    _, cache = ns["mlp_forward"](params, X)
    analytic = ns["mlp_backward"](params, cache, y)
    numeric = ns["numerical_gradient"](params, X, y)
    analytic["W2"] = analytic["W2"] * 1.05
    assert ns["relative_error"](analytic, numeric) > 1e-4


def test_loss_is_binary_cross_entropy_and_stable(ns):
    z = np.array([-3.0, 0.0, 2.0, 800.0, -800.0])
    y = np.array([1, 0, 1, 1, 0])
    p = 1 / (1 + np.exp(-z[:3]))
    expected_first = -(np.log(p[0]) + np.log(1 - p[1]) + np.log(p[2]))
    assert np.isclose(ns["bce_loss"](z, y) * 5, expected_first)       # the two extreme, right cases add ~0
    assert np.isfinite(ns["bce_loss"](np.array([800.0]), np.array([0])))
    assert np.all(np.isfinite(ns["sigmoid"](np.array([-1000.0, 1000.0]))))


def test_training_lowers_the_loss_and_separates_blobs(ns):
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(-2, 0.7, (60, 2)), rng.normal(2, 0.7, (60, 2))])
    y = np.repeat([0, 1], 60)
    params, losses = ns["train_mlp"](X, y, n_hidden=6, lr=0.5, epochs=300, seed=0)
    assert losses[-1] < 0.1 * losses[0]
    assert np.all(np.diff(losses[:50]) < 1e-9) or losses[-1] < losses[0]
    p, _ = ns["mlp_forward"](params, X)
    assert np.mean((p > 0.5) == y) == 1.0


def test_mlp_learns_xor(ns):
    rng = np.random.default_rng(1)
    corners = rng.choice([-1.0, 1.0], size=(200, 2))
    X = corners + rng.normal(0, 0.2, (200, 2))
    y = (corners[:, 0] * corners[:, 1] < 0).astype(int)
    params, losses = ns["train_mlp"](X, y, n_hidden=8, lr=0.5, epochs=1500, seed=2)
    assert losses[-1] < 0.1
    assert np.mean((ns["mlp_forward"](params, X)[0] > 0.5) == y) > 0.97


def test_perceptron_separates_separable_data_and_stops_making_mistakes(ns):
    rng = np.random.default_rng(3)
    X = np.vstack([rng.normal([-2, -1], 0.5, (50, 2)), rng.normal([2, 1], 0.5, (50, 2))])
    y = np.repeat([0, 1], 50)
    w, b, mistakes = ns["perceptron_fit"](X, y, epochs=30, seed=0)
    assert mistakes[-1] == 0
    assert np.array_equal(ns["perceptron_predict"](w, b, X), y)
