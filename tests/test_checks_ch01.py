"""Checks of chapter 01: right answers pass, wrong ones fail with feedback (never the answer), None fails."""

from __future__ import annotations

import numpy as np
import pytest

from mlcourse.exercises import ExerciseFailed, check


def window(image, center, width):
    if width <= 0:
        raise ValueError("width must be positive")
    return np.clip((np.asarray(image, dtype=float) - (center - width / 2)) / width, 0, 1)


def patient_split(patient_ids, test_fraction=0.2, seed=0):
    ids = np.asarray(patient_ids)
    patients = np.unique(ids)
    rng = np.random.default_rng(seed)
    test_patients = rng.choice(patients, size=round(test_fraction * len(patients)), replace=False)
    in_test = np.isin(ids, test_patients)
    return np.flatnonzero(~in_test), np.flatnonzero(in_test)


def test_right_answers_pass(capsys):
    check("01.1", (0, -1000))
    check("01.1", [0.0, -1000.0])
    check("01.2", window)
    check("01.3", patient_split)
    assert capsys.readouterr().out.count("correct") == 4


# wrong window functions
def no_clip(image, center, width):
    if width <= 0:
        raise ValueError
    return (np.asarray(image, dtype=float) - (center - width / 2)) / width


def grey_levels(image, center, width):
    return 255 * window(image, center, width)


def from_centre(image, center, width):
    if width <= 0:
        raise ValueError
    return np.clip((np.asarray(image, dtype=float) - center) / width, 0, 1)


def integer_maths(image, center, width):
    if width <= 0:
        raise ValueError
    return np.clip((np.asarray(image) - (center - width // 2)) / width, 0, 1)


def no_width_check(image, center, width):
    return np.clip((np.asarray(image, dtype=float) - (center - width / 2)) / (width or 1), 0, 1)


def wrong_error(image, center, width):
    if width <= 0:
        raise TypeError("bad width")
    return window(image, center, width)


def flattening(image, center, width):
    return window(image, center, width).ravel()


# wrong split functions
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


@pytest.mark.parametrize("id, answer, feedback", [
    ("01.1", (-1000, 0), "swapped"),
    ("01.1", (1024, 24), "stored pixel values"),
    ("01.1", (0, -1024), "air is wrong"),
    ("01.1", (1, -1000), "water is wrong"),
    ("01.1", 0, "pair of numbers"),
    ("01.1", (0, -1000, 3000), "two numbers"),
    ("01.2", window(np.zeros(3), 0, 1), "function itself"),
    ("01.2", no_clip, "outside \\[0, 1\\]"),
    ("01.2", grey_levels, "0 to 255"),
    ("01.2", from_centre, "start at the centre"),
    ("01.2", integer_maths, "uint8"),
    ("01.2", no_width_check, "did not raise ValueError"),
    ("01.2", wrong_error, "not ValueError"),
    ("01.2", flattening, "shape"),
    ("01.3", patient_split(np.arange(5)), "function itself"),
    ("01.3", image_level_split, "both train and test"),
    ("01.3", masks, "boolean masks"),
    ("01.3", drops_images, "exactly one"),
    ("01.3", half_of_patients, "far from test_fraction"),
    ("01.3", unseeded, "same seed"),
])
def test_wrong_answers_fail_with_feedback(id, answer, feedback):
    with pytest.raises(ExerciseFailed, match=feedback) as excinfo:
        check(id, answer)
    message = str(excinfo.value)
    if id == "01.1":
        assert "-1000" not in message and "(0" not in message


@pytest.mark.parametrize("id", ["01.1", "01.2", "01.3"])
def test_unanswered_placeholder_fails(id):
    with pytest.raises(ExerciseFailed, match="no answer yet"):
        check(id, None)


def test_student_stub_does_not_pass():
    def stub(*args, **kwargs):
        raise NotImplementedError

    for id in ("01.2", "01.3"):
        with pytest.raises(NotImplementedError):
            check(id, stub)
