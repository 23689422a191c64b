"""Checks of chapter 01 (medical images in Python): Hounsfield units, windowing, patient-level splits."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlcourse.exercises import exercise, fail


@exercise("01.1", "numeric", "Hounsfield units of water and air")
def _check_01_1(answer: Any) -> None:
    try:
        values = [float(v) for v in answer]
    except (TypeError, ValueError):
        fail("Exercise 01.1: expected a pair of numbers (water, air).", "write answer_01_1 = (hu_water, hu_air)")
    if len(values) != 2:
        fail(f"Exercise 01.1: expected two numbers (water, air), got {len(values)}.")
    water, air = values
    if abs(water + 1000) < 1 and abs(air) < 1:
        fail("The two values are swapped.", "the order is (water, air)")
    if abs(water - 1024) < 1 or abs(air - 24) < 1:
        fail("Those look like stored pixel values of one particular file, not Hounsfield units.",
             "the Hounsfield scale itself does not depend on the scanner's rescale intercept")
    if abs(water) >= 1:
        fail("The value for water is wrong.",
             "the Hounsfield scale is built around water: HU = 1000 (mu - mu_water) / (mu_water - mu_air)")
    if abs(air + 1000) >= 1:
        fail("The value for air is wrong.", "put mu = mu_air into the definition of the HU")


def _reference_window(x: np.ndarray, center: float, width: float) -> np.ndarray:
    return np.clip((np.asarray(x, dtype=float) - (center - width / 2)) / width, 0, 1)


@exercise("01.2", "code", "window/level as a function")
def _check_01_2(fn: Any) -> None:
    if not callable(fn):
        fail("Pass the function itself (window), not its result.")
    cases = [
        (np.array([-160.0, -60.0, 40.0, 140.0, 240.0]), 40, 400, "values inside a soft-tissue window (40, 400)"),
        (np.array([-3000.0, -1000.0, 500.0, 3000.0]), 40, 400, "values far outside the window"),
        (np.array([[-1350, -600], [150, 0]], dtype=np.int16), -600, 1500, "a 2x2 int16 image in the lung window"),
        (np.array([0, 10, 20, 255], dtype=np.uint8), 20, 20, "uint8 pixels (beware integer arithmetic)"),
    ]
    for image, center, width, what in cases:
        expected = _reference_window(image, center, width)
        got = fn(image.copy(), center, width)
        try:
            got = np.asarray(got, dtype=float)
        except (TypeError, ValueError):
            fail(f"For {what} your function did not return an array of numbers.")
        if got.shape != image.shape:
            fail(f"For {what} the output has shape {got.shape}, not the input's shape {image.shape}.")
        if np.allclose(got, expected, atol=1e-6):
            continue
        if np.nanmax(got) > 1 + 1e-9 or np.nanmin(got) < -1e-9:
            if np.allclose(got, 255 * expected, atol=1e-3):
                fail(f"For {what} the values run from 0 to 255.", "return values in [0, 1], not grey levels")
            fail(f"For {what} some values lie outside [0, 1].", "values beyond the window edges must be clipped")
        if np.allclose(got, np.clip((image.astype(float) - center) / width, 0, 1), atol=1e-6):
            fail(f"For {what} the window seems to start at the centre.",
                 "the window runs from center - width/2 to center + width/2")
        fail(f"For {what} the values are wrong.",
             "map the lower edge of the window to 0 and the upper edge to 1, linearly")
    for bad_width in (0, -400):
        try:
            fn(np.zeros(3), 40, bad_width)
        except ValueError:
            continue
        except Exception as err:  # noqa: BLE001 - we report what was raised
            fail(f"With width={bad_width} your function raised {type(err).__name__}, not ValueError.")
        fail(f"With width={bad_width} your function did not raise ValueError.", "a window must have a positive width")


def _patient_cases():
    rng = np.random.default_rng(7)
    many = rng.integers(0, 40, size=300)             # 40 patients, several images each
    ordered = np.repeat(np.arange(10), 5)            # images sorted by patient
    names = np.array([f"P{i % 13:03d}" for i in range(91)])  # string ids
    return [(many, 0.2, "300 images of 40 patients"), (ordered, 0.3, "50 images of 10 patients, sorted by patient"),
            (names, 0.25, "91 images with string patient ids")]


@exercise("01.3", "code", "a patient-level train/test split")
def _check_01_3(fn: Any) -> None:
    if not callable(fn):
        fail("Pass the function itself (patient_split), not its result.")
    for ids, fraction, what in _patient_cases():
        result = fn(ids.copy(), test_fraction=fraction, seed=0)
        try:
            train, test = result
            train = np.asarray(train)
            test = np.asarray(test)
        except (TypeError, ValueError):
            fail(f"For {what} your function should return two index arrays (train_idx, test_idx).")
        if train.dtype == bool or test.dtype == bool:
            fail(f"For {what} you returned boolean masks.", "return integer indices, e.g. with np.flatnonzero(mask)")
        if train.dtype.kind not in "iu" or test.dtype.kind not in "iu":
            fail(f"For {what} the indices are not integers.")
        train, test = train.ravel(), test.ravel()
        n = len(ids)
        both = np.concatenate([train, test])
        if both.size and (both.min() < 0 or both.max() >= n):
            fail(f"For {what} some indices are outside 0..{n - 1}.")
        if len(both) != n or len(np.unique(both)) != n:
            fail(f"For {what} not every image is in exactly one of the two parts.",
                 "each index 0..N-1 must appear once, in train or in test")
        shared = np.intersect1d(ids[train], ids[test])
        if shared.size:
            fail(f"For {what} {shared.size} patient(s) have images in both train and test.",
                 "split the unique patient ids first, then give every image the side of its patient")
        n_patients = len(np.unique(ids))
        n_test = len(np.unique(ids[test]))
        target = round(fraction * n_patients)
        if not (len(test) and len(train)):
            fail(f"For {what} one of the two parts is empty.")
        if abs(n_test - target) > 1:
            fail(f"For {what} the test part holds {n_test} of {n_patients} patients, "
                 f"far from test_fraction={fraction}.",
                 "test_fraction is a fraction of patients, not of images")
    ids = _patient_cases()[0][0]
    a = fn(ids.copy(), test_fraction=0.2, seed=0)
    b = fn(ids.copy(), test_fraction=0.2, seed=0)
    if not np.array_equal(np.sort(np.asarray(a[1])), np.sort(np.asarray(b[1]))):
        fail("The same seed gave two different splits.", "draw the patients with np.random.default_rng(seed)")
