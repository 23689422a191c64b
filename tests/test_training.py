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
    assert np.allclose(prepare_images(x.astype(np.int64)), out)                  # int64 0..255: scaled too
    assert np.allclose(prepare_images(x.astype(np.float64)), out)                # float 0..255: scaled
    with pytest.raises(ValueError, match=r"float values in \[-1, 1\]"):
        prepare_images(np.full((1, 2, 2), -1.0) * np.array([1.0, -1.0]))
    with pytest.raises(ValueError, match="NaN"):
        prepare_images(np.full((1, 2, 2), np.nan))
    with pytest.raises(ValueError, match=r"\(N, H, W\) or \(N, H, W, C\)"):
        prepare_images(np.zeros((2, 2)))


def test_prepare_images_keeps_volumes_with_a_channel_axis_and_refuses_other_ranks():
    from mlcourse.training import prepare_images

    volumes = np.full((2, 3, 4, 5, 1), 255, np.uint8)
    out = prepare_images(volumes)
    assert out.shape == (2, 3, 4, 5, 1) and out.dtype == np.float32 and np.all(out == 1.0)
    assert prepare_images(volumes[..., 0]).shape == (2, 3, 4, 5)     # 4-D: read as 2-D images with 5 channels
    with pytest.raises(ValueError, match=r"\(N, D, H, W, C\) volumes"):
        prepare_images(np.zeros((1, 2, 2, 2, 1, 1)))
    with pytest.raises(ValueError, match="NaN"):
        prepare_images(np.full((1, 2, 2, 2, 1), np.nan))


def test_fit_classifier_trains_a_3d_model_on_volumes():
    import keras

    from mlcourse.training import fit_classifier, predict_scores

    rng = np.random.default_rng(0)
    x = (rng.random((16, 6, 6, 6, 1)) > 0.5).astype(np.uint8) * 255
    y = np.arange(16) % 2
    x[y == 1, :3] = 255                                   # class 1: the first half of the volume is filled
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((6, 6, 6, 1)), keras.layers.Conv3D(4, 3, activation="relu"),
                              keras.layers.GlobalAveragePooling3D(), keras.layers.Dense(2, activation="softmax")])
    result = fit_classifier(model, (x, y), (x, y), task="binary-class", epochs=2, batch_size=8, progress=False)
    assert result.best_epoch in (1, 2) and len(result.validation) == 2
    scores = predict_scores(model, x)
    assert scores.shape == (16, 2) and np.allclose(scores.sum(axis=1), 1, atol=1e-5)


def test_predict_scores_refuses_nan_images_instead_of_returning_one_half():
    import keras

    from mlcourse.training import predict_scores

    model = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(2, activation="softmax")])
    assert predict_scores(model, np.zeros((3, 4, 4), np.uint8)).shape == (3, 2)
    x = np.zeros((3, 4, 4))
    x[1, 2, 2] = np.nan
    with pytest.raises(ValueError, match="^x contains 1 NaN"):
        predict_scores(model, x)


def test_learning_rate_schedules_follow_their_definitions():
    from mlcourse.training import learning_rate_schedule

    assert learning_rate_schedule("constant", 0.1, 10, 5) == 0.1
    med = learning_rate_schedule("medmnist", 1e-3, 100, 2)     # x0.1 after epoch 50 and after epoch 75
    values = [float(med(step)) for step in (0, 99, 100, 149, 150)]   # step 100 opens epoch 51
    assert values == pytest.approx([1e-3, 1e-3, 1e-4, 1e-4, 1e-5])
    short = learning_rate_schedule("medmnist", 1e-3, 3, 9)     # one epoch at each rate
    assert [float(short(step)) for step in (0, 8, 9, 17, 18, 26)] == pytest.approx([1e-3, 1e-3, 1e-4, 1e-4,
                                                                                      1e-5, 1e-5])
    single = learning_rate_schedule("medmnist", 1e-3, 1, 9)    # no drop inside a one-epoch run
    assert [float(single(step)) for step in range(9)] == pytest.approx([1e-3] * 9)
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


def _toy_task(n: int = 48, size: int = 8, seed: int = 0):
    """A separable binary task of tiny uint8 images: class 1 has a bright square."""
    rng = np.random.default_rng(seed)
    y = (np.arange(n) % 2)[:, None]
    x = rng.integers(0, 80, size=(n, size, size), dtype=np.uint8)
    x[y[:, 0] == 1, 2:6, 2:6] += 150
    return x, y


def _tiny_model(n_out: int = 2, with_input: bool = True):
    import keras

    layers = [keras.layers.Flatten(), keras.layers.Dense(n_out, activation="softmax")]
    return keras.Sequential(([keras.Input((8, 8, 1))] if with_input else []) + layers)


