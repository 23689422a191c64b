"""Checks of chapter 00 (welcome): data-set facts, a first small function and a first DICOM header."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlcourse import data
from mlcourse.exercises import as_number, call_student, exercise, fail


@exercise("00.1", "numeric", "prevalence of pneumonia in the PneumoniaMNIST test split")
def _check_00_1(answer: Any) -> None:
    value = as_number(answer, "00.1")
    if not 0 <= value <= 1:
        fail("A prevalence is a fraction between 0 and 1.", "divide a count by the number of test images")
    if abs(value - 390 / 624) < 1e-3:
        return
    if abs(value - 234 / 624) < 1e-3:
        fail("That is the fraction of normal images.", "look at info['label']: which label is pneumonia?")
    if abs(value - 3494 / 4708) < 1e-3 or abs(value - 389 / 524) < 1e-3:
        fail("That fraction comes from another split.", "use the test split: ds.test")
    fail("Not the right fraction.", "count the test labels equal to the pneumonia class and divide by their number")


@exercise("00.2", "choice", "the subset that may not be used commercially")
def _check_00_2(answer: Any) -> None:
    name = str(answer).strip().lower()
    if name not in data.INFO:
        fail(f"{answer!r} is not a MedMNIST subset name.", "answer with a flag such as 'pathmnist'")
    if data.INFO[name]["license"] == "CC BY 4.0":
        fail(f"{data.INFO[name]['name']} is CC BY 4.0, which allows commercial use with attribution.",
             "read the 'license' field of each entry of mlcourse.data.INFO")


@exercise("00.3", "code", "class balance of a label array")
def _check_00_3(fn: Any) -> None:
    if not callable(fn):
        fail("Pass the function itself (class_balance), not its result.")
    cases = [
        (np.array([[0], [1], [1], [1]]), {0: 0.25, 1: 0.75}, "labels of shape (N, 1), as MedMNIST stores them"),
        (np.array([2, 0, 2, 2, 0]), {0: 0.4, 2: 0.6}, "a 1-D array with a class that never occurs (1)"),
        (np.zeros(7, dtype=np.uint8), {0: 1.0}, "a single class in uint8"),
    ]
    for labels, expected, what in cases:
        got = fn(labels.copy())
        if not isinstance(got, dict):
            fail(f"For {what} your function returned {type(got).__name__}, not a dict.")
        got = {int(k): float(v) for k, v in got.items()}
        if set(got) != set(expected):
            fail(f"For {what} the classes are {sorted(got)}, expected {sorted(expected)}.",
                 "only classes that occur should appear; np.unique helps")
        if any(abs(got[k] - v) > 1e-9 for k, v in expected.items()):
            fail(f"For {what} the fractions are wrong.", "divide each count by the total number of labels")


def _dicom_case(rows: int | None, columns: int | None, spacing: Any) -> Any:
    """A header-only pydicom Dataset with the given size and PixelSpacing (None: the tag is absent)."""
    from pydicom.dataset import Dataset

    ds = Dataset()
    ds.Modality = "CT"
    if rows is not None:
        ds.Rows = rows
    if columns is not None:
        ds.Columns = columns
    if spacing is not None:
        ds.PixelSpacing = list(spacing)
    return ds


@exercise("00.4", "code", "the field of view of a DICOM image in mm")
def _check_00_4(fn: Any) -> None:
    if not callable(fn):
        fail("Pass the function itself (field_of_view_mm), not its result.")
    known = [
        ((512, 400, ["0.5", "0.8"]), (256.0, 320.0), "a 512-row, 400-column image with 0.5 mm rows and 0.8 mm columns"),
        ((64, 64, [0.3125, 0.3125]), (20.0, 20.0), "a 64×64 MR slice with 0.3125 mm pixels"),
        ((300, 1000, [0.2, 0.1]), (60.0, 100.0), "a wide 300×1000 image with 0.2 mm × 0.1 mm pixels"),
    ]
    for (rows, columns, spacing), expected, what in known:
        got = call_student(fn, what, _dicom_case(rows, columns, spacing),
                           hint="Rows, Columns and PixelSpacing are attributes of the Dataset")
        if got is None:
            fail(f"For {what} your function returned None, though the pixel size is known.")
        try:
            values = tuple(float(v) for v in got)
        except (TypeError, ValueError):
            fail(f"For {what} your function returned {type(got).__name__}, not a pair (height_mm, width_mm).")
        if len(values) != 2:
            fail(f"For {what} your function returned {len(values)} numbers, not two (height_mm, width_mm).")
        if np.allclose(values, expected, rtol=1e-9):
            continue
        if np.allclose(values, expected[::-1], rtol=1e-9):
            fail(f"For {what} the two numbers come in the wrong order.", "return (height, width): rows first")
        (row_mm, col_mm) = (float(v) for v in spacing)
        if np.allclose(values, (rows * col_mm, columns * row_mm), rtol=1e-9) or \
                np.allclose(values, (columns * row_mm, rows * col_mm), rtol=1e-9):
            fail(f"For {what} each size is multiplied by the other axis's spacing.",
                 "PixelSpacing is (spacing between rows, spacing between columns); the height spans the rows")
        if np.allclose(values, (rows, columns)) or np.allclose(values, (row_mm, col_mm)):
            fail(f"For {what} the result is not in mm.", "multiply each number of pixels by its pixel spacing")
        fail(f"For {what} the field of view is wrong.", "number of pixels along an axis × pixel spacing along it")
    unknown = [((480, 640, None), "an ultrasound frame without a PixelSpacing tag"),
               ((1955, 1841, [0, 0]), "a radiograph whose PixelSpacing is 0 × 0 (unknown)")]
    for (rows, columns, spacing), what in unknown:
        got = call_student(fn, what, _dicom_case(rows, columns, spacing),
                           hint="a tag can be missing: ds.get(keyword) returns None instead of raising")
        if got is not None:
            fail(f"For {what} your function returned {got!r}; a size it cannot know should be None.",
                 "return None when PixelSpacing is absent or not positive")
