"""mlcourse.models.gan: builder shapes, one training step on every installed backend (the generator step
leaves the discriminator untouched), the Frechet distance against its closed form, and clear errors."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest
from scipy import linalg

SCRIPT = r"""
import numpy as np, keras
from mlcourse.models.gan import GAN, build_discriminator, build_generator

keras.utils.set_random_seed(0)
def arrays(model):
    return [np.array(keras.ops.convert_to_numpy(v)) for v in model.weights]
def trainable(model):
    return [np.array(keras.ops.convert_to_numpy(v)) for v in model.trainable_weights]
rng = np.random.default_rng(0)
real = rng.uniform(-1, 1, size=(8, 28, 28, 1)).astype("float32")
labels = np.array([0, 1] * 4)
for classes in (None, 2):
    g = build_generator(8, classes, width=4)
    d = build_discriminator(num_classes=classes, width=4)
    gan = GAN(g, d, label_smoothing=0.1, seed=3)
    y = labels if classes else None
    g0, d0 = trainable(g), arrays(d)
    d_loss = gan.discriminator_step(real, y)
    g1, d1 = trainable(g), arrays(d)
    assert np.isfinite(d_loss), d_loss
    assert any(not np.allclose(a, b) for a, b in zip(d0, d1)), "the discriminator step did not move D"
    assert all(np.array_equal(a, b) for a, b in zip(g0, g1)), "the discriminator step moved G's weights"
    g_loss = gan.generator_step(8)
    g2, d2 = trainable(g), arrays(d)
    assert np.isfinite(g_loss), g_loss
    assert any(not np.allclose(a, b) for a, b in zip(g1, g2)), "the generator step did not move G"
    assert all(np.array_equal(a, b) for a, b in zip(d1, d2)), "the generator step moved D's weights"
    out = gan.train_step(real, y)            # both steps again: D moves once more, flags switch back and forth
    assert np.isfinite(out["d_loss"]) and np.isfinite(out["g_loss"])
    assert any(not np.allclose(a, b) for a, b in zip(d2, arrays(d)))
    hist = gan.fit(np.concatenate([real, real]), np.concatenate([labels, labels]) if classes else None,
                   epochs=1, batch_size=8)
    assert len(hist["d_loss"]) == 1 and np.isfinite(hist["g_loss"][0])
    s = gan.sample(4, labels=[0, 1, 1, 0] if classes else None, seed=1)
    assert s.shape == (4, 28, 28, 1) and np.all(np.abs(s) <= 1.0)
