"""The from-scratch code of notebook 16 (cells tagged 'scratch'): the NumPy soft Dice against a loop and
against mlcourse.losses."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from mlcourse import losses
from tests.notebook_code import scratch_namespace


@pytest.fixture(scope="module")
def ns():
    return scratch_namespace("16_segmentation.ipynb")


def _loop(onehot, prob, smooth):
    out = np.zeros((onehot.shape[0], onehot.shape[-1]))
    for b in range(onehot.shape[0]):
        for c in range(onehot.shape[-1]):
            y, p = onehot[b, ..., c], prob[b, ..., c]
            out[b, c] = (2 * (y * p).sum() + smooth) / (y.sum() + p.sum() + smooth)
    return out


@pytest.mark.parametrize("smooth", [0.5, 1.0])
def test_soft_dice_numpy_matches_a_loop_and_the_package(ns, smooth):
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 4, size=(3, 7, 5))
    onehot = np.eye(4)[labels]
    prob = rng.dirichlet(np.ones(4), size=(3, 7, 5))
    got = ns["soft_dice_numpy"](onehot, prob, smooth)
    np.testing.assert_allclose(got, _loop(onehot, prob, smooth), rtol=1e-12)
    package = keras.ops.convert_to_numpy(losses.soft_dice_scores(labels, prob.astype("float32"), smooth))
    np.testing.assert_allclose(got, package, rtol=1e-5)


def test_soft_dice_numpy_scores_empty_classes_one(ns):
    onehot = np.zeros((1, 4, 4, 2))
    onehot[..., 0] = 1.0
    assert ns["soft_dice_numpy"](onehot, onehot, 1.0)[0].tolist() == [1.0, 1.0]
