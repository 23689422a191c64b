"""mlcourse.losses: the soft Dice against a NumPy reference and against keras.losses.dice, empty masks,
label formats, the cross-entropy sum, training with it, and bad input refused with a clear message."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from mlcourse.losses import DiceCrossEntropy, SoftDice, dice_cross_entropy, soft_dice_loss, soft_dice_scores


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _reference_scores(onehot: np.ndarray, prob: np.ndarray, smooth: float) -> np.ndarray:
    """Soft Dice per image and class, written with explicit loops."""
    b, c = prob.shape[0], prob.shape[-1]
    out = np.zeros((b, c))
    for i in range(b):
        for k in range(c):
            t, p = onehot[i, ..., k].ravel(), prob[i, ..., k].ravel()
            out[i, k] = (2 * np.sum(t * p) + smooth) / (t.sum() + p.sum() + smooth)
    return out


@pytest.fixture
def case():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, size=(4, 6, 5))
    prob = _softmax(rng.normal(size=(4, 6, 5, 3))).astype("float32")
    return labels, prob, np.eye(3, dtype="float32")[labels]


@pytest.mark.parametrize("smooth", [0.0, 1.0, 10.0])
def test_scores_match_the_numpy_reference(case, smooth):
    labels, prob, onehot = case
    got = keras.ops.convert_to_numpy(soft_dice_scores(labels, prob, smooth))
    np.testing.assert_allclose(got, _reference_scores(onehot, prob, smooth), rtol=1e-5)


def test_label_formats_agree(case):
    labels, prob, onehot = case
    a = keras.ops.convert_to_numpy(soft_dice_loss(labels, prob))
    b = keras.ops.convert_to_numpy(soft_dice_loss(labels[..., None], prob))
    c = keras.ops.convert_to_numpy(soft_dice_loss(onehot, prob))
    np.testing.assert_allclose(a, b, rtol=1e-6)
    np.testing.assert_allclose(a, c, rtol=1e-6)
    assert a.shape == (4,)


def test_loss_excludes_background_and_averages_the_rest(case):
    labels, prob, onehot = case
    ref = _reference_scores(onehot, prob, 1.0)
    fg = keras.ops.convert_to_numpy(soft_dice_loss(labels, prob))
    every = keras.ops.convert_to_numpy(soft_dice_loss(labels, prob, exclude_background=False))
    np.testing.assert_allclose(fg, 1 - ref[:, 1:].mean(axis=1), rtol=1e-5)
    np.testing.assert_allclose(every, 1 - ref.mean(axis=1), rtol=1e-5)


def test_equals_keras_dice_on_non_empty_binary_masks():
    rng = np.random.default_rng(1)
    y = (rng.random((3, 8, 8, 1)) > 0.6).astype("float32")
    p = rng.random((3, 8, 8, 1)).astype("float32")
    ours = keras.ops.convert_to_numpy(soft_dice_loss(y, p, smooth=0.0, exclude_background=False))
    for i in range(3):   # keras.losses.dice with axis=None pools everything it is given: one image at a time
        theirs = float(keras.ops.convert_to_numpy(keras.losses.dice(y[i:i + 1], p[i:i + 1])))
        assert ours[i] == pytest.approx(theirs, abs=1e-5)


def test_empty_masks_score_perfect_where_keras_dice_scores_worst():
    empty = np.zeros((1, 8, 8, 1), "float32")
    assert float(keras.ops.convert_to_numpy(keras.losses.dice(empty, empty))) == pytest.approx(1.0)
    ours = keras.ops.convert_to_numpy(soft_dice_loss(empty, empty, exclude_background=False))
    assert ours[0] == pytest.approx(0.0, abs=1e-6)
    # a missed structure is still punished: label present, prediction empty
    full = np.ones((1, 8, 8, 1), "float32")
    missed = keras.ops.convert_to_numpy(soft_dice_loss(full, empty, exclude_background=False))
    assert missed[0] == pytest.approx(1 - 1 / 65, rel=1e-5)


def test_class_absent_from_one_image_does_not_penalise_a_correct_prediction():
    labels = np.zeros((1, 4, 4), int)
    labels[0, :2] = 1                     # classes 0 and 1 present, class 2 absent
    perfect = np.eye(3, dtype="float32")[labels]
    assert keras.ops.convert_to_numpy(soft_dice_loss(labels, perfect))[0] == pytest.approx(0.0, abs=1e-6)


def test_dice_cross_entropy_is_the_sum(case):
    labels, prob, onehot = case
    ce = -np.mean(np.sum(onehot * np.log(prob), axis=-1), axis=(1, 2))
    dice = keras.ops.convert_to_numpy(soft_dice_loss(labels, prob))
    got = keras.ops.convert_to_numpy(dice_cross_entropy(labels, prob, dice_weight=0.5))
    np.testing.assert_allclose(got, ce + 0.5 * dice, rtol=1e-5)


def test_with_dice_weight_0_it_is_keras_sparse_cross_entropy(case):
    """Chapter 16's cross-entropy run uses this form: Keras's own sparse CE fails in its backward pass on PyTorch."""
    labels, prob, _ = case
    theirs = keras.ops.convert_to_numpy(keras.losses.SparseCategoricalCrossentropy()(labels, prob))
    ours = keras.ops.convert_to_numpy(DiceCrossEntropy(dice_weight=0.0)(labels, prob))
    np.testing.assert_allclose(ours, theirs, rtol=1e-5)


def test_works_in_3d():
    rng = np.random.default_rng(2)
    labels = rng.integers(0, 2, size=(2, 3, 4, 5))
    prob = _softmax(rng.normal(size=(2, 3, 4, 5, 2))).astype("float32")
    got = keras.ops.convert_to_numpy(soft_dice_scores(labels, prob, 1.0))
    np.testing.assert_allclose(got, _reference_scores(np.eye(2)[labels], prob, 1.0), rtol=1e-5)


def test_a_small_network_learns_a_mask_with_the_loss_objects():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.random((32, 8, 8, 1)).astype("float32")
    y = (x[..., 0] > 0.5).astype("int32")                # the label is a threshold of the pixel
    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(2, 1, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss=DiceCrossEntropy())
    before = float(model.evaluate(x, y, verbose=0))
    model.fit(x, y, epochs=30, batch_size=8, verbose=0)
    assert float(model.evaluate(x, y, verbose=0)) < 0.5 * before
    assert SoftDice(smooth=2.0).get_config()["smooth"] == 2.0
    assert DiceCrossEntropy(dice_weight=0.5).get_config()["dice_weight"] == 0.5


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"smooth": -1.0}, ValueError, "smooth must be a finite number >= 0"),
    ({"smooth": float("nan")}, ValueError, "smooth must be a finite number >= 0"),
    ({"smooth": "1"}, TypeError, "smooth must be a number"),
    ({"exclude_background": "yes"}, TypeError, "exclude_background must be True or False"),
])
def test_bad_arguments_are_refused(case, kwargs, exc, match):
    labels, prob, _ = case
    with pytest.raises(exc, match=match):
        soft_dice_loss(labels, prob, **kwargs)
    with pytest.raises(exc, match=match):
        SoftDice(**kwargs)


def test_bad_shapes_are_refused(case):
    labels, prob, _ = case
    with pytest.raises(ValueError, match="y_pred must have shape"):
        soft_dice_loss(labels[0], prob[0])
    with pytest.raises(ValueError, match="spatial shape"):
        soft_dice_loss(labels[:, :5], prob)
    with pytest.raises(ValueError, match="fits neither labels"):
        soft_dice_loss(np.zeros((4, 6, 5, 2)), prob)
    with pytest.raises(ValueError, match="exclude_background=True needs at least 2 classes"):
        soft_dice_loss(np.zeros((1, 4, 4, 1)), np.zeros((1, 4, 4, 1)))
    with pytest.raises(ValueError, match="dice_weight"):
        dice_cross_entropy(labels, prob, dice_weight=-1)
