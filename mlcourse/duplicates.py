"""Exact and near-duplicate images inside a data set and across its splits (a common source of leakage).

* `difference_hash` and `hamming`: a perceptual hash of an image and the distance between two hashes;
* `find_duplicates`: groups of copies inside one stack of images;
* `cross_split_duplicates`: images of one split that also occur in another.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from mlcourse.arrays import real_array

__all__ = ["cross_split_duplicates", "difference_hash", "find_duplicates", "hamming"]


def _shrink(image: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Area-average an image down (or up) to rows x cols (anti-aliased, like a thumbnail)."""
    from skimage.transform import resize

    return resize(image.astype(np.float64), (rows, cols), order=1, anti_aliasing=True, mode="reflect")


def _grey_2d(image: Any, name: str = "image") -> np.ndarray:
    arr = real_array(image, name)
    if arr.ndim == 3 and arr.shape[-1] in (1, 3, 4):  # a channel axis: average the colour channels
        arr = arr[..., :3].astype(np.float64).mean(axis=-1)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D grey-scale image (or H x W x channels), got shape {arr.shape}.")
    if min(arr.shape) < 2:
        raise ValueError(f"{name} of shape {arr.shape} is too small to hash.")
    return arr


def difference_hash(image: Any, size: int = 8) -> np.ndarray:
    """The difference hash (dHash) of an image: size*size bits as a flat bool array.

    The image is shrunk to ``size`` rows and ``size + 1`` columns; each bit says whether a pixel is
    brighter than its left neighbour. Brightness and contrast changes, mild noise and resizing leave
    most bits unchanged, so near-identical images get hashes a small Hamming distance apart.
    """
    size = _check_hash_size(size)
    grey = _grey_2d(image)
    small = _shrink(grey, size, size + 1)
    return (small[:, 1:] > small[:, :-1]).ravel()


def _bits(h: Any, name: str) -> np.ndarray:
    if isinstance(h, (int, np.integer)) and not isinstance(h, bool):
        if h < 0:
            raise ValueError(f"{name} must be a non-negative integer hash, got {h}.")
        return np.array([int(c) for c in bin(int(h))[2:]], dtype=bool)
    arr = np.asarray(h)
    if arr.dtype != bool and not (arr.dtype.kind in "ui" and np.isin(arr, (0, 1)).all()):
        raise ValueError(f"{name} must be a hash (a bool array or 0/1 integers, or a Python int), "
                         f"got dtype {arr.dtype}.")
    return arr.astype(bool).ravel()


def hamming(a: Any, b: Any) -> int:
    """The number of bits in which two hashes differ (bool arrays of equal length, or two ints)."""
    if all(isinstance(h, (int, np.integer)) and not isinstance(h, bool) for h in (a, b)):
        if a < 0 or b < 0:
            raise ValueError("integer hashes must be non-negative.")
        return bin(int(a) ^ int(b)).count("1")
    x, y = _bits(a, "a"), _bits(b, "b")
    if x.shape != y.shape:
        raise ValueError(f"the hashes have different lengths ({x.size} and {y.size} bits); use the same size.")
    return int(np.count_nonzero(x != y))


def _image_stack(images: Any, name: str) -> np.ndarray:
    arr = real_array(images, name)
    if arr.ndim < 3:
        raise ValueError(f"{name} must be a stack of images, shape (N, H, W) or (N, H, W, C); got {arr.shape}.")
    return arr


def _exact_keys(images: np.ndarray) -> list[str]:
    return [hashlib.sha1(np.ascontiguousarray(img).tobytes()).hexdigest() for img in images]


def _hash_matrix(images: np.ndarray, hash_size: int, name: str) -> np.ndarray:
    if images.ndim not in (3, 4):
        raise ValueError(f"dhash needs 2-D images: {name} must have shape (N, H, W) or (N, H, W, C), "
                         f"got {images.shape}.")
    return np.stack([difference_hash(img, hash_size) for img in images])


