"""Tests of mlcourse.gradients: input gradients on every installed backend, and bad input refused."""

import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest

# Runs in a fresh interpreter per backend: the backend is fixed when keras is first imported.
SCRIPT = r"""
import keras
import numpy as np
from keras import layers, ops
from mlcourse.gradients import input_gradient

x = np.linspace(-1, 1, 12, dtype="float32").reshape(2, 3, 2)
value, grad = input_gradient(lambda v: ops.sum(v ** 3, axis=-1), x)
assert abs(value - float((x ** 3).sum())) < 1e-4, value
assert np.allclose(grad, 3 * x ** 2, atol=1e-5), grad

keras.utils.set_random_seed(0)
rnn = layers.SimpleRNN(4)
rnn(x)                                   # build first
value, grad = input_gradient(rnn, x)
step = 1e-2
bumped = x.copy(); bumped[1, 0, 1] += step
lowered = x.copy(); lowered[1, 0, 1] -= step
numeric = (float(ops.sum(rnn(bumped))) - float(ops.sum(rnn(lowered)))) / (2 * step)
assert abs(grad[1, 0, 1] - numeric) < 1e-3, (grad[1, 0, 1], numeric)
assert grad.shape == x.shape and grad.dtype == np.float32

value, grad = input_gradient(lambda v: ops.zeros((2,)), x)      # output does not depend on x
assert value == 0 and np.all(grad == 0)
print("ok", keras.backend.backend())
"""


def _backends():
    return [b for b, module in (("tensorflow", "tensorflow"), ("jax", "jax"), ("torch", "torch"))
            if importlib.util.find_spec(module) is not None]


@pytest.mark.parametrize("backend", ["tensorflow", "jax", "torch"])
def test_input_gradient_matches_calculus_and_finite_differences_on_every_installed_backend(backend):
    if backend not in _backends():
        pytest.skip(f"{backend} is not installed")
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    run = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=300,
                         check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.strip().endswith(f"ok {backend}")


def test_input_gradient_refuses_bad_input_before_any_work():
    from mlcourse.gradients import input_gradient

    called = []

    def fn(v):
        called.append(1)
        return v

    with pytest.raises(TypeError, match="fn must be callable"):
        input_gradient("model", np.zeros(3))
    with pytest.raises(ValueError, match="NaN or infinite"):
        input_gradient(fn, np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match="empty"):
        input_gradient(fn, np.zeros((0, 3)))
    with pytest.raises((TypeError, ValueError), match="x"):
        input_gradient(fn, np.array(["a", "b"]))
    assert called == []


def test_input_gradient_refuses_a_non_finite_output():
    from keras import ops

    from mlcourse.gradients import input_gradient

    with pytest.raises(FloatingPointError, match="non-finite"):
        input_gradient(lambda v: ops.log(v), np.zeros(3))
