"""Training helpers shared by the deep-learning chapters: score the validation split with MedMNIST's
metrics after every epoch, and keep the weights of the best validation epoch."""

from __future__ import annotations

import math
import numbers
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np

from mlcourse import metrics
from mlcourse.arrays import (
    check_fraction,
    check_positive_int,
    check_positive_number,
    class_labels,
    finite_number,
    real_array,
    to_float_images,
)
from mlcourse.batchnorm import bn_momenta
from mlcourse.data import TASKS

SCHEDULES = ("constant", "cosine", "medmnist")
COLLAPSE_SPREAD = 1e-3   # scores whose standard deviation over the validation images is below this are constant


class CollapseWarning(UserWarning):
    """The kept model gives (nearly) the same prediction for every validation image."""


def collapse_check(y_val: np.ndarray, scores: np.ndarray, task: str) -> str | None:
    """A sentence describing how validation predictions have collapsed, or None when they vary as they should.

    Collapsed means: every image gets the same predicted class although the labels hold several
    classes, or every output's score varies by less than `COLLAPSE_SPREAD` over the images. For
    multi-label tasks only the second test applies.
    """
    scores = np.asarray(scores, dtype="float64").reshape(len(scores), -1)
    n = len(scores)
    if n < 2:
        return None
    spread = float(scores.std(axis=0).max())
    if spread < COLLAPSE_SPREAD:
        return f"its scores are constant over the {n} validation images (largest standard deviation {spread:.1e})"
    if task.startswith("multi-label"):
        return None
    labels = np.asarray(y_val).reshape(-1)
    predicted = scores.argmax(axis=1) if scores.shape[1] > 1 else (scores[:, 0] > 0.5).astype(int)
    classes = np.unique(predicted)
    if len(classes) == 1 and len(np.unique(labels)) > 1:
        return f"it predicts class {int(classes[0])} for all {n} validation images"
    return None


def collapse_message(model: keras.Model, epoch: int, problem: str, steps: int) -> str:
    """The warning text: what collapsed, the likely cause for this model, and what to try."""
    momenta = bn_momenta(model)
    head = f"{model.name}: the kept epoch ({epoch}) has collapsed: {problem}."
    slow = [m for m in momenta if m > 0.9]
    if slow:
        cause = (f"Likely cause: batch-norm momentum {max(slow):g} with {steps} optimisation steps per epoch; "
                 "the running mean and variance used at inference have not caught up with training. Build the "
                 "model with bn_momentum=0.9 (the course default) or train for more steps.")
    elif momenta:
        cause = (f"Possible causes: too few optimisation steps ({steps} per epoch) for the batch-norm running "
                 "statistics, a learning rate too high, or a class imbalance the loss ignores (try class_weight).")
    else:
        cause = "Possible causes: a learning rate too high, or a class imbalance the loss ignores (try class_weight)."
    return f"{head} {cause}"


class EpochProgress:
    """One progress bar over the epochs that updates in place, then one summary line printed when it closes."""

    def __init__(self, total: int, desc: str = "epochs", enabled: bool = True) -> None:
        self.enabled = bool(enabled)
        self._bar = None
        if self.enabled:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=int(total), desc=desc, unit="epoch", leave=False, dynamic_ncols=True)

    def update(self, **postfix: float) -> None:
        """Advance the bar by one epoch and show `postfix` (name=value pairs, rounded) beside it."""
        if self._bar is not None:
            self._bar.set_postfix({k: f"{v:.4g}" for k, v in postfix.items()}, refresh=False)
            self._bar.update(1)

    def write(self, line: str) -> None:
        """Print a line above the bar (or plainly when the bar is off) without breaking it."""
        if self._bar is not None:
            self._bar.write(line)
        else:
            print(line)

    def close(self, summary: str | None = None) -> None:
        """Remove the bar and, when enabled, print `summary` as the one line that stays."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
            if summary:
                print(summary)


def format_seconds(seconds: float) -> str:
    """A duration for a summary line: '0.4 s', '52 s', '3 min 05 s'."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, rest = divmod(int(round(seconds)), 60)
    return f"{minutes} min {rest:02d} s"


