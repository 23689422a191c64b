"""The multiply-accumulate counter of chapter 13 (cell tagged `scratch`) against counts worked out by hand."""

from __future__ import annotations

import pytest
from notebook_code import scratch_namespace

keras = pytest.importorskip("keras")
layers = keras.layers


@pytest.fixture(scope="module")
def ns():
    return scratch_namespace("13_architectures.ipynb")


def tiny_model():
    x = keras.Input((8, 8, 3))
    h = layers.Conv2D(4, 3, padding="same", name="conv_same")(x)             # 8*8*4 * 3*3*3 = 6912
    h = layers.BatchNormalization(name="bn")(h)                                # not counted
    h = layers.Conv2D(5, 3, strides=2, name="conv_valid_s2")(h)               # 3*3*5 * 3*3*4 = 1620
    h = layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same", name="dw")(h)  # 3*3*10 * 3*3 = 810
    h = layers.MaxPooling2D(1, name="pool")(h)                                 # not counted
    h = layers.Flatten(name="flat")(h)                                         # 90 values
    out = layers.Dense(7, name="fc")(h)                                        # 90*7 = 630
    return keras.Model(x, out)


def test_each_layer_matches_the_hand_count(ns):
    model = tiny_model()
    expected = {"conv_same": 6912, "bn": 0, "conv_valid_s2": 1620, "dw": 810, "pool": 0, "flat": 0, "fc": 630}
    for name, macs in expected.items():
        assert ns["layer_macs"](model.get_layer(name)) == macs, name
    assert ns["model_macs"](model) == 6912 + 1620 + 810 + 630


def test_grouped_convolution_and_dense_on_a_feature_map(ns):
    x = keras.Input((6, 6, 8))
    h = layers.Conv2D(4, 1, groups=2, name="grouped")(x)          # 6*6*4 * 1*1*(8/2) = 576
    out = layers.Dense(3, name="per_pixel")(h)                     # 36 positions * 4 * 3 = 432
    model = keras.Model(x, out)
    assert ns["layer_macs"](model.get_layer("grouped")) == 576
    assert ns["layer_macs"](model.get_layer("per_pixel")) == 432
    assert ns["model_macs"](model) == 1008


def test_nested_models_are_counted(ns):
    inner = keras.Sequential([keras.Input((10, 10, 1)), layers.Conv2D(2, 3, padding="same")], name="inner")
    x = keras.Input((10, 10, 1))
    out = layers.Dense(1)(layers.Flatten()(inner(x)))             # conv 10*10*2*9 = 1800, dense 200
    assert ns["model_macs"](keras.Model(x, out)) == 2000
