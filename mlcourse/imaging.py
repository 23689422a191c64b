"""Medical-image helpers used by several chapters: DICOM to arrays, Hounsfield units, windowing, duplicates.

* `dicom_to_array` and `to_hounsfield` turn stored DICOM pixel values into physical numbers
  (``value = RescaleSlope * stored + RescaleIntercept``), optionally undoing MONOCHROME1 inversion.
* `apply_window` maps an intensity window (centre ``c``, width ``w``) linearly onto [0, 1]:
  values at or below ``c - w/2`` become 0, values at or above ``c + w/2`` become 1.
  `WINDOWS` holds the usual CT presets as plain data.
* `difference_hash`, `hamming`, `find_duplicates` and `cross_split_duplicates` find exact and
  near-duplicate images inside a data set and across its splits (a common source of leakage).

Every function checks its input and raises ValueError with a readable message when it is wrong.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any, NamedTuple

import numpy as np

__all__ = [
    "Window",
    "WINDOWS",
    "apply_window",
    "dicom_to_array",
    "to_hounsfield",
    "difference_hash",
    "hamming",
    "find_duplicates",
    "cross_split_duplicates",
]


# ----------------------------------------------------------------------------- windowing
class Window(NamedTuple):
    """An intensity window: its centre (level) and width, in the image's units (HU for CT)."""

    center: float
    width: float

    @property
    def low(self) -> float:
        return self.center - self.width / 2

    @property
    def high(self) -> float:
        return self.center + self.width / 2


#: Common CT display windows in Hounsfield units (centre, width). Hospitals use slightly
#: different values; these are typical textbook choices.
WINDOWS: dict[str, Window] = {
    "lung": Window(-600.0, 1500.0),
    "mediastinum": Window(40.0, 400.0),
    "soft_tissue": Window(40.0, 400.0),
    "bone": Window(400.0, 1800.0),
    "brain": Window(40.0, 80.0),
}


def _finite_number(value: Any, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}.") from None
    if not np.isfinite(number):
        raise ValueError(f"{name} must be finite, got {number}.")
    return number


def _numeric_array(image: Any, name: str = "image") -> np.ndarray:
    """An array of real numbers with at least one element (bool counts as 0/1)."""
    arr = np.asarray(image)
    if arr.dtype == bool:
        arr = arr.astype(np.uint8)
    if arr.dtype.kind not in "uif":
        raise ValueError(f"{name} must hold real numbers, got dtype {arr.dtype}.")
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}).")
    return arr


def apply_window(image: Any, center: float, width: float) -> np.ndarray:
    """Map the window [center - width/2, center + width/2] linearly onto [0, 1], clipping outside it.

    Works on arrays of any shape (a slice or a volume). Returns float64 values in [0, 1].
    Use a preset with ``apply_window(hu, *WINDOWS["lung"])``.
    """
    arr = _numeric_array(image)
    c = _finite_number(center, "center")
    w = _finite_number(width, "width")
    if w <= 0:
        raise ValueError(f"width must be positive, got {w}: a window spans an interval of values.")
    out = (arr.astype(np.float64) - (c - w / 2)) / w
    return np.clip(out, 0.0, 1.0)


# ----------------------------------------------------------------------------- DICOM
def _as_dataset(ds_or_path: Any):
    """A pydicom Dataset from a Dataset, a path or a file-like object."""
    import pydicom

    if isinstance(ds_or_path, pydicom.Dataset):
        return ds_or_path
    if isinstance(ds_or_path, (str, os.PathLike)) or hasattr(ds_or_path, "read"):
        return pydicom.dcmread(ds_or_path)
    raise ValueError(f"expected a pydicom Dataset or the path of a DICOM file, got {type(ds_or_path).__name__}.")


def _rescale(ds) -> tuple[float, float]:
    slope = ds.get("RescaleSlope", 1.0)
    intercept = ds.get("RescaleIntercept", 0.0)
    slope = 1.0 if slope in (None, "") else _finite_number(slope, "RescaleSlope")
    intercept = 0.0 if intercept in (None, "") else _finite_number(intercept, "RescaleIntercept")
    if slope == 0:
        raise ValueError("RescaleSlope is 0 in this file, which would erase the image.")
    return slope, intercept


def dicom_to_array(ds_or_path: Any, invert_monochrome1: bool = True) -> np.ndarray:
    """The pixel data of a DICOM file as float64, in physical units where the file defines them.

    Applies ``RescaleSlope * stored + RescaleIntercept`` (slope 1 and intercept 0 when the tags
    are absent). For MONOCHROME1 images, where the lowest value is displayed white, the values are
    mirrored within the range the stored bits allow (``invert_monochrome1=True``) so that, as in
    MONOCHROME2, larger means brighter. Colour images (RGB) are returned as (rows, columns, 3).
    """
    ds = _as_dataset(ds_or_path)
    if "PixelData" not in ds:
        raise ValueError("this DICOM file holds no pixel data (no PixelData element).")
    stored = np.asarray(ds.pixel_array, dtype=np.float64)
    samples = int(ds.get("SamplesPerPixel", 1) or 1)
    if samples > 1:  # colour: the rescale tags do not apply
        return stored
    slope, intercept = _rescale(ds)
    values = slope * stored + intercept
    photometric = str(ds.get("PhotometricInterpretation", "MONOCHROME2")).strip().upper()
    if invert_monochrome1 and photometric == "MONOCHROME1":
        bits = int(ds.get("BitsStored", 0) or 0) or int(ds.get("BitsAllocated", 16))
        if int(ds.get("PixelRepresentation", 0) or 0) == 1:  # signed
            lo_stored, hi_stored = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
        else:
            lo_stored, hi_stored = 0, 2**bits - 1
        lo, hi = sorted((slope * lo_stored + intercept, slope * hi_stored + intercept))
        values = lo + hi - values
    return values


