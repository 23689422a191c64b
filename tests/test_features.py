"""mlcourse.features: pixel and HOG feature matrices, stratified subsamples."""

from __future__ import annotations

import numpy as np
import pytest
from skimage.feature import hog

from mlcourse import features


def test_flatten_scales_uint8_to_unit_range():
    x = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)
    f = features.flatten(x)
    assert f.dtype == np.float32 and f.shape == (1, 4)
    np.testing.assert_allclose(f, [[0.0, 1.0, 0.2, 0.4]], atol=1e-7)
    assert features.flatten(np.zeros((5, 28, 28, 3), np.uint8)).shape == (5, 28 * 28 * 3)


def test_flatten_rejects_volumes():
    with pytest.raises(ValueError, match="pick slices"):
        features.flatten(np.zeros((2, 28, 28, 28), np.uint8))


def test_hog_matches_skimage_per_image():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(3, 28, 28), dtype=np.uint8)
    f = features.hog_features(x)
    expected = hog(x[1], orientations=9, pixels_per_cell=(4, 4), cells_per_block=(2, 2))
    np.testing.assert_allclose(f[1], expected, rtol=1e-6)
    assert f.shape == (3, 6 * 6 * 2 * 2 * 9)


def test_hog_handles_rgb_and_channel_axis():
    x = np.random.default_rng(1).integers(0, 256, size=(2, 28, 28, 3), dtype=np.uint8)
    assert features.hog_features(x).shape[0] == 2
    assert features.hog_features(x[..., :1]).shape == features.hog_features(x[..., 0]).shape


def test_hog_refuses_too_small_images():
    with pytest.raises(ValueError, match="smaller cells"):
        features.hog_features(np.zeros((1, 6, 6), np.uint8), pixels_per_cell=(4, 4))


def test_subsample_is_stratified_deterministic_and_ordered():
    y = np.array([0] * 250 + [1] * 750).reshape(-1, 1)
    x = np.arange(1000)
    xs, ys = features.subsample(x, y, 100, seed=3)
    assert len(xs) == 100 and (ys == 0).sum() == 25
    assert np.all(np.diff(xs) > 0)
    xs2, _ = features.subsample(x, y, 100, seed=3)
    assert np.array_equal(xs, xs2)
    assert features.subsample(x, y, None)[0] is x


def test_subsample_errors():
    with pytest.raises(ValueError, match="samples"):
        features.subsample(np.arange(3), np.arange(4), 2)
    with pytest.raises(ValueError, match="positive"):
        features.subsample(np.arange(3), np.arange(3), 0)