class _ProgressCallback(keras.callbacks.Callback):
    """Feed an EpochProgress bar from Keras's epoch logs (training loss and validation AUC)."""

    def __init__(self, progress: EpochProgress) -> None:
        super().__init__()
        self.progress = progress

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        logs = logs or {}
        shown = {k: float(logs[k]) for k in ("loss", "val_auc") if k in logs}
        self.progress.update(**shown)


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


def prepare_images(x: np.ndarray, name: str = "x") -> np.ndarray:
    """Images (N, H, W), (N, H, W, C) or volumes (N, D, H, W, C) -> float32 in [0, 1] (`arrays.to_float_images`).

    A 4-D array is read as 2-D images with channels, so a (N, D, H, W) volume set must get its
    channel axis first (`x[..., None]`); without one it would be trained as D-channel images.
    """
    ndim = np.ndim(x)
    if ndim not in (3, 4, 5):
        raise ValueError(f"{name} must have shape (N, H, W) or (N, H, W, C) images, or (N, D, H, W, C) volumes; "
                         f"got shape {np.shape(x)}. For a single image add a batch axis (image[None]).")
    return to_float_images(x, name=name, channels_last=ndim != 5)


def learning_rate_schedule(kind: str, lr: float, epochs: int, steps_per_epoch: int, warmup_epochs: int = 0):
    """'constant'; 'cosine' (optional warm-up, then cosine decay to 0); 'medmnist' (x0.1 at 50% and 75% of epochs)."""
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
        # Drops after floor(50%) and floor(75%) of the epochs, at least one epoch in. The optimizer asks
        # for step 0 first and PiecewiseConstantDecay keeps a value while step <= boundary, hence the -1.
        first = max(int(0.5 * epochs), 1)
        second = max(int(0.75 * epochs), first)
        bounds = [first * steps_per_epoch - 1, second * steps_per_epoch - 1]
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
    collapse: str | None = None


def _output_units(model: keras.Model, x_sample: np.ndarray) -> int:
    """The number of output units of a single-output classifier (built on one image when it is not built yet)."""
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model (e.g. from mlcourse.models), got {type(model).__name__}.")
    try:
        outputs = model.outputs
    except (AttributeError, ValueError):
        outputs = None
    if outputs:
        if len(outputs) != 1:
            raise ValueError(f"model has {len(outputs)} outputs; fit_classifier trains models with one output "
                             "(a softmax over the classes, or one sigmoid per label).")
        want = tuple(model.inputs[0].shape[1:]) if model.inputs else ()
        got = tuple(x_sample.shape[1:])
        if want and (len(want) != len(got) or any(w is not None and w != g for w, g in zip(want, got))):
            raise ValueError(f"model expects images of shape {want} but the training images have shape {got}; "
                             "build the model with input_shape=x.shape[1:] (after the channel axis is added).")
        shape = tuple(outputs[0].shape)
    else:  # a Sequential model without an Input: build it on one image
        out = model(x_sample[:1], training=False)
        if isinstance(out, (list, tuple, dict)):
            raise ValueError("model has several outputs; fit_classifier trains models with one output.")
        shape = tuple(out.shape)
    if len(shape) != 2 or shape[-1] is None:
        raise ValueError(f"model's output has shape {shape}; end it in a Dense layer with one unit per class.")
    return int(shape[-1])


