"""mlcourse.models.gan: builder shapes, one training step on every installed backend (the generator step
leaves the discriminator untouched), the Frechet distance against its closed form, and clear errors."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest

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
                   epochs=1, batch_size=8, progress=False)
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


def test_fit_shows_one_bar_leaves_one_summary_line_and_checks_its_input(capsys):
    from mlcourse.models import gan

    trainer = gan.GAN(gan.build_generator(4, width=4), gan.build_discriminator(width=4), seed=0)
    real = np.zeros((8, 28, 28, 1), "float32")
    trainer.fit(real, epochs=2, batch_size=4)
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("trained 2 epochs in ") and "g_loss" in lines[0]
    trainer.fit(real, epochs=1, batch_size=4, progress=False)
    out, err = capsys.readouterr()
    assert out == "" and "epoch" not in err
    with pytest.raises(TypeError, match="epochs must be a whole number"):
        trainer.fit(real, epochs=2.5, batch_size=4)
    with pytest.raises(ValueError, match="x / 127.5 - 1"):
        trainer.fit(np.full((8, 28, 28, 1), 255.0), epochs=1, batch_size=4)
    bad = real.copy()
    bad[0, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        trainer.fit(bad, epochs=1, batch_size=4)
    cond = gan.GAN(gan.build_generator(4, 2, width=4), gan.build_discriminator(num_classes=2, width=4))
    with pytest.raises(ValueError, match="labels must be class indices; got 0.5"):
        cond.fit(real, np.full(8, 0.5), epochs=1, batch_size=4)
