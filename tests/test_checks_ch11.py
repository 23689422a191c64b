"""Checks of chapter 11: right answers pass, typical wrong answers fail with feedback (never the answer),
None fails, and a student stub's NotImplementedError propagates."""

from __future__ import annotations

import numpy as np
import pytest

from mlcourse.exercises import ExerciseFailed, check


def cross_correlation(image, kernel):
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
    return out


def test_right_answers_pass(capsys):
    check("11.1", 112)
    check("11.1", 112.0)
    check("11.1", np.int64(112))
    check("11.2", 18496)
    check("11.3", 22)
    check("11.4", cross_correlation)
    assert capsys.readouterr().out.count("correct") == 6


@pytest.mark.parametrize("answer, feedback", [
    (112.5, "not a whole number"),
    (113, "rounded up"),
    (109, "left out the padding"),
    (111, "Close"),
    (224, "ignored the stride"),
    (56, "Not the right output size"),
    ("112 pixels", "expected a single number"),
])
def test_wrong_output_sizes_fail(answer, feedback):
    with pytest.raises(ExerciseFailed, match=feedback) as err:
        check("11.1", answer)
    assert "112" not in str(err.value).replace(str(answer), "")   # the answer is never given away


@pytest.mark.parametrize("answer, feedback", [
    (18432, "biases are missing"),
    (640, "all input channels"),
    (576, "all input channels"),
    (18464, "one bias per output channel"),
    (1000, "Not the right number"),
    (18496.5, "whole number"),
])
def test_wrong_parameter_counts_fail(answer, feedback):
    with pytest.raises(ExerciseFailed, match=feedback) as err:
        check("11.2", answer)
    assert "18496" not in str(err.value).replace(str(answer), "").replace(",", "")


@pytest.mark.parametrize("answer, feedback", [
    (27, "own stride"),
    (12, "ignored the strides"),
    (13, "left out the pooling"),
    (32, "Not the right receptive field"),
])
def test_wrong_receptive_fields_fail(answer, feedback):
    with pytest.raises(ExerciseFailed, match=feedback) as err:
        check("11.3", answer)
    assert "22" not in str(err.value)


def _convolution(image, kernel):
    return cross_correlation(image, np.asarray(kernel)[::-1, ::-1])


def _full_mode(image, kernel):
    from scipy import signal
    return signal.correlate2d(image, kernel, mode="full")


@pytest.mark.parametrize("fn, feedback", [
    (_convolution, "flips the kernel"),
    (lambda i, k: cross_correlation(i, np.asarray(k).T) if np.shape(k)[0] == np.shape(k)[1]
     else cross_correlation(i, k), "transposed kernel"),
    (_full_mode, "shape"),
    (lambda i, k: 2 * cross_correlation(i, k), "Wrong values"),
    (lambda i, k: None, "returned None"),
    (lambda i: i, "raised TypeError"),
    (lambda i, k: "abc", "array of numbers"),
])
def test_wrong_cross_correlations_fail(fn, feedback):
    with pytest.raises(ExerciseFailed, match=feedback):
        check("11.4", fn)


def test_result_instead_of_function_fails():
    with pytest.raises(ExerciseFailed, match="function itself"):
        check("11.4", np.zeros((2, 2)))


@pytest.mark.parametrize("id", ["11.1", "11.2", "11.3", "11.4"])
def test_none_fails(id):
    with pytest.raises(ExerciseFailed):
        check(id, None)


def test_student_stub_raises_not_implemented():
    def stub(image, kernel):
        raise NotImplementedError

    with pytest.raises(NotImplementedError):
        check("11.4", stub)