def to_hounsfield(ds_or_array: Any, slope: float | None = None, intercept: float | None = None) -> np.ndarray:
    """CT values in Hounsfield units: HU = slope * stored + intercept.

    Pass a CT DICOM Dataset (or path), whose RescaleSlope and RescaleIntercept are used, or an
    array of stored values together with ``slope`` and ``intercept``.
    """
    import pydicom

    if isinstance(ds_or_array, (pydicom.Dataset, str, os.PathLike)):
        if slope is not None or intercept is not None:
            raise ValueError("slope and intercept are read from the DICOM file; do not pass them as well.")
        ds = _as_dataset(ds_or_array)
        modality = str(ds.get("Modality", "")).strip()
        if modality != "CT":
            raise ValueError(f"Hounsfield units are defined for CT only; this file's Modality is {modality!r}.")
        if "RescaleIntercept" not in ds:
            raise ValueError("this CT file has no RescaleIntercept, so its values cannot be converted to HU.")
        return dicom_to_array(ds, invert_monochrome1=False)
    if slope is None or intercept is None:
        raise ValueError("for an array of stored values pass slope= and intercept= (RescaleSlope, RescaleIntercept).")
    s = _finite_number(slope, "slope")
    if s == 0:
        raise ValueError("slope must not be 0.")
    b = _finite_number(intercept, "intercept")
    return s * _numeric_array(ds_or_array, "stored values").astype(np.float64) + b


# ----------------------------------------------------------------------------- duplicates
def _shrink(image: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Area-average an image down (or up) to rows x cols (anti-aliased, like a thumbnail)."""
    from skimage.transform import resize

    return resize(image.astype(np.float64), (rows, cols), order=1, anti_aliasing=True, mode="reflect")


def _grey_2d(image: Any, name: str = "image") -> np.ndarray:
    arr = _numeric_array(image, name)
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
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 2:
        raise ValueError(f"size must be an integer >= 2, got {size!r}.")
    grey = _grey_2d(image)
    small = _shrink(grey, int(size), int(size) + 1)
    return (small[:, 1:] > small[:, :-1]).ravel()


def _bits(h: Any, name: str) -> np.ndarray:
    if isinstance(h, (int, np.integer)) and not isinstance(h, bool):
        if h < 0:
            raise ValueError(f"{name} must be a non-negative integer hash, got {h}.")
        return np.array([int(c) for c in bin(int(h))[2:]], dtype=bool)
    arr = np.asarray(h)
    if arr.dtype != bool and not (arr.dtype.kind in "ui" and np.isin(arr, (0, 1)).all()):
        raise ValueError(f"{name} must be a hash (a bool array or 0/1 integers, or a Python int), got dtype {arr.dtype}.")
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
    arr = _numeric_array(images, name)
    if arr.ndim < 3:
        raise ValueError(f"{name} must be a stack of images, shape (N, H, W) or (N, H, W, C); got {arr.shape}.")
    return arr


def _exact_keys(images: np.ndarray) -> list[str]:
    return [hashlib.sha1(np.ascontiguousarray(img).tobytes()).hexdigest() for img in images]


def _hash_matrix(images: np.ndarray, hash_size: int, name: str) -> np.ndarray:
    if images.ndim not in (3, 4):
        raise ValueError(f"dhash needs 2-D images: {name} must have shape (N, H, W) or (N, H, W, C), got {images.shape}.")
    return np.stack([difference_hash(img, hash_size) for img in images])


def _distances(h1: np.ndarray, h2: np.ndarray) -> np.ndarray:
    """All pairwise Hamming distances between two sets of bool hashes, as an int matrix."""
    a = h1.astype(np.float32)
    b = h2.astype(np.float32)
    return np.rint(a @ (1 - b).T + (1 - a) @ b.T).astype(np.int64)


def _check_method(method: str, max_distance: Any) -> int:
    if method not in ("exact", "dhash"):
        raise ValueError(f"method must be 'exact' or 'dhash', got {method!r}.")
    if isinstance(max_distance, bool) or not isinstance(max_distance, (int, np.integer)) or max_distance < 0:
        raise ValueError(f"max_distance must be a non-negative integer, got {max_distance!r}.")
    if method == "exact" and max_distance != 0:
        raise ValueError("max_distance applies to method='dhash' only; exact matching has no distance.")
    return int(max_distance)


def find_duplicates(images: Any, method: str = "exact", max_distance: int = 0,
                    hash_size: int = 8) -> list[list[int]]:
    """Groups of indices of images that are copies of one another inside one stack of images.

    ``method="exact"`` compares the raw bytes (identical pixels); ``method="dhash"`` compares
    difference hashes and links two images when their Hamming distance is at most
    ``max_distance`` (groups are the connected components of those links). Returns a list of
    groups, each a sorted list of at least two indices, ordered by their first index.
    """
    max_distance = _check_method(method, max_distance)
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
    max_distance = _check_method(method, max_distance)
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
