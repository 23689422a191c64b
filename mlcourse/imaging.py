"""Medical-image helpers used by several chapters: DICOM to arrays, Hounsfield units, windowing.

* `dicom_to_array` and `to_hounsfield` turn stored DICOM pixel values into physical numbers
  (``value = RescaleSlope * stored + RescaleIntercept``), optionally undoing MONOCHROME1 inversion.
* `apply_window` maps an intensity window (centre ``c``, width ``w``) linearly onto [0, 1]:
  values at or below ``c - w/2`` become 0, values at or above ``c + w/2`` become 1.
  `WINDOWS` holds the usual CT presets as plain data.

Every function checks its input and raises ValueError with a readable message when it is wrong.
"""

from __future__ import annotations

import os
from typing import Any, NamedTuple

import numpy as np

from mlcourse.arrays import finite_number, real_array

__all__ = [
    "Window",
    "WINDOWS",
    "apply_window",
    "dicom_to_array",
    "to_hounsfield",
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


def apply_window(image: Any, center: float, width: float) -> np.ndarray:
    """Map the window [center - width/2, center + width/2] linearly onto [0, 1], clipping outside it.

    Works on arrays of any shape (a slice or a volume). Returns float64 values in [0, 1].
    Use a preset with ``apply_window(hu, *WINDOWS["lung"])``.
    """
    arr = real_array(image)
    c = finite_number(center, "center")
    w = finite_number(width, "width")
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
    slope = 1.0 if slope in (None, "") else finite_number(slope, "RescaleSlope")
    intercept = 0.0 if intercept in (None, "") else finite_number(intercept, "RescaleIntercept")
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
    s = finite_number(slope, "slope")
    if s == 0:
        raise ValueError("slope must not be 0.")
    b = finite_number(intercept, "intercept")
    return s * real_array(ds_or_array, "stored values").astype(np.float64) + b
