"""Convolutional networks for 28x28 MedMNIST images, used in chapters 11-14 and the benchmark.

- `augmentation`: the mild geometric and intensity augmentation the chapters share;
- `compact_cnn`: three double-conv stages with batch norm and global average pooling (chapter 11);
- `case_study_cnn`: the breast-mass network of the seminar report, five Conv-ReLU-BN-MaxPool-Dropout
  blocks and a dense head (chapter 12);
- `resnet18_28`: ResNet-18 with the CIFAR-style stem (3x3 convolution, no max-pool) that MedMNIST
  uses for its 28x28 baselines (chapters 13-14).

Every model takes images with values in [0, 1], shape (H, W, C), and ends in a softmax over the
classes (a sigmoid per label for multi-label tasks).

Batch normalisation uses momentum 0.9 (`mlcourse.batchnorm.BN_MOMENTUM`), the rate of PyTorch and of
the MedMNIST baselines, not Keras's default 0.99 (see `mlcourse.batchnorm` for why).
"""

from __future__ import annotations

import keras
from keras import layers

from mlcourse.batchnorm import BN_MOMENTUM, check_bn_momentum

__all__ = ["BN_MOMENTUM", "augmentation", "classifier_head", "compact_cnn", "case_study_cnn",
           "basic_block", "resnet18_28"]


def augmentation(rotation: float = 0.03, translation: float = 0.08, zoom: float = 0.1,
                 contrast: float = 0.1, flip: bool = False, seed: int | None = None) -> keras.Sequential:
    """Random rotation (fraction of a full turn), translation, zoom and contrast; active only in training.

    Horizontal flips are off by default: on a chest radiograph they move the heart to the right.
    """
    aug = [layers.RandomRotation(rotation, fill_mode="constant", seed=seed),
           layers.RandomTranslation(translation, translation, fill_mode="constant", seed=seed),
           layers.RandomZoom((-zoom, zoom), fill_mode="constant", seed=seed),
           layers.RandomContrast(contrast, seed=seed)]
    if flip:
        aug.insert(0, layers.RandomFlip("horizontal", seed=seed))
    return keras.Sequential(aug, name="augmentation")


def classifier_head(x, num_classes: int, task: str = "multi-class", dropout: float = 0.0):
    """Dropout then a float32 dense output: softmax over classes, or one sigmoid per label for multi-label tasks."""
    if num_classes < 2:
        raise ValueError(f"num_classes must be at least 2 (a binary task has 2 classes), not {num_classes}.")
    if dropout:
        x = layers.Dropout(dropout)(x)
    activation = "sigmoid" if task.startswith("multi-label") else "softmax"
    # float32 whatever the dtype policy: under mixed precision a float16 softmax would round probabilities
    return layers.Dense(num_classes, activation=activation, dtype="float32", name="predictions")(x)


def _conv_bn_relu(x, filters: int, name: str, bn_momentum: float = BN_MOMENTUM):
    """3x3 convolution (no bias: batch norm supplies the shift), batch norm, ReLU."""
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv")(x)
    x = layers.BatchNormalization(momentum=bn_momentum, name=f"{name}_bn")(x)
    return layers.ReLU(name=f"{name}_relu")(x)


def compact_cnn(input_shape: tuple[int, int, int] = (28, 28, 1), num_classes: int = 2, *,
                widths: tuple[int, ...] = (32, 64, 128), dropout: float = 0.3, task: str = "multi-class",
                augment: keras.Sequential | None = None, bn_momentum: float = BN_MOMENTUM,
                name: str = "compact_cnn") -> keras.Model:
    """Stages of two conv-BN-ReLU layers, max-pooling between stages, global average pooling, dropout, dense."""
    bn_momentum = check_bn_momentum(bn_momentum)
    inputs = keras.Input(input_shape, name="image")
    x = augment(inputs) if augment is not None else inputs
    for i, width in enumerate(widths):
        if i:
            x = layers.MaxPooling2D(2, name=f"pool{i}")(x)
        x = _conv_bn_relu(x, width, f"stage{i + 1}a", bn_momentum)
        x = _conv_bn_relu(x, width, f"stage{i + 1}b", bn_momentum)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    return keras.Model(inputs, classifier_head(x, num_classes, task, dropout), name=name)


