#!/usr/bin/env python3
"""Grade a folder of submitted notebooks for one chapter: run each one, record every check.

    python tools/grade.py SUBMISSIONS/ --chapter 04               # writes SUBMISSIONS/../grades/
    python tools/grade.py SUBMISSIONS/ --chapter 04 --out marks/  # elsewhere
    python3 course.py grade SUBMISSIONS/ --chapter 04             # the same, with the course's venv

Every ``*.ipynb`` under SUBMISSIONS (sub-folders included; hidden folders, ``.ipynb_checkpoints``
and ``__MACOSX`` skipped) is one student; the student's name is the file's path relative to
SUBMISSIONS without ``.ipynb`` (``alice`` for ``alice.ipynb``, ``bob/04_svm`` for ``bob/04_svm.ipynb``).

Each notebook runs in a fresh kernel, in fast mode, in a temporary copy of its submission (the
notebook alone, or the student's sub-folder), with HOME, the temporary folder and mlcourse's cache
and results folders pointed at temporary folders too; MLCOURSE_DATA_DIR and MLCOURSE_MIRRORS are
passed through (and your own mlcourse cache is offered as a read-only mirror), so data load offline.
A first cell, added only to the copy that runs, records every call of ``check()``. Cells that
raise do not stop the run. A cell that runs longer than ``--timeout-cell`` is interrupted (the
kernel is killed if the interrupt does not stop it), and the kernel is killed when the notebook as
a whole runs longer than ``--timeout-notebook``. The copies are deleted afterwards.

Each checked exercise of the chapter gets one of: correct, wrong (with the feedback the student
saw), not attempted (a placeholder answer, ``raise NotImplementedError``, or no ``check()`` call),
crashed (the cell raised another error, had a syntax error, or the kernel died) or timed out.
A notebook of another chapter is reported and not run. The results go to ``grades.csv`` and
``grades.html`` in the output folder (with ``--keep-executed``, also the executed notebooks under
``executed/``); nothing else is written. The output folder may not be inside SUBMISSIONS.

This isolates the submissions from one another and from your files as far as a working
directory and environment variables can: it is not a security sandbox. A notebook can still
reach any absolute path your user may write to; grade untrusted work in a container or as a user
that can write nowhere else.
"""

from __future__ import annotations

import argparse
import csv
import datetime as _dt
import html
import importlib
import importlib.util
import json
import math
import os
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(Path(__file__).resolve().parent) not in sys.path:  # the sibling module nbio, however this file is loaded
    sys.path.insert(0, str(Path(__file__).resolve().parent))

import nbio  # noqa: E402

CORRECT, WRONG, NOT_ATTEMPTED, CRASHED, TIMED_OUT = "correct", "wrong", "not attempted", "crashed", "timed out"
STATUSES = (CORRECT, WRONG, NOT_ATTEMPTED, CRASHED, TIMED_OUT)
DEFAULT_CELL_TIMEOUT_S = 120.0
DEFAULT_NOTEBOOK_TIMEOUT_S = 900.0
INTERRUPT_GRACE_S = 10.0  # how long an interrupted kernel gets to become responsive again
STARTUP_TIMEOUT_S = 120
SKIPPED_FOLDERS = (".ipynb_checkpoints", "__MACOSX")
CHECK_CALL = re.compile(r"""check\(\s*["'](\d\d)\.(\d+)["']""")
TITLE = re.compile(r"^\s*#\s+(\d\d)\.\s")
FILE_CHAPTER = re.compile(r"^(\d\d)_")
MAX_TEXT = 300  # characters of feedback or error message kept per exercise
MAX_CELL_ERRORS = 3  # errors of cells outside the exercises noted per notebook

