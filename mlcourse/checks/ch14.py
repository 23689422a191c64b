"""Checks of chapter 14 (transfer learning and ensembles): trainable parameters after unfreezing the top
of EfficientNet-Lite0, the input scaling of the Lite0 checkpoint, the stride of the last feature map in
original pixels, and choosing a head on the validation split."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlcourse.exercises import as_number, call_student, exercise, fail

# 14.1: block 15 (192 -> 1152 -> 320, 3x3 depthwise) + head conv (320 -> 1280) + a new Dense(2)
C_IN_14, HIDDEN_14, OUT_14, HEAD_14, K_14, CLASSES_14 = 192, 1152, 320, 1280, 3, 2
_CONV_14 = C_IN_14 * HIDDEN_14 + K_14 * K_14 * HIDDEN_14 + HIDDEN_14 * OUT_14 + OUT_14 * HEAD_14
_BN_CHANNELS_14 = HIDDEN_14 + HIDDEN_14 + OUT_14 + HEAD_14
_DENSE_14 = HEAD_14 * CLASSES_14 + CLASSES_14
TRAINABLE_14_1 = _CONV_14 + 2 * _BN_CHANNELS_14 + _DENSE_14
# 14.3: a 28x28 image upsampled to 224; the last feature map of Lite0 is 7x7 (total stride 32)
SMALL_14, BIG_14, STRIDE_14 = 28, 224, 32
# 14.4: validation and test AUC of three heads on frozen features; choose on validation
HEADS_14 = {"A": ("logistic regression", 0.94, 0.90), "B": ("k-nearest neighbours", 0.90, 0.92),
            "C": ("RBF SVM", 0.92, 0.89)}


def _near(value: float, target: float) -> bool:
    """Exact for integers given as floats, with a little room for rounding."""
    return abs(value - target) <= 0.5


@exercise("14.1", "numeric", "trainable parameters after unfreezing the last block and the head")
def _check_14_1(answer: Any) -> None:
    value = as_number(answer, "14.1")
    if _near(value, TRAINABLE_14_1):
        return
    if _near(value, TRAINABLE_14_1 + 2 * _BN_CHANNELS_14):
        fail("You counted the batch-norm moving mean and variance.",
             "those are statistics updated by averaging, not by the optimiser: they are non-trainable")
    if _near(value, TRAINABLE_14_1 - 2 * _BN_CHANNELS_14):
        fail("Batch norm has trainable parameters too.", "each batch-norm channel has a scale and a shift")
    if _near(value, TRAINABLE_14_1 - _DENSE_14):
        fail("The new classifier is trainable as well.", "a Dense layer from 1280 features to 2 classes, with biases")
    if _near(value, TRAINABLE_14_1 - K_14 * K_14 * HIDDEN_14 + K_14 * K_14 * HIDDEN_14 * HIDDEN_14):
        fail("A depthwise convolution has one filter per channel, not one per channel pair.",
             "3x3 weights for each of the 1152 channels")
    fail("Not the right count.", "add up conv kernels (no biases), batch-norm scales and shifts, and the Dense layer; "
         "or sum the sizes of model.trainable_weights")


def _reference_14_2(images: np.ndarray) -> np.ndarray:
    x = np.asarray(images, dtype="float32")
    return np.repeat(((x - 127.0) / 128.0)[..., None], 3, axis=-1)


@exercise("14.2", "code", "scale grayscale images for the Lite0 checkpoint")
def _check_14_2(fn: Any) -> None:
    if not callable(fn):
        fail("Pass the function itself (to_lite0_input), not its result.")
    rng = np.random.default_rng(14)
    cases = [np.array([[[0, 127], [128, 255]]], dtype=np.uint8),
             rng.integers(0, 256, (3, 5, 4), dtype=np.uint8)]
    for images in cases:
        got = call_student(fn, f"uint8 images of shape {images.shape}", images.copy())
        if got is None:
            fail("Your function returned None.", "return the scaled array")
        got = np.asarray(got, dtype="float64")
        right = _reference_14_2(images)
        if got.shape != right.shape:
            if got.shape == images.shape or got.shape == (*images.shape, 1):
                fail(f"For input shape {images.shape} the result has shape {got.shape}: one channel only.",
                     "the network was trained on RGB; repeat the grey channel three times on a new last axis")
            fail(f"For input shape {images.shape} the result has shape {got.shape}, expected {right.shape}.")
        if np.allclose(got, right, atol=1e-4):
            continue
        x = images.astype("float64")[..., None]
        if np.allclose(got, np.repeat(x / 255.0, 3, -1), atol=1e-4):
            fail("Values in [0, 1] are not what the checkpoint saw in training.",
                 "the Lite checkpoints were trained on (pixel - 127) / 128, roughly [-1, 1]")
        if np.allclose(got, np.repeat((x - 127.5) / 127.5, 3, -1), atol=1e-4):
            fail("Very close, but the Lite checkpoints used a mean of 127 and a scale of 128.")
        if np.allclose(got, np.repeat((x / 255.0 - 0.449) / 0.226, 3, -1), atol=1e-2):
            fail("That is the ImageNet mean/std normalisation of other networks (ResNet, EfficientNet-B0 in torch).",
                 "the Lite checkpoints use (pixel - 127) / 128")
        fail(f"Wrong values for input shape {images.shape}.", "pixel 127 must map to 0 and pixel 255 to 1 - 1/128")


@exercise("14.3", "numeric", "stride of the last feature map in pixels of the original image")
def _check_14_3(answer: Any) -> None:
    value = as_number(answer, "14.3")
    right = STRIDE_14 * SMALL_14 / BIG_14
    if abs(value - right) <= 1e-6:
        return
    if abs(value - STRIDE_14) <= 1e-6:
        fail("That is the stride in pixels of the upsampled 224x224 image.",
             "convert back to the original 28x28 image: how many upsampled pixels is one original pixel?")
    if abs(value - BIG_14 / SMALL_14) <= 1e-6:
        fail("That is the upsampling factor itself.", "divide the network's total stride by it")
    if abs(value - 7) <= 1e-6:
        fail("That is the size of the feature map, not the distance between its cells.")
    fail("Not the right stride.", "the last map has 7x7 cells that cover the 28x28 image")


@exercise("14.4", "choice", "choose a head on the validation split")
def _check_14_4(answer: Any) -> None:
    if not isinstance(answer, str) or answer.strip().upper() not in HEADS_14:
        fail("Answer with one letter: 'A', 'B' or 'C'.")
    choice = answer.strip().upper()
    best_val = max(HEADS_14, key=lambda k: HEADS_14[k][1])
    best_test = max(HEADS_14, key=lambda k: HEADS_14[k][2])
    if choice == best_val:
        return
    if choice == best_test:
        fail("That head has the best test AUC, but choosing by it turns the test split into a validation split.",
             "the test AUC is reported once, for the model chosen without it")
    fail("That head is neither the best on validation nor on test.", "compare the validation column")
