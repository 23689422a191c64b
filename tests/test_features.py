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


RETINA_TRAIN_COUNTS = (486, 128, 206, 194, 66)   # RetinaMNIST train split, grades 0..4 (1,080 images)


def test_subsample_returns_exactly_n_for_every_size_on_retinamnist_counts():
    y = np.repeat(np.arange(5), RETINA_TRAIN_COUNTS)[:, None]
    x = np.arange(len(y))
    for n in range(1, 1000):
        xs, ys = features.subsample(x, y, n, seed=n)
        assert len(xs) == n == len(ys), n
        assert len(np.unique(xs)) == n and np.all(np.diff(xs) > 0)
        if n >= 5:
            assert set(ys[:, 0]) == {0, 1, 2, 3, 4}, n              # every grade is represented
        counts = np.bincount(ys[:, 0], minlength=5)
        assert np.all(np.abs(counts - np.array(RETINA_TRAIN_COUNTS) * n / len(y)) < 2), (n, counts)


def test_stratified_quotas_sum_to_n_and_respect_class_sizes():
    assert features.stratified_quotas([250, 750], 100).tolist() == [25, 75]
    assert features.stratified_quotas([5, 1, 1], 2).tolist() == [1, 1, 0]          # fewer samples than classes
    assert features.stratified_quotas([3, 1], 4).tolist() == [3, 1]
    rng = np.random.default_rng(0)
    for _ in range(200):
        counts = rng.integers(1, 50, size=rng.integers(1, 8))
        n = int(rng.integers(0, counts.sum() + 1))
        q = features.stratified_quotas(counts, n)
        assert q.sum() == n and np.all(q <= counts) and np.all(q >= 0)
    with pytest.raises(ValueError, match="larger than the 4 samples"):
        features.stratified_quotas([3, 1], 5)


def test_subsample_clips_large_n_and_refuses_non_integer_n():
    x, y = np.arange(10), np.arange(10) % 2
    assert features.subsample(x, y, 10)[0] is x and features.subsample(x, y, 999)[0] is x
    for bad in (2.5, 3.0, "5", True):
        with pytest.raises(TypeError, match="n must be a whole number"):
            features.subsample(x, y, bad)
    with pytest.raises(ValueError, match="positive"):
        features.subsample(x, y, -3)


def test_subsample_stratifies_one_hot_and_multi_label_rows():
    y = np.eye(3)[np.repeat([0, 1, 2], [10, 20, 30])]
    xs, ys = features.subsample(np.arange(60), y, 12, seed=1)
    assert ys.sum(axis=0).tolist() == [2, 4, 6]


def test_flatten_scales_integer_and_float_0_255_images_and_refuses_nan():
    x = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)
    expected = features.flatten(x)
    np.testing.assert_allclose(features.flatten(x.astype(np.int64)), expected, atol=1e-7)
    np.testing.assert_allclose(features.flatten(x.astype(np.float64)), expected, atol=1e-7)
    np.testing.assert_allclose(features.flatten(x / 255.0), expected, atol=1e-7)
    with pytest.raises(ValueError, match="NaN"):
        features.flatten(np.full((1, 2, 2), np.nan))
    with pytest.raises(ValueError, match="integer values"):
        features.flatten(np.full((1, 2, 2), 4095))
