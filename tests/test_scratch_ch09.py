"""The VAE pieces of chapter 09 written with keras.ops (cells tagged `scratch`): the sampling layer draws
z = mu + sigma * eps with the right mean and spread, and the model's compute_loss is the batch mean of the
pixel-summed binary cross-entropy plus the closed-form KL, computed here with NumPy."""

from __future__ import annotations

import numpy as np
import pytest
from notebook_code import scratch_namespace

keras = pytest.importorskip("keras")


@pytest.fixture(scope="module")
def ns():
    return scratch_namespace("09_autoencoders.ipynb")


def test_sampling_has_the_posterior_mean_and_spread(ns):
    mu = np.array([[1.5, -2.0, 0.0]], dtype="float32").repeat(20000, axis=0)
    log_var = np.array([[0.0, np.log(0.25), np.log(4.0)]], dtype="float32").repeat(20000, axis=0)
    z = keras.ops.convert_to_numpy(ns["Sampling"](seed=3)([mu, log_var]))
    assert z.shape == mu.shape
    np.testing.assert_allclose(z.mean(axis=0), [1.5, -2.0, 0.0], atol=0.05)
    np.testing.assert_allclose(z.std(axis=0), [1.0, 0.5, 2.0], rtol=0.03)


def test_sampling_is_reproducible_with_a_seed_and_varies_between_calls(ns):
    mu, log_var = np.zeros((4, 2), "float32"), np.zeros((4, 2), "float32")
    a, b = ns["Sampling"](seed=7), ns["Sampling"](seed=7)
    first_a, first_b = (keras.ops.convert_to_numpy(s([mu, log_var])) for s in (a, b))
    np.testing.assert_allclose(first_a, first_b)
    assert not np.allclose(first_a, keras.ops.convert_to_numpy(a([mu, log_var])))


def _tiny_vae(ns, shape=(4, 3, 2), latent=2):
    x_in = keras.Input(shape=shape)
    h = keras.layers.Flatten()(x_in)
    z_mean, z_log_var = keras.layers.Dense(latent)(h), keras.layers.Dense(latent)(h)
    encoder = keras.Model(x_in, [z_mean, z_log_var, ns["Sampling"](seed=1)([z_mean, z_log_var])])
    z_in = keras.Input(shape=(latent,))
    out = keras.layers.Reshape(shape)(keras.layers.Dense(int(np.prod(shape)), activation="sigmoid")(z_in))
    return ns["VAE"](encoder, keras.Model(z_in, out))


def test_compute_loss_is_summed_bce_plus_kl(ns):
    rng = np.random.default_rng(0)
    vae = _tiny_vae(ns)
    x = rng.uniform(size=(5, 4, 3, 2)).astype("float32")
    x_hat = rng.uniform(0.05, 0.95, size=x.shape).astype("float32")
    mu, lv = rng.normal(size=(5, 2)).astype("float32"), rng.normal(size=(5, 2)).astype("float32")
    got = float(keras.ops.convert_to_numpy(vae.compute_loss(x=x, y=x, y_pred=(x_hat, mu, lv))))
    bce = -(x * np.log(x_hat) + (1 - x) * np.log(1 - x_hat)).reshape(5, -1).sum(axis=1)
    kl = 0.5 * (mu**2 + np.exp(lv) - 1 - lv).sum(axis=1)
    assert got == pytest.approx(float(np.mean(bce + kl)), rel=1e-5)


def test_the_vae_trains_and_returns_reconstruction_mean_and_log_variance(ns):
    rng = np.random.default_rng(1)
    vae = _tiny_vae(ns)
    x = rng.uniform(size=(32, 4, 3, 2)).astype("float32")
    x_hat, mu, lv = vae(x)
    assert tuple(x_hat.shape) == x.shape and tuple(mu.shape) == (32, 2) and tuple(lv.shape) == (32, 2)
    vae.compile(optimizer=keras.optimizers.Adam(1e-2))
    hist = vae.fit(x, x, epochs=15, batch_size=8, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
