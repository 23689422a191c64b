"""mlcourse.batchnorm: the course's momentum, reading and setting it on nested models, refusing bad values."""

from __future__ import annotations

import pytest

import mlcourse

mlcourse.setup(seed=0, verbose=False)

import keras  # noqa: E402

from mlcourse import batchnorm  # noqa: E402


def _nested(momentum: float = 0.99) -> keras.Model:
    inner = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3),
                              keras.layers.BatchNormalization(momentum=momentum)], name="inner")
    inputs = keras.Input((4,))
    x = keras.layers.BatchNormalization(momentum=0.5)(inner(inputs))
    return keras.Model(inputs, keras.layers.Dense(2)(x))


def test_bn_momenta_sees_layers_inside_nested_models():
    assert batchnorm.bn_momenta(_nested()) == [0.5, 0.99]
    assert batchnorm.bn_momenta(keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])) == []


def test_set_bn_momentum_changes_every_layer_and_returns_the_model():
    model = _nested()
    assert batchnorm.set_bn_momentum(model) is model
    assert batchnorm.bn_momenta(model) == [batchnorm.BN_MOMENTUM] == [0.9]
    batchnorm.set_bn_momentum(model, 0)
    assert batchnorm.bn_momenta(model) == [0.0]


@pytest.mark.parametrize("bad", [1, 1.5, -0.01, float("inf"), None, "0.9", False])
def test_bad_momenta_are_refused_with_the_range(bad):
    with pytest.raises(ValueError, match=r"bn_momentum must be a number in \[0, 1\)"):
        batchnorm.set_bn_momentum(_nested(), bad)


def test_importing_the_module_does_not_import_keras():
    import subprocess
    import sys

    code = "import sys, mlcourse.batchnorm; assert 'keras' not in sys.modules, 'keras imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
