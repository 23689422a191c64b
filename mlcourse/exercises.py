"""Self-checking exercises: `check("00.1", answer)` says whether an answer is right, with a hint, never the answer.

The checks of chapter NN live in `mlcourse/checks/chNN.py` and register themselves with the
`@exercise` decorator; `check()` imports that module the first time an id of the chapter is used.

Each check tests behaviour (a value within a tolerance, a function on several cases), not the
code that produced it. A wrong answer raises `ExerciseFailed` with feedback; a right one prints a
one-line confirmation and returns True.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Callable



class ExerciseFailed(AssertionError):
    """An answer did not pass its check; the message says what is wrong and gives a hint."""


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
    raise ExerciseFailed(message + (f"\nHint: {hint}" if hint else ""))


def _load_chapter(id: str) -> None:
    """Import the module that registers the checks of the chapter `id` belongs to (mlcourse.checks.chNN)."""
    chapter = id.split(".")[0]
    if chapter.isdigit():
        try:
            importlib.import_module(f"mlcourse.checks.ch{chapter}")
        except ModuleNotFoundError as err:
            if err.name != f"mlcourse.checks.ch{chapter}":
                raise


def call_student(fn: Any, what: str, *args: Any, hint: str | None = None) -> Any:
    """Call a student's function on one case; any error but NotImplementedError becomes feedback."""
    if not callable(fn):
        fail("Pass the function itself, not the result of calling it.")
    try:
        return fn(*args)
    except NotImplementedError:
        raise
    except Exception as err:  # any error of the student's code is feedback, not a crash of the check
        fail(f"For {what} your function raised {type(err).__name__}: {err}", hint)


def check(id: str, answer: Any) -> None:
    """Run the check of exercise `id` on `answer`: prints a confirmation or raises ExerciseFailed."""
    if id not in EXERCISES:
        _load_chapter(id)
    if id not in EXERCISES:
        raise KeyError(f"No exercise {id!r}. Known: {', '.join(sorted(EXERCISES))}.")
    ex = EXERCISES[id]
    if answer is None or answer is Ellipsis:
        fail(f"Exercise {id}: no answer yet. Replace the placeholder with your answer and run the cell again.")
    try:
        ex.check(answer)
    except ExerciseFailed as err:
        if isinstance(err.__context__, NotImplementedError):  # the student stub, called by the check
            raise NotImplementedError(f"Exercise {id}: not written yet; replace `raise NotImplementedError` "
                                      "with your code.") from None
        raise
    print(f"Exercise {id} ({ex.title}): correct.")


def as_number(answer: Any, id: str) -> float:
    """An answer as a float, or feedback that it must be a number."""
    try:
        return float(answer)
    except (TypeError, ValueError):
        fail(f"Exercise {id}: expected a single number, got {type(answer).__name__}.")
    raise AssertionError  # unreachable, keeps type checkers happy
