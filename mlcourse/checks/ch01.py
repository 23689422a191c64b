"""Checks of chapter 01 (medical images in Python): raw DICOM words to HU, volumes from voxel spacing,
patient-level splits."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlcourse.exercises import call_student, exercise, fail


def _as_float_array(got: Any, what: str) -> np.ndarray:
    try:
        return np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        fail(f"For {what} your function did not return an array of numbers.")
    raise AssertionError  # unreachable


# ----------------------------------------------------------------------------- 01.1


def _reference_hu(raw: np.ndarray, bits: int, representation: int, slope: float, intercept: float) -> np.ndarray:
    value = np.asarray(raw).astype(np.int64) & ((1 << bits) - 1)
    if representation == 1:
        value = np.where(value >= 1 << (bits - 1), value - (1 << bits), value)
    return slope * value.astype(np.float64) + intercept


def _hu_cases() -> list[tuple[np.ndarray, int, int, float, float, str]]:
    u16 = np.uint16
    return [
        (np.array([0x0000, 0x0FFF, 0xF123, 0x1800], dtype=u16), 12, 0, 1.0, -1024.0,
         "12 bits stored, unsigned, with other data in the 4 unused high bits, intercept -1024"),
        (np.array([[0x0FFF, 0x0800], [0x07FF, 0x0000]], dtype=u16), 12, 1, 1.0, 0.0,
         "a 2x2 image of 12-bit signed values (PixelRepresentation 1), slope 1, intercept 0"),
        (np.array([0xFC18, 0x0028, 0x8000], dtype=u16), 16, 1, 1.0, 0.0,
         "16 bits stored, signed, read as uint16 words"),
        (np.array([0, 2000, 65535], dtype=u16), 16, 0, 0.5, -1000.0,
         "16-bit unsigned values with slope 0.5 and intercept -1000"),
        (np.array([3, 1020, 1023], dtype=u16), 10, 1, 2.0, 10.0,
         "10-bit signed values with slope 2 and intercept 10"),
    ]


def _hu_diagnosis(got: np.ndarray, raw: np.ndarray, bits: int, rep: int, slope: float, intercept: float,
                  what: str) -> None:
    """Name the typical mistake behind a wrong result, or say generally that it is wrong."""
    raw64 = raw.astype(np.int64)
    masked = raw64 & ((1 << bits) - 1)
    signed = np.where(masked >= 1 << (bits - 1), masked - (1 << bits), masked) if rep == 1 else masked
    expected = slope * signed + intercept

    def same(candidate: np.ndarray) -> bool:
        return candidate.shape == got.shape and np.allclose(got, candidate, atol=1e-6)

    if not np.array_equal(masked, raw64) and (same(slope * raw64 + intercept)
                                              or same(slope * raw64.astype(np.uint16).view(np.int16) + intercept)):
        fail(f"For {what} the bits above bits_stored changed the result.",
             "keep only the lowest bits_stored bits of each word (a bit mask) before anything else")
    if rep == 1 and (same(slope * masked + intercept)
                     or same(slope * masked.astype(np.uint16).view(np.int16) + intercept)):
        fail(f"For {what} negative stored values came out as large positive numbers.",
             "PixelRepresentation 1 means two's complement in bits_stored bits: the sign bit is bit "
             "bits_stored - 1, not bit 15 of the word")
    if same(slope * (signed + intercept)):
        fail(f"For {what} the intercept was added before multiplying by the slope.",
             "HU = slope * stored + intercept")
    if same(signed + intercept) or same(slope * signed):
        fail(f"For {what} the slope or the intercept was not applied.", "HU = slope * stored + intercept")
    if same(np.floor(expected)) or same(np.trunc(expected)) or same(np.round(expected)):
        fail(f"For {what} the results were rounded to whole numbers.",
             "compute in floating point: a slope such as 0.5 gives fractional values")
    if np.any(expected < 0) and np.all(got >= 0) and np.nanmax(got) > 30000:
        fail(f"For {what} negative values wrapped around to large positive ones.",
             "unsigned integer arithmetic cannot hold negative numbers; convert to a signed or float type first")
    fail(f"For {what} the values are wrong.",
         "mask the stored bits, apply the sign if PixelRepresentation is 1, then slope * value + intercept")


def _expect_value_error(fn: Any, cases: list[tuple[tuple, str]], hint: str) -> None:
    """Feedback unless the student's function raises ValueError on every (args, what) case."""
    for args, what in cases:
        try:
            fn(*args)
        except ValueError:
            continue
        except NotImplementedError:
            raise
        except Exception as err:  # noqa: BLE001 - we report what was raised
            fail(f"With {what} your function raised {type(err).__name__}, not ValueError.")
        fail(f"With {what} your function did not raise ValueError.", hint)


