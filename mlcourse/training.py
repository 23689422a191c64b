"""Training helpers shared by the deep-learning chapters: score the validation split with MedMNIST's
metrics after every epoch, and keep the weights of the best validation epoch."""

from __future__ import annotations

import math
import time

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

    def __init__(self, x_val: np.ndarray, y_val: np.ndarray, task: str, batch_size: int = 512) -> None:
        super().__init__()
        if len(x_val) != len(y_val):
            raise ValueError(f"x_val has {len(x_val)} images but y_val has {len(y_val)} labels.")
        self.x_val, self.y_val, self.task, self.batch_size = x_val, y_val, task, batch_size
        self.history: list[dict[str, float]] = []
        self._t0 = 0.0

    def on_train_begin(self, logs=None) -> None:
        self.history, self._t0 = [], time.perf_counter()

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        scores = np.asarray(self.model.predict(self.x_val, batch_size=self.batch_size, verbose=0))
        auc = metrics.medmnist_auc(self.y_val, scores, self.task)
        acc = metrics.medmnist_acc(self.y_val, scores, self.task)
        row = {"epoch": epoch + 1, "val_auc": auc, "val_acc": acc, "elapsed_s": time.perf_counter() - self._t0}
        self.history.append(row)
        if logs is not None:
            logs.update(val_auc=auc, val_acc=acc, elapsed_s=row["elapsed_s"])


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