# The first cell of every notebook that runs (never written back to a file): it wraps
# mlcourse.exercises.check so that each call appends one JSON line to the records file.
HOOK = '''\
def _mlcourse_grade_hook(path):
    """Record every check() call of this notebook in `path` (added by tools/grade.py)."""
    import functools
    import json

    import mlcourse
    import mlcourse.exercises as exercises

    original = exercises.check

    @functools.wraps(original)
    def check(id, answer):
        record = {"id": id if isinstance(id, str) else repr(id)}
        if answer is None or answer is Ellipsis:
            record["status"] = "not attempted"
        try:
            original(id, answer)
        except exercises.ExerciseFailed as err:
            record.setdefault("status", "wrong")
            record["feedback"] = str(getattr(err, "feedback", err))
            record["hint"] = getattr(err, "hint", None)
            raise
        except NotImplementedError as err:
            record["status"], record["feedback"] = "not attempted", str(err)
            raise
        except KeyboardInterrupt:
            record["status"] = "timed out"
            raise
        except BaseException as err:
            record["status"], record["feedback"] = "crashed", f"{type(err).__name__}: {err}"
            raise
        else:
            record["status"] = "correct"
        finally:
            try:
                with open(path, "a", encoding="utf-8") as out:
                    out.write(json.dumps(record, default=str) + "\\n")
            except OSError:
                pass

    exercises.check = check
    if hasattr(mlcourse, "check"):
        mlcourse.check = check


_mlcourse_grade_hook(RECORDS_PATH)
del _mlcourse_grade_hook
'''


class GradingError(Exception):
    """Bad input, found before any notebook runs; the message says what to change. Printed without a traceback."""


class GraderUnavailable(GradingError):
    """The grader itself cannot run notebooks here (nbclient or ipykernel missing)."""


@dataclass
class Result:
    """One exercise of one student: its status and the feedback or error behind it."""

    status: str
    detail: str = ""


@dataclass
class Submission:
    """The grades of one notebook: a Result per exercise id, notes, and the run time in seconds."""

    student: str
    path: Path
    results: dict[str, Result] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def correct(self) -> int:
        """How many exercises are correct."""
        return sum(r.status == CORRECT for r in self.results.values())


# ---------------------------------------------------------------------------------------------
# Input: chapter, exercises, submissions, output folder


def chapter_id(chapter: str | int) -> str:
    """The chapter as two digits ('4' -> '04'); a GradingError listing the chapters with checks otherwise."""
    from mlcourse import exercises

    known = exercises._chapters_with_checks()
    text = str(chapter).strip()
    if not re.fullmatch(r"\d{1,2}", text) or f"{int(text):02d}" not in known:
        raise GradingError(f"--chapter: {chapter!r} is not a chapter with checked exercises; "
                           f"use one of {', '.join(known)} (e.g. --chapter 04).")
    return f"{int(text):02d}"


def chapter_exercises(chapter: str) -> dict[str, str]:
    """{exercise id: title} of the automatically checked exercises of a chapter, in order."""
    from mlcourse import exercises

    importlib.import_module(f"mlcourse.checks.ch{chapter}")
    found = {k: e.title for k, e in exercises.EXERCISES.items()
             if k.split(".")[0] == chapter and e.check is not None}
    if not found:
        raise GradingError(f"--chapter {chapter}: the chapter has no checked exercises; nothing to grade.")
    return dict(sorted(found.items(), key=lambda kv: int(kv[0].split(".")[1])))


def find_notebooks(folder: Path) -> list[Path]:
    """Every submitted notebook under `folder`, sorted, skipping hidden and checkpoint folders."""
    found = []
    for path in folder.rglob("*.ipynb"):
        parts = path.relative_to(folder).parts
        if any(p.startswith(".") or p in SKIPPED_FOLDERS for p in parts):
            continue
        if path.is_file():
            found.append(path)
    return sorted(found)


def student_name(path: Path, folder: Path) -> str:
    """The student's name: the notebook's path under the submissions folder, without '.ipynb'."""
    return path.relative_to(folder).with_suffix("").as_posix()


def check_folders(submissions: str | os.PathLike, out: str | os.PathLike | None) -> tuple[Path, Path]:
    """The submissions and output folders, resolved; a GradingError before any work if they cannot be used."""
    sub = Path(submissions).expanduser()
    if not sub.is_dir():
        what = "is a file, not a folder" if sub.is_file() else "does not exist"
        raise GradingError(f"SUBMISSIONS: {sub} {what}; give the folder that holds the students' notebooks.")
    sub = sub.resolve()
    target = (Path(out).expanduser() if out is not None else sub.parent / "grades").resolve()
    if target == sub or sub in target.parents:
        raise GradingError(f"--out: {target} is inside the submissions folder {sub}; the grader writes nothing "
                           "there. Give an output folder outside it (the default is SUBMISSIONS/../grades).")
    if target.exists() and not target.is_dir():
        raise GradingError(f"--out: {target} is a file; give a folder (it is created if missing).")
    return sub, target


