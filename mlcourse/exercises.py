"""Self-checking exercises: `check("00.1", answer)` says whether an answer is right, with a hint, never the answer.

The checks of chapter NN live in `mlcourse/checks/chNN.py` and register themselves with the
`@exercise` decorator; `check()` imports that module the first time an id of the chapter is used.

Each check tests behaviour (a value within a tolerance, a function on several cases), not the
code that produced it. A right answer prints a one-line confirmation. A wrong one raises
`ExerciseFailed` with feedback and a hint; an exercise that is not written yet (a placeholder
answer, or a function that still raises NotImplementedError) says so. In Jupyter these errors
show as two or three short lines, without a traceback: a traceback would show the source of the
check, and with it the answer.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

_PACKAGE_DIR = str(Path(__file__).resolve().parent)
_ID_FORM = re.compile(r"\d\d\.\d+")
_RED, _RESET = "\x1b[1;31m", "\x1b[0m"


def _render(mark: str, id: str | None, title: str | None, feedback: str, hint: str | None) -> list[str]:
    """The few lines Jupyter shows for a failed check instead of a traceback."""
    if id:
        feedback = re.sub(rf"^Exercise {re.escape(id)}\s*:?\s*", "", feedback)
    head = f"{_RED}{mark} Exercise {id}" + (f" ({title})" if title else "") + _RESET if id else f"{_RED}{mark}{_RESET}"
    first, *rest = feedback.splitlines() or [""]
    lines = [f"{head} \u2014 {first}" if id and first else f"{head} {first}".rstrip()]
    lines += [f"  {line}" for line in rest]
    if hint:
        lines.append(f"  hint: {hint}")
    return lines


class ExerciseFailed(AssertionError):
    """An answer did not pass its check; the message says what is wrong and gives a hint."""

    def __init__(self, feedback: str, hint: str | None = None) -> None:
        super().__init__(feedback + (f"\nHint: {hint}" if hint else ""))
        self.feedback, self.hint = feedback, hint
        self.exercise_id: str | None = None
        self.title: str | None = None

    def _render_traceback_(self) -> list[str]:
        """What IPython prints instead of the traceback: the feedback and the hint only."""
        return _render("\u2717", self.exercise_id, self.title, self.feedback, self.hint)


class ExerciseIdError(TypeError):
    """`check()` got an id that is not an exercise id string such as "01.1"."""

    def _render_traceback_(self) -> list[str]:
        """What IPython prints instead of the traceback: the message only."""
        return _render("\u2717", None, None, str(self), None)


class UnknownExercise(KeyError):
    """`check()` got a well-formed id that names no exercise; the message lists the known ones."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""

    def _render_traceback_(self) -> list[str]:
        """What IPython prints instead of the traceback: the message only."""
        return _render("\u2717", None, None, str(self), None)


@dataclass(frozen=True)
class Exercise:
    """A registered exercise: its id, kind ('numeric', 'choice', 'code' or 'open'), title and check."""

    id: str
    kind: str
    title: str
    check: Callable[[Any], None] | None


EXERCISES: dict[str, Exercise] = {}


def exercise(id: str, kind: str, title: str) -> Callable:
    """Register the decorated function as the check of exercise `id`."""
    if kind not in ("numeric", "choice", "code", "open"):
        raise ValueError(f"Unknown exercise kind {kind!r}: use numeric, choice, code or open.")

    def register(fn: Callable[[Any], None]) -> Callable[[Any], None]:
        EXERCISES[id] = Exercise(id, kind, title, fn)
        return fn

    return register


def fail(message: str, hint: str | None = None) -> None:
    """Reject an answer with feedback (and an optional hint)."""
    raise ExerciseFailed(message, hint)


def _load_chapter(id: str) -> None:
    """Import the module that registers the checks of the chapter `id` belongs to (mlcourse.checks.chNN)."""
    chapter = id.split(".")[0]
    if chapter.isdigit():
        try:
            importlib.import_module(f"mlcourse.checks.ch{chapter}")
        except ModuleNotFoundError as err:
            if err.name != f"mlcourse.checks.ch{chapter}":
                raise


def _chapters_with_checks() -> list[str]:
    """The chapter numbers ('00', '01', ...) that have a module of checks."""
    return sorted(p.stem[2:] for p in (Path(_PACKAGE_DIR) / "checks").glob("ch[0-9][0-9].py"))


def _suggested_id(id: Any) -> str:
    """A best guess at the id string meant by a malformed id such as 1.1 or '4.2' (else '01.1')."""
    match = re.fullmatch(r"\s*(\d{1,2})\.(\d+)\s*", str(id))
    return f"{int(match[1]):02d}.{match[2]}" if match else "01.1"


