"""Training helpers shared by the deep-learning chapters: score the validation split with MedMNIST's
metrics after every epoch, and keep the weights of the best validation epoch."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np

from mlcourse import metrics


class MedMNISTValidation(keras.callbacks.Callback):
    """After each epoch, add MedMNIST's AUC and ACC on (x_val, y_val) to the logs as `val_auc` and `val_acc`.

    Keras's streaming `AUC` metric approximates the area with 200 thresholds and treats a softmax's
    columns as independent labels; this callback computes exactly what the MedMNIST evaluator
    reports. Put it before `KeepBest` in the callback list. It also logs `elapsed_s`, seconds since
    training began, which the time-to-baseline benchmark reads.
    """

    def __init__(self, x_val: np.ndarray, y_val: np.ndarray, task: str, batch_size: int = 512,
                 prefix: str = "val") -> None:
        super().__init__()
        if len(x_val) != len(y_val):
            raise ValueError(f"x_val has {len(x_val)} images but y_val has {len(y_val)} labels.")
        self.x_val, self.y_val, self.task, self.batch_size = x_val, y_val, task, batch_size
        self.prefix = prefix
        self.history: list[dict[str, float]] = []
        self._t0 = 0.0
        self._own_s = 0.0

    def on_train_begin(self, logs=None) -> None:
        self.history, self._t0, self._own_s = [], time.perf_counter(), 0.0

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        start = time.perf_counter()
        elapsed = start - self._t0 - self._own_s       # training time, without this callback's own scoring
        scores = np.asarray(self.model.predict(self.x_val, batch_size=self.batch_size, verbose=0))
        auc = metrics.medmnist_auc(self.y_val, scores, self.task)
        acc = metrics.medmnist_acc(self.y_val, scores, self.task)
        self._own_s += time.perf_counter() - start
        p = self.prefix
        row = {"epoch": epoch + 1, f"{p}_auc": auc, f"{p}_acc": acc, "elapsed_s": elapsed}
        self.history.append(row)
        if logs is not None:
            logs.update({f"{p}_auc": auc, f"{p}_acc": acc, "elapsed_s": elapsed})


class KeepBest(keras.callbacks.Callback):
    """Remember the weights of the epoch with the best `monitor` value and restore them when training ends.

    This is the model selection of the MedMNIST benchmark (the checkpoint with the best validation
    AUC), done in memory: unlike EarlyStopping it never stops early, and unlike ModelCheckpoint it
    writes nothing to disk.
    """

    def __init__(self, monitor: str = "val_auc", mode: str = "max", verbose: bool = False) -> None:
        super().__init__()
        if mode not in ("max", "min"):
            raise ValueError(f"mode must be 'max' or 'min', not {mode!r}.")
        self.monitor, self.mode, self.verbose = monitor, mode, verbose
        self.best_epoch: int | None = None
        self.best_value = -math.inf if mode == "max" else math.inf
        self._best_weights = None

    def _better(self, value: float) -> bool:
        """True when value improves on the best so far."""
        return value > self.best_value if self.mode == "max" else value < self.best_value

    def on_train_begin(self, logs=None) -> None:
        self.best_epoch, self._best_weights = None, None
        self.best_value = -math.inf if self.mode == "max" else math.inf

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        logs = logs or {}
        if self.monitor not in logs:
            raise ValueError(f"KeepBest monitors {self.monitor!r}, but the epoch logs only have "
                             f"{sorted(logs)}; pass validation data and a metric of that name.")
        value = float(logs[self.monitor])
        if self._better(value):
            self.best_epoch, self.best_value = epoch, value
            self._best_weights = self.model.get_weights()

    def on_train_end(self, logs=None) -> None:
        if self._best_weights is not None:
            self.model.set_weights(self._best_weights)
            if self.verbose:
                print(f"restored the weights of epoch {self.best_epoch + 1} "
                      f"({self.monitor} = {self.best_value:.4f})")


def prepare_images(x: np.ndarray) -> np.ndarray:
    """uint8 images (N, H, W) or (N, H, W, C) -> float32 in [0, 1] with a channel axis."""
    x = np.asarray(x)
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4:
        raise ValueError(f"expected images of shape (N, H, W) or (N, H, W, C); got shape {x.shape}.")
    if x.dtype == np.uint8:
        return x.astype("float32") / 255.0
    x = x.astype("float32")
    if x.size and (x.min() < 0.0 or x.max() > 1.0):
        raise ValueError(f"float images must lie in [0, 1]; these span [{x.min():.3g}, {x.max():.3g}]. "
                         "Pass the uint8 arrays from mlcourse.data.load(), or divide by 255.")
    return x


def _labels_for_loss(y: np.ndarray, task: str) -> np.ndarray:
    """(N, 1) integer labels -> (N,) for a softmax loss; multi-label (N, L) stays as float 0/1."""
    y = np.asarray(y)
    if task.startswith("multi-label"):
        return y.astype("float32")
    return y.reshape(len(y), -1)[:, 0].astype("int64")


def learning_rate_schedule(kind: str, lr: float, epochs: int, steps_per_epoch: int, warmup_epochs: int = 0):
    """'constant'; 'cosine' (optional linear warm-up, then cosine decay to 0); or 'medmnist' (x0.1 at 50% and 75% of the epochs)."""
    total = epochs * steps_per_epoch
    if kind == "constant":
        return lr
    if kind == "cosine":
        warm = warmup_epochs * steps_per_epoch
        if warm:
            return keras.optimizers.schedules.CosineDecay(0.0, max(total - warm, 1), warmup_target=lr,
                                                          warmup_steps=warm)
        return keras.optimizers.schedules.CosineDecay(lr, max(total, 1))
    if kind == "medmnist":
        bounds = [int(0.5 * epochs) * steps_per_epoch, int(0.75 * epochs) * steps_per_epoch]
        return keras.optimizers.schedules.PiecewiseConstantDecay(bounds, [lr, lr * 0.1, lr * 0.01])
    raise ValueError(f"unknown schedule {kind!r}; use 'constant', 'cosine' or 'medmnist'.")


@dataclass
class FitResult:
    """What `fit_classifier` returns: Keras's history, the per-epoch validation rows and the chosen epoch."""

    history: dict[str, list[float]]
    validation: list[dict[str, float]]
    best_epoch: int
    best_val_auc: float
    seconds: float
    extra: dict[str, Any] = field(default_factory=dict)


