"""The arithmetic cost of a Keras model: multiply-accumulates (MACs) per input image (chapters 13 and 20).

One MAC is one multiplication and one addition, a <- a + w * x; FLOPs are usually 2 x MACs. Only
`Conv2D`, `DepthwiseConv2D` and `Dense` layers are counted: batch norm, activations and pooling add
a few operations per activation, which is small beside the convolutions of the course's networks.
"""

from __future__ import annotations

from math import prod

import keras
from keras import layers

__all__ = ["layer_macs", "model_macs"]


def layer_macs(layer: keras.layers.Layer) -> int:
    """MACs of one Conv2D, DepthwiseConv2D or Dense layer for one input image; 0 for other layers."""
    if isinstance(layer, layers.DepthwiseConv2D):
        _, h, w, c_out = layer.output.shape          # each output channel reads one input channel
        kh, kw = layer.kernel_size
        return int(h * w * c_out * kh * kw)
    if isinstance(layer, layers.Conv2D):
        _, h, w, c_out = layer.output.shape
        kh, kw = layer.kernel_size
        return int(h * w * c_out * kh * kw * layer.input.shape[-1] // layer.groups)
    if isinstance(layer, layers.Dense):
        positions = prod(layer.output.shape[1:-1])   # 1 for a flat input, H*W for a feature map
        return int(positions * layer.input.shape[-1] * layer.units)
    return 0


def model_macs(model: keras.Model) -> int:
    """Total MACs of a built model for one input image, counting inside nested models."""
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model; got {type(model).__name__}.")
    if not model.built:
        raise ValueError("model is not built, so its layers have no shapes yet; build it on a keras.Input first "
                         "(every model in mlcourse.models is).")
    return sum(model_macs(layer) if isinstance(layer, keras.Model) else layer_macs(layer) for layer in model.layers)
