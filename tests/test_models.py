"""mlcourse.models: the Sampling layer's statistics, the VAE's parameter count and loss, and one short
training run on every Keras backend that is installed (each in its own subprocess)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

keras = pytest.importorskip("keras")
from keras import ops  # noqa: E402

from mlcourse.models import VAE, Sampling, build_dense_vae, kl_divergence, summed_bce  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def test_sampling_shape_and_statistics():
    n, d = 20000, 3
    mu = np.tile(np.array([[2.0, -1.0, 0.0]], dtype="float32"), (n, 1))
    log_var = np.tile(np.log(np.array([[0.25, 1.0, 4.0]], dtype="float32")), (n, 1))
    z = ops.convert_to_numpy(Sampling(seed=0)([ops.convert_to_tensor(mu), ops.convert_to_tensor(log_var)]))
    assert z.shape == (n, d)
    np.testing.assert_allclose(z.mean(axis=0), [2.0, -1.0, 0.0], atol=0.05)
    np.testing.assert_allclose(z.var(axis=0), [0.25, 1.0, 4.0], rtol=0.05)


def test_sampling_is_reproducible_with_a_seed():
    mu, log_var = ops.zeros((5, 2)), ops.zeros((5, 2))
    a = ops.convert_to_numpy(Sampling(seed=7)([mu, log_var]))
    b = ops.convert_to_numpy(Sampling(seed=7)([mu, log_var]))
    np.testing.assert_array_equal(a, b)


def test_kl_divergence_closed_form():
    mu = np.array([[0.0, 0.0], [1.0, -2.0]], dtype="float32")
    log_var = np.array([[0.0, 0.0], [np.log(0.5), np.log(3.0)]], dtype="float32")
    expected = 0.5 * (mu**2 + np.exp(log_var) - 1.0 - log_var).sum(axis=1)
    np.testing.assert_allclose(ops.convert_to_numpy(kl_divergence(mu, log_var)), expected, rtol=1e-5)
    assert expected[0] == 0.0 and expected[1] > 0


def test_summed_bce_sums_over_pixels():
    y = np.array([[[1.0, 0.0], [0.5, 1.0]]], dtype="float32")
    p = np.full_like(y, 0.5)
    got = ops.convert_to_numpy(summed_bce(y, p))
    np.testing.assert_allclose(got, [4 * np.log(2.0)], rtol=1e-5)


def test_vae_parameter_count_for_a_tiny_config():
    vae = build_dense_vae((4, 4, 1), latent_dim=2, hidden=8, seed=0)
    # encoder 16*8+8 + 2*(8*2+2) = 172; decoder 2*8+8 + 8*16+16 = 168
    assert vae.count_params() == 340
    out = vae(np.zeros((3, 4, 4, 1), dtype="float32"))
    assert tuple(out.shape) == (3, 4, 4, 1)


def test_vae_loss_contains_the_kl_term():
    x = np.random.default_rng(0).random((32, 4, 4, 1)).astype("float32")
    vae = build_dense_vae((4, 4, 1), latent_dim=2, hidden=8, seed=0)
    heavy = VAE(vae.encoder, vae.decoder, beta=1000.0)
    losses = []
    for model in (vae, heavy):
        model.compile(optimizer="adam", loss=summed_bce)
        losses.append(model.evaluate(x, x, batch_size=32, verbose=0))
    assert np.isfinite(losses).all() and losses[1] > losses[0] + 1.0


SCRIPT = textwrap.dedent("""
    import numpy as np, keras
    from mlcourse.models import build_dense_vae, summed_bce
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).random((64, 4, 4, 1)).astype("float32")
    vae = build_dense_vae((4, 4, 1), latent_dim=2, hidden=8, seed=0)
    vae.compile(optimizer=keras.optimizers.Adam(1e-2), loss=summed_bce)
    first = float(vae.train_on_batch(x, x))
    vae.fit(x, x, epochs=3, batch_size=16, verbose=0)
    last = float(vae.evaluate(x, x, batch_size=64, verbose=0))
    assert np.isfinite(first) and np.isfinite(last), (first, last)
    assert vae.count_params() == 340
    # the loss helpers take NumPy input on every backend (chapter 09 calls them on arrays)
    from mlcourse.models import kl_divergence
    mu, log_var = np.array([[0.5, -1.0]], "float32"), np.array([[0.2, -0.3]], "float32")
    kl = float(keras.ops.convert_to_numpy(kl_divergence(mu, log_var))[0])
    assert abs(kl + 0.5 * np.sum(1 + log_var - mu**2 - np.exp(log_var))) < 1e-5, kl
    p = np.array([[0.9, 0.2]], "float32")
    bce = float(keras.ops.convert_to_numpy(summed_bce(np.array([[1.0, 0.0]], "float32"), p))[0])
    assert abs(bce + np.log(0.9) + np.log(0.8)) < 1e-5, bce
    print("OK", keras.backend.backend(), first, last)
""")


@pytest.mark.parametrize("backend, module", [("tensorflow", "tensorflow"), ("jax", "jax"), ("torch", "torch")])
def test_vae_trains_on_backend(backend, module):
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed")
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": "-1",
           "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    result = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"OK {backend}" in result.stdout
