"""Tests of mlcourse.imaging: windowing, DICOM values and Hounsfield units, and DICOM files."""

from __future__ import annotations

import numpy as np
import pytest

from mlcourse import imaging
from mlcourse.imaging import (
    WINDOWS,
    apply_window,
    dicom_to_array,
    to_hounsfield,
)

pydicom = pytest.importorskip("pydicom")
from pydicom.data import get_testdata_file  # noqa: E402


def _testfile(name):
    path = get_testdata_file(name)
    if path is None:
        pytest.skip(f"{name} is not available (install pydicom-data)")
    return path


# ----------------------------------------------------------------------------- windowing
def test_window_hand_computed_values():
    # centre 40, width 400: the window runs from -160 to 240 HU
    hu = np.array([-1000.0, -160.0, -60.0, 40.0, 140.0, 240.0, 3000.0])
    expected = np.array([0.0, 0.0, 0.25, 0.5, 0.75, 1.0, 1.0])
    np.testing.assert_allclose(apply_window(hu, 40, 400), expected)


def test_window_preset_and_shapes():
    volume = np.linspace(-1200, 1200, 2 * 3 * 4).reshape(2, 3, 4)
    out = apply_window(volume, *WINDOWS["lung"])
    assert out.shape == volume.shape and out.dtype == np.float64
    assert out.min() >= 0 and out.max() <= 1
    # lung window: -600 +- 750, so -1350 -> 0 and 150 -> 1
    np.testing.assert_allclose(apply_window([-1350, -600, 150], *WINDOWS["lung"]), [0, 0.5, 1])


def test_window_integer_input_is_not_truncated():
    out = apply_window(np.array([0, 1, 2, 3], dtype=np.uint8), 1.5, 2)
    np.testing.assert_allclose(out, [0.0, 0.25, 0.75, 1.0])


def test_presets_are_data():
    for name in ("lung", "mediastinum", "soft_tissue", "bone", "brain"):
        w = WINDOWS[name]
        assert w.width > 0 and w.low < w.center < w.high
    assert WINDOWS["brain"].width < WINDOWS["soft_tissue"].width < WINDOWS["lung"].width


@pytest.mark.parametrize("image, center, width, message", [
    (np.zeros((4, 4)), 40, 0, "width must be positive"),
    (np.zeros((4, 4)), 40, -400, "width must be positive"),
    (np.zeros((4, 4)), "level", 400, "center must be a number"),
    (np.zeros((4, 4)), 40, float("nan"), "width must be finite"),
    (np.array([]), 40, 400, "empty"),
    (np.array(["a", "b"]), 40, 400, "real numbers"),
])
def test_window_bad_input(image, center, width, message):
    with pytest.raises(ValueError, match=message):
        apply_window(image, center, width)


# ----------------------------------------------------------------------------- DICOM and HU
def test_hounsfield_on_real_ct():
    ds = pydicom.dcmread(_testfile("CT_small.dcm"))
    hu = to_hounsfield(ds)
    assert hu.shape == (128, 128) and hu.dtype == np.float64
    # the rescale of this file is HU = 1 * stored - 1024
    np.testing.assert_array_equal(hu, ds.pixel_array.astype(float) - 1024)
    # a chest slice: lung (far below water), soft tissue near 0 HU and bone well above it
    assert (hu < -700).mean() > 0.05
    assert -1024 <= hu.min() < -800
    assert abs(np.median(hu)) < 100
    assert (hu > 300).mean() > 0.02
    # the same numbers through the path and through dicom_to_array
    np.testing.assert_array_equal(to_hounsfield(_testfile("CT_small.dcm")), hu)
    np.testing.assert_array_equal(dicom_to_array(ds), hu)


def test_hounsfield_from_array():
    stored = np.array([0, 1024, 2048], dtype=np.uint16)
    np.testing.assert_allclose(to_hounsfield(stored, slope=1, intercept=-1024), [-1024, 0, 1024])
    np.testing.assert_allclose(to_hounsfield(stored, slope=0.5, intercept=-1000), [-1000, -488, 24])


def test_hounsfield_bad_input():
    with pytest.raises(ValueError, match="CT only"):
        to_hounsfield(pydicom.dcmread(_testfile("MR_small.dcm")))
    with pytest.raises(ValueError, match="slope= and intercept="):
        to_hounsfield(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="do not pass them"):
        to_hounsfield(_testfile("CT_small.dcm"), slope=1, intercept=0)
    with pytest.raises(ValueError, match="must not be 0"):
        to_hounsfield(np.zeros((2, 2)), slope=0, intercept=0)


def test_dicom_to_array_monochrome1_inversion():
    ds = pydicom.dcmread(_testfile("RG1_UNCR.dcm"))
    assert ds.PhotometricInterpretation == "MONOCHROME1" and ds.BitsStored == 15
    raw = dicom_to_array(ds, invert_monochrome1=False)
    inverted = dicom_to_array(ds)
    np.testing.assert_array_equal(raw, ds.pixel_array.astype(float))
    np.testing.assert_array_equal(inverted, (2**15 - 1) - raw)


def test_dicom_to_array_mr_and_colour():
    mr = dicom_to_array(_testfile("MR_small.dcm"))
    assert mr.shape == (64, 64) and mr.dtype == np.float64
    us = dicom_to_array(_testfile("US1_UNCR.dcm"))
    assert us.shape == (480, 640, 3)


def test_dicom_to_array_bad_input():
    with pytest.raises(ValueError, match="pydicom Dataset or the path"):
        dicom_to_array(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="no pixel data"):
        dicom_to_array(pydicom.Dataset())


def test_module_exports():
    assert set(imaging.__all__) == {"Window", "WINDOWS", "apply_window", "dicom_to_array", "to_hounsfield"}


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_window_refuses_non_finite_pixels(bad):
    image = np.zeros((4, 4))
    image[1, 2] = bad
    with pytest.raises(ValueError, match="image contains 1 NaN or infinite"):
        apply_window(image, 40, 400)
    with pytest.raises(ValueError, match="stored values contains 1 NaN"):
        to_hounsfield(image, slope=1, intercept=-1024)


def test_window_refuses_strings_and_complex_values():
    with pytest.raises(TypeError, match="image must be an array of numbers, got the string"):
        apply_window("abc", 40, 400)
    with pytest.raises(ValueError, match="real numbers"):
        apply_window(np.zeros((4, 4)) + 0j, 40, 400)
    with pytest.raises(ValueError, match="center must be finite"):
        apply_window(np.zeros((4, 4)), float("inf"), 400)
    with pytest.raises(ValueError, match="slope must be a number"):
        to_hounsfield(np.zeros((4, 4)), slope="one", intercept=0)