print("ok", keras.config.backend())
"""


def _backends():
    return [b for b, module in (("tensorflow", "tensorflow"), ("jax", "jax"), ("torch", "torch"))
            if importlib.util.find_spec(module) is not None]


@pytest.mark.parametrize("backend", ["tensorflow", "jax", "torch"])
def test_one_training_step_on_every_installed_backend(backend):
    if backend not in _backends():
        pytest.skip(f"{backend} is not installed")
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    run = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=300,
                         check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.startswith(f"ok {backend}")


def test_builders_make_the_documented_shapes():
    from mlcourse.models import gan

    g = gan.build_generator(16, width=8)
    assert tuple(g.output.shape[1:]) == (28, 28, 1)
    z = np.zeros((3, 16), dtype="float32")
    assert np.asarray(g.predict(z, verbose=0)).shape == (3, 28, 28, 1)
    d = gan.build_discriminator(width=8)
    assert tuple(d.output.shape[1:]) == (1,)
    gc = gan.build_generator(16, 2, width=8, output_activation="sigmoid")
    assert [tuple(t.shape[1:]) for t in gc.inputs] == [(16,), (1,)]
    dc = gan.build_discriminator(num_classes=3, width=8)
    assert [tuple(t.shape[1:]) for t in dc.outputs] == [(1,), (3,)]
    g_nobn = gan.build_generator(4, width=4, batch_norm=False)
    assert not any("bn" in layer.name for layer in g_nobn.layers)


def test_builders_and_trainer_refuse_bad_settings():
    from mlcourse.models import gan

    with pytest.raises(ValueError, match="multiples of 4"):
        gan.build_generator(image_shape=(30, 30, 1))
    with pytest.raises(ValueError, match="height, width, channels"):
        gan.build_discriminator(image_shape=(28, 28))
    with pytest.raises(ValueError, match="num_classes"):
        gan.build_generator(num_classes=1)
    with pytest.raises(ValueError, match="output_activation"):
        gan.build_generator(output_activation="relu")
    with pytest.raises(ValueError, match="dropout"):
        gan.build_discriminator(dropout=1.0)
    g, d = gan.build_generator(4, width=4), gan.build_discriminator(width=4)
    with pytest.raises(ValueError, match="same num_classes"):
        gan.GAN(g, gan.build_discriminator(num_classes=2, width=4))
    with pytest.raises(ValueError, match="expects"):
        gan.GAN(g, gan.build_discriminator((32, 32, 1), width=4))
    with pytest.raises(ValueError, match="label_smoothing"):
        gan.GAN(g, d, label_smoothing=0.7)
    trainer = gan.GAN(g, d)
    with pytest.raises(ValueError, match="channel axis"):
        trainer.fit(np.zeros((8, 28, 28)), epochs=1, batch_size=4)
    with pytest.raises(ValueError, match="unconditional"):
        trainer.fit(np.zeros((8, 28, 28, 1)), np.zeros(8), epochs=1, batch_size=4)
    with pytest.raises(ValueError, match="batch_size"):
        trainer.fit(np.zeros((8, 28, 28, 1)), epochs=1, batch_size=16)
    with pytest.raises(ValueError, match="latent must have shape"):
        trainer.sample(latent=np.zeros((2, 5)))
    cond = gan.GAN(gan.build_generator(4, 2, width=4), gan.build_discriminator(num_classes=2, width=4))
    with pytest.raises(ValueError, match="pass labels"):
        cond.sample(3)
    with pytest.raises(ValueError, match="class indices"):
        cond.sample(2, labels=[0, 2])
    with pytest.raises(ValueError, match="pass y"):
        cond.fit(np.zeros((8, 28, 28, 1)), epochs=1, batch_size=4)


def test_frechet_distance_matches_the_closed_form_for_gaussians():
    from mlcourse.models.gan import frechet_distance

    rng = np.random.default_rng(0)
    mu1, mu2 = np.array([0.0, 1.0, -1.0]), np.array([0.5, 0.0, 1.0])
    a = rng.normal(size=(3, 3))
    b = rng.normal(size=(3, 3))
    cov1, cov2 = a @ a.T + 0.5 * np.eye(3), b @ b.T + 0.2 * np.eye(3)
    x1 = rng.multivariate_normal(mu1, cov1, size=50_000)
    x2 = rng.multivariate_normal(mu2, cov2, size=50_000)
    closed = float((mu1 - mu2) @ (mu1 - mu2) + np.trace(cov1 + cov2 - 2 * np.real(linalg.sqrtm(cov1 @ cov2))))
    assert frechet_distance(x1, x2) == pytest.approx(closed, rel=0.05)
    # exact on the sample statistics: two sets built to have given means and covariances
    z = rng.normal(size=(500, 2))
    z = (z - z.mean(0)) @ np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False))).T   # mean 0, cov I exactly
    s1, s2 = np.array([[2.0, 0.5], [0.5, 1.0]]), np.array([[1.0, -0.2], [-0.2, 0.3]])
    f1 = z @ np.linalg.cholesky(s1).T + np.array([1.0, 2.0])
    f2 = z @ np.linalg.cholesky(s2).T + np.array([-1.0, 0.0])
    exact = 8.0 + float(np.trace(s1 + s2 - 2 * np.real(linalg.sqrtm(s1 @ s2))))
    assert frechet_distance(f1, f2) == pytest.approx(exact, rel=1e-9)
    # 1-D: (m1 - m2)^2 + (s1 - s2)^2
    one = (z[:, :1] * 3.0 + 1.0, z[:, :1] * 1.0 - 1.0)
    assert frechet_distance(*one) == pytest.approx(4.0 + 4.0, rel=1e-9)
    assert frechet_distance(x1[:1000], x1[:1000]) == pytest.approx(0.0, abs=1e-6)


def test_frechet_distance_handles_singular_covariances_and_bad_input():
    from mlcourse.models.gan import frechet_distance

    rng = np.random.default_rng(1)
    flat = np.c_[rng.normal(size=50), np.zeros(50)]          # rank-deficient covariance
    assert np.isfinite(frechet_distance(flat, flat + 1.0))
    with pytest.raises(ValueError, match="2-D array"):
        frechet_distance(np.zeros((5, 2, 2)), np.zeros((5, 4)))
    with pytest.raises(ValueError, match="must match"):
        frechet_distance(np.zeros((5, 2)), np.zeros((5, 3)))
    with pytest.raises(ValueError, match="at least 2 samples"):
        frechet_distance(np.zeros((1, 2)), np.zeros((5, 2)))
    with pytest.raises(ValueError, match="NaN"):
        frechet_distance(np.full((3, 2), np.nan), np.zeros((3, 2)))


def test_nearest_neighbours_and_diversity():
    from mlcourse.models.gan import mean_pairwise_distance, nearest_neighbours

    rng = np.random.default_rng(2)
    refs = rng.uniform(size=(50, 6, 6))
    queries = refs[[3, 17, 41]] + 0.001
    dist, idx = nearest_neighbours(queries, refs, batch_size=2)
    assert idx.tolist() == [3, 17, 41]
    assert np.allclose(dist, 0.001 * 6)
    brute = np.sqrt(((refs[:, None] - refs[None]) ** 2).sum(axis=(2, 3)))
    np.fill_diagonal(brute, np.inf)
    d2, _ = nearest_neighbours(refs[:10] + 0.0, np.delete(refs, range(10), axis=0))
    assert np.allclose(d2, brute[:10, 10:].min(axis=1))
    assert mean_pairwise_distance(np.ones((5, 4, 4))) == pytest.approx(0.0, abs=1e-6)
    pts = np.array([[0.0, 0.0], [3.0, 4.0], [6.0, 8.0]])
    assert mean_pairwise_distance(pts) == pytest.approx((5 + 10 + 5) / 3)
    with pytest.raises(ValueError, match="must match"):
        nearest_neighbours(np.zeros((2, 4)), np.zeros((3, 5)))
    with pytest.raises(ValueError, match="non-empty"):
        nearest_neighbours(np.zeros((0, 4)), np.zeros((3, 4)))
    with pytest.raises(ValueError, match="at least 2"):
        mean_pairwise_distance(np.zeros((1, 4)))
