"""Grad-CAM (Selvaraju et al. 2017) for a Keras classifier, on any backend that `mlcourse.gradients` supports.

The model is split at a convolutional layer into a feature extractor and a head. The class score's
gradient with respect to the feature maps, averaged over the positions, weights each map; the
weighted sum, clipped at 0, is the class-activation map. The split re-applies the layers after the
target in order, so it works for models that are a chain of layers from there on (the usual
CNN: convolutions, pooling, dense head); other models are refused with a clear message.
"""

from __future__ import annotations

import keras
import numpy as np

from mlcourse.arrays import real_array
from mlcourse.gradients import input_gradient


def _feature_layers(model: keras.Model) -> list[str]:
    """Names of the layers whose output is a 2-D feature map (N, H, W, C)."""
    names = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        try:
            shape = layer.output.shape
        except (AttributeError, ValueError):
            continue
        if len(shape) == 4:
            names.append(layer.name)
    return names


def split_at(model: keras.Model, layer_name: str) -> tuple[keras.Model, keras.Model]:
    """(features, head): features(x) is the output of `layer_name`, head(features(x)) equals model(x)."""
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model; got {type(model).__name__}.")
    names = [layer.name for layer in model.layers]
    if layer_name not in names:
        raise ValueError(f"model has no layer named {layer_name!r}; layers with 2-D feature maps: "
                         f"{_feature_layers(model)}.")
    layer = model.get_layer(layer_name)
    if len(layer.output.shape) != 4:
        raise ValueError(f"layer {layer_name!r} outputs shape {tuple(layer.output.shape)}, not a feature map "
                         f"(N, H, W, C); choose one of {_feature_layers(model)}.")
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise ValueError(f"model has {len(model.inputs)} inputs and {len(model.outputs)} outputs; Grad-CAM here "
                         "needs a classifier with one image input and one output.")
    features = keras.Model(model.inputs[0], layer.output, name=f"{model.name}_features")
    head_input = keras.Input(tuple(layer.output.shape[1:]))
    x = head_input
    try:
        for later in model.layers[names.index(layer_name) + 1:]:
            x = later(x)
    except (ValueError, TypeError, IndexError, NotImplementedError) as err:
        raise ValueError(f"the layers after {layer_name!r} are not a simple chain (a skip connection or a branch), "
                         "so the model cannot be split there; pick a later layer whose successors form a chain, "
                         f"or build the head yourself and use mlcourse.gradients.input_gradient ({err}).") from None
    return features, keras.Model(head_input, x, name=f"{model.name}_head")


def grad_cam(model: keras.Model, images: np.ndarray, layer_name: str, class_index: int | np.ndarray | None = None
             ) -> np.ndarray:
    """Grad-CAM maps (N, H', W') in [0, 1] on the grid of `layer_name`, for `class_index` (default: predicted class).

    `images` are what the model takes (already scaled). The score is the model's output for the
    class (a probability for a softmax model; Selvaraju et al. use the score before the softmax).
    A map that is 0 everywhere (no position raises the score) stays 0.
    """
    features, head = split_at(model, layer_name)
    x = real_array(images, "images").astype("float32")
    want = tuple(model.inputs[0].shape[1:])
    if x.ndim != len(want) + 1 or any(w is not None and w != g for w, g in zip(want, x.shape[1:])):
        raise ValueError(f"images must have shape (N, {', '.join(map(str, want))}) for this model; got {x.shape}.")
    if not np.isfinite(x).all():
        raise ValueError("images hold NaN or infinite values; clean them before computing saliency maps.")
    n_classes = int(model.outputs[0].shape[-1])
    if class_index is not None:
        given = np.asarray(class_index)
        if (given.dtype.kind not in "iu" or given.ndim > 1 or (given.ndim == 1 and len(given) != len(x))
                or given.min() < 0 or given.max() >= n_classes):
            raise ValueError(f"class_index must be an integer in 0..{n_classes - 1}, or one such integer per image; "
                             f"got {class_index!r}.")
    # training=False everywhere: random augmentation layers default to training=True when a model is
    # called directly, which would explain an augmented image instead of the one given.
    fmap = np.asarray(keras.ops.convert_to_numpy(features(x, training=False)))
    full = np.asarray(keras.ops.convert_to_numpy(model(x, training=False)))
    rebuilt = np.asarray(keras.ops.convert_to_numpy(head(fmap, training=False)))
    if rebuilt.shape != full.shape or not np.allclose(rebuilt, full, atol=1e-4):
        raise ValueError(f"the layers after {layer_name!r} are not a simple chain (a skip connection or a branch), "
                         "so the model cannot be split there; pick a later layer whose successors form a chain, "
                         "or build the head yourself and use mlcourse.gradients.input_gradient.")
    classes = full.argmax(axis=-1) if class_index is None else np.broadcast_to(given, (len(x),))
    onehot = keras.ops.convert_to_tensor(np.eye(n_classes, dtype="float32")[classes])
    _, grads = input_gradient(lambda f: keras.ops.sum(head(f, training=False) * onehot, axis=-1), fmap)
    weights = grads.mean(axis=(1, 2), keepdims=True)                 # one weight per map and image
    cam = np.maximum((weights * fmap).sum(axis=-1), 0.0)
    peak = cam.max(axis=(1, 2), keepdims=True)
    return np.divide(cam, peak, out=np.zeros_like(cam), where=peak > 0)
