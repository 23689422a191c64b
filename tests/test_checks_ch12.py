"""Checks of chapter 12: right answers pass, wrong ones fail with feedback (never the answer), None fails,
and a student stub's NotImplementedError propagates."""

from __future__ import annotations

import math

import pytest

from mlcourse.exercises import ExerciseFailed, check

TP, FN, FP, TN = 33, 9, 12, 102
RIGHT_12_1 = (TP / (TP + FN), TN / (TN + FP), TP / (TP + FP))
RIGHT_12_4 = 1.96 * math.sqrt(0.85 * 0.15 / 42)


def feature_map_size(size, k):
    for _ in range(k):
        size //= 2
    return size


def test_right_answers_pass(capsys):
    check("12.1", RIGHT_12_1)
    check("12.1", [round(v, 3) for v in RIGHT_12_1])
    check("12.2", feature_map_size)
    check("12.3", 64)
    check("12.4", RIGHT_12_4)
    check("12.4", 0.108)
    assert capsys.readouterr().out.count("correct") == 6


@pytest.mark.parametrize("answer, feedback", [
    ((TN / (TN + FP), TP / (TP + FN), TN / (TN + FN)), "label 1"),
    ((RIGHT_12_1[1], RIGHT_12_1[0], RIGHT_12_1[2]), "swapped"),
    ((RIGHT_12_1[0], RIGHT_12_1[1], TN / (TN + FN)), "negative predictive value"),
    ((RIGHT_12_1[0], RIGHT_12_1[1], RIGHT_12_1[0]), "equals the sensitivity"),
    ((RIGHT_12_1[0], 0.5, RIGHT_12_1[2]), "specificity"),
    ((78.6, 89.5, 73.3), "between 0 and 1"),
    ((0.786, 0.895), "three numbers"),
    ({"sensitivity": 0.786}, "not a dict"),
    ("high", "three numbers"),
])
def test_wrong_metrics_fail(answer, feedback):
    with pytest.raises(ExerciseFailed, match=feedback) as err:
        check("12.1", answer)
    assert "0.786" not in str(err.value) and "0.733" not in str(err.value)


def _ceil(size, k):
    for _ in range(k):
        size = -(-size // 2)
    return size


def _valid(size, k):
    for _ in range(k):
        size = max(size - 2, 0) // 2
    return size


@pytest.mark.parametrize("fn, feedback", [
    (_ceil, "rounded up"),
    (lambda size, k: size / 2**k, "whole number"),
    (_valid, "shrinks the map"),
    (lambda size, k: size - 2 * k, "Wrong size"),
    (lambda size, k: None, "returned None"),
    (lambda size: size, "raised TypeError"),
    (lambda size, k: "small", "not a number"),
])
def test_wrong_size_functions_fail(fn, feedback):
    with pytest.raises(ExerciseFailed, match=feedback):
        check("12.2", fn)


def test_result_instead_of_function_fails():
    with pytest.raises(ExerciseFailed, match="function itself"):
        check("12.2", 2)


@pytest.mark.parametrize("answer, feedback", [
    (32, "1x1"),
    (28, "BreastMNIST"),
    (96, "not the smallest"),
    (48, "Too small"),
    (128, "Too large"),
    ("big", "single number"),
])
def test_wrong_sizes_fail(answer, feedback):
    with pytest.raises(ExerciseFailed, match=feedback) as err:
        check("12.3", answer)
    assert "64" not in str(err.value)


@pytest.mark.parametrize("answer, feedback", [
    (2 * RIGHT_12_4, "full width"),
    (1.96 * math.sqrt(0.85 * 0.15 / 156), "156"),
    (math.sqrt(0.85 * 0.15 / 42), "standard error"),
    (100 * RIGHT_12_4, "percentage"),
    (0.3, "Not the right"),
])
def test_wrong_half_widths_fail(answer, feedback):
    with pytest.raises(ExerciseFailed, match=feedback) as err:
        check("12.4", answer)
    assert "0.108" not in str(err.value)


@pytest.mark.parametrize("id", ["12.1", "12.2", "12.3", "12.4"])
def test_none_fails(id):
    with pytest.raises(ExerciseFailed):
        check(id, None)


def test_student_stub_raises_not_implemented():
    def stub(size, k):
        raise NotImplementedError
    with pytest.raises(NotImplementedError):
        check("12.2", stub)