def _distances(h1: np.ndarray, h2: np.ndarray) -> np.ndarray:
    """All pairwise Hamming distances between two sets of bool hashes, as an int matrix."""
    a = h1.astype(np.float32)
    b = h2.astype(np.float32)
    return np.rint(a @ (1 - b).T + (1 - a) @ b.T).astype(np.int64)


def _check_hash_size(size: Any, name: str = "size") -> int:
    """The dHash size as an int >= 2, or a ValueError naming the argument."""
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 2:
        raise ValueError(f"{name} must be an integer >= 2 (8 gives 64-bit hashes), got {size!r}.")
    return int(size)


def _check_method(method: str, max_distance: Any, hash_size: Any = 8) -> int:
    if not isinstance(method, str) or method not in ("exact", "dhash"):
        raise ValueError(f"method must be 'exact' or 'dhash', got {method!r}.")
    if isinstance(max_distance, bool) or not isinstance(max_distance, (int, np.integer)) or max_distance < 0:
        raise ValueError(f"max_distance must be a non-negative integer, got {max_distance!r}.")
    if method == "exact" and max_distance != 0:
        raise ValueError("max_distance applies to method='dhash' only; exact matching has no distance.")
    _check_hash_size(hash_size, "hash_size")
    return int(max_distance)


def find_duplicates(images: Any, method: str = "exact", max_distance: int = 0,
                    hash_size: int = 8) -> list[list[int]]:
    """Groups of indices of images that are copies of one another inside one stack of images.

    ``method="exact"`` compares the raw bytes (identical pixels); ``method="dhash"`` compares
    difference hashes and links two images when their Hamming distance is at most
    ``max_distance`` (groups are the connected components of those links). Returns a list of
    groups, each a sorted list of at least two indices, ordered by their first index.
    """
    max_distance = _check_method(method, max_distance, hash_size)
    arr = _image_stack(images, "images")
    n = len(arr)
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    if method == "exact":
        first: dict[str, int] = {}
        for i, key in enumerate(_exact_keys(arr)):
            if key in first:
                parent[root(i)] = root(first[key])
            else:
                first[key] = i
    else:
        hashes = _hash_matrix(arr, hash_size, "images")
        for start in range(0, n, 2048):  # in blocks, so that memory stays small
            d = _distances(hashes[start:start + 2048], hashes)
            for i, j in np.argwhere(d <= max_distance):
                i = int(i) + start
                if i < j:
                    parent[root(int(j))] = root(i)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(root(i), []).append(i)
    return sorted((g for g in groups.values() if len(g) > 1), key=lambda g: g[0])


def cross_split_duplicates(a: Any, b: Any, method: str = "exact", max_distance: int = 0,
                           hash_size: int = 8) -> list[tuple[int, int]]:
    """Pairs (i, j) such that image ``a[i]`` is a copy of image ``b[j]`` (exactly, or by dHash).

    Use it to find images of one split (say the test set) that also occur in another (the
    training set). Pairs are sorted by i, then j.
    """
    max_distance = _check_method(method, max_distance, hash_size)
    x = _image_stack(a, "a")
    y = _image_stack(b, "b")
    if x.shape[1:] != y.shape[1:] and method == "exact":
        return []
    if method == "exact":
        where: dict[str, list[int]] = {}
        for j, key in enumerate(_exact_keys(y)):
            where.setdefault(key, []).append(j)
        return [(i, j) for i, key in enumerate(_exact_keys(x)) for j in where.get(key, [])]
    hx = _hash_matrix(x, hash_size, "a")
    hy = _hash_matrix(y, hash_size, "b")
    pairs: list[tuple[int, int]] = []
    for start in range(0, len(hx), 2048):
        d = _distances(hx[start:start + 2048], hy)
        pairs.extend((int(i) + start, int(j)) for i, j in np.argwhere(d <= max_distance))
    return sorted(pairs)