def positive_seconds(value: str) -> float:
    """A time limit argument: a positive number of seconds."""
    try:
        seconds = float(value)
    except ValueError:
        seconds = float("nan")
    if not math.isfinite(seconds) or seconds <= 0:
        raise argparse.ArgumentTypeError(f"{value!r} is not a positive number of seconds (e.g. 120)")
    return seconds


# ---------------------------------------------------------------------------------------------
# Looking at a notebook before running it


def check_ids(nb: Any) -> list[str]:
    """The exercise ids of the check("NN.k", ...) calls in a notebook's code cells, in order."""
    return [f"{m[1]}.{m[2]}" for _, c in nbio.code_cells(nb) for m in CHECK_CALL.finditer(nbio.source(c))]


def other_chapter(nb: Any, path: Path, chapter: str) -> str | None:
    """Why a notebook looks like another chapter's (title, file name, check ids), or None."""
    ids = check_ids(nb)
    if any(i.startswith(chapter + ".") for i in ids):
        return None
    clues = []
    for _, cell in nbio.markdown_cells(nb)[:1]:
        m = TITLE.match(nbio.source(cell))
        if m and m[1] != chapter:
            clues.append(f"its title is chapter {m[1]}")
    m = FILE_CHAPTER.match(path.name)
    if m and m[1] != chapter:
        clues.append(f"its file name is chapter {m[1]}'s")
    others = sorted({i.split(".")[0] for i in ids})
    if others:
        clues.append(f"it checks exercises of chapter {', '.join(others)} ({', '.join(dict.fromkeys(ids))})")
    if not clues:
        return None
    return f"looks like another chapter's notebook, not chapter {chapter}'s ({'; '.join(clues)}): not run"


# ---------------------------------------------------------------------------------------------
# Running a notebook


