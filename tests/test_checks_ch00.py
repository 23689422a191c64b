"""Checks of chapter 00 (00.4, the DICOM field of view): right answers pass, typical wrong ones fail with
feedback that does not give the answer away, None fails. (00.1 to 00.3 are tested in test_exercises.py.)"""

from __future__ import annotations

import pytest

from mlcourse.exercises import ExerciseFailed, check


def field_of_view_mm(ds):
    spacing = ds.get("PixelSpacing")
    if spacing is None or len(spacing) != 2 or min(float(v) for v in spacing) <= 0:
        return None
    return ds.Rows * float(spacing[0]), ds.Columns * float(spacing[1])


def field_of_view_list(ds):
    """Another right answer: a list instead of a tuple, the tag read with `in`."""
    if "PixelSpacing" not in ds or not all(float(v) > 0 for v in ds.PixelSpacing):
        return None
    dy, dx = ds.PixelSpacing
    return [ds.Rows * dy, ds.Columns * dx]


def width_first(ds):
    fov = field_of_view_mm(ds)
    return None if fov is None else fov[::-1]


def crossed(ds):
    if field_of_view_mm(ds) is None:
        return None
    dy, dx = (float(v) for v in ds.PixelSpacing)
    return ds.Rows * dx, ds.Columns * dy


def pixels(ds):
    return None if field_of_view_mm(ds) is None else (ds.Rows, ds.Columns)


def assumes_the_tag(ds):
    dy, dx = (float(v) for v in ds.PixelSpacing)
    return ds.Rows * dy, ds.Columns * dx


def zeros_for_unknown(ds):
    if "PixelSpacing" not in ds:
        return None
    dy, dx = (float(v) for v in ds.PixelSpacing)
    return ds.Rows * dy, ds.Columns * dx


def always_none(ds):
    return None


def area(ds):
    fov = field_of_view_mm(ds)
    return None if fov is None else fov[0] * fov[1]


def test_right_answers_pass(capsys):
    check("00.4", field_of_view_mm)
    check("00.4", field_of_view_list)
    assert capsys.readouterr().out.count("correct") == 2


@pytest.mark.parametrize("answer, feedback", [
    ((256.0, 320.0), "function itself"),
    (width_first, "wrong order"),
    (crossed, "other axis's spacing"),
    (pixels, "not in mm"),
    (assumes_the_tag, "raised AttributeError"),
    (zeros_for_unknown, "should be None"),
    (always_none, "returned None"),
    (area, "not a pair"),
])
def test_wrong_answers_fail_with_feedback(answer, feedback):
    with pytest.raises(ExerciseFailed, match=feedback) as excinfo:
        check("00.4", answer)
    message = str(excinfo.value)
    assert "256" not in message and "320" not in message and "20.0" not in message


def test_unanswered_placeholder_fails():
    with pytest.raises(ExerciseFailed, match="no answer yet"):
        check("00.4", None)


def test_student_stub_does_not_pass():
    def stub(ds):
        raise NotImplementedError

    with pytest.raises(NotImplementedError):
        check("00.4", stub)