def test_one_hot_labels_train_exactly_like_integer_labels():
    import keras

    from mlcourse.training import fit_classifier, predict_scores

    x, y = _toy_task()
    runs = []
    for labels in (y, keras.utils.to_categorical(y, 2), y[:, 0].astype(float)):
        keras.utils.set_random_seed(0)
        model = _tiny_model()
        res = fit_classifier(model, (x[:32], labels[:32]), (x[32:], labels[32:]), task="binary-class",
                             epochs=2, batch_size=8, lr=1e-2, progress=False)
        runs.append((res, predict_scores(model, x[32:])))
    (r0, p0), (r1, p1), (r2, p2) = runs
    assert r1.history["loss"] == pytest.approx(r0.history["loss"])
    assert r2.history["loss"] == pytest.approx(r0.history["loss"])
    np.testing.assert_allclose(p0, p1, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(p0, p2, rtol=1e-5, atol=1e-6)
    assert r1.best_val_auc > 0.9                          # not trained on inverted labels


@pytest.mark.parametrize("with_input", [True, False])
def test_label_smoothing_works_with_sequential_models(with_input):
    import keras

    from mlcourse.training import fit_classifier

    keras.utils.set_random_seed(0)
    x, y = _toy_task()
    res = fit_classifier(_tiny_model(with_input=with_input), (x[:32], y[:32]), (x[32:], y[32:]),
                         task="binary-class", epochs=1, batch_size=8, label_smoothing=0.1, progress=False)
    assert len(res.validation) == 1 and np.isfinite(res.history["loss"][0])


def _bad_calls():
    x, y = _toy_task()
    nan_x = x.astype(float)
    nan_x[3, 1, 1] = np.nan
    ok = {"train": (x[:32], y[:32]), "val": (x[32:], y[32:]), "task": "binary-class", "epochs": 1}
    cases = [
        ({"lr": 0.0}, ValueError, "lr must be greater than 0"),
        ({"lr": -1e-3}, ValueError, "lr must be greater than 0"),
        ({"label_smoothing": 1.0}, ValueError, r"label_smoothing must be in \[0, 1\)"),
        ({"label_smoothing": -0.1}, ValueError, "label_smoothing must be in"),
        ({"batch_size": 0}, ValueError, "batch_size must be at least 1"),
        ({"epochs": 2.5}, TypeError, "epochs must be a whole number"),
        ({"epochs": 0}, ValueError, "epochs must be at least 1"),
        ({"warmup_epochs": 3}, ValueError, "warmup_epochs"),
        ({"weight_decay": -1.0}, ValueError, "weight_decay"),
        ({"schedule": "step"}, ValueError, "schedule must be one of"),
        ({"task": "binary"}, ValueError, "task must be one of"),
        ({"class_weight": {0: 1.0, 2: 3.0}}, ValueError, "class_weight has the key 2"),
        ({"callbacks": [print]}, TypeError, "callbacks must be a list"),
        ({"train": (x[:32], y[:32] * 0.7)}, ValueError, "labels must be class indices; got 0.7"),
        ({"train": (x[:32], y[:32] + 4)}, ValueError, r"train labels holds labels in \[4, 5\].*0\.\.1"),
        ({"val": (x[32:], y[32:] * 3)}, ValueError, r"val labels holds labels in \[0, 3\]"),
        ({"train": (nan_x[:32], y[:32])}, ValueError, "train images contains 1 NaN"),
        ({"train": (x[:32], y[:31])}, ValueError, "32 images but 31 labels"),
        ({"val": x[32:]}, ValueError, "val must be an .images, labels. pair"),
    ]
    return [(dict(ok, **change), err, pattern) for change, err, pattern in cases]


@pytest.mark.parametrize("kwargs, error, pattern", _bad_calls())
def test_fit_classifier_refuses_bad_arguments_before_training(kwargs, error, pattern):
    import keras

    from mlcourse.training import fit_classifier

    started = []
    spy = keras.callbacks.LambdaCallback(on_train_begin=lambda logs: started.append(True))
    kwargs = dict(kwargs)
    kwargs["callbacks"] = kwargs.get("callbacks", [spy])
    with pytest.raises(error, match=pattern):
        fit_classifier(_tiny_model(), kwargs.pop("train"), kwargs.pop("val"), progress=False, **kwargs)
    assert not started


def test_fit_classifier_refuses_a_model_that_does_not_fit_the_task():
    from mlcourse.training import fit_classifier

    x, y = _toy_task()
    with pytest.raises(ValueError, match="3 output units; build it with num_classes=2"):
        fit_classifier(_tiny_model(3), (x, y), (x, y), task="binary-class", epochs=1, progress=False)
    with pytest.raises(ValueError, match="model expects images of shape"):
        fit_classifier(_tiny_model(), (x[:, :4, :4], y), (x[:, :4, :4], y), task="binary-class", epochs=1,
                       progress=False)


def test_fit_classifier_shows_one_bar_and_leaves_one_summary_line(capsys):
    import keras

    from mlcourse.training import fit_classifier

    x, y = _toy_task()
    keras.utils.set_random_seed(0)
    res = fit_classifier(_tiny_model(), (x[:32], y[:32]), (x[32:], y[32:]), task="binary-class", epochs=2,
                         batch_size=8, verbose=1)
    out, err = capsys.readouterr()
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 1, out                                      # Keras's own logs are off
    assert lines[0].startswith("trained 2 epochs in ")
    assert f"best epoch {res.best_epoch}, val AUC {res.best_val_auc:.3f}" in lines[0]
    keras.utils.set_random_seed(0)
    fit_classifier(_tiny_model(), (x[:32], y[:32]), (x[32:], y[32:]), task="binary-class", epochs=2,
                   batch_size=8, progress=False)
    out, err = capsys.readouterr()
    assert out.strip() == "" and "epoch" not in err


def test_epoch_progress_without_a_bar_prints_nothing(capsys):
    from mlcourse.training import EpochProgress, format_seconds

    bar = EpochProgress(3, enabled=False)
    bar.update(loss=1.0)
    bar.close("done")
    assert capsys.readouterr().out == ""
    assert format_seconds(0.42) == "0.4 s" and format_seconds(52.4) == "52 s"
    assert format_seconds(185) == "3 min 05 s"


# ----------------------------------------------------------------------------- the collapse guard


def _masses(n: int, seed: int):
    """BreastMNIST-sized stand-ins: 28x28 noisy images, 73 % class 1 (a smaller dark disc) as in BreastMNIST."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.73).astype(int)
    x = rng.normal(0.4, 0.25, (n, 28, 28, 1))
    yy, xx = np.mgrid[:28, :28]
    for i in range(n):
        cy, cx = rng.integers(8, 20, 2)
        x[i, ((yy - cy) ** 2 + (xx - cx) ** 2) < (5 if y[i] else 6) ** 2, 0] -= 0.3
    return np.clip(x, 0, 1).astype("float32"), y


def test_compact_cnn_on_546_images_predicts_both_classes_with_the_default_batch_norm(recwarn):
    """18 steps per epoch (546 images, batch 32): the course default momentum 0.9 gives a working model."""
    import keras

    from mlcourse import models
    from mlcourse.training import CollapseWarning, fit_classifier, predict_scores

    (x_tr, y_tr), (x_va, y_va) = _masses(546, 0), _masses(78, 1)
    keras.utils.set_random_seed(0)
    model = models.compact_cnn((28, 28, 1), 2, widths=(16, 32, 64))
    result = fit_classifier(model, (x_tr, y_tr), (x_va, y_va), task="binary-class", epochs=5, batch_size=32,
                            progress=False)
    predicted = predict_scores(model, x_va).argmax(axis=1)
    assert set(predicted) == {0, 1}
    assert result.collapse is None and not [w for w in recwarn if w.category is CollapseWarning]
    assert result.best_val_auc > 0.8


def _constant_model(bn_momentum: float | None = None):
    """A model whose output ignores its input: frozen zero kernel, bias favouring class 0."""
    import keras

    layers = [keras.Input((28, 28, 1))]
    if bn_momentum is not None:
        layers.append(keras.layers.BatchNormalization(momentum=bn_momentum))
    layers += [keras.layers.Flatten(),
               keras.layers.Dense(2, activation="softmax", kernel_initializer="zeros",
                                  bias_initializer=keras.initializers.Constant([2.0, 0.0]), trainable=False),
               ]
    return keras.Sequential(layers, name="constant")


@pytest.mark.parametrize("momentum, cause", [(0.99, "batch-norm momentum 0.99"), (0.9, "too few optimisation"),
                                             (None, "learning rate too high")])
def test_the_guard_warns_when_the_kept_model_predicts_one_class(momentum, cause):
    from mlcourse.training import CollapseWarning, fit_classifier

    (x, y), (x_va, y_va) = _masses(64, 0), _masses(40, 1)
    with pytest.warns(CollapseWarning, match=cause) as caught:
        result = fit_classifier(_constant_model(momentum), (x, y), (x_va, y_va), task="binary-class", epochs=1,
                                batch_size=32, progress=False)
    assert "constant over the 40 validation images" in result.collapse
    message = str(next(w.message for w in caught if w.category is CollapseWarning))
    assert "kept epoch (1)" in message and "constant" in message


def test_collapse_check_names_a_single_predicted_class_and_accepts_varied_predictions():
    from mlcourse.training import collapse_check

    y = np.array([0, 1, 1, 0, 1])
    one_class = np.array([[0.2, 0.8], [0.4, 0.6], [0.1, 0.9], [0.3, 0.7], [0.45, 0.55]])
    assert collapse_check(y, one_class, "binary-class") == "it predicts class 1 for all 5 validation images"
    assert collapse_check(y, one_class[[0, 0, 0, 0, 0]], "binary-class").startswith("its scores are constant")
    mixed = one_class.copy()
    mixed[0] = [0.9, 0.1]
    assert collapse_check(y, mixed, "binary-class") is None
    assert collapse_check(np.ones(5), one_class, "binary-class") is None      # one class in the labels: fine
    assert collapse_check(np.eye(5)[:, :2], one_class, "multi-label, binary-class") is None