def _targets(y: Any, task: str, n_out: int, name: str) -> np.ndarray:
    """Labels checked against the task and the model: (N,) class indices, or (N, L) 0/1 floats for multi-label."""
    if task.startswith("multi-label"):
        arr = real_array(y, name)
        if arr.ndim != 2 or arr.shape[1] != n_out:
            raise ValueError(f"{name} must have shape (N, {n_out}) for this multi-label task (one 0/1 column per "
                             f"label of the model's output); got shape {arr.shape}.")
        if not np.isin(arr, (0, 1)).all():
            raise ValueError(f"{name} must hold only 0 and 1 for a multi-label task; got values in "
                             f"[{float(arr.min()):g}, {float(arr.max()):g}].")
        return arr.astype("float32")
    if n_out < 2:
        raise ValueError(f"the model ends in {n_out} unit, but fit_classifier's {task} loss needs one softmax unit "
                         "per class (2 for a binary task): build it with num_classes=2 or more.")
    if task == "binary-class" and n_out != 2:
        raise ValueError(f"task is 'binary-class' but the model has {n_out} output units; build it with num_classes=2.")
    return class_labels(y, name=name, n_classes=n_out)


def _check_class_weight(class_weight: Any, n_out: int) -> dict[int, float] | None:
    """None, or a dict of class index (0..n_out-1) -> positive finite weight."""
    if class_weight is None:
        return None
    if not isinstance(class_weight, dict):
        raise TypeError("class_weight must be a dict {class index: weight} or None, "
                        f"got {type(class_weight).__name__}.")
    out = {}
    for key, weight in class_weight.items():
        if isinstance(key, bool) or not isinstance(key, numbers.Integral) or not 0 <= key < n_out:
            raise ValueError(f"class_weight has the key {key!r}; keys must be class indices 0..{n_out - 1}.")
        out[int(key)] = check_positive_number(weight, f"class_weight[{key}]")
    return out


