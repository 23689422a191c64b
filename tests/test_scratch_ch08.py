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


# ----------------------------------------------------------------------------- second edition: softmax, init, SGD


def test_leaky_relu_matches_keras_and_its_gradient_checks(ns):
    import keras

    z = np.linspace(-3, 3, 13)
    slope = ns["LEAKY_SLOPE"]
    expected = keras.ops.convert_to_numpy(keras.ops.leaky_relu(z.astype("float32"), negative_slope=slope))
    assert np.allclose(ns["leaky_relu"](z), expected, atol=1e-6)
    assert np.allclose(ns["leaky_relu_derivative"](np.array([-2.0, 3.0])), [slope, 1.0])
    rng = np.random.default_rng(4)
    X, y = rng.normal(size=(14, 4)), rng.integers(0, 2, 14)
    params = ns["init_mlp"](4, 5, seed=3)
    _, cache = ns["mlp_forward"](params, X, "leaky_relu")
    analytic = ns["mlp_backward"](params, cache, y, "leaky_relu")
    assert ns["relative_error"](analytic, ns["numerical_gradient"](params, X, y, "leaky_relu")) < 1e-6


@pytest.mark.parametrize("seed", range(3))
def test_softmax_and_cross_entropy_match_keras(ns, seed):
    import keras

    rng = np.random.default_rng(seed)
    n, k = 8 + seed, 3 + seed
    Z, y = rng.normal(0, 4, (n, k)), rng.integers(0, k, n)
    p = ns["softmax"](Z)
    assert np.allclose(p, keras.ops.convert_to_numpy(keras.ops.softmax(Z, axis=-1)), atol=1e-6)
    assert np.allclose(p.sum(axis=1), 1.0)
    ref = float(keras.ops.mean(keras.losses.sparse_categorical_crossentropy(y, Z, from_logits=True)))
    assert np.isclose(ns["categorical_cross_entropy"](Z, y), ref, rtol=1e-5)
    assert np.isclose(ns["categorical_cross_entropy"](Z, y), -np.mean(np.log(p[np.arange(n), y])))


@pytest.mark.parametrize("seed", range(3))
def test_cross_entropy_gradient_is_p_minus_y_over_n_and_matches_central_differences(ns, seed):
    rng = np.random.default_rng(10 + seed)
    n, k = 5 + seed, 4
    Z, y = rng.normal(0, 2, (n, k)), rng.integers(0, k, n)
    grad = ns["cross_entropy_grad"](Z, y)
    assert np.allclose(grad, (ns["softmax"](Z) - np.eye(k)[y]) / n)
    numeric = ns["central_differences"](lambda A: ns["categorical_cross_entropy"](A, y), Z)
    assert np.abs(grad - numeric).max() < 1e-8
    assert np.allclose(grad.sum(axis=1), 0.0)                  # probabilities and targets both sum to 1


def test_softmax_is_stable_and_two_classes_give_the_sigmoid(ns):
    big = np.array([[1000.0, 0.0, -1000.0], [-800.0, 800.0, 799.0]])
    p = ns["softmax"](big)
    assert np.all(np.isfinite(p)) and np.allclose(p[0], [1, 0, 0])
    assert np.isfinite(ns["categorical_cross_entropy"](big, np.array([2, 0])))
    assert np.isclose(ns["categorical_cross_entropy"](big, np.array([0, 1])), np.log1p(np.exp(-1.0)) / 2)
    Z = np.random.default_rng(0).normal(size=(6, 2))
    assert np.allclose(ns["softmax"](Z)[:, 1], ns["sigmoid"](Z[:, 1] - Z[:, 0]))


def test_cross_entropy_rejects_bad_input_naming_the_argument(ns):
    with pytest.raises(ValueError, match="Z must be"):
        ns["categorical_cross_entropy"](np.zeros(3), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="y must hold integer class labels"):
        ns["categorical_cross_entropy"](np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError, match="y has 1 labels"):
        ns["cross_entropy_grad"](np.zeros((2, 3)), np.array([0]))


@pytest.mark.parametrize("scheme, keras_name, variance", [
    ("he", "HeNormal", lambda fi, fo: 2 / fi),
    ("glorot", "GlorotNormal", lambda fi, fo: 2 / (fi + fo)),
    ("glorot", "GlorotUniform", lambda fi, fo: 2 / (fi + fo)),
])
def test_initialisations_have_the_variance_of_keras_initialisers(ns, scheme, keras_name, variance):
    import keras

    fan_in, fan_out = 300, 200
    ours = ns["init_weights"](fan_in, fan_out, scheme, np.random.default_rng(0))
    theirs = keras.ops.convert_to_numpy(getattr(keras.initializers, keras_name)(seed=1)((fan_in, fan_out)))
    assert ours.shape == theirs.shape == (fan_in, fan_out)
    assert abs(ours.mean()) < 0.01
    for w in (ours, theirs):
        assert abs(w.var() / variance(fan_in, fan_out) - 1) < 0.03
    with pytest.raises(ValueError, match="scheme must be one of"):
        ns["init_weights"](3, 3, "xavier")


