"""The from-scratch code of notebook 18 (cells tagged 'scratch'): the RNN and GRU forward passes against Keras's
layers, back-propagation through time against finite differences, and bad shapes refused."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from tests.notebook_code import scratch_namespace


@pytest.fixture(scope="module")
def ns():
    return scratch_namespace("18_volumes.ipynb")


@pytest.fixture(scope="module")
def x():
    return np.random.default_rng(18).normal(size=(3, 7, 4)).astype("float32")


def test_rnn_forward_matches_keras_simple_rnn(ns, x):
    keras.utils.set_random_seed(3)
    layer = keras.layers.SimpleRNN(5, return_sequences=True)
    want = keras.ops.convert_to_numpy(layer(x))
    got = ns["rnn_forward"](x, *[np.asarray(w, dtype=float) for w in layer.get_weights()])
    np.testing.assert_allclose(got, want, atol=1e-5)


def test_rnn_forward_uses_a_given_start_state_and_refuses_bad_shapes(ns, x):
    rng = np.random.default_rng(0)
    k, r, b = rng.normal(size=(4, 2)), rng.normal(size=(2, 2)), np.zeros(2)
    h0 = np.ones((3, 2))
    first = ns["rnn_forward"](x[:, :1], k, r, b, h0=h0)[:, 0]
    np.testing.assert_allclose(first, np.tanh(x[:, 0] @ k + h0 @ r))
    with pytest.raises(ValueError, match=r"\(N, T, D\)"):
        ns["rnn_forward"](x[0], k, r, b)
    with pytest.raises(ValueError, match="do not fit"):
        ns["rnn_forward"](x, k[:3], r, b)


def test_rnn_backward_matches_finite_differences_for_every_weight(ns, x):
    rng = np.random.default_rng(1)
    k, r, b = rng.normal(scale=0.5, size=(4, 3)), rng.normal(scale=0.5, size=(3, 3)), rng.normal(size=3)
    x = x.astype(float)
    weight = rng.normal(size=(3, 7, 3))                     # a loss on every state: L = sum(weight * states)

    def loss(x_, k_, r_, b_):
        return float(np.sum(weight * ns["rnn_forward"](x_, k_, r_, b_)))

    states = ns["rnn_forward"](x, k, r, b)
    grads = ns["rnn_backward"](x, states, k, r, weight)
    for index, array in enumerate((x, k, r, b)):
        numeric = np.zeros_like(array)
        for pos in np.ndindex(*array.shape):
            args_up = [x.copy(), k.copy(), r.copy(), b.copy()]
            args_dn = [x.copy(), k.copy(), r.copy(), b.copy()]
            args_up[index][pos] += 1e-6
            args_dn[index][pos] -= 1e-6
            numeric[pos] = (loss(*args_up) - loss(*args_dn)) / 2e-6
        np.testing.assert_allclose(grads[index], numeric, atol=1e-6)


def test_rnn_backward_refuses_a_gradient_of_the_wrong_shape(ns, x):
    rng = np.random.default_rng(2)
    k, r = rng.normal(size=(4, 3)), rng.normal(size=(3, 3))
    states = ns["rnn_forward"](x, k, r, np.zeros(3))
    with pytest.raises(ValueError, match="grad_states"):
        ns["rnn_backward"](x, states, k, r, np.zeros((3, 7, 2)))


def test_gru_forward_matches_keras_gru_and_refuses_a_one_bias_layout(ns, x):
    keras.utils.set_random_seed(4)
    layer = keras.layers.GRU(6, return_sequences=True)
    want = keras.ops.convert_to_numpy(layer(x))
    weights = [np.asarray(w, dtype=float) for w in layer.get_weights()]
    np.testing.assert_allclose(ns["gru_forward"](x, *weights), want, atol=1e-5)
    with pytest.raises(ValueError, match="do not match a GRU"):
        ns["gru_forward"](x, weights[0], weights[1], weights[2][0])     # reset_after=False has one bias row
