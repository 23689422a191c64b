"""One conversion and validation layer for the arrays the course passes around: images, labels, scores.

Every function names the argument it checks in its error message and says how to fix the input.

- `to_float_images`: images as float32 in [0, 1] (the scaling rule is in its docstring);
- `class_labels`: class indices as a 1-D int64 vector, from (N,), (N, 1) or one-hot (N, C) labels;
- `score_column`: the positive-class scores of a binary task as a 1-D float vector;
- `check_positive_int`, `check_positive_number`, `check_fraction`: small argument validators;
- `finite_number`, `real_array`: the building blocks the others use.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

__all__ = ["check_fraction", "check_positive_int", "check_positive_number", "class_labels", "finite_number",
           "real_array", "score_column", "to_float_images"]


def finite_number(value: Any, name: str) -> float:
    """A finite real number (not a string or a bool), or a ValueError naming the argument."""
    if isinstance(value, (str, bytes, bool, np.bool_)):
        raise ValueError(f"{name} must be a number, got {value!r}; write it without quotes, e.g. {name}=0.5.")
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


def _numeric(values: Any, name: str) -> np.ndarray:
    """An array of real numbers (bool kept as bool) or a TypeError naming the argument."""
    if isinstance(values, (str, bytes)):
        raise TypeError(f"{name} must be an array of numbers, got the string {values!r:.40}.")
    try:
        arr = np.asarray(values)
    except ValueError as err:  # ragged nested lists
        raise ValueError(f"{name} could not be turned into an array ({err}); "
                         "give every item the same shape.") from None
    if arr.dtype.kind == "c":
        raise TypeError(f"{name} holds complex numbers (dtype {arr.dtype}); pass real values, e.g. np.abs(x).")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}; "
                        "convert it with np.asarray(..., dtype=float) after checking its contents.")
    return arr


def to_float_images(images: Any, *, name: str = "images", channels_last: bool = True) -> np.ndarray:
    """Images as float32 in [0, 1]; the rule is decided by dtype and range, see below.

    - uint8: divided by 255;
    - other integer dtypes: must lie in 0..255, then divided by 255 (rescale 16-bit images first);
    - bool: False -> 0.0, True -> 1.0;
    - float: kept as they are when the whole array lies in [0, 1]; divided by 255 when it lies in
      [0, 255] and its maximum is above 1; refused when any value is negative or above 255.
      The decision is made once for the whole array, so pass a whole split, not image by image
      (a very dark 0..255 float image whose maximum is at most 1 would be kept unscaled).
    - NaN, infinity, complex numbers, strings and objects are refused.

    With `channels_last` (the default) the result has shape (N, H, W, C): a channel axis is added to
    (N, H, W) and any other number of dimensions is refused. With `channels_last=False` the shape is
    kept as it is (any number of dimensions).
    """
    arr = _numeric(images, name)
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}); pass at least one image.")
    if channels_last:
        if arr.ndim == 3:
            arr = arr[..., None]
        elif arr.ndim != 4:
            raise ValueError(f"{name} must have shape (N, H, W) or (N, H, W, C); got shape {arr.shape}. "
                             "For a single image add a batch axis (image[None]).")
    kind = arr.dtype.kind
    if kind == "b":
        return arr.astype(np.float32)
    if arr.dtype == np.uint8:
        return arr.astype(np.float32) / np.float32(255.0)
    if kind in "iu":
        lo, hi = int(arr.min()), int(arr.max())
        if lo < 0 or hi > 255:
            raise ValueError(f"{name} has integer values in [{lo}, {hi}], outside 0..255; "
                             "rescale them to 0..255 (or to floats in [0, 1]) first.")
        return arr.astype(np.float32) / np.float32(255.0)
    if not np.isfinite(arr).all():
        bad = int(np.count_nonzero(~np.isfinite(arr)))
        raise ValueError(f"{name} contains {bad} NaN or infinite value(s); replace or drop those images first "
                         "(np.isfinite(x) shows where they are).")
    lo, hi = float(arr.min()), float(arr.max())
    if lo < 0.0 or hi > 255.0:
        raise ValueError(f"{name} has float values in [{lo:.4g}, {hi:.4g}]; images must lie in [0, 1] "
                         "(or 0..255, which is divided by 255). Undo any normalisation, or rescale with "
                         "(x - x.min()) / (x.max() - x.min()).")
    out = arr.astype(np.float32)
    return out / np.float32(255.0) if hi > 1.0 else out


def class_labels(y: Any, *, name: str = "y", n_classes: int | None = None) -> np.ndarray:
    """Class indices as a 1-D int64 vector from (N,), (N, 1) or one-hot (N, C) labels, checked against n_classes.

    Whole-number floats (1.0) are accepted; other floats are refused because they are not class
    indices. A one-hot row must hold exactly one 1 and zeros elsewhere; its class is the 1's column.
    """
    arr = _numeric(y, name)
    if n_classes is not None:
        n_classes = check_positive_int(n_classes, "n_classes")
    if arr.ndim == 0:
        raise ValueError(f"{name} must be an array with one label per sample, got the single value {arr.item()!r}.")
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}); pass at least one label.")
    if arr.ndim > 2:
        raise ValueError(f"{name} must have shape (N,), (N, 1) or one-hot (N, C); got shape {arr.shape}.")
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        bad = int(np.count_nonzero(~np.isfinite(arr)))
        raise ValueError(f"{name} contains {bad} NaN or infinite label(s); drop those samples first.")
    if arr.ndim == 2 and arr.shape[1] > 1:
        if n_classes is not None and arr.shape[1] != n_classes:
            raise ValueError(f"{name} looks one-hot with {arr.shape[1]} columns, but there are {n_classes} "
                             "classes; pass one column per class, or the class indices themselves.")
        if not (np.isin(arr, (0, 1)).all() and (arr.sum(axis=1) == 1).all()):
            raise ValueError(f"{name} has shape {arr.shape} but its rows are not one-hot (exactly one 1, "
                             "zeros elsewhere); pass class indices of shape (N,) or (N, 1). "
                             "Probabilities are scores, not labels; multi-label targets are not class labels.")
        return np.argmax(arr, axis=1).astype(np.int64)
    flat = arr.reshape(len(arr))
    if flat.dtype.kind == "f":
        fractional = flat != np.round(flat)
        if fractional.any():
            raise ValueError(f"{name}: labels must be class indices; got {flat[fractional][0]:g}. "
                             "Round probabilities with np.argmax(p, axis=1) (or p > 0.5) first.")
    out = flat.astype(np.int64)
    lo, hi = int(out.min()), int(out.max())
    if lo < 0 or (n_classes is not None and hi >= n_classes):
        valid = f"0..{n_classes - 1}" if n_classes is not None else "0 or more"
        raise ValueError(f"{name} holds labels in [{lo}, {hi}], but class indices must be {valid}; "
                         "check that the labels belong to this task.")
    return out


def score_column(scores: Any, *, name: str = "y_score") -> np.ndarray:
    """The positive-class scores of a binary task as 1-D float64, from (N,), (N, 1) or (N, 2) (last column)."""
    arr = _numeric(scores, name)
    if arr.ndim == 0:
        raise ValueError(f"{name} must be an array with one score per sample, got the single value {arr.item()!r}.")
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}); pass at least one score.")
    if arr.ndim > 2 or (arr.ndim == 2 and arr.shape[1] > 2):
        raise ValueError(f"{name} must have shape (N,), (N, 1) or (N, 2) for a binary task; got {arr.shape}. "
                         "For more classes pick one class's column (one-vs-rest).")
    col = arr.reshape(len(arr), -1)[:, -1].astype(np.float64)
    if not np.isfinite(col).all():
        bad = int(np.count_nonzero(~np.isfinite(col)))
        raise ValueError(f"{name} contains {bad} NaN or infinite score(s); check how they were computed.")
    return col


def check_positive_int(value: Any, name: str, *, minimum: int = 1) -> int:
    """`value` as an int >= minimum (bools and floats refused), or an error naming the argument."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a whole number (an int), got {value!r} of type {type(value).__name__}"
                        + (f"; pass {int(value)} or {int(value) + 1}." if isinstance(value, float)
                           and np.isfinite(value) else "."))
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}.")
    return int(value)


def check_positive_number(value: Any, name: str) -> float:
    """`value` as a finite float > 0 (bools refused), or a ValueError naming the argument."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a number, got the bool {value!r}.")
    number = finite_number(value, name)
    if number <= 0:
        raise ValueError(f"{name} must be greater than 0, got {number:g}.")
    return number


def check_fraction(value: Any, name: str, *, closed_right: bool = False) -> float:
    """`value` as a float in [0, 1) (or [0, 1] with `closed_right`), or a ValueError naming the argument."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a number, got the bool {value!r}.")
    number = finite_number(value, name)
    if number < 0 or number > 1 or (number == 1 and not closed_right):
        interval = "[0, 1]" if closed_right else "[0, 1)"
        raise ValueError(f"{name} must be in {interval}, got {number:g}.")
    return number