def _exercise_id(id: Any) -> str:
    """`id` checked: an exercise id string "NN.M"; a clear error for anything else, before any check runs."""
    if not isinstance(id, str):
        raise ExerciseIdError(
            f"check(id, answer): `id` must be the exercise id as a string such as \"01.1\" (chapter 01, "
            f"exercise 1), but got {type(id).__name__} {id!r}. Write check(\"{_suggested_id(id)}\", ...) "
            "with the id from the exercise's heading, in quotes.")
    if not _ID_FORM.fullmatch(id):
        raise UnknownExercise(
            f"check(id, answer): `id` must look like \"01.1\" (two-digit chapter, a dot, the exercise "
            f"number), but got {id!r}. Did you mean \"{_suggested_id(id)}\"? The id is in the exercise's heading.")
    return id


def _unknown_exercise(id: str) -> UnknownExercise:
    """The error for a well-formed id with no check: it lists the exercises of that chapter, or the chapters."""
    chapter = id.split(".")[0]
    known = sorted(k for k in EXERCISES if k.split(".")[0] == chapter)
    if known:
        listing = f"Chapter {chapter} has: {', '.join(known)}."
    else:
        listing = f"Chapter {chapter} has no exercises; chapters with exercises: {', '.join(_chapters_with_checks())}."
    return UnknownExercise(f"check(id, answer): no exercise {id!r} (`id`). {listing} "
                           "Copy the id from the exercise's heading.")


def call_student(fn: Any, what: str, *args: Any, hint: str | None = None) -> Any:
    """Call a student's function on one case; any error but NotImplementedError becomes feedback."""
    if not callable(fn):
        fail("Pass the function itself, not the result of calling it.")
    try:
        return fn(*args)
    except NotImplementedError:
        raise
    except Exception as err:  # noqa: BLE001 - any error of the student's code is feedback, not a crash
        fail(f"For {what} your function raised {type(err).__name__}: {err}", hint)


def _raised_in_package(tb: TracebackType | None) -> bool:
    """Whether the innermost frame of a traceback is mlcourse's own code (not the student's)."""
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    return tb.tb_frame.f_code.co_filename.startswith(_PACKAGE_DIR)


def _not_written(id: str, title: str) -> NotImplementedError:
    """A NotImplementedError saying that exercise `id` is not written yet; IPython shows it in two lines."""
    feedback = "not written yet. Replace `raise NotImplementedError` with your code and run the cell again."
    err = NotImplementedError(f"Exercise {id}: {feedback}")
    # An instance attribute, so that the error keeps its plain name (NotImplementedError) in Jupyter's output.
    err._render_traceback_ = lambda: _render("\u2717", id, title, feedback, None)  # type: ignore[attr-defined]
    return err


def check(id: str, answer: Any) -> None:
    """Run the check of exercise `id` on `answer`: prints a confirmation or raises ExerciseFailed."""
    id = _exercise_id(id)
    if id not in EXERCISES:
        _load_chapter(id)
    if id not in EXERCISES:
        raise _unknown_exercise(id)
    ex = EXERCISES[id]
    if answer is None or answer is Ellipsis:
        placeholder = "None" if answer is None else "..."
        failure = ExerciseFailed(f"Exercise {id}: not written yet (no answer yet: the answer is still {placeholder}).",
                                 "put your answer in place of the placeholder and run the cell again")
    else:
        try:
            ex.check(answer)
        except NotImplementedError as err:  # the student's stub, called by the check
            if _raised_in_package(err.__traceback__):
                raise
            raise _not_written(id, ex.title) from None
        except ExerciseFailed as err:
            if isinstance(err.__context__, NotImplementedError):  # a stub whose error the check turned into feedback
                raise _not_written(id, ex.title) from None
            failure = err
        except Exception as err:  # noqa: BLE001 - an answer the check cannot handle is feedback, never a traceback
            failure = ExerciseFailed(
                f"Exercise {id}: your answer could not be checked ({type(err).__name__}: {str(err)[:200]}).",
                "give the kind of answer the exercise asks for (a number, an array or a function)")
        else:
            print(f"Exercise {id} ({ex.title}): correct.")
            return
    failure.exercise_id, failure.title = id, ex.title
    # A fresh traceback that starts here: the frames of the check (its source shows the answer) are dropped.
    raise failure.with_traceback(None) from None


def as_number(answer: Any, id: str) -> float:
    """An answer as a float, or feedback that it must be a number."""
    try:
        value = float(answer)
    except (TypeError, ValueError, ArithmeticError):
        fail(f"Exercise {id}: expected a single number, got {type(answer).__name__}.")
    else:
        if value != value or value in (float("inf"), float("-inf")):
            fail(f"Exercise {id}: expected a finite number, got {value}.")
        return value
    raise AssertionError  # unreachable, keeps type checkers happy
