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
