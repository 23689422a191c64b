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


def real_array(image: Any, name: str = "image") -> np.ndarray:
    """An array of real numbers with at least one element (bool counts as 0/1)."""
    arr = np.asarray(image)
    if arr.dtype == bool:
        arr = arr.astype(np.uint8)
    if arr.dtype.kind not in "uif":
        raise ValueError(f"{name} must hold real numbers, got dtype {arr.dtype}.")
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}).")
    return arr
