"""tools/student_stubs.py: the pytest plugin that runs each exercise cell's student version inside nbval's run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import student_stubs  # noqa: E402


def test_a_stub_may_stop_with_the_error_or_with_the_course_hooks_line():
    assert student_stubs.stub_problem([{"ename": "NotImplementedError", "evalue": ""}], "") is None
    assert student_stubs.stub_problem([], "\u2717 Not written yet: this cell still says ...") is None


def test_any_other_ending_is_a_problem_that_names_what_happened():
    assert "NameError: name 'w' is not defined" in student_stubs.stub_problem(
        [{"ename": "NameError", "evalue": "name 'w' is not defined"}], "")
    assert "without raising" in student_stubs.stub_problem([], "")
    assert student_stubs.stub_problem([{"ename": "NotImplementedError"}, {"ename": "ValueError"}], "")


def _run_nbval(tmp_path: Path, cells: list[str], name: str = "99_demo.ipynb", **env) -> subprocess.CompletedProcess:
    path = tmp_path / name
    path.write_text(nbformat.writes(new_notebook(cells=[new_code_cell(c) for c in cells])), encoding="utf-8")
    environ = {**os.environ, "PYTHONPATH": str(ROOT / "tools"), **env}
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "student_stubs", "-p", "no:cacheprovider",
                           "--nbval-lax", "--nbval-current-env", "-q", "--rootdir", str(tmp_path), str(path)],
                          cwd=tmp_path, env=environ, capture_output=True, text=True, timeout=300)


GOOD = "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n\n\nassert f() == 1"
NEVER_RAISES = "def g():\n    ### BEGIN SOLUTION\n    return 2\n    ### END SOLUTION"   # the stub is never called
LATER = "print(f() + g())"                              # runs with the solutions, as in the source notebook


def test_inside_nbval_a_stub_that_does_not_stop_fails_its_cell_and_the_rest_see_the_solutions(tmp_path):
    run = _run_nbval(tmp_path, ["x = 1", GOOD, NEVER_RAISES, LATER])
    out = run.stdout + run.stderr
    assert run.returncode == 1, out
    assert "1 failed, 3 passed" in out, out
    assert "99_demo.ipynb, code cell 2" in out and "ran without raising NotImplementedError" in out, out


def test_the_plugin_leaves_other_notebooks_alone_and_can_be_switched_off(tmp_path):
    assert _run_nbval(tmp_path, ["x = 1", NEVER_RAISES], name="scratch.ipynb").returncode == 0
    assert _run_nbval(tmp_path, ["x = 1", NEVER_RAISES], MLCOURSE_STUDENT_STUBS="0").returncode == 0


def test_the_repository_loads_the_plugin_for_its_chapters():
    import conftest  # the repository's, at the root

    assert "student_stubs" in conftest.pytest_plugins
    assert student_stubs.is_chapter(Path("notebooks/20_scaling_up.ipynb"))
    assert not student_stubs.is_chapter(Path("scratch.ipynb"))
