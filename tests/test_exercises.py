"""Exercise checks: right answers pass, wrong ones fail with feedback that does not give the answer away."""

from __future__ import annotations

import numpy as np
import pytest

from mlcourse import exercises
from mlcourse.exercises import ExerciseFailed, check


def class_balance(labels):
    values, counts = np.unique(np.asarray(labels).ravel(), return_counts=True)
    return {int(v): c / counts.sum() for v, c in zip(values, counts)}


def test_right_answers_pass(capsys):
    check("00.1", 390 / 624)
    check("00.2", "DermaMNIST")
    check("00.3", class_balance)
    assert capsys.readouterr().out.count("correct") == 3


@pytest.mark.parametrize("id, answer, feedback", [
    ("00.1", 234 / 624, "normal images"),
    ("00.1", 3494 / 4708, "another split"),
    ("00.1", 1.7, "between 0 and 1"),
    ("00.1", "many", "single number"),
    ("00.2", "pathmnist", "CC BY 4.0"),
    ("00.2", "lungmnist", "not a MedMNIST subset"),
    ("00.3", {0: 1.0}, "function itself"),
    ("00.3", lambda y: {0: 0.5, 1: 0.5}, "fractions are wrong"),
    ("00.3", lambda y: [0.25, 0.75], "not a dict"),
])
def test_wrong_answers_fail_with_feedback(id, answer, feedback):
    with pytest.raises(ExerciseFailed, match=feedback) as excinfo:
        check(id, answer)
    assert "0.625" not in str(excinfo.value)


@pytest.mark.parametrize("id", ["00.1", "00.2", "00.3"])
def test_unanswered_placeholder_fails(id):
    with pytest.raises(ExerciseFailed, match="no answer yet"):
        check(id, None)


def test_student_stub_does_not_pass():
    def stub(labels):
        raise NotImplementedError

    with pytest.raises(NotImplementedError):
        check("00.3", stub)


def test_stub_wrapped_by_a_check_still_reports_not_implemented():
    @exercises.exercise("99.1", "code", "wrapping check")
    def _wrapping(fn):
        try:
            fn()
        except Exception as exc:
            exercises.fail(f"your function raised {type(exc).__name__}")

    def stub():
        raise NotImplementedError

    try:
        with pytest.raises(NotImplementedError, match="not written yet"):
            check("99.1", stub)
        with pytest.raises(ExerciseFailed, match="raised ZeroDivisionError"):
            check("99.1", lambda: 1 / 0)
    finally:
        exercises.EXERCISES.pop("99.1")


def test_unknown_exercise_and_kind():
    with pytest.raises(KeyError, match="Known: 00.1"):
        check("99.9", 1)
    with pytest.raises(ValueError, match="Unknown exercise kind"):
        exercises.exercise("x", "essay", "t")


def test_call_student_turns_errors_into_feedback_but_lets_stubs_through():
    assert exercises.call_student(lambda a, b: a + b, "two numbers", 1, 2) == 3
    with pytest.raises(ExerciseFailed, match="For an empty list your function raised IndexError"):
        exercises.call_student(lambda xs: xs[0], "an empty list", [])
    with pytest.raises(ExerciseFailed, match="function itself"):
        exercises.call_student(42, "anything")

    def stub():
        raise NotImplementedError

    with pytest.raises(NotImplementedError):
        exercises.call_student(stub, "the stub")
