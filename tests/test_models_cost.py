"""mlcourse.models.cost: MACs per image, counted by hand for small networks (chapters 13 and 20)."""

import keras
import pytest
from keras import layers

import mlcourse

mlcourse.setup(seed=0, verbose=False)
from mlcourse import models  # noqa: E402


def test_conv_depthwise_grouped_and_dense_layers_by_hand():
    x_in = keras.Input((28, 28, 3))
    x = layers.Conv2D(8, 3, padding="same")(x_in)                          # 28*28*8 * 3*3*3
    x = layers.Conv2D(6, (3, 5), strides=2, padding="valid")(x)           # 13*12*6 * 3*5*8
    x = layers.Conv2D(4, 1, groups=2)(x)                                   # 13*12*4 * 1*1*6/2
    x = layers.DepthwiseConv2D(3, padding="same", depth_multiplier=2)(x)  # 13*12*8 * 3*3
    y = layers.Dense(5)(x)                                                 # 13*12 positions * 8*5
    x = layers.GlobalAveragePooling2D()(x)
    out = layers.Dense(2)(x)                                               # 8*2
    model = keras.Model(x_in, [out, y])
    expected = [28 * 28 * 8 * 27, 13 * 12 * 6 * 3 * 5 * 8, 13 * 12 * 4 * 3, 13 * 12 * 8 * 9, 13 * 12 * 8 * 5, 16]
    counted = [models.layer_macs(layer) for layer in model.layers if models.layer_macs(layer)]
    assert sorted(counted) == sorted(expected)
    assert models.model_macs(model) == sum(expected)


def test_nested_models_are_counted_once_and_the_compact_cnn_matches_its_formula():
    inner = keras.Sequential([keras.Input((8, 8, 1)), layers.Conv2D(4, 3, padding="same")])
    x_in = keras.Input((8, 8, 1))
    model = keras.Model(x_in, layers.Dense(3)(layers.Flatten()(inner(x_in))))
    assert models.model_macs(model) == 8 * 8 * 4 * 9 + 8 * 8 * 4 * 3
    cnn = models.compact_cnn((28, 28, 1), 2, widths=(16, 32, 64))
    by_hand = (28 * 28 * (9 * 1 * 16 + 9 * 16 * 16) + 14 * 14 * (9 * 16 * 32 + 9 * 32 * 32)
               + 7 * 7 * (9 * 32 * 64 + 9 * 64 * 64) + 64 * 2)
    assert models.model_macs(cnn) == by_hand


def test_model_macs_rejects_what_it_cannot_count():
    with pytest.raises(TypeError, match="keras.Model"):
        models.model_macs(layers.Dense(3))
    with pytest.raises(ValueError, match="not built"):
        models.model_macs(keras.Sequential([layers.Dense(3)]))


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


def test_each_layer_matches_the_hand_count():
    model = tiny_model()
    expected = {"conv_same": 6912, "bn": 0, "conv_valid_s2": 1620, "dw": 810, "pool": 0, "flat": 0, "fc": 630}
    for name, macs in expected.items():
        assert models.layer_macs(model.get_layer(name)) == macs, name
    assert models.model_macs(model) == 6912 + 1620 + 810 + 630


def test_grouped_convolution_and_dense_on_a_feature_map():
    x = keras.Input((6, 6, 8))
    h = layers.Conv2D(4, 1, groups=2, name="grouped")(x)          # 6*6*4 * 1*1*(8/2) = 576
    out = layers.Dense(3, name="per_pixel")(h)                     # 36 positions * 4 * 3 = 432
    model = keras.Model(x, out)
    assert models.layer_macs(model.get_layer("grouped")) == 576
    assert models.layer_macs(model.get_layer("per_pixel")) == 432
    assert models.model_macs(model) == 1008


def test_nested_models_are_counted():
    inner = keras.Sequential([keras.Input((10, 10, 1)), layers.Conv2D(2, 3, padding="same")], name="inner")
    x = keras.Input((10, 10, 1))
    out = layers.Dense(1)(layers.Flatten()(inner(x)))             # conv 10*10*2*9 = 1800, dense 200
    assert models.model_macs(keras.Model(x, out)) == 2000


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_the_output_layer_stays_float32_under_mixed_precision(policy):
    keras.mixed_precision.set_dtype_policy(policy)
    try:
        model = models.compact_cnn((28, 28, 1), 2, widths=(4, 8))
        assert model.get_layer("stage1a_conv").compute_dtype == policy.split("_")[1]
        assert model.get_layer("predictions").compute_dtype == "float32"
        assert keras.backend.standardize_dtype(model(keras.ops.zeros((2, 28, 28, 1))).dtype) == "float32"
        lite = models.efficientnet_lite0((32, 32, 3), num_classes=2, weights=None)
        assert lite.get_layer("stem_conv").compute_dtype == policy.split("_")[1]
        assert lite.get_layer("predictions").compute_dtype == "float32"
        assert keras.backend.standardize_dtype(lite(keras.ops.zeros((1, 32, 32, 3))).dtype) == "float32"
    finally:
        keras.mixed_precision.set_dtype_policy("float32")
