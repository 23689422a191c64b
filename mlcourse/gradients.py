"""Gradients with respect to an input, on whichever Keras backend is active.

Keras 3 has no backend-neutral gradient call (keras-team/keras#20760), so this module holds the
one small branch per backend that a chapter would otherwise have to carry: back-propagation
through time is checked with it in chapter 18, and Grad-CAM needs it for saliency maps.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import numpy as np

from mlcourse.arrays import real_array

BACKENDS = ("tensorflow", "jax", "torch")


def _check_input(x: Any, name: str) -> np.ndarray:
    """The input as a finite float32 array, refused with a clear message otherwise."""
    arr = real_array(x, name).astype(np.float32)
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}); pass at least one value.")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} holds NaN or infinite values; a gradient there is meaningless. Clean the input.")
    return arr


def _tensorflow(fn: Callable, x: np.ndarray) -> tuple[Any, Any]:
    """Value and gradient with tf.GradientTape."""
    import tensorflow as tf

    xt = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        total = tf.reduce_sum(fn(xt))
    grad = tape.gradient(total, xt)
    return total, (tf.zeros_like(xt) if grad is None else grad)


def _jax(fn: Callable, x: np.ndarray) -> tuple[Any, Any]:
    """Value and gradient with jax.value_and_grad."""
    import jax
    import jax.numpy as jnp

    return jax.value_and_grad(lambda v: jnp.sum(fn(v)))(jnp.asarray(x))


def _torch(fn: Callable, x: np.ndarray) -> tuple[Any, Any]:
    """Value and gradient with torch.autograd."""
    import torch

    xt = keras.ops.convert_to_tensor(x).detach().clone().requires_grad_(True)
    total = torch.sum(fn(xt))
    if not total.requires_grad:                     # the output does not depend on x
        return total.detach(), torch.zeros_like(xt)
    (grad,) = torch.autograd.grad(total, xt, allow_unused=True)
    return total.detach(), (torch.zeros_like(xt) if grad is None else grad)


def input_gradient(fn: Callable[[Any], Any], x: Any) -> tuple[float, np.ndarray]:
    """The sum of fn(x) and its gradient with respect to x (same shape as x), as NumPy, on the active backend.

    `fn` takes a backend tensor and returns a tensor (a model, a layer, or a function of them in
    `keras.ops`); the gradient is that of the sum of its output. Build models before calling this
    (call them once on data), so that no weights are created while gradients are traced.
    """
    if not callable(fn):
        raise TypeError(f"fn must be callable (a model, a layer or a function of a tensor); got {type(fn).__name__}.")
    arr = _check_input(x, "x")
    backend = keras.backend.backend()
    if backend not in BACKENDS:
        raise NotImplementedError(f"input_gradient supports the backends {', '.join(BACKENDS)}; the active backend "
                                  f"is {backend!r}. Set KERAS_BACKEND to one of them before importing keras.")
    total, grad = {"tensorflow": _tensorflow, "jax": _jax, "torch": _torch}[backend](fn, arr)
    value = float(keras.ops.convert_to_numpy(total))
    grad = np.asarray(keras.ops.convert_to_numpy(grad), dtype=np.float32)
    if not np.isfinite(value):
        raise FloatingPointError(f"fn(x) summed to {value}; the gradient of a non-finite value is undefined. "
                                 "Check fn on this input (an overflow, a log of 0).")
    return value, grad
