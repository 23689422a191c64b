"""Checks of chapter 01: right answers pass, wrong ones fail with feedback (never the answer), None fails."""

from __future__ import annotations

import numpy as np
import pytest

from mlcourse.exercises import ExerciseFailed, check


# ----------------------------------------------------------------------------- 01.1: raw words to HU
def stored_to_hu(raw, bits_stored, pixel_representation, slope=1.0, intercept=0.0):
    if not 1 <= bits_stored <= 16 or pixel_representation not in (0, 1):
        raise ValueError("bad bits_stored or pixel_representation")
    value = np.asarray(raw).astype(np.int64) & ((1 << bits_stored) - 1)
    if pixel_representation == 1:
        value = np.where(value >= 1 << (bits_stored - 1), value - (1 << bits_stored), value)
    return slope * value.astype(float) + intercept


def stored_to_hu_bitwise(raw, bits_stored, pixel_representation, slope=1.0, intercept=0.0):
    """Another right answer: shift the sign bit up to bit 15 and back (arithmetic shift sign-extends)."""
    if bits_stored not in range(1, 17) or pixel_representation not in (0, 1):
        raise ValueError("bad arguments")
    words = np.asarray(raw, dtype=np.uint16)
    shift = 16 - bits_stored
    if pixel_representation == 1:
        value = ((words << shift).view(np.int16) >> shift).astype(float)
    else:
        value = ((words << shift) >> shift).astype(float)
    return float(slope) * value + float(intercept)


def no_mask(raw, bits_stored, pixel_representation, slope=1.0, intercept=0.0):
    stored_to_hu(raw[:1], bits_stored, pixel_representation)          # keeps the error handling
    value = np.asarray(raw).astype(np.int64)
    if pixel_representation == 1:
        value = np.where(value >= 1 << (bits_stored - 1), value - (1 << bits_stored), value)
    return slope * value + intercept


def unsigned_only(raw, bits_stored, pixel_representation, slope=1.0, intercept=0.0):
    return stored_to_hu(raw, bits_stored, 0 if pixel_representation in (0, 1) else 2, slope, intercept)


def sign_at_bit_15(raw, bits_stored, pixel_representation, slope=1.0, intercept=0.0):
    stored_to_hu(raw[:1], bits_stored, pixel_representation)
    value = np.asarray(raw, dtype=np.uint16) & ((1 << bits_stored) - 1)
    value = value.view(np.int16) if pixel_representation == 1 else value
    return slope * value.astype(float) + intercept


def intercept_first(raw, bits_stored, pixel_representation, slope=1.0, intercept=0.0):
    return slope * (stored_to_hu(raw, bits_stored, pixel_representation) + intercept)


def integer_result(raw, bits_stored, pixel_representation, slope=1.0, intercept=0.0):
    return np.floor(stored_to_hu(raw, bits_stored, pixel_representation, slope, intercept)).astype(np.int64)


def wraps(raw, bits_stored, pixel_representation, slope=1.0, intercept=0.0):
    stored_to_hu(raw[:1], bits_stored, pixel_representation)
    value = np.asarray(raw, dtype=np.uint16) & np.uint16((1 << bits_stored) - 1)
    if pixel_representation == 1:                              # uint16 arithmetic: negatives wrap to 65536 - x
        value = np.where(value >= 1 << (bits_stored - 1), value - np.uint16(1 << bits_stored), value)
    out = (slope * value.astype(float) + intercept) % 65536
    return out


def no_bits_check(raw, bits_stored, pixel_representation, slope=1.0, intercept=0.0):
    if bits_stored == 0 or bits_stored > 16:
        return np.zeros(np.shape(raw))
    return stored_to_hu(raw, bits_stored, pixel_representation, slope, intercept)


def type_error(raw, bits_stored, pixel_representation, slope=1.0, intercept=0.0):
    if pixel_representation not in (0, 1):
        raise TypeError("bad pixel representation")
    return stored_to_hu(raw, bits_stored, pixel_representation, slope, intercept)


def flattening(raw, bits_stored, pixel_representation, slope=1.0, intercept=0.0):
    return stored_to_hu(raw, bits_stored, pixel_representation, slope, intercept).ravel()


# ----------------------------------------------------------------------------- 01.2: volumes
def volume_ml(fractions, spacing_mm):
    f = np.asarray(fractions, dtype=float)
    spacing = np.asarray(spacing_mm, dtype=float)
    if f.ndim != 3 or spacing.shape != (3,) or np.any(spacing <= 0) or f.min() < 0 or f.max() > 1:
        raise ValueError("bad map or spacing")
    return float(f.sum() * spacing.prod() / 1000)


def _validating(compute):
    def fn(fractions, spacing_mm):
        volume_ml(fractions, spacing_mm)        # raises like the right answer
        return compute(np.asarray(fractions, dtype=float), np.asarray(spacing_mm, dtype=float))
    return fn