def case_study_cnn(input_shape: tuple[int, int, int] = (28, 28, 1), num_classes: int = 2, *,
                   resize_to: int = 64, filters: tuple[int, ...] = (16, 32, 64, 128, 256),
                   block_dropout: float = 0.1, dense_units: int = 128, dropout: float = 0.5,
                   task: str = "multi-class", augment: keras.Sequential | None = None,
                   bn_momentum: float = BN_MOMENTUM, name: str = "case_study_cnn") -> keras.Model:
    """The report's network: five blocks of Conv 3x3 (stride 1, same) -> ReLU -> BN -> MaxPool 2x2 -> Dropout.

    The report fixes the block structure only. Our choices: the filter counts above, bilinear
    upsampling of the input to `resize_to` pixels so that five 2x2 poolings leave a 2x2 map
    (28 -> 14 -> 7 -> 3 -> 1 would vanish), and a head of global average pooling, one dense ReLU layer
    and dropout.
    """
    if len(filters) != 5:
        raise ValueError(f"the case-study network has five blocks; got {len(filters)} filter counts.")
    if resize_to < 32:
        raise ValueError(f"resize_to must be at least 32 so that five 2x2 poolings leave a map; got {resize_to}.")
    bn_momentum = check_bn_momentum(bn_momentum)
    inputs = keras.Input(input_shape, name="image")
    x = augment(inputs) if augment is not None else inputs
    if resize_to != input_shape[0] or resize_to != input_shape[1]:
        x = layers.Resizing(resize_to, resize_to, interpolation="bilinear", name="upsample")(x)
    for i, f in enumerate(filters, start=1):
        x = layers.Conv2D(f, 3, strides=1, padding="same", name=f"block{i}_conv")(x)
        x = layers.ReLU(name=f"block{i}_relu")(x)
        x = layers.BatchNormalization(momentum=bn_momentum, name=f"block{i}_bn")(x)
        x = layers.MaxPooling2D(2, strides=2, name=f"block{i}_pool")(x)
        x = layers.Dropout(block_dropout, name=f"block{i}_dropout")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Dense(dense_units, activation="relu", name="dense")(x)
    return keras.Model(inputs, classifier_head(x, num_classes, task, dropout), name=name)


def basic_block(x, filters: int, stride: int = 1, name: str = "block", bn_momentum: float = BN_MOMENTUM):
    """ResNet basic block: two 3x3 conv-BN layers plus a shortcut (identity, or 1x1 conv-BN projection
    when the stride or the width changes), then ReLU."""
    shortcut = x
    y = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False, name=f"{name}_conv1")(x)
    y = layers.BatchNormalization(momentum=bn_momentum, name=f"{name}_bn1")(y)
    y = layers.ReLU(name=f"{name}_relu1")(y)
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv2")(y)
    y = layers.BatchNormalization(momentum=bn_momentum, name=f"{name}_bn2")(y)
    if stride != 1 or x.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, strides=stride, use_bias=False, name=f"{name}_proj")(x)
        shortcut = layers.BatchNormalization(momentum=bn_momentum, name=f"{name}_proj_bn")(shortcut)
    return layers.ReLU(name=f"{name}_out")(layers.Add(name=f"{name}_add")([y, shortcut]))


def resnet18_28(input_shape: tuple[int, int, int] = (28, 28, 1), num_classes: int = 2, *,
                width: int = 64, task: str = "multi-class", augment: keras.Sequential | None = None,
                bn_momentum: float = BN_MOMENTUM, name: str = "resnet18_28") -> keras.Model:
    """ResNet-18 as MedMNIST trains it at 28x28: 3x3 stride-1 stem, no max-pool, 4 stages of 2 basic blocks.

    `width` is the first stage's channel count (64 in the paper; stages double it). With width 64,
    3 input channels and 10 classes it has 11,173,962 trainable parameters, as the PyTorch original.
    """
    bn_momentum = check_bn_momentum(bn_momentum)
    inputs = keras.Input(input_shape, name="image")
    x = augment(inputs) if augment is not None else inputs
    x = layers.Conv2D(width, 3, padding="same", use_bias=False, name="stem_conv")(x)
    x = layers.BatchNormalization(momentum=bn_momentum, name="stem_bn")(x)
    x = layers.ReLU(name="stem_relu")(x)
    for stage, mult in enumerate((1, 2, 4, 8), start=1):
        for b in range(2):
            stride = 2 if (stage > 1 and b == 0) else 1
            x = basic_block(x, width * mult, stride, name=f"stage{stage}_block{b + 1}",
                            bn_momentum=bn_momentum)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    return keras.Model(inputs, classifier_head(x, num_classes, task), name=name)
