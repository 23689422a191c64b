"""One conversion and validation layer for the arrays the course passes around: images, labels, scores.

Every function names the argument it checks in its error message and says how to fix the input.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["finite_number", "real_array"]


def finite_number(value: Any, name: str) -> float:
    """A finite real number, or a ValueError naming the argument."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}.") from None
    if not np.isfinite(number):
        raise ValueError(f"{name} must be finite, got {number}.")
    return number


def real_array(image: Any, name: str = "image", *, finite: bool = True) -> np.ndarray:
    """An array of real numbers with at least one element (bool counts as 0/1); NaN/inf refused when `finite`."""
    if isinstance(image, (str, bytes)):
        raise TypeError(f"{name} must be an array of numbers, got the string {image!r:.40}.")
    arr = np.asarray(image)
    if arr.dtype == bool:
        arr = arr.astype(np.uint8)
    if arr.dtype.kind not in "uif":
        raise ValueError(f"{name} must hold real numbers, got dtype {arr.dtype}.")
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}).")
    if finite and arr.dtype.kind == "f" and not np.isfinite(arr).all():
        bad = int(np.count_nonzero(~np.isfinite(arr)))
        raise ValueError(f"{name} contains {bad} NaN or infinite value(s); replace or drop them first "
                         "(e.g. np.nan_to_num, or check how the array was computed).")
    return arr
