"""Segmentation losses written in `keras.ops`, so they run on every backend: a smoothed soft Dice per
image and class, and its sum with cross-entropy.

Conventions:

* `y_pred` holds class probabilities (a softmax output) of shape (batch, *spatial, classes), in 2-D
  (batch, H, W, C) or 3-D (batch, D, H, W, C).
* `y_true` is either integer labels of shape (batch, *spatial) or (batch, *spatial, 1), or one-hot
  (or soft) targets of the same shape as `y_pred`. With one output channel (a sigmoid mask) `y_true`
  of that shape is the 0/1 mask itself.
* The soft Dice of image b and class c is (2 sum(y p) + smooth) / (sum(y) + sum(p) + smooth), the
  sums running over the spatial axes of that one image. With `smooth` > 0 a class that is absent
  from both the label and the prediction scores 1 (perfect agreement), not 0: the edge slices of
  an organ, where a class is missing, then do not push the network towards predicting it.
  ``keras.losses.dice`` adds no smoothing term, so it returns the worst loss, 1.0, for two empty
  masks, and with its default ``axis=None`` it pools the batch and the classes into one Dice.
* `exclude_background` (the default) leaves class 0 out of the mean, so the large, easy background
  does not dominate the loss.
* The losses return one value per image; Keras averages them over the batch.
"""

from __future__ import annotations

import numbers
from typing import Any

import keras
from keras import ops

__all__ = ["DiceCrossEntropy", "SoftDice", "dice_cross_entropy", "soft_dice_loss", "soft_dice_scores"]


def _check_smooth(smooth: Any) -> float:
    """`smooth` as a finite float >= 0, or an error naming it."""
    if isinstance(smooth, bool) or not isinstance(smooth, numbers.Real):
        raise TypeError(f"smooth must be a number >= 0 (1.0 is usual), got {smooth!r}.")
    value = float(smooth)
    if not value >= 0 or value == float("inf"):
        raise ValueError(f"smooth must be a finite number >= 0 (1.0 is usual), got {smooth!r}.")
    return value


def _targets(y_true: Any, y_pred: Any) -> tuple[Any, Any]:
    """Probabilities and one-hot targets of the same shape, or a ValueError that says what is wrong."""
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.convert_to_tensor(y_true)
    p_shape, t_shape = tuple(y_pred.shape), tuple(y_true.shape)
    if len(p_shape) not in (4, 5):
        raise ValueError(f"y_pred must have shape (batch, H, W, classes) or (batch, D, H, W, classes); got {p_shape}.")
    n_classes = p_shape[-1]
    if len(t_shape) == len(p_shape) and t_shape[-1] == n_classes:   # one-hot, soft, or one binary mask channel
        targets = ops.cast(y_true, y_pred.dtype)
    elif len(t_shape) in (len(p_shape), len(p_shape) - 1):
        if len(t_shape) == len(p_shape):
            if t_shape[-1] != 1:
                raise ValueError(f"y_true of shape {t_shape} fits neither labels (last axis 1) nor one-hot targets "
                                 f"({n_classes} classes, as y_pred {p_shape}).")
            y_true = ops.squeeze(y_true, axis=-1)
        targets = ops.one_hot(ops.cast(y_true, "int32"), n_classes, dtype=y_pred.dtype)
    else:
        raise ValueError(f"y_true has shape {t_shape}; for y_pred of shape {p_shape} it must be labels of shape "
                         f"{p_shape[:-1]} (or with a last axis of 1) or one-hot targets of shape {p_shape}.")
    if tuple(targets.shape[1:-1]) != p_shape[1:-1] and None not in p_shape[1:-1]:
        raise ValueError(f"y_true's spatial shape {tuple(targets.shape[1:-1])} differs from y_pred's {p_shape[1:-1]}.")
    return y_pred, targets


