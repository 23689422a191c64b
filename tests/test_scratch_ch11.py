"""The from-scratch code of chapter 11 (cells tagged `scratch`): convolution and cross-correlation against
SciPy and Keras, the output-size formula against Keras layers, pooling against Keras, and the receptive-field
formula against known stacks and an impulse-response measurement."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from notebook_code import scratch_namespace
from scipy import signal

from mlcourse.exercises import check


@pytest.fixture(scope="module")
def ns():
    return scratch_namespace("11_cnn.ipynb")


SHAPES = [((6, 6), (3, 3)), ((9, 7), (2, 4)), ((5, 8), (5, 1)), ((4, 4), (4, 4)), ((7, 7), (1, 1))]


@pytest.mark.parametrize("image_shape, kernel_shape", SHAPES)
def test_cross_correlation_and_convolution_match_scipy(ns, image_shape, kernel_shape):
    rng = np.random.default_rng(sum(image_shape) * 10 + sum(kernel_shape))
    image, kernel = rng.normal(size=image_shape), rng.normal(size=kernel_shape)
    np.testing.assert_allclose(ns["cross_correlate2d"](image, kernel),
                               signal.correlate2d(image, kernel, mode="valid"), atol=1e-12)
    np.testing.assert_allclose(ns["convolve2d"](image, kernel),
                               signal.convolve2d(image, kernel, mode="valid"), atol=1e-12)


def test_convolution_is_cross_correlation_with_the_flipped_kernel(ns):
    rng = np.random.default_rng(3)
    image, kernel = rng.normal(size=(10, 12)), rng.normal(size=(3, 5))
    np.testing.assert_allclose(ns["convolve2d"](image, kernel),
                               ns["cross_correlate2d"](image, kernel[::-1, ::-1]), atol=1e-12)
    assert not np.allclose(ns["convolve2d"](image, kernel), ns["cross_correlate2d"](image, kernel))


def test_full_convolution_is_commutative_but_cross_correlation_is_not(ns):
    """Zero-padding by (kernel size - 1) turns 'valid' into 'full' mode, where I * K = K * I."""
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(5, 4)), rng.normal(size=(3, 2))
    pad_a = np.pad(a, [(2, 2), (1, 1)])
    pad_b = np.pad(b, [(4, 4), (3, 3)])
    np.testing.assert_allclose(ns["convolve2d"](pad_a, b), ns["convolve2d"](pad_b, a), atol=1e-12)
    assert not np.allclose(ns["cross_correlate2d"](pad_a, b), ns["cross_correlate2d"](pad_b, a))


def test_cross_correlation_matches_keras_conv2d(ns):
    rng = np.random.default_rng(5)
    image, kernel = rng.uniform(size=(12, 10)), rng.normal(size=(3, 4))
    layer = keras.layers.Conv2D(1, kernel.shape, padding="valid", use_bias=False)
    layer.build((None, 12, 10, 1))
    layer.set_weights([kernel.reshape(3, 4, 1, 1)])
    out = keras.ops.convert_to_numpy(layer(image[None, :, :, None].astype("float32")))[0, :, :, 0]
    np.testing.assert_allclose(ns["cross_correlate2d"](image, kernel), out, atol=1e-5)


def test_bad_shapes_are_refused(ns):
    with pytest.raises(ValueError, match="2-D"):
        ns["cross_correlate2d"](np.zeros((3, 3, 1)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="larger than the image"):
        ns["convolve2d"](np.zeros((3, 3)), np.ones((4, 2)))


@pytest.mark.parametrize("n", [7, 28, 31])
@pytest.mark.parametrize("k", [1, 3, 4, 5])
@pytest.mark.parametrize("s", [1, 2, 3])
def test_output_size_formula_matches_keras(ns, n, k, s):
    valid = keras.layers.Conv2D(1, k, strides=s, padding="valid").compute_output_shape((1, n, n, 1))[1]
    assert ns["conv_output_size"](n, k, s, 0) == valid
    if k % 2:   # for odd kernels, p = (k - 1) / 2 is Keras' 'same'
        same = keras.layers.Conv2D(1, k, strides=s, padding="same").compute_output_shape((1, n, n, 1))[1]
        assert ns["conv_output_size"](n, k, s, (k - 1) // 2) == same


def test_output_size_examples_and_errors(ns):
    size = ns["conv_output_size"]
    assert size(224, 7, 2, 3) == 112
    assert size(28, 2, 2) == 14
    assert size(5, 5) == 1
    for args in [(5, 7, 1, 0), (0, 3, 1, 0), (28, 3, 0, 0), (28, 3, 1, -1), (28.0, 3, 1, 0), (28, True, 1, 0)]:
        with pytest.raises(ValueError):
            size(*args)


@pytest.mark.parametrize("mode, layer", [("max", keras.layers.MaxPooling2D),
                                         ("average", keras.layers.AveragePooling2D)])
@pytest.mark.parametrize("shape, size, stride",
                         [((8, 8), 2, None), ((9, 7), 2, None), ((10, 10), 3, 2), ((6, 6), 3, 1)])
def test_pooling_matches_keras(ns, mode, layer, shape, size, stride):
    x = np.random.default_rng(6).normal(size=shape)
    ours = ns["pool2d"](x, size, stride, mode=mode)
    theirs = keras.ops.convert_to_numpy(layer(size, strides=stride)(x[None, :, :, None].astype("float32")))[0, :, :, 0]
    np.testing.assert_allclose(ours, theirs, atol=1e-5)


def test_pooling_refuses_bad_input(ns):
    with pytest.raises(ValueError):
        ns["pool2d"](np.zeros((4, 4, 1)))
    with pytest.raises(ValueError):
        ns["pool2d"](np.zeros((4, 4)), mode="min")


@pytest.mark.parametrize("stack, expected", [
    ([], 1),
    ([(3, 1)], 3),
    ([(3, 1), (3, 1)], 5),
    ([(3, 1), (3, 1), (3, 1)], 7),
    ([(3, 1), (3, 1), (2, 2), (3, 1), (3, 1), (2, 2), (3, 1), (3, 1)], 32),   # the compact CNN
    ([(3, 1), (3, 1), (2, 2), (3, 1), (3, 2), (3, 1)], 22),                   # exercise 11.3
    ([(7, 2), (3, 2)], 11),                                                     # ResNet stem and max-pool
])
def test_receptive_field_known_stacks(ns, stack, expected):
    assert ns["receptive_field"](stack) == expected


def test_receptive_field_matches_an_impulse_response(ns):
    """A linear stack of positive random kernels: the input columns that move one output unit span its
    receptive field."""
    stack = [(3, 1), (5, 2), (3, 1), (2, 2), (3, 1)]
    keras.utils.set_random_seed(0)
    inputs = keras.Input((64, 64, 1))
    x = inputs
    for k, s in stack:
        x = keras.layers.Conv2D(2, k, strides=s, padding="valid", use_bias=False,
                                kernel_initializer=keras.initializers.RandomUniform(0.1, 1.0))(x)
    model = keras.Model(inputs, x)
    probes = np.zeros((64, 64, 64, 1), dtype="float32")
    for col in range(64):
        probes[col, :, col, 0] = 1.0                 # probe `col` lights up one whole input column
    out = keras.ops.convert_to_numpy(model(probes))
    unit = out.shape[2] // 2
    touched = np.flatnonzero(out[:, unit, unit, :].sum(axis=-1) > 0)
    assert touched.size > 0
    assert touched.max() - touched.min() + 1 == ns["receptive_field"](stack) == 21


def test_scratch_cross_correlation_passes_exercise_11_4(ns, capsys):
    check("11.4", ns["cross_correlate2d"])
    assert "correct" in capsys.readouterr().out