def _short(text: str, limit: int = MAX_TEXT) -> str:
    """One line of at most `limit` characters."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"


def _feedback(record: dict, ex_id: str) -> str:
    """The feedback of a check record without the 'Exercise NN.k:' prefix."""
    text = str(record.get("feedback") or "")
    return _short(re.sub(rf"^Exercise {re.escape(ex_id)}\s*:?\s*", "", text))


def _work_copy(path: Path, submissions: Path, root: Path) -> Path:
    """Copy the submission (the notebook alone, or the student's sub-folder) under root/work; the copy's notebook."""
    work = root / "work"
    rel = path.relative_to(submissions)
    if len(rel.parts) == 1:
        work.mkdir()
        shutil.copy2(path, work / path.name)
        return work / path.name
    shutil.copytree(submissions / rel.parts[0], work, symlinks=True,
                    ignore=shutil.ignore_patterns(*SKIPPED_FOLDERS))
    return work.joinpath(*rel.parts[1:])


def kernel_env(root: Path) -> dict[str, str]:
    """The kernel's environment: fast mode, a temporary HOME, cache, results and temp folder, data passed through."""
    from mlcourse import paths

    env = {k: v for k, v in os.environ.items() if not k.startswith(("JPY_", "JUPYTER_"))}
    mirrors = [p for p in os.environ.get(paths.MIRRORS_ENV, "").split(os.pathsep) if p]
    own_cache = paths.cache_dir()
    if own_cache.is_dir() and str(own_cache) not in mirrors:
        mirrors.append(str(own_cache))  # data you downloaded before, read from where it is
    folders = {name: root / name for name in ("home", "cache", "results", "tmp", "config")}
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    env.update({
        "HOME": str(folders["home"]), "USERPROFILE": str(folders["home"]),
        "TMPDIR": str(folders["tmp"]), "TEMP": str(folders["tmp"]), "TMP": str(folders["tmp"]),
        "XDG_CACHE_HOME": str(folders["cache"]), "XDG_CONFIG_HOME": str(folders["config"]),
        "IPYTHONDIR": str(folders["config"] / "ipython"), "MPLCONFIGDIR": str(folders["config"] / "matplotlib"),
        paths.CACHE_ENV: str(folders["cache"] / "mlcourse"), paths.RESULTS_ENV: str(folders["results"]),
        paths.MIRRORS_ENV: os.pathsep.join(mirrors), paths.FAST_ENV: "1",
        "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1", "TF_CPP_MIN_LOG_LEVEL": "3",
    })
    if not env[paths.MIRRORS_ENV]:
        del env[paths.MIRRORS_ENV]
    return env


class _Run:
    """Execute one notebook cell by cell, tracking what each cell did and which checks it recorded."""

    def __init__(self, nb: Any, work_dir: Path, records: Path, env: dict[str, str],
                 cell_timeout: float, notebook_timeout: float, interrupt_grace: float) -> None:
        from nbclient import NotebookClient
        from nbformat.v4 import new_code_cell

        hook = new_code_cell(f"RECORDS_PATH = {str(records)!r}\n" + HOOK)
        nb.cells.insert(0, hook)
        self.nb, self.records, self.env, self.work_dir = nb, records, env, work_dir
        self.kernel_log = records.parent / "kernel.log"
        self.cell_timeout, self.notebook_timeout, self.grace = cell_timeout, notebook_timeout, interrupt_grace
        self.limit: float = cell_timeout
        self.client = NotebookClient(
            nb, kernel_name="python3", allow_errors=True, interrupt_on_timeout=False,
            timeout_func=lambda cell: max(1, math.ceil(self.limit)), startup_timeout=STARTUP_TIMEOUT_S,
            shutdown_kernel="immediate", record_timing=False, resources={"metadata": {"path": str(work_dir)}})
        self.cell_outcome: dict[int, tuple[str, str]] = {}  # cell index -> (outcome, detail)
        self.cell_records: dict[int, list[dict]] = {}
        self.stopped: tuple[str, str] | None = None  # (status for the cells never run, note)
        self._read = 0

    def _log_tail(self) -> str:
        """The kernel log's last meaningful line, as ': <line>' (empty when there is none)."""
        try:
            lines = self.kernel_log.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return ""
        lines = [x for x in lines if x.strip() and "running over TCP without encryption" not in x]
        return f"; the kernel's last message: {lines[-1].strip()}" if lines else ""

    def _new_records(self) -> list[dict]:
        """The records appended since the last call."""
        try:
            lines = self.records.read_text(encoding="utf-8").splitlines()
        except OSError:
            return []
        new, self._read = lines[self._read:], len(lines)
        out = []
        for line in new:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict) and isinstance(record.get("id"), str):
                out.append(record)
        return out

    def _note_output(self, cell: Any, text: str) -> None:
        """Add a line to a cell's outputs, for the executed copy an instructor may read."""
        from nbformat.v4 import new_output

        cell.setdefault("outputs", []).append(new_output("stream", name="stderr", text=f"[grader] {text}\n"))

    def execute(self) -> None:
        """Run every code cell; fill cell_outcome, cell_records and stopped."""
        from nbclient.exceptions import CellTimeoutError, DeadKernelError

        deadline = time.monotonic() + self.notebook_timeout
        # The kernel process's own output (not the notebook's) goes to a log: its last line explains a crash.
        log = self.kernel_log.open("w", encoding="utf-8")
        kernel = self.client.setup_kernel(env=self.env, cwd=str(self.work_dir), stdout=log, stderr=log)
        try:
            kernel.__enter__()
        except Exception as err:  # noqa: BLE001 - e.g. a file of the submission shadows a module the kernel needs
            log.close()
            self.stopped = (CRASHED, _short(f"the kernel did not start in this submission's folder "
                                            f"({type(err).__name__}: {err}){self._log_tail()}"))
            return
        try:
            for index, cell in enumerate(self.nb.cells):
                if cell.get("cell_type") != "code" or not nbio.source(cell).strip():
                    continue
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self.stopped = (TIMED_OUT, f"stopped: the notebook ran past its limit of "
                                               f"{self.notebook_timeout:g} s (kernel killed)")
                    break
                self.limit = min(self.cell_timeout, remaining)
                by_notebook = remaining < self.cell_timeout
                cell.setdefault("metadata", {})
                cell["source"] = nbio.source(cell)
                try:
                    self.client.execute_cell(cell, index)
                    error = next((o for o in cell.get("outputs", []) if o.get("output_type") == "error"), None)
                    if error is None:
                        self.cell_outcome[index] = ("ok", "")
                    else:
                        self.cell_outcome[index] = ("error", f"{error.get('ename')}: {error.get('evalue', '')}")
                except CellTimeoutError:
                    self._cancel_stale_polls()
                    self.cell_outcome[index] = ("timed out", "")
                    self.cell_records[index] = self._new_records()
                    if by_notebook:
                        self._note_output(cell, f"stopped: the notebook's limit of {self.notebook_timeout:g} s")
                        self.stopped = (TIMED_OUT, f"stopped in cell {index}: the notebook ran past its limit of "
                                                   f"{self.notebook_timeout:g} s (kernel killed)")
                        break
                    self._note_output(cell, f"interrupted after {self.cell_timeout:g} s")
                    if not self._recover():
                        self.stopped = (TIMED_OUT, f"cell {index} ran past {self.cell_timeout:g} s and did not "
                                                   "stop when interrupted (kernel killed)")
                        break
                    continue
                except DeadKernelError:
                    self._cancel_stale_polls()
                    self.cell_outcome[index] = ("died", "")
                    self.cell_records[index] = self._new_records()
                    self._note_output(cell, "the kernel died while running this cell")
                    self.stopped = (CRASHED, _short(f"the kernel died in cell {index} (the code crashed Python, "
                                                    f"ran out of memory or exited){self._log_tail()}"))
                    break
                self.cell_records[index] = self._new_records()
        finally:
            try:
                kernel.__exit__(None, None, None)
            except Exception:  # noqa: BLE001, S110 - a kernel that is already gone needs no shutdown
                pass
            log.close()

    def _cancel_stale_polls(self) -> None:
        """Cancel nbclient's polling tasks left behind by a cell that timed out or whose kernel died.

        nbclient does not cancel a cell's IOPub poller when the cell times out; left running, it would
        take the next cell's messages (and log errors once its kernel is gone).
        """
        import asyncio

        from jupyter_core.utils import run_sync

        async def cancel() -> None:
            stale = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()
                     and getattr(t.get_coro(), "__qualname__", "").startswith("NotebookClient.")]
            for task in stale:
                task.cancel()
            await asyncio.gather(*stale, return_exceptions=True)

        run_sync(cancel)()

    def _recover(self) -> bool:
        """Interrupt the kernel after a cell timed out; True when it answers a trivial cell again."""
        from jupyter_core.utils import ensure_async, run_sync
        from nbclient.exceptions import CellTimeoutError, DeadKernelError
        from nbformat.v4 import new_code_cell

        async def interrupt() -> None:
            await ensure_async(self.client.km.interrupt_kernel())

        try:
            run_sync(interrupt)()
        except Exception:  # noqa: BLE001 - an interrupt that fails is a kernel that will not answer
            return False
        probe = new_code_cell("pass")
        saved, self.limit = self.limit, self.grace
        self.nb.cells.append(probe)
        try:
            self.client.execute_cell(probe, len(self.nb.cells) - 1)
            return True
        except (CellTimeoutError, DeadKernelError):
            self._cancel_stale_polls()
            return False
        finally:
            self.nb.cells.pop()
            self.limit = saved


