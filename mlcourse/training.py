"""Training helpers shared by the deep-learning chapters: keep the weights of the best validation epoch."""

from __future__ import annotations

import math

import keras


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
