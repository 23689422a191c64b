"""Batch normalisation's running statistics: the course's momentum, its check, and reading or setting it.

Keras's BatchNormalization defaults to momentum 0.99; PyTorch, and therefore the MedMNIST
baselines, use 0.9. At inference a batch-norm layer uses running averages of the batch mean and
variance that keep `momentum` of their value at every training step. With 0.99 they need a few
hundred steps to forget their initial values (mean 0, variance 1); a 546-image split at batch 32
gives 18 steps per epoch, so after ten epochs the averages are still far from the statistics the
network was trained with, and the network often predicts one class for every image. Every builder
in `mlcourse.models` therefore uses `BN_MOMENTUM` = 0.9.

This module does not import Keras (so importing it before `mlcourse.setup()` prints nothing); the
functions that take a model import it when called, by which time the model's Keras is loaded.
"""

from __future__ import annotations

import math
from typing import Any

BN_MOMENTUM = 0.9

__all__ = ["BN_MOMENTUM", "check_bn_momentum", "bn_momenta", "set_bn_momentum"]


def check_bn_momentum(momentum: float) -> float:
    """A batch-norm momentum in [0, 1) as a float; anything else is refused with the reason."""
    if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) or not math.isfinite(momentum) \
            or not 0.0 <= momentum < 1.0:
        raise ValueError(f"bn_momentum must be a number in [0, 1) such as 0.9 (the running statistics keep this "
                         f"fraction of their value at each step); got {momentum!r}.")
    return float(momentum)


def _batch_norm_layers(model: Any) -> list[Any]:
    """Every BatchNormalization layer of a model, nested models included."""
    import keras  # already loaded: the caller holds a Keras model

    found, todo = [], list(getattr(model, "layers", []))
    while todo:
        layer = todo.pop()
        if isinstance(layer, keras.layers.BatchNormalization):
            found.append(layer)
        todo.extend(getattr(layer, "layers", []))
    return found


def bn_momenta(model: Any) -> list[float]:
    """The distinct momenta of a model's batch-norm layers, sorted (empty when it has none)."""
    return sorted({float(layer.momentum) for layer in _batch_norm_layers(model)})


def set_bn_momentum(model: Any, momentum: float = BN_MOMENTUM) -> Any:
    """Set the momentum of every batch-norm layer of a built model (before compiling it); returns the model."""
    momentum = check_bn_momentum(momentum)
    for layer in _batch_norm_layers(model):
        layer.momentum = momentum
    return model
