"""Tests of mlcourse.duplicates: the difference hash, Hamming distance and duplicate finding."""

from __future__ import annotations

import numpy as np
import pytest

from mlcourse import duplicates
from mlcourse.duplicates import cross_split_duplicates, difference_hash, find_duplicates, hamming


# ----------------------------------------------------------------------------- dHash
def _smooth_image(seed, shape=(28, 28)):
    rng = np.random.default_rng(seed)
    from scipy.ndimage import gaussian_filter

    return gaussian_filter(rng.uniform(0, 255, shape), 2.0)


def test_dhash_shape_and_type():
    h = difference_hash(_smooth_image(0))
    assert h.dtype == bool and h.shape == (64,)
    assert difference_hash(_smooth_image(0), size=12).shape == (144,)


def test_dhash_invariant_to_small_brightness_change():
    img = _smooth_image(1)
    brighter = np.clip(img * 1.05 + 10, 0, 255)
    assert hamming(difference_hash(img), difference_hash(brighter)) <= 2
    assert hamming(difference_hash(img), difference_hash(img.astype(np.uint8))) <= 2


def test_dhash_sensitive_to_a_different_image():
    a, b = _smooth_image(2), _smooth_image(3)
    assert hamming(difference_hash(a), difference_hash(b)) >= 15
    # a mirrored image is a different image for dHash
    assert hamming(difference_hash(a), difference_hash(a[:, ::-1])) >= 15


def test_dhash_of_colour_image_averages_channels():
    grey = _smooth_image(4)
    rgb = np.stack([grey, grey, grey], axis=-1)
    np.testing.assert_array_equal(difference_hash(rgb), difference_hash(grey))


@pytest.mark.parametrize("image, size, message", [
    (np.zeros(10), 8, "2-D"),
    (np.zeros((2, 3, 4, 5)), 8, "2-D"),
    (np.zeros((1, 9)), 8, "too small"),
    (np.zeros((9, 9)), 1, "size must be an integer"),
    (np.zeros((9, 9)), 8.5, "size must be an integer"),
])
def test_dhash_bad_input(image, size, message):
    with pytest.raises(ValueError, match=message):
        difference_hash(image, size=size)


def test_hamming():
    assert hamming(np.array([1, 0, 1, 1], dtype=bool), np.array([0, 0, 1, 0], dtype=bool)) == 2
    assert hamming(0b1011, 0b0010) == 2
    assert hamming([0, 1, 1], [0, 1, 1]) == 0
    with pytest.raises(ValueError, match="different lengths"):
        hamming(np.zeros(64, bool), np.zeros(144, bool))
    with pytest.raises(ValueError, match="must be a hash"):
        hamming(np.array([0.5, 1.0]), np.array([1.0, 0.0]))


# ----------------------------------------------------------------------------- duplicate finding
def _stack():
    """Six 16x16 images: 0, 3 and 5 identical; 1 and 4 differ only by a brightness offset; 2 unrelated."""
    base = np.clip(_smooth_image(10, (16, 16)), 0, 200).astype(np.uint8)
    other = np.clip(_smooth_image(11, (16, 16)), 0, 200).astype(np.uint8)
    third = np.clip(_smooth_image(12, (16, 16)), 0, 200).astype(np.uint8)
    shifted = (other.astype(int) + 3).astype(np.uint8)
    return np.stack([base, other, third, base.copy(), shifted, base.copy()])


def test_find_exact_duplicates():
    images = _stack()
    assert find_duplicates(images) == [[0, 3, 5]]
    assert find_duplicates(images[[1, 2]]) == []


def test_find_near_duplicates_with_dhash():
    images = _stack()
    groups = find_duplicates(images, method="dhash", max_distance=2)
    assert [0, 3, 5] in groups and [1, 4] in groups
    assert all(2 not in g for g in groups)


def test_cross_split_duplicates():
    images = _stack()
    a, b = images[[0, 1, 2]], images[[4, 5, 3]]
    assert cross_split_duplicates(a, b) == [(0, 1), (0, 2)]
    assert cross_split_duplicates(a, b, method="dhash", max_distance=2) == [(0, 1), (0, 2), (1, 0)]
    assert cross_split_duplicates(a, np.zeros((2, 8, 8), np.uint8)) == []


@pytest.mark.parametrize("kwargs, message", [
    (dict(method="md5"), "method must be"),
    (dict(method="exact", max_distance=3), "applies to method='dhash' only"),
    (dict(method="dhash", max_distance=-1), "non-negative integer"),
    (dict(method="dhash", max_distance=1.5), "non-negative integer"),
])
def test_duplicate_finder_bad_options(kwargs, message):
    with pytest.raises(ValueError, match=message):
        find_duplicates(_stack(), **kwargs)
    with pytest.raises(ValueError, match=message):
        cross_split_duplicates(_stack(), _stack(), **kwargs)


def test_duplicate_finder_bad_images():
    with pytest.raises(ValueError, match="stack of images"):
        find_duplicates(np.zeros((28, 28)))
    with pytest.raises(ValueError, match=r"\(N, H, W\)"):
        find_duplicates(np.zeros((2, 3, 4, 5, 6)), method="dhash")
    with pytest.raises(ValueError, match="empty"):
        cross_split_duplicates(np.zeros((0, 28, 28)), np.zeros((2, 28, 28)))


def test_module_exports():
    assert set(duplicates.__all__) == {"difference_hash", "hamming", "find_duplicates", "cross_split_duplicates"}


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_pixels_are_refused(bad):
    image = np.zeros((9, 9))
    image[4, 4] = bad
    with pytest.raises(ValueError, match="image contains 1 NaN or infinite"):
        difference_hash(image)
    nan_stack = np.full((6, 9, 9), bad)  # six all-NaN images must not come back as duplicates
    for method in ("exact", "dhash"):
        with pytest.raises(ValueError, match="images contains 486 NaN or infinite"):
            find_duplicates(nan_stack, method=method)
        with pytest.raises(ValueError, match="b contains"):
            cross_split_duplicates(np.zeros((2, 9, 9)), nan_stack, method=method)


def test_non_numeric_images_and_hash_size_are_refused():
    with pytest.raises(TypeError, match="image must be an array of numbers"):
        difference_hash("abc")
    with pytest.raises(ValueError, match="real numbers"):
        difference_hash(np.zeros((9, 9)) + 0j)
    with pytest.raises(ValueError, match="real numbers"):
        find_duplicates(np.array([[["a", "b"], ["c", "d"]]] * 2))
    with pytest.raises(ValueError, match="hash_size must be an integer >= 2"):
        find_duplicates(_stack(), method="exact", hash_size=1)  # refused even where it is not used
    with pytest.raises(ValueError, match="hash_size must be an integer >= 2"):
        cross_split_duplicates(_stack(), _stack(), method="dhash", hash_size=2.5)
    with pytest.raises(ValueError, match="method must be"):
        find_duplicates(_stack(), method=["exact"])