def _cells_of(nb: Any, ex_id: str) -> list[int]:
    """Indices of the code cells that call check() for exercise `ex_id`."""
    return [i for i, c in nbio.code_cells(nb)
            if any(f"{m[1]}.{m[2]}" == ex_id for m in CHECK_CALL.finditer(nbio.source(c)))]


def _from_cells(run: _Run, ex_id: str) -> Result:
    """The result of an exercise with no check() record, from what the cells that should call it did."""
    cells = _cells_of(run.nb, ex_id)
    if not cells:
        if run.stopped:
            return Result(run.stopped[0], "not reached")
        return Result(NOT_ATTEMPTED, "no check() call")
    index = cells[-1]
    outcome, detail = run.cell_outcome.get(index, ("not run", ""))
    if outcome == "error":
        if detail.startswith("NotImplementedError"):
            return Result(NOT_ATTEMPTED, "not written yet")
        if detail.startswith(("SyntaxError", "IndentationError", "TabError")):
            return Result(CRASHED, _short(f"syntax error in cell {index}: {detail}"))
        return Result(CRASHED, _short(f"cell {index} raised {detail}"))
    if outcome == "timed out":
        return Result(TIMED_OUT, f"cell {index} ran past its time limit")
    if outcome == "died":
        return Result(CRASHED, f"the kernel died in cell {index}")
    if outcome == "not run":
        return Result(run.stopped[0] if run.stopped else NOT_ATTEMPTED, "not reached")
    return Result(NOT_ATTEMPTED, "check() not called when the cell ran")