def _check_flag(value: Any) -> bool:
    """`exclude_background` as a bool, or a TypeError naming it."""
    if not isinstance(value, bool):
        raise TypeError(f"exclude_background must be True or False, got {value!r}.")
    return value


def soft_dice_scores(y_true: Any, y_pred: Any, smooth: float = 1.0) -> Any:
    """The soft Dice of every image and class, shape (batch, classes)."""
    smooth = _check_smooth(smooth)
    y_pred, targets = _targets(y_true, y_pred)
    axes = tuple(range(1, len(y_pred.shape) - 1))
    overlap = ops.sum(targets * y_pred, axis=axes)
    total = ops.sum(targets, axis=axes) + ops.sum(y_pred, axis=axes)
    return (2.0 * overlap + smooth) / (total + smooth)


def soft_dice_loss(y_true: Any, y_pred: Any, smooth: float = 1.0, exclude_background: bool = True) -> Any:
    """1 minus the mean soft Dice over the (foreground) classes, one value per image."""
    exclude_background = _check_flag(exclude_background)
    scores = soft_dice_scores(y_true, y_pred, smooth)
    if exclude_background:
        if scores.shape[-1] < 2:
            raise ValueError("exclude_background=True needs at least 2 classes (background and one structure); "
                             "y_pred has 1. Pass exclude_background=False for a single-channel mask.")
        scores = scores[:, 1:]
    return 1.0 - ops.mean(scores, axis=-1)


def dice_cross_entropy(y_true: Any, y_pred: Any, smooth: float = 1.0, exclude_background: bool = True,
                       dice_weight: float = 1.0) -> Any:
    """Per-image mean cross-entropy plus `dice_weight` times the soft Dice loss."""
    if isinstance(dice_weight, bool) or not isinstance(dice_weight, numbers.Real) or not dice_weight >= 0:
        raise ValueError(f"dice_weight must be a number >= 0, got {dice_weight!r}.")
    y_pred, targets = _targets(y_true, y_pred)                    # labels become one-hot once, for both terms
    dice = soft_dice_loss(targets, y_pred, smooth, exclude_background)
    p = ops.clip(y_pred, keras.config.epsilon(), 1.0)
    ce = -ops.sum(targets * ops.log(p), axis=-1)
    ce = ops.mean(ops.reshape(ce, (ops.shape(ce)[0], -1)), axis=-1)
    return ce + float(dice_weight) * dice


@keras.saving.register_keras_serializable(package="mlcourse")
class SoftDice(keras.losses.Loss):
    """`soft_dice_loss` as a Keras loss object, for `model.compile(loss=SoftDice())`."""

    def __init__(self, smooth: float = 1.0, exclude_background: bool = True, name: str = "soft_dice", **kwargs):
        super().__init__(name=name, **kwargs)
        self.smooth, self.exclude_background = _check_smooth(smooth), _check_flag(exclude_background)

    def call(self, y_true, y_pred):
        return soft_dice_loss(y_true, y_pred, self.smooth, self.exclude_background)

    def get_config(self) -> dict:
        return {**super().get_config(), "smooth": self.smooth, "exclude_background": self.exclude_background}


@keras.saving.register_keras_serializable(package="mlcourse")
class DiceCrossEntropy(keras.losses.Loss):
    """`dice_cross_entropy` as a Keras loss object, for `model.compile(loss=DiceCrossEntropy())`."""

    def __init__(self, smooth: float = 1.0, exclude_background: bool = True, dice_weight: float = 1.0,
                 name: str = "dice_cross_entropy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.smooth, self.exclude_background = _check_smooth(smooth), _check_flag(exclude_background)
        self.dice_weight = dice_weight

    def call(self, y_true, y_pred):
        return dice_cross_entropy(y_true, y_pred, self.smooth, self.exclude_background, self.dice_weight)

    def get_config(self) -> dict:
        return {**super().get_config(), "smooth": self.smooth, "exclude_background": self.exclude_background,
                "dice_weight": self.dice_weight}