def fit_classifier(model: keras.Model, train: tuple[np.ndarray, np.ndarray], val: tuple[np.ndarray, np.ndarray], *,
                   task: str, epochs: int, batch_size: int = 128, lr: float = 1e-3, weight_decay: float = 0.0,
                   schedule: str = "cosine", warmup_epochs: int = 0, label_smoothing: float = 0.0,
                   class_weight: dict[int, float] | None = None, callbacks: Sequence[keras.callbacks.Callback] = (),
                   verbose: int = 0, progress: bool = True) -> FitResult:
    """The course's recipe: Adam(W), a learning-rate schedule, MedMNIST's validation AUC per epoch, best epoch kept.

    `train` and `val` are (x, y) pairs straight from `mlcourse.data.load()`: images are scaled to
    [0, 1] by `arrays.to_float_images`; labels may be class indices of shape (N,) or (N, 1), or one-hot
    rows (converted to indices), and for multi-label tasks one 0/1 column per label. The loss is
    cross-entropy on the softmax (binary cross-entropy per label for multi-label tasks). After
    training, the model holds the weights of the epoch with the best validation AUC; if that model
    predicts one class for every validation image (or constant scores), a `CollapseWarning` names
    the likely cause and `FitResult.collapse` says what was seen. The model is compiled here, so a
    model can be passed straight from `mlcourse.models`. Every argument is checked before training.

    With `progress` (the default) one bar shows the epochs with the loss and validation AUC, and one
    summary line stays when training ends; Keras's own logs are then off. With `progress=False`
    nothing is printed except what Keras's `verbose` asks for.
    """
    if not isinstance(task, str) or task not in TASKS:
        raise ValueError(f"task must be one of {', '.join(map(repr, TASKS))}; got {task!r} "
                         "(use the subset's INFO[flag]['task']).")
    epochs = check_positive_int(epochs, "epochs")
    batch_size = check_positive_int(batch_size, "batch_size")
    warmup_epochs = check_positive_int(warmup_epochs, "warmup_epochs", minimum=0)
    if warmup_epochs > epochs:
        raise ValueError(f"warmup_epochs ({warmup_epochs}) must not exceed epochs ({epochs}).")
    lr = check_positive_number(lr, "lr")
    weight_decay = finite_number(weight_decay, "weight_decay")
    if weight_decay < 0:
        raise ValueError(f"weight_decay must be 0 (plain Adam) or positive (AdamW), got {weight_decay:g}.")
    label_smoothing = check_fraction(label_smoothing, "label_smoothing")
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {', '.join(map(repr, SCHEDULES))}; got {schedule!r}.")
    callbacks = list(callbacks)
    for cb in callbacks:
        if not isinstance(cb, keras.callbacks.Callback):
            raise TypeError(f"callbacks must be a list of keras.callbacks.Callback objects; got {type(cb).__name__} "
                            "(wrap a single callback in a list: callbacks=[cb]).")
    for split, pair in (("train", train), ("val", val)):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise ValueError(f"{split} must be an (images, labels) pair, e.g. ds.{split} from mlcourse.data.load().")
    x_tr, x_va = prepare_images(train[0], "train images"), prepare_images(val[0], "val images")
    if x_va.shape[1:] != x_tr.shape[1:]:
        raise ValueError(f"val images have shape {x_va.shape[1:]} but train images {x_tr.shape[1:]}; "
                         "use the same size.")
    n_out = _output_units(model, x_tr)
    y_tr = _targets(train[1], task, n_out, "train labels")
    y_va = _targets(val[1], task, n_out, "val labels")
    for split, x, y in (("train", x_tr, y_tr), ("val", x_va, y_va)):
        if len(x) != len(y):
            raise ValueError(f"the {split} split has {len(x)} images but {len(y)} labels.")
    if not task.startswith("multi-label"):
        y_va = y_va[:, None]
    class_weight = _check_class_weight(class_weight, n_out)

    steps = math.ceil(len(x_tr) / batch_size)
    rate = learning_rate_schedule(schedule, lr, epochs, steps, warmup_epochs)
    optimizer = (keras.optimizers.AdamW(rate, weight_decay=weight_decay) if weight_decay
                 else keras.optimizers.Adam(rate))
    if task.startswith("multi-label"):
        loss = keras.losses.BinaryCrossentropy(label_smoothing=label_smoothing)
    elif label_smoothing:
        loss = keras.losses.CategoricalCrossentropy(label_smoothing=label_smoothing)
        y_tr = np.eye(n_out, dtype="float32")[y_tr]
    else:
        loss = keras.losses.SparseCategoricalCrossentropy()
    model.compile(optimizer=optimizer, loss=loss)
    scorer = MedMNISTValidation(x_va, y_va, task)
    keep = KeepBest("val_auc")
    bar = EpochProgress(epochs, desc=f"training {model.name}", enabled=progress)
    start = time.perf_counter()
    try:
        hist = model.fit(x_tr, y_tr, batch_size=batch_size, epochs=epochs, shuffle=True,
                         verbose=0 if progress else verbose, class_weight=class_weight,
                         callbacks=[scorer, *callbacks, keep, _ProgressCallback(bar)])
    except BaseException:
        bar.close()
        raise
    seconds = time.perf_counter() - start
    result = FitResult(history={k: [float(v) for v in vals] for k, vals in hist.history.items()},
                       validation=scorer.history, best_epoch=int(keep.best_epoch) + 1,
                       best_val_auc=float(keep.best_value), seconds=seconds)
    ran = len(scorer.history)
    summary = (f"trained {ran} epoch{'s' if ran != 1 else ''} in {format_seconds(seconds)}; "
               f"best epoch {result.best_epoch}, val AUC {result.best_val_auc:.3f}")
    bar.close(summary)
    result.collapse = collapse_check(y_va, predict_scores(model, x_va), task)
    if result.collapse:
        warnings.warn(collapse_message(model, result.best_epoch, result.collapse, steps), CollapseWarning,
                      stacklevel=2)
    return result


def predict_scores(model: keras.Model, x: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """Class probabilities for uint8 (or [0, 1] float) images, as a NumPy array; NaN/inf images are refused."""
    batch_size = check_positive_int(batch_size, "batch_size")
    return np.asarray(model.predict(prepare_images(x), batch_size=batch_size, verbose=0))