def grade_notebook(path: Path, submissions: Path, chapter: str, exercise_ids: Sequence[str], *,
                   cell_timeout: float = DEFAULT_CELL_TIMEOUT_S, notebook_timeout: float = DEFAULT_NOTEBOOK_TIMEOUT_S,
                   interrupt_grace: float = INTERRUPT_GRACE_S, keep: Path | None = None) -> Submission:
    """Run one submitted notebook in isolation and grade each exercise of the chapter."""
    sub = Submission(student_name(path, submissions), path)
    start = time.monotonic()
    try:
        nb = nbio.read_notebook(path)
    except (OSError, UnicodeDecodeError, ValueError) as err:
        sub.notes.append(_short(f"could not read the notebook: {err}".replace(str(path), path.name)))
        sub.results = {i: Result(NOT_ATTEMPTED, "unreadable notebook") for i in exercise_ids}
        return sub
    elsewhere = other_chapter(nb, path, chapter)
    if elsewhere:
        sub.notes.append(elsewhere)
        sub.results = {i: Result(NOT_ATTEMPTED, "another chapter's notebook") for i in exercise_ids}
        return sub
    root = Path(tempfile.mkdtemp(prefix="mlcourse-grade-"))
    try:
        work_nb = _work_copy(path, submissions, root)
        records = root / "grader" / "checks.jsonl"
        records.parent.mkdir()
        run = _Run(nb, work_nb.parent, records, kernel_env(root), cell_timeout, notebook_timeout, interrupt_grace)
        run.execute()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    sub.seconds = time.monotonic() - start
    # With the grader's cell at index 0, a cell's index is its position in the student's notebook counted
    # from 1 (markdown cells included): the "cell N" of every note.
    last: dict[str, dict] = {}
    strays: list[str] = []
    for index in sorted(run.cell_records):
        for record in run.cell_records[index]:
            record["cell"] = index
            if record["id"] in exercise_ids:
                last[record["id"]] = record
            else:
                strays.append(record["id"])
    for ex_id in exercise_ids:
        record = last.get(ex_id)
        if record is None:
            result = _from_cells(run, ex_id)
        elif record.get("status") == WRONG:
            result = Result(WRONG, _feedback(record, ex_id))
        elif record.get("status") == NOT_ATTEMPTED:
            result = Result(NOT_ATTEMPTED, "not written yet")
        elif record.get("status") == TIMED_OUT:
            result = Result(TIMED_OUT, f"cell {record['cell']} ran past its time limit (inside check())")
        elif record.get("status") == CRASHED:
            result = Result(CRASHED, _feedback(record, ex_id) or f"check() failed in cell {record['cell']}")
        else:
            result = Result(CORRECT)
        sub.results[ex_id] = result
    if run.stopped:
        sub.notes.append(run.stopped[1])
    if not any(run.cell_records.values()):
        sub.notes.append("never called check()")
    if strays:
        sub.notes.append(_short("called check() with ids not of chapter " + chapter + ": "
                                + ", ".join(dict.fromkeys(strays))))
    exercise_cells = {i for ex_id in exercise_ids for i in _cells_of(nb, ex_id)} | {0}
    # (nb still has the grader's cell here, so indices are the student's positions counted from 1.)
    errors = [(i, d) for i, (o, d) in sorted(run.cell_outcome.items()) if o == "error" and i not in exercise_cells]
    for i, detail in errors[:MAX_CELL_ERRORS]:
        sub.notes.append(_short(f"cell {i} raised {detail}", 200))
    if len(errors) > MAX_CELL_ERRORS:
        sub.notes.append(f"{len(errors) - MAX_CELL_ERRORS} more cells raised errors")
    nb.cells.pop(0)  # the grader's cell
    if keep is not None:
        target = keep / (sub.student + ".ipynb")
        target.parent.mkdir(parents=True, exist_ok=True)
        nbio.write_notebook(target, nb)
    return sub


# ---------------------------------------------------------------------------------------------
# Reports


