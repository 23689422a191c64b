"""pytest plugin: while nbval runs a chapter, each exercise cell runs first as the student edition has it.

A student opens the student edition (tools/editions.py), where every solution region reads
`# YOUR CODE HERE` / `raise NotImplementedError`. Executing that edition separately would run every
chapter a second time; instead, when nbval reaches an exercise cell of a chapter notebook
(notebooks/NN_name.ipynb), this plugin first sends the cell's student version to the same kernel
and fails the test unless it stops with the stub's NotImplementedError (or the one-line
"Not written yet" that `mlcourse.setup()` prints for it). nbval then runs the solution, so later
cells see the source notebook's state. That later cells need nothing only an answer defines is
checked without running anything, in tests/test_editions.py.

Loaded by the repository's conftest.py; elsewhere `python -m pytest -p student_stubs --nbval-lax ...`
with tools/ on the path. Set MLCOURSE_STUDENT_STUBS=0 to switch it off.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from queue import Empty

import editions
import nbio
import pytest

from mlcourse.config import NOT_WRITTEN


def run_in_kernel(kernel, code: str, timeout: float) -> tuple[list[dict], str]:
    """Execute code in an nbval kernel; return (error contents, text written to stderr).

    Raises Empty after `timeout` seconds (the kernel is interrupted first, so that the cell nbval
    runs next does not queue behind it) and RuntimeError when the kernel dies meanwhile.
    """
    msg_id = kernel.execute_cell_input(code, allow_stdin=False)
    deadline = time.monotonic() + timeout

    def reply(stream: str) -> dict:
        """The next message of this execution on a channel, polled in short slices."""
        while True:
            if not kernel.is_alive():
                raise RuntimeError("the kernel died while running the student version")
            try:
                msg = kernel.get_message(stream, timeout=min(1.0, max(deadline - time.monotonic(), 0.01)))
            except Empty:
                if time.monotonic() < deadline:
                    continue
                kernel.interrupt()
                try:
                    kernel.await_idle(msg_id, 10)
                except Empty:
                    pass
                raise
            if msg["parent_header"].get("msg_id") == msg_id:
                return msg

    reply("shell")
    errors, stderr = [], []
    while True:
        msg = reply("iopub")
        kind, content = msg["msg_type"], msg["content"]
        if kind == "status" and content["execution_state"] == "idle":
            return errors, "".join(stderr)
        if kind == "error":
            errors.append(content)
        elif kind == "stream" and content.get("name") == "stderr":
            stderr.append(content.get("text", ""))


def stub_problem(errors: list[dict], stderr: str) -> str | None:
    """None when a stub stopped as an unwritten exercise should; otherwise what happened instead."""
    names = [e.get("ename") for e in errors]
    if names == ["NotImplementedError"] or (not errors and NOT_WRITTEN in stderr):
        return None
    if errors:
        return f"it raised {names[0]}: {errors[0].get('evalue', '')}"
    return "it ran without raising NotImplementedError"


def is_chapter(path: Path) -> bool:
    """Whether a file is a chapter notebook, NN_name.ipynb (the pattern tools/nbio.py finds them by)."""
    return path.match(nbio.CHAPTER_GLOB)


def _is_chapter_cell(item) -> bool:
    """An nbval cell item of a chapter notebook (duck-typed: nbval's item classes are not public API)."""
    return (hasattr(item, "cell") and hasattr(item.parent, "kernel")
            and is_chapter(Path(str(item.path))))



def stub_check(item) -> str | None:
    """Run an exercise cell's student version in nbval's kernel; what went wrong, or None."""
    where = f"{Path(str(item.path)).name}, code cell {item.cell_num}"
    source = nbio.source(item.cell)
    stub = editions.student_code(source, where)
    kernel = item.parent.kernel
    if stub == source or item.options.get("skip") or kernel is None or not kernel.is_alive():
        return None  # not an exercise, a cell nbval skips, or a dead kernel, which nbval reports itself
    timeout = item.config.getoption("nbval_cell_timeout", 2000)
    try:
        problem = stub_problem(*run_in_kernel(kernel, stub, timeout))
    except Empty:
        problem = f"it did not finish in {timeout} s (interrupted)"
    except Exception as exc:  # a dead kernel, an aborted request: report it here, then let nbval go on
        problem = f"running it failed: {exc}"
    if problem:
        return (f"{where}: in the student edition this exercise cell should stop at its "
                f"`raise NotImplementedError`, but {problem}")
    return None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Run an exercise cell's student version first; nbval then runs the solution; fail if the stub did not stop."""
    check = os.environ.get("MLCOURSE_STUDENT_STUBS", "1") != "0" and _is_chapter_cell(item)
    try:
        problem = stub_check(item) if check else None
    except editions.MarkerError as exc:
        problem = f"its solution markers do not pair up: {exc}"
    if problem:  # shown in the report even if the solution below fails too
        item.add_report_section("call", "student version", problem)
    result = yield  # nbval runs the cell as the source notebook has it, so later cells see the solution
    if problem:
        pytest.fail(problem, pytrace=False)
    return result
