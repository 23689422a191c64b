"""mlcourse.training.KeepBest: the weights of the best validation epoch are the ones left in the model."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest

SCRIPT = r"""
import numpy as np, keras
from mlcourse.training import KeepBest

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)
x = rng.normal(size=(64, 4)).astype("float32")
y = (x[:, 0] > 0).astype("float32")
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")])
model.compile(optimizer=keras.optimizers.SGD(0.5), loss="binary_crossentropy")
snapshots = []
record = keras.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: snapshots.append(model.get_weights()))
keep = KeepBest(monitor="val_loss", mode="min")
hist = model.fit(x, y, validation_data=(x[::-1], 1 - y[::-1]), epochs=6, batch_size=16, verbose=0,
                 callbacks=[record, keep])
best = int(np.argmin(hist.history["val_loss"]))
assert keep.best_epoch == best, (keep.best_epoch, best)
for w_now, w_best in zip(model.get_weights(), snapshots[best]):
    assert np.allclose(w_now, w_best)
print("ok", keras.config.backend(), best)
"""


def _backends():
    return [b for b, module in (("tensorflow", "tensorflow"), ("jax", "jax"), ("torch", "torch"))
            if importlib.util.find_spec(module) is not None]


@pytest.mark.parametrize("backend", ["tensorflow", "jax", "torch"])
def test_keep_best_restores_the_best_epoch_on_every_installed_backend(backend):
    if backend not in _backends():
        pytest.skip(f"{backend} is not installed")
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    run = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.startswith(f"ok {backend}")


def test_keep_best_explains_a_missing_metric():
    import keras

    from mlcourse.training import KeepBest

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="only have"):
        model.fit(np.zeros((4, 2)), np.zeros(4), epochs=1, verbose=0, callbacks=[KeepBest("val_auc")])
    with pytest.raises(ValueError, match="mode must be"):
        KeepBest(mode="best")


def test_medmnist_validation_logs_the_evaluators_auc_and_feeds_keep_best():
    import keras

    from mlcourse import metrics
    from mlcourse.training import KeepBest, MedMNISTValidation

    keras.utils.set_random_seed(1)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(96, 3)).astype("float32")
    y = (x[:, 0] + 0.5 * rng.normal(size=96) > 0).astype("int64")[:, None]
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="sparse_categorical_crossentropy")
    val = MedMNISTValidation(x[:48], y[:48], "binary-class")
    keep = KeepBest("val_auc")
    hist = model.fit(x[48:], y[48:], epochs=4, batch_size=16, verbose=0, callbacks=[val, keep])
    assert [row["epoch"] for row in val.history] == [1, 2, 3, 4]
    assert hist.history["val_auc"] == pytest.approx([row["val_auc"] for row in val.history])
    times = [row["elapsed_s"] for row in val.history]
    assert times == sorted(times) and times[0] > 0
    best = int(np.argmax(hist.history["val_auc"]))
    assert keep.best_epoch == best
    scores = model.predict(x[:48], verbose=0)   # the restored best epoch
    assert metrics.medmnist_auc(y[:48], scores, "binary-class") == pytest.approx(hist.history["val_auc"][best])


def test_medmnist_validation_refuses_mismatched_arrays():
    from mlcourse.training import MedMNISTValidation

    with pytest.raises(ValueError, match="images but y_val has"):
        MedMNISTValidation(np.zeros((3, 2)), np.zeros(4), "binary-class")


def test_prepare_images_scales_uint8_adds_a_channel_and_refuses_bad_input():
    from mlcourse.training import prepare_images

    x = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)
    out = prepare_images(x)
    assert out.shape == (1, 2, 2, 1) and out.dtype == np.float32
    assert np.allclose(out[0, :, :, 0], [[0.0, 1.0], [0.2, 0.4]])
    rgb = np.zeros((2, 4, 4, 3), np.uint8)
    assert prepare_images(rgb).shape == (2, 4, 4, 3)
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\]"):
        prepare_images(np.full((1, 2, 2), 3.0))
    with pytest.raises(ValueError, match="expected images of shape"):
        prepare_images(np.zeros((2, 2)))


def test_learning_rate_schedules_follow_their_definitions():
    from mlcourse.training import learning_rate_schedule

    assert learning_rate_schedule("constant", 0.1, 10, 5) == 0.1
    med = learning_rate_schedule("medmnist", 1e-3, 100, 2)     # x0.1 after epoch 50 and after epoch 75
    values = [float(med(step)) for step in (0, 99, 101, 149, 151)]
    assert values == pytest.approx([1e-3, 1e-3, 1e-4, 1e-4, 1e-5])
    cos = learning_rate_schedule("cosine", 1.0, 10, 10)
    assert float(cos(0)) == pytest.approx(1.0) and float(cos(50)) == pytest.approx(0.5, abs=1e-6)
    assert float(cos(100)) == pytest.approx(0.0, abs=1e-6)
    warm = learning_rate_schedule("cosine", 1.0, 10, 10, warmup_epochs=2)
    assert float(warm(10)) == pytest.approx(0.5) and float(warm(20)) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="unknown schedule"):
        learning_rate_schedule("step", 1.0, 1, 1)


def test_fit_classifier_keeps_the_best_validation_epoch_and_learns_a_separable_task():
    import keras

    from mlcourse import metrics, models
    from mlcourse.training import fit_classifier, predict_scores

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, size=(160, 1))
    x = rng.integers(0, 100, size=(160, 28, 28), dtype=np.uint8)
    x[y[:, 0] == 1, 8:20, 8:20] += 150                    # class 1: a bright square
    model = models.compact_cnn((28, 28, 1), 2, widths=(8, 16), dropout=0.0)
    result = fit_classifier(model, (x[:120], y[:120]), (x[120:], y[120:]), task="binary-class",
                            epochs=4, batch_size=32, lr=5e-3, label_smoothing=0.1)
    aucs = [row["val_auc"] for row in result.validation]
    assert result.best_epoch == int(np.argmax(aucs)) + 1 and result.best_val_auc == max(aucs)
    scores = predict_scores(model, x[120:])
    assert metrics.medmnist_auc(y[120:], scores, "binary-class") == pytest.approx(result.best_val_auc)
    assert result.best_val_auc > 0.9 and result.seconds > 0
    with pytest.raises(ValueError, match="epochs must be at least 1"):
        fit_classifier(model, (x, y), (x, y), task="binary-class", epochs=0)