def _csv_safe(value: Any) -> str:
    """A value a spreadsheet shows as text, never runs as a formula."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def notes_of(sub: Submission) -> list[str]:
    """The notes of a submission: its own, then the feedback of each exercise that is not correct."""
    notes = list(sub.notes)
    for ex_id, r in sub.results.items():
        if r.status in (WRONG, CRASHED, TIMED_OUT) and r.detail:
            notes.append(f"{ex_id} {r.status}: {r.detail}")
    return notes


def write_csv(path: Path, subs: Sequence[Submission], exercise_ids: Sequence[str]) -> None:
    """grades.csv: one row per student, a column per exercise, the number correct and notes."""
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student", *exercise_ids, "total correct", "notes"])
        for sub in subs:
            writer.writerow([_csv_safe(sub.student), *(sub.results[i].status for i in exercise_ids),
                             sub.correct, _csv_safe("; ".join(notes_of(sub)))])


def common_wrong_answers(subs: Sequence[Submission], exercise_ids: Sequence[str]) -> dict[str, list[tuple[str, int]]]:
    """{exercise id: [(feedback, how many students got it), ...]} for the wrong answers, most frequent first."""
    out = {}
    for ex_id in exercise_ids:
        counts = Counter(s.results[ex_id].detail for s in subs if s.results[ex_id].status == WRONG)
        out[ex_id] = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return out


_LABELS = {CORRECT: "\u2713 correct", WRONG: "\u2717 wrong", NOT_ATTEMPTED: "\u2013 not attempted",
           CRASHED: "! crashed", TIMED_OUT: "\u25d4 timed out"}
_CLASSES = {s: "s-" + s.replace(" ", "-") for s in STATUSES}
_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #1a1a1a; max-width: 80rem; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #888; padding: 0.3rem 0.6rem; text-align: left; vertical-align: top; }
th { background: #eee; }
td.notes { font-size: 0.9em; max-width: 40rem; }
.s-correct { background: #cfe3f5; }
.s-wrong { background: #fbd9b5; }
.s-not-attempted { background: #f2f2f2; color: #333; }
.s-crashed { background: #e8c9e6; }
.s-timed-out { background: #fff0a6; }
tfoot td { font-weight: bold; }
caption { text-align: left; font-weight: bold; padding-bottom: 0.3rem; }
"""