def test_he_keeps_relu_activations_stable_and_small_weights_make_them_vanish(ns):
    X = np.random.default_rng(1).normal(size=(500, 128))
    he = ns["activation_std_by_depth"](X, 15, 128, "relu", "he", seed=0)
    glorot = ns["activation_std_by_depth"](X, 15, 128, "relu", "glorot", seed=0)
    small = ns["activation_std_by_depth"](X, 15, 128, "relu", "small", seed=0)
    assert 0.3 < he[-1] / he[0] < 3
    assert glorot[-1] / glorot[0] < 0.01                          # halves the variance per layer
    assert small[-1] < 1e-12                                      # about 0.08 per layer


def test_minibatches_cover_every_case_once(ns):
    batches = ns["minibatches"](103, 32, np.random.default_rng(0))
    assert [len(b) for b in batches] == [32, 32, 32, 7]
    assert np.array_equal(np.sort(np.concatenate(batches)), np.arange(103))
    with pytest.raises(ValueError, match="batch_size"):
        ns["minibatches"](10, 0, np.random.default_rng(0))


def test_softmax_mlp_backprop_matches_central_differences(ns):
    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(9, 4)), rng.integers(0, 3, 9)
    params = ns["init_softmax_mlp"](4, 6, 3, seed=2)
    params = {k: v + rng.normal(0, 0.1, v.shape) for k, v in params.items()}
    _, cache = ns["softmax_mlp_forward"](params, X)
    analytic = ns["softmax_mlp_backward"](params, cache, y)

    def loss_of(name):
        def f(value):
            trial = dict(params, **{name: value})
            return ns["categorical_cross_entropy"](ns["softmax_mlp_forward"](trial, X)[1]["Z2"], y)
        return f

    numeric = {name: ns["central_differences"](loss_of(name), params[name]) for name in params}
    assert ns["relative_error"](analytic, numeric) < 1e-6


def test_one_sgd_step_matches_keras_sgd(ns):
    import keras

    rng = np.random.default_rng(6)
    X, y = rng.normal(size=(16, 5)).astype("float32"), rng.integers(0, 3, 16)
    params = ns["init_softmax_mlp"](5, 4, 3, seed=0)
    slope, lr = ns["LEAKY_SLOPE"], 0.1
    inputs = keras.Input(shape=(5,))
    hidden = keras.layers.LeakyReLU(negative_slope=slope)(keras.layers.Dense(4)(inputs))
    model = keras.Model(inputs, keras.layers.Dense(3)(hidden))
    model.set_weights([params["W1"], params["b1"], params["W2"], params["b2"]])
    model.compile(optimizer=keras.optimizers.SGD(lr),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.train_on_batch(X, y)
    _, cache = ns["softmax_mlp_forward"](params, X)
    grads = ns["softmax_mlp_backward"](params, cache, y)
    ours = [params[k] - lr * grads[k] for k in ("W1", "b1", "W2", "b2")]
    for a, b in zip(ours, model.get_weights()):
        assert np.allclose(a, b, atol=1e-5)


def test_sgd_with_one_batch_is_full_batch_gradient_descent_and_minibatches_learn(ns):
    rng = np.random.default_rng(2)
    centres = np.array([[3, 0], [-3, 0], [0, 3]])
    y = rng.integers(0, 3, 150)
    X = centres[y] + rng.normal(0, 0.7, (150, 2))
    params, hist = ns["sgd_train"](X, y, 3, n_hidden=8, lr=0.5, epochs=3, batch_size=150, seed=4)
    manual = ns["init_softmax_mlp"](2, 8, 3, "he", 4)
    for _ in range(3):
        _, cache = ns["softmax_mlp_forward"](manual, X)
        grads = ns["softmax_mlp_backward"](manual, cache, y)
        manual = {k: manual[k] - 0.5 * grads[k] for k in manual}
    assert hist["updates"] == 3
    for k in params:
        assert np.allclose(params[k], manual[k])
    params, hist = ns["sgd_train"](X, y, 3, n_hidden=8, lr=0.1, epochs=20, batch_size=16, seed=4,
                                   validation=(X, y))
    assert hist["updates"] == 20 * 10 and len(hist["val_loss"]) == 20
    assert hist["loss"][-1] < 0.2 * hist["loss"][0]
    assert np.mean(ns["softmax_mlp_forward"](params, X)[0].argmax(axis=1) == y) > 0.97
