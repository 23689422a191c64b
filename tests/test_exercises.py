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

    with pytest.raises(NotImplementedError, match="Exercise 00.3: not written yet") as excinfo:
        check("00.3", stub)
    assert type(excinfo.value) is NotImplementedError  # Jupyter shows its plain name, as the editions test expects
    lines = excinfo.value._render_traceback_()
    assert len(lines) == 1 and "00.3" in lines[0] and "not written yet" in lines[0]


@pytest.mark.parametrize("placeholder", [None, ...])
def test_placeholder_says_not_written_yet_with_the_id(placeholder):
    with pytest.raises(ExerciseFailed, match="Exercise 00.1: not written yet") as excinfo:
        check("00.1", placeholder)
    assert "no answer yet" in str(excinfo.value)
    assert "not written yet" in "\n".join(excinfo.value._render_traceback_())


def test_stub_wrapped_by_a_check_still_reports_not_implemented():
    @exercises.exercise("99.1", "code", "wrapping check")
    def _wrapping(fn):
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - the check under test turns any error into feedback
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
    with pytest.raises(KeyError, match="Chapter 00 has: 00.1, 00.2, 00.3") as excinfo:
        check("00.9", 1)
    assert str(excinfo.value).startswith("check(id, answer): no exercise '00.9'")  # not a quoted KeyError repr
    with pytest.raises(KeyError, match=r"Chapter 99 has no exercises; chapters with exercises: 00, 01, "):
        check("99.9", 1)
    with pytest.raises(ValueError, match="Unknown exercise kind"):
        exercises.exercise("x", "essay", "t")


@pytest.mark.parametrize("bad, suggestion", [(1.1, "01.1"), (4, "01.1"), (("04", 2), "01.1"), (None, "01.1")])
def test_an_id_that_is_not_a_string_is_refused_clearly(bad, suggestion):
    with pytest.raises(TypeError, match=r"`id` must be the exercise id as a string such as \"01.1\"") as excinfo:
        check(bad, 0.5)
    assert f'check("{suggestion}", ...)' in str(excinfo.value)
    assert isinstance(excinfo.value, exercises.ExerciseIdError)


@pytest.mark.parametrize("bad, suggestion", [("1.1", "01.1"), ("4.2 ", "04.2"), ("04-1", "01.1"), ("", "01.1")])
def test_a_malformed_id_string_is_refused_with_a_suggestion(bad, suggestion):
    with pytest.raises(KeyError, match=f'`id` must look like "01.1".*Did you mean "{suggestion}"'):
        check(bad, 0.5)


def test_a_failure_renders_as_feedback_and_hint_only():
    with pytest.raises(ExerciseFailed) as excinfo:
        check("04.2", 1 / 5)  # 1 / ||w||: the distance to one margin line only
    err = excinfo.value
    assert err.exercise_id == "04.2" and err.hint
    lines = err._render_traceback_()
    assert 1 <= len(lines) <= 3
    text = "\n".join(lines)
    assert "Exercise 04.2 (margin width of a linear SVM)" in text and "ONE of the margin lines" in text
    assert f"hint: {err.hint}" in text
    assert "Exercise 04.2: " not in text  # the id is said once, not twice
    assert "0.4" not in text  # never the answer
    # the traceback starts in check(): the frames (and source) of the check function are gone
    assert all("checks" not in str(entry.path) for entry in excinfo.traceback)


def test_jupyter_shows_a_short_message_without_traceback_or_source(tmp_path, monkeypatch, capsys):
    pytest.importorskip("IPython")
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance(history_length=0)
    try:
        shell.colors = "nocolor"
        cells = {
            "wrong": 'check("04.1", lambda w, b, X, y, lam: (np.zeros(X.shape[1]), 0.0))',
            "stub": ('def logistic_gradient(w, b, X, y, lam):\n    raise NotImplementedError\n'
                     'check("04.1", logistic_gradient)'),
            "placeholder": 'check("04.2", ...)',
            "number id": "check(4.2, 0.4)",
            "unknown": 'check("04.9", 0.4)',
        }
        shell.run_cell("import numpy as np\nfrom mlcourse.exercises import check")
        capsys.readouterr()
        for what, cell in cells.items():
            result = shell.run_cell(cell)
            assert result.error_in_exec is not None, what
            out = capsys.readouterr()
            shown = out.out + out.err
            assert "Traceback" not in shown and "_check_04" not in shown and "fail(" not in shown, (what, shown)
            assert 1 <= len(shown.strip().splitlines()) <= 3, (what, shown)
            assert "Exercise 04." in shown or "`id`" in shown, (what, shown)
        # a right answer still prints its one line
        shell.run_cell('check("04.2", 2 / 5)')
        assert capsys.readouterr().out.strip() == "Exercise 04.2 (margin width of a linear SVM): correct."
    finally:
        InteractiveShell.clear_instance()


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


def test_an_answer_the_check_cannot_handle_is_short_feedback_without_the_checks_frames():
    class Weird:
        def __float__(self):
            raise RuntimeError("no float here")

    for answer in (10**400, Weird()):
        with pytest.raises(ExerciseFailed) as info:
            check("04.2", answer)
        assert "ch04" not in "".join(str(entry.path) for entry in info.traceback)
