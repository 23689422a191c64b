"""Checks of chapter 13: right answers pass, typical wrong ones fail with feedback (never the answer),
and a missing answer fails."""

from __future__ import annotations

import pytest

from mlcourse.exercises import ExerciseFailed, check

CONV_PARAMS = 3 * 3 * 64 * 128 + 128                      # 73,856
CONV_MACS = 14 * 14 * 3 * 3 * 64 * 128                    # 14,450,688
BLOCK_PARAMS = 9 * 64 * 128 + 9 * 128 * 128 + 64 * 128 + 3 * 4 * 128   # 230,912


def test_right_answers_pass(capsys):
    check("13.1", CONV_PARAMS)
    check("13.1", float(CONV_PARAMS))
    check("13.2", CONV_MACS)
    check("13.3", BLOCK_PARAMS)
    check("13.4", 24 + 6 * 12)
    check("13.5", "c")
    check("13.5", " (C) ")
    assert capsys.readouterr().out.count("correct") == 7


@pytest.mark.parametrize("answer, feedback", [
    (3 * 3 * 64 * 128, "kernel weights only"),
    (3 * 3 * 128 + 128, "all input channels"),
    (3 * 3 * 64 * 128 + 64, "one bias per filter"),
    (14 * 14 * 3 * 3 * 64 * 128, "shared across positions"),
    (1000, "Not the right count"),
    ("many", "expected a single number"),
])
def test_wrong_conv_parameter_counts_fail(answer, feedback):
    with pytest.raises(ExerciseFailed, match=feedback) as err:
        check("13.1", answer)
    assert str(CONV_PARAMS) not in str(err.value)


@pytest.mark.parametrize("answer, feedback", [
    (2 * CONV_MACS, "floating-point operations"),
    (CONV_PARAMS, "parameter count"),
    (28 * 28 * 3 * 3 * 64 * 128, "output is 14x14"),
    (14 * 14 * 3 * 3 * 128, "all input channels"),
    (12345, "Not the right number"),
])
def test_wrong_macs_fail(answer, feedback):
    with pytest.raises(ExerciseFailed, match=feedback) as err:
        check("13.2", answer)
    assert str(CONV_MACS) not in str(err.value)


@pytest.mark.parametrize("answer, feedback", [
    (9 * 64 * 128 + 9 * 128 * 128 + 2 * 4 * 128, "projection shortcut is missing"),
    (9 * 64 * 128 + 9 * 128 * 128 + 64 * 128 + 2 * 4 * 128, "its own batch normalisation"),
    (9 * 64 * 128 + 9 * 128 * 128 + 64 * 128, "batch normalisation layers are missing"),
    (BLOCK_PARAMS - 3 * 2 * 128, "trainable count"),
    (BLOCK_PARAMS + 3 * 128, "no bias"),
    (2 * 9 * 64 * 128 + 64 * 128 + 3 * 4 * 128, "128 input channels"),
    (100, "Not the right count"),
])
def test_wrong_block_counts_fail(answer, feedback):
    with pytest.raises(ExerciseFailed, match=feedback) as err:
        check("13.3", answer)
    assert str(BLOCK_PARAMS) not in str(err.value)


@pytest.mark.parametrize("answer, feedback", [
    (72, "input channels are missing"),
    (12, "all that came before"),
    (36, "all that came before"),
    (48, "transition layer"),
    (24 * 2 ** 6, "linearly"),
    (50, "Not the right number"),
])
def test_wrong_dense_block_widths_fail(answer, feedback):
    with pytest.raises(ExerciseFailed, match=feedback) as err:
        check("13.4", answer)
    assert "96" not in str(err.value)


@pytest.mark.parametrize("answer, feedback", [
    ("a", "ZIP codes"),
    ("b", "NIPS"),
    ("d", "AlexNet"),
    ("e", "not one of the letters"),
    (1998, "not one of the letters"),
])
def test_wrong_years_fail(answer, feedback):
    with pytest.raises(ExerciseFailed, match=feedback):
        check("13.5", answer)


@pytest.mark.parametrize("id", ["13.1", "13.2", "13.3", "13.4", "13.5"])
def test_none_fails(id):
    with pytest.raises(ExerciseFailed):
        check(id, None)