def fit_classifier(model: keras.Model, train: tuple[np.ndarray, np.ndarray], val: tuple[np.ndarray, np.ndarray], *,
                   task: str, epochs: int, batch_size: int = 128, lr: float = 1e-3, weight_decay: float = 0.0,
                   schedule: str = "cosine", warmup_epochs: int = 0, label_smoothing: float = 0.0,
                   class_weight: dict[int, float] | None = None, callbacks: Sequence[keras.callbacks.Callback] = (),
                   verbose: int = 0) -> FitResult:
    """The course's recipe: Adam(W), a learning-rate schedule, MedMNIST's validation AUC per epoch, best epoch kept.

    `train` and `val` are (x, y) pairs straight from `mlcourse.data.load()` (uint8 images are scaled to
    [0, 1]). The loss is cross-entropy on the softmax (binary cross-entropy per label for multi-label
    tasks). After training, the model holds the weights of the epoch with the best validation AUC.
    The model is compiled here, so a model can be passed straight from `mlcourse.models`.
    """
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1; got {epochs}.")
    x_tr, y_tr = prepare_images(train[0]), _labels_for_loss(train[1], task)
    x_va, y_va = prepare_images(val[0]), np.asarray(val[1])
    if len(x_tr) != len(y_tr):
        raise ValueError(f"the training split has {len(x_tr)} images but {len(y_tr)} labels.")
    steps = math.ceil(len(x_tr) / batch_size)
    rate = learning_rate_schedule(schedule, lr, epochs, steps, warmup_epochs)
    optimizer = (keras.optimizers.AdamW(rate, weight_decay=weight_decay) if weight_decay
                 else keras.optimizers.Adam(rate))
    if task.startswith("multi-label"):
        loss = keras.losses.BinaryCrossentropy(label_smoothing=label_smoothing)
    elif label_smoothing:
        n_classes = int(model.output.shape[-1])
        loss = keras.losses.CategoricalCrossentropy(label_smoothing=label_smoothing)
        y_tr = np.eye(n_classes, dtype="float32")[y_tr]
    else:
        loss = keras.losses.SparseCategoricalCrossentropy()
    model.compile(optimizer=optimizer, loss=loss)
    scorer = MedMNISTValidation(x_va, y_va, task)
    keep = KeepBest("val_auc")
    start = time.perf_counter()
    hist = model.fit(x_tr, y_tr, batch_size=batch_size, epochs=epochs, shuffle=True, verbose=verbose,
                     class_weight=class_weight, callbacks=[scorer, *callbacks, keep])
    seconds = time.perf_counter() - start
    return FitResult(history={k: [float(v) for v in vals] for k, vals in hist.history.items()},
                     validation=scorer.history, best_epoch=int(keep.best_epoch) + 1,
                     best_val_auc=float(keep.best_value), seconds=seconds)


def predict_scores(model: keras.Model, x: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """Class probabilities for uint8 (or [0, 1] float) images, as a NumPy array."""
    return np.asarray(model.predict(prepare_images(x), batch_size=batch_size, verbose=0))
