"""Tests of mlcourse.saliency: Grad-CAM equals CAM where theory says so, on every installed backend; bad input
and models that cannot be split are refused before any gradient is taken."""

import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest

# A GAP -> Dense head without activation: Grad-CAM's weights are the Dense weights / (H * W), so the
# normalised Grad-CAM must equal the normalised CAM (Zhou et al. 2016) exactly.
SCRIPT = r"""
import keras
import numpy as np
from keras import layers
from mlcourse.saliency import grad_cam

keras.utils.set_random_seed(0)
inputs = keras.Input((8, 8, 1))
x = layers.Conv2D(4, 3, padding="same", activation="relu", name="conv")(inputs)
x = layers.GlobalAveragePooling2D()(x)
model = keras.Model(inputs, layers.Dense(3, name="dense")(x))
images = np.random.default_rng(0).random((5, 8, 8, 1)).astype("float32")
maps = grad_cam(model, images, "conv", class_index=2)
features = keras.Model(model.inputs, model.get_layer("conv").output)
fmap = keras.ops.convert_to_numpy(features(images))
cam = np.maximum(fmap @ model.get_layer("dense").get_weights()[0][:, 2], 0)
peak = cam.max(axis=(1, 2), keepdims=True)
expected = np.divide(cam, peak, out=np.zeros_like(cam), where=peak > 0)
assert maps.shape == (5, 8, 8), maps.shape
assert np.allclose(maps, expected, atol=1e-5), np.abs(maps - expected).max()
assert maps.min() >= 0 and maps.max() <= 1
per_image = grad_cam(model, images, "conv", class_index=np.array([2, 2, 2, 2, 2]))
assert np.allclose(per_image, maps)
default = grad_cam(model, images, "conv")
predicted = keras.ops.convert_to_numpy(model(images)).argmax(axis=-1)
for i, c in enumerate(predicted):
    assert np.allclose(default[i], grad_cam(model, images[i:i + 1], "conv", class_index=int(c))[0], atol=1e-5)
print("ok", keras.backend.backend())
"""


def _backends():
    return [b for b, module in (("tensorflow", "tensorflow"), ("jax", "jax"), ("torch", "torch"))
            if importlib.util.find_spec(module) is not None]


@pytest.mark.parametrize("backend", ["tensorflow", "jax", "torch"])
def test_grad_cam_equals_cam_for_a_gap_dense_head_on_every_installed_backend(backend):
    if backend not in _backends():
        pytest.skip(f"{backend} is not installed")
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    run = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=300,
                         check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.strip().endswith(f"ok {backend}")


@pytest.fixture(scope="module")
def cnn():
    import keras
    from keras import layers

    keras.utils.set_random_seed(1)
    inputs = keras.Input((8, 8, 1))
    x = layers.Conv2D(4, 3, padding="same", activation="relu", name="conv")(inputs)
    x = layers.MaxPooling2D(name="pool")(x)
    x = layers.Flatten(name="flat")(x)
    return keras.Model(inputs, layers.Dense(2, activation="softmax", name="out")(x))


def test_grad_cam_works_after_pooling_and_flatten(cnn):
    from mlcourse.saliency import grad_cam

    images = np.random.default_rng(1).random((3, 8, 8, 1)).astype("float32")
    maps = grad_cam(cnn, images, "conv")
    assert maps.shape == (3, 8, 8) and np.isfinite(maps).all() and maps.max() <= 1
    assert grad_cam(cnn, images, "pool").shape == (3, 4, 4)


@pytest.mark.parametrize("args, error, match", [
    (("nope",), ValueError, r"no layer named 'nope'.*\['conv', 'pool'\]"),
    (("flat",), ValueError, "not a feature map"),
    (("conv", 2), ValueError, "class_index must be an integer"),
    (("conv", -1), ValueError, "class_index"),
    (("conv", 0.5), ValueError, "class_index"),
])
def test_grad_cam_refuses_bad_arguments_naming_them(cnn, args, error, match):
    from mlcourse.saliency import grad_cam

    images = np.zeros((2, 8, 8, 1), "float32")
    with pytest.raises(error, match=match):
        grad_cam(cnn, images, *args)


def test_grad_cam_refuses_bad_images_and_non_models(cnn):
    from mlcourse.saliency import grad_cam

    with pytest.raises(ValueError, match=r"shape \(N, 8, 8, 1\)"):
        grad_cam(cnn, np.zeros((2, 8, 8)), "conv")
    with pytest.raises(ValueError, match="NaN"):
        grad_cam(cnn, np.full((1, 8, 8, 1), np.nan), "conv")
    with pytest.raises(TypeError, match="keras.Model"):
        grad_cam("model", np.zeros((1, 8, 8, 1)), "conv")


def test_grad_cam_refuses_a_model_with_a_skip_connection_after_the_layer():
    import keras
    from keras import layers

    from mlcourse.saliency import grad_cam

    keras.utils.set_random_seed(2)
    inputs = keras.Input((8, 8, 1))
    a = layers.Conv2D(4, 3, padding="same", activation="relu", name="a")(inputs)
    b = layers.Conv2D(4, 3, padding="same", name="b")(a)
    x = layers.Add(name="skip")([a, b])
    model = keras.Model(inputs, layers.Dense(2)(layers.GlobalAveragePooling2D()(x)))
    with pytest.raises((ValueError, TypeError), match="chain|skip|Add|input"):
        grad_cam(model, np.random.default_rng(0).random((2, 8, 8, 1)), "a")


def test_grad_cam_explains_the_image_given_not_an_augmented_copy():
    """Random augmentation layers are active when a model is called without training=False; Grad-CAM must not be."""
    import keras
    from keras import layers

    from mlcourse.saliency import grad_cam

    keras.utils.set_random_seed(1)
    inputs = keras.Input((12, 12, 1))
    x = keras.Sequential([layers.RandomRotation(0.2), layers.RandomTranslation(0.2, 0.2)])(inputs)
    x = layers.Conv2D(4, 3, padding="same", activation="relu", name="conv")(x)
    x = layers.GlobalAveragePooling2D()(x)
    model = keras.Model(inputs, layers.Dense(2, activation="softmax", name="dense")(x))
    images = np.random.default_rng(1).random((3, 12, 12, 1)).astype("float32")
    first = grad_cam(model, images, "conv", class_index=1)
    np.testing.assert_array_equal(first, grad_cam(model, images, "conv", class_index=1))
    features = keras.Model(model.inputs[0], model.get_layer("conv").output)
    fmap = keras.ops.convert_to_numpy(features(images, training=False))
    w = model.get_layer("dense").get_weights()[0]
    cam = np.maximum(fmap @ (w[:, 1] - w[:, 0]), 0)          # the softmax's log-odds of class 1
    peak = cam.max(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(first, np.divide(cam, peak, out=np.zeros_like(cam), where=peak > 0), atol=1e-5)