@exercise("01.1", "code", "raw DICOM pixel words to Hounsfield units")
def _check_01_1(fn: Any) -> None:
    if not callable(fn):
        fail("Pass the function itself (stored_to_hu), not its result.")
    for raw, bits, rep, slope, intercept, what in _hu_cases():
        got = call_student(fn, what, raw.copy(), bits, rep, slope, intercept,
                           hint="the words arrive as uint16; convert them before doing arithmetic")
        got = _as_float_array(got, what)
        if got.shape != raw.shape:
            fail(f"For {what} the output has shape {got.shape}, not the input's shape {raw.shape}.")
        if np.allclose(got, _reference_hu(raw, bits, rep, slope, intercept), atol=1e-6):
            continue
        _hu_diagnosis(got, raw, bits, rep, slope, intercept, what)
    words = np.array([1, 2], dtype=np.uint16)
    _expect_value_error(fn, [((words.copy(), 0, 0, 1.0, 0.0), "bits_stored=0"),
                             ((words.copy(), 17, 0, 1.0, 0.0), "bits_stored=17"),
                             ((words.copy(), 12, 2, 1.0, 0.0), "pixel_representation=2")],
                        "bits_stored must be 1 to 16 and pixel_representation 0 or 1; refuse anything else")


# ----------------------------------------------------------------------------- 01.2


def _volume_cases() -> list[tuple[np.ndarray, tuple[float, float, float], str]]:
    rng = np.random.default_rng(11)
    box = np.zeros((6, 10, 8), dtype=bool)
    box[1:5, 2:9, 3:7] = True                                   # 4 * 7 * 4 = 112 voxels
    labels = np.zeros((5, 5, 5), dtype=np.uint8)
    labels[:2] = 1
    labels[3:, :3] = 7                                          # any non-zero label is inside
    soft = rng.random((4, 6, 5))                                # a probability map (partial volumes)
    soft[soft < 0.3] = 0.0
    many = np.ones((40, 40, 40), dtype=np.uint8)                # 64,000 voxels stored as uint8
    return [
        (box, (1.0, 1.0, 1.0), "a boolean box of 112 voxels of 1 mm"),
        (box, (5.0, 0.7, 0.7), "the same box with 5 mm slices and 0.7 mm pixels"),
        (soft, (2.0, 1.5, 1.0), "a probability map with values between 0 and 1"),
        (many, (0.5, 0.5, 0.5), "a uint8 mask of 64,000 voxels of 0.5 mm"),
        (labels.astype(bool) * 1.0, (3.0, 2.0, 1.0), "a 0/1 float mask with anisotropic voxels"),
    ]


def _reference_volume(fractions: np.ndarray, spacing: tuple[float, float, float]) -> float:
    return float(np.asarray(fractions, dtype=float).sum() * np.prod(spacing) / 1000.0)


@exercise("01.2", "code", "a tissue volume in millilitres from voxel spacing")
def _check_01_2(fn: Any) -> None:
    if not callable(fn):
        fail("Pass the function itself (volume_ml), not its result.")
    for fractions, spacing, what in _volume_cases():
        got = call_student(fn, what, fractions.copy(), spacing)
        try:
            value = float(got)
        except (TypeError, ValueError):
            fail(f"For {what} your function returned {type(got).__name__}, not a single number.")
        expected = _reference_volume(fractions, spacing)
        if abs(value - expected) <= 1e-6 * max(1.0, abs(expected)):
            continue
        f = np.asarray(fractions, dtype=float)
        voxel = float(np.prod(spacing))
        if abs(value - 1000 * expected) <= 1e-6 * max(1.0, 1000 * abs(expected)):
            fail(f"For {what} the result is in cubic millimetres.", "1 mL = 1 cm³ = 1000 mm³")
        if abs(value - f.size * voxel / 1000) < 1e-9 and f.size != f.sum():
            fail(f"For {what} every voxel of the array was counted, inside or not.",
                 "only the voxels of the tissue count (weighted by their fraction)")
        counts = (np.count_nonzero(f), np.count_nonzero(f >= 0.5), np.count_nonzero(f > 0.5))
        if any(abs(value - c * voxel / 1000) < 1e-9 for c in counts):
            fail(f"For {what} the map was thresholded, so partial voxels counted as whole or as nothing.",
                 "a value of 0.3 means that 30 % of the voxel is tissue: add the fractions")
        partial = (spacing[1] * spacing[2], spacing[0] * spacing[1], spacing[0])
        if any(abs(value - f.sum() * area / 1000) < 1e-9 for area in partial):
            fail(f"For {what} not all three voxel dimensions were used.",
                 "a voxel's volume is the product of its three spacings, slice thickness included")
        if abs(value - f.sum() * sum(spacing) / 1000) < 1e-9:
            fail(f"For {what} the spacings were added.", "a voxel's volume is the product of its three spacings")
        fail(f"For {what} the volume is wrong.", "sum of the fractions × volume of one voxel, in mL")
    mask = np.ones((2, 2, 2))
    bad = [((mask, (1.0, 1.0)), "two spacings for a 3-D map"),
           ((mask, (1.0, 0.0, 1.0)), "a spacing of 0 mm"),
           ((mask, (1.0, -1.0, 1.0)), "a negative spacing"),
           ((np.ones((3, 3)), (1.0, 1.0, 1.0)), "a 2-D array"),
           ((mask * 2.0, (1.0, 1.0, 1.0)), "values above 1"),
           ((mask * -0.5, (1.0, 1.0, 1.0)), "negative values")]
    _expect_value_error(fn, bad,
                        "check that the map is 3-D with values in [0, 1] and that there are three positive spacings")


# ----------------------------------------------------------------------------- 01.3


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