def write_html(path: Path, subs: Sequence[Submission], exercises: dict[str, str], chapter: str,
               settings: str) -> None:
    """grades.html: the table with coloured, labelled cells, totals per exercise, and the common wrong answers."""
    e = html.escape
    ids = list(exercises)
    n = len(subs)
    rows = []
    for sub in subs:
        cells = "".join(f'<td class="{_CLASSES[sub.results[i].status]}">{e(_LABELS[sub.results[i].status])}</td>'
                        for i in ids)
        notes = "<br>".join(e(x) for x in notes_of(sub))
        rows.append(f"<tr><th scope=\"row\">{e(sub.student)}</th>{cells}"
                    f"<td>{sub.correct} of {len(ids)}</td><td class=\"notes\">{notes}</td></tr>")
    totals = "".join(f"<td>{sum(s.results[i].status == CORRECT for s in subs)} of {n} correct</td>" for i in ids)
    mean = sum(s.correct for s in subs) / n if n else 0.0
    head = "".join(f'<th scope="col">{e(i)}<br><small>{e(t)}</small></th>' for i, t in exercises.items())
    counts = Counter(s.results[i].status for s in subs for i in ids)
    summary = ", ".join(f"{counts[s]} {s}" for s in STATUSES)
    legend = " ".join(f'<span class="{_CLASSES[s]}" style="padding:0.1rem 0.4rem">{e(_LABELS[s])}</span>'
                      for s in STATUSES)
    wrong = []
    for ex_id, answers in common_wrong_answers(subs, ids).items():
        if not answers:
            wrong.append(f"<h3>{e(ex_id)} {e(exercises[ex_id])}</h3><p>No wrong answers.</p>")
            continue
        items = "".join(f"<li><strong>{k} student{'s' if k != 1 else ''}</strong>: {e(text or '(no feedback)')}</li>"
                        for text, k in answers)
        wrong.append(f"<h3>{e(ex_id)} {e(exercises[ex_id])}</h3><ul>{items}</ul>")
    page = f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Grades, chapter {e(chapter)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>{_STYLE}</style></head>
<body>
<h1>Grades, chapter {e(chapter)}</h1>
<p>{n} notebook{'s' if n != 1 else ''} graded on {e(_dt.datetime.now().strftime('%Y-%m-%d %H:%M'))};
{e(settings)}. Mean: {mean:.1f} of {len(ids)} exercises correct. All results: {e(summary)}.</p>
<p>Legend: {legend}</p>
<table>
<caption>One row per notebook, one column per checked exercise</caption>
<thead><tr><th scope="col">student</th>{head}<th scope="col">total</th><th scope="col">notes</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
<tfoot><tr><th scope="row">all students</th>{totals}<td>mean {mean:.1f}</td><td></td></tr></tfoot>
</table>
<h2>Common wrong answers</h2>
<p>For each exercise, the feedback the checks gave for wrong answers, most frequent first.</p>
{chr(10).join(wrong)}
</body>
</html>
"""
    path.write_text(page, encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# Entry points


def grade_folder(submissions: str | os.PathLike, chapter: str | int, out: str | os.PathLike | None = None, *,
                 cell_timeout: float = DEFAULT_CELL_TIMEOUT_S, notebook_timeout: float = DEFAULT_NOTEBOOK_TIMEOUT_S,
                 interrupt_grace: float = INTERRUPT_GRACE_S, keep_executed: bool = False,
                 progress: Callable[[str], None] | None = print) -> tuple[list[Submission], Path]:
    """Grade every notebook under `submissions` for `chapter`; write grades.csv and grades.html; return them."""
    for name, value in (("cell_timeout", cell_timeout), ("notebook_timeout", notebook_timeout),
                        ("interrupt_grace", interrupt_grace)):
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
            raise GradingError(f"{name}: {value!r} is not a positive number of seconds.")
    missing = [m for m in ("mlcourse", "nbclient", "ipykernel", "nbformat") if importlib.util.find_spec(m) is None]
    if missing:
        raise GraderUnavailable(f"running notebooks needs {', '.join(missing)}: run the grader with the course's "
                                "venv (python3 course.py grade ...) or pip install -e \".[test]\".")
    chapter = chapter_id(chapter)
    sub_dir, out_dir = check_folders(submissions, out)
    exercises = chapter_exercises(chapter)
    notebooks = find_notebooks(sub_dir)
    if not notebooks:
        raise GradingError(f"SUBMISSIONS: no .ipynb files under {sub_dir}; give the folder that holds "
                           "the students' notebooks.")
    out_dir.mkdir(parents=True, exist_ok=True)
    keep = out_dir / "executed" if keep_executed else None
    subs = []
    for k, path in enumerate(notebooks, 1):
        sub = grade_notebook(path, sub_dir, chapter, list(exercises), cell_timeout=cell_timeout,
                             notebook_timeout=notebook_timeout, interrupt_grace=interrupt_grace, keep=keep)
        subs.append(sub)
        if progress:
            extra = f" ({sub.notes[0]})" if sub.notes else ""
            progress(f"[{k}/{len(notebooks)}] {sub.student}: {sub.correct} of {len(exercises)} correct, "
                     f"{sub.seconds:.1f} s{extra}")
    settings = (f"fast mode, a limit of {cell_timeout:g} s per cell and {notebook_timeout:g} s per notebook")
    write_csv(out_dir / "grades.csv", subs, list(exercises))
    write_html(out_dir / "grades.html", subs, exercises, chapter, settings)
    return subs, out_dir


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point: 0 when the grades are written, 2 for bad arguments, 1 when the grader cannot run."""
    parser = argparse.ArgumentParser(prog="grade.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("submissions", metavar="SUBMISSIONS", help="folder of submitted notebooks")
    parser.add_argument("--chapter", required=True, help="the chapter to grade, e.g. 04")
    parser.add_argument("--out", metavar="DIR", help="output folder (default: SUBMISSIONS/../grades)")
    parser.add_argument("--timeout-cell", type=positive_seconds, default=DEFAULT_CELL_TIMEOUT_S, metavar="S",
                        help=f"seconds one cell may run before it is interrupted (default {DEFAULT_CELL_TIMEOUT_S:g})")
    parser.add_argument("--timeout-notebook", type=positive_seconds, default=DEFAULT_NOTEBOOK_TIMEOUT_S,
                        metavar="S", help="seconds a whole notebook may run before its kernel is killed "
                                          f"(default {DEFAULT_NOTEBOOK_TIMEOUT_S:g})")
    parser.add_argument("--keep-executed", action="store_true",
                        help="also save each executed notebook under DIR/executed/")
    args = parser.parse_args(argv)
    try:
        subs, out = grade_folder(args.submissions, args.chapter, args.out, cell_timeout=args.timeout_cell,
                                 notebook_timeout=args.timeout_notebook, keep_executed=args.keep_executed)
    except GraderUnavailable as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except GradingError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"wrote {out / 'grades.csv'} and {out / 'grades.html'} ({len(subs)} notebooks)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