cubic_mm = _validating(lambda f, s: f.sum() * s.prod())
all_voxels = _validating(lambda f, s: f.size * s.prod() / 1000)
thresholded = _validating(lambda f, s: np.count_nonzero(f) * s.prod() / 1000)
half_thresholded = _validating(lambda f, s: np.count_nonzero(f >= 0.5) * s.prod() / 1000)
in_plane_only = _validating(lambda f, s: f.sum() * s[1] * s[2] / 1000)
added_spacings = _validating(lambda f, s: f.sum() * s.sum() / 1000)
as_array = _validating(lambda f, s: np.array([f.sum() * s.prod() / 1000, 0.0]))


def no_validation(fractions, spacing_mm):
    return float(np.asarray(fractions, dtype=float).sum() * np.prod(spacing_mm) / 1000)


def accepts_values_above_one(fractions, spacing_mm):
    f = np.asarray(fractions, dtype=float)
    return volume_ml(np.clip(f, 0, 1) if f.ndim == 3 and f.min() >= 0 else f, spacing_mm)


# ----------------------------------------------------------------------------- 01.3: patient split
def patient_split(patient_ids, test_fraction=0.2, seed=0):
    ids = np.asarray(patient_ids)
    patients = np.unique(ids)
    rng = np.random.default_rng(seed)
    test_patients = rng.choice(patients, size=round(test_fraction * len(patients)), replace=False)
    in_test = np.isin(ids, test_patients)
    return np.flatnonzero(~in_test), np.flatnonzero(in_test)


def image_level_split(patient_ids, test_fraction=0.2, seed=0):
    n = len(patient_ids)
    order = np.random.default_rng(seed).permutation(n)
    k = int(test_fraction * n)
    return order[k:], order[:k]


def masks(patient_ids, test_fraction=0.2, seed=0):
    train, test = patient_split(patient_ids, test_fraction, seed)
    mask = np.zeros(len(patient_ids), bool)
    mask[test] = True
    return ~mask, mask


def drops_images(patient_ids, test_fraction=0.2, seed=0):
    train, test = patient_split(patient_ids, test_fraction, seed)
    return train[1:], test


def half_of_patients(patient_ids, test_fraction=0.2, seed=0):
    return patient_split(patient_ids, 0.5, seed)


def unseeded(patient_ids, test_fraction=0.2, seed=0):
    return patient_split(patient_ids, test_fraction, seed=None)


def test_right_answers_pass(capsys):
    check("01.1", stored_to_hu)
    check("01.1", stored_to_hu_bitwise)
    check("01.2", volume_ml)
    check("01.3", patient_split)
    assert capsys.readouterr().out.count("correct") == 4


WRONG = [
    ("01.1", stored_to_hu(np.zeros(2, np.uint16), 12, 0), "function itself"),
    ("01.1", no_mask, "bits above bits_stored"),
    ("01.1", unsigned_only, "large positive numbers"),
    ("01.1", sign_at_bit_15, "large positive numbers"),
    ("01.1", intercept_first, "intercept was added before"),
    ("01.1", integer_result, "rounded to whole numbers"),
    ("01.1", wraps, "wrapped around"),
    ("01.1", no_bits_check, "did not raise ValueError"),
    ("01.1", type_error, "not ValueError"),
    ("01.1", flattening, "shape"),
    ("01.1", lambda raw, *args: 1 / 0, "raised ZeroDivisionError"),
    ("01.2", 0.112, "function itself"),
    ("01.2", cubic_mm, "cubic millimetres"),
    ("01.2", all_voxels, "every voxel of the array"),
    ("01.2", thresholded, "thresholded"),
    ("01.2", half_thresholded, "thresholded"),
    ("01.2", in_plane_only, "three voxel dimensions"),
    ("01.2", added_spacings, "spacings were added"),
    ("01.2", as_array, "not a single number"),
    ("01.2", no_validation, "did not raise ValueError"),
    ("01.2", accepts_values_above_one, "values above 1"),
    ("01.3", patient_split(np.arange(5)), "function itself"),
    ("01.3", image_level_split, "both train and test"),
    ("01.3", masks, "boolean masks"),
    ("01.3", drops_images, "exactly one"),
    ("01.3", half_of_patients, "far from test_fraction"),
    ("01.3", unseeded, "same seed"),
]


@pytest.mark.parametrize("id, answer, feedback", WRONG)
def test_wrong_answers_fail_with_feedback(id, answer, feedback):
    with pytest.raises(ExerciseFailed, match=feedback) as excinfo:
        check(id, answer)
    message = str(excinfo.value)
    if id == "01.1":   # the feedback never states a right value
        assert "-733" not in message and "2047" not in message and "31767.5" not in message
    if id == "01.2":
        assert "mL =" not in message.replace("1 mL = 1 cm³", "")


@pytest.mark.parametrize("id", ["01.1", "01.2", "01.3"])
def test_unanswered_placeholder_fails(id):
    with pytest.raises(ExerciseFailed, match="no answer yet"):
        check(id, None)


def test_student_stub_does_not_pass():
    def stub(*args, **kwargs):
        raise NotImplementedError

    for id in ("01.1", "01.2", "01.3"):
        with pytest.raises(NotImplementedError):
            check(id, stub)
