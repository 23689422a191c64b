"""Student and solution editions (tools/editions.py) and the exercise contract of every chapter."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import json
import re
from pathlib import Path

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from mlcourse import exercises

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("editions", ROOT / "tools" / "editions.py")
editions = importlib.util.module_from_spec(spec)
spec.loader.exec_module(editions)  # it puts tools/ on sys.path for its helper module nbio
import nbio  # noqa: E402
import student_stubs  # noqa: E402

NOTEBOOKS = editions.source_notebooks()
CHECK_CALL = re.compile(r"""check\(\s*["'](\d\d\.\d+)["']""")
HEADING = re.compile(r"^### Exercise (\d\d\.\d+) \((?P<what>[^)]*)\)", re.M)


def read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def src(cell: dict) -> str:
    return editions._source(cell)


# ----------------------------------------------------------------------------- the transformation


def small_notebook() -> dict:
    code = new_code_cell(
        "def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n\ncheck('99.1', f)",
        execution_count=3, outputs=[new_output("stream", name="stdout", text="correct\n")])
    plain = new_code_cell("y = 1", execution_count=4, outputs=[new_output("stream", name="stdout", text="1\n")])
    answer = new_markdown_cell("### BEGIN SOLUTION\nBecause the test set is small.\n### END SOLUTION")
    return json.loads(nbformat.writes(new_notebook(cells=[new_markdown_cell("# title"), code, plain, answer])))


def test_student_edition_replaces_solutions_keeping_indentation():
    student = editions.student_edition(small_notebook())
    code, plain, answer = student["cells"][1:]
    assert src(code) == ("def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError\n\ncheck('99.1', f)")
    assert code["outputs"] == [] and code["execution_count"] is None
    assert plain["outputs"] and plain["execution_count"] == 4, "cells without solutions keep their outputs"
    assert src(answer) == "*YOUR ANSWER HERE*"


def test_solution_edition_drops_only_the_markers():
    solution = editions.solution_edition(small_notebook())
    assert src(solution["cells"][1]) == "def f(x):\n    return 2 * x\n\ncheck('99.1', f)"
    assert solution["cells"][1]["outputs"], "the solution edition keeps outputs"
    assert src(solution["cells"][3]) == "Because the test set is small."


def test_the_source_notebook_is_not_modified():
    nb = small_notebook()
    before = json.dumps(nb, sort_keys=True)
    editions.student_edition(nb)
    editions.solution_edition(nb)
    assert json.dumps(nb, sort_keys=True) == before


def test_markers_mentioned_in_prose_are_not_markers():
    assert editions.solution_regions("Solutions sit between `### BEGIN SOLUTION` and `### END SOLUTION`.") == []


@pytest.mark.parametrize("text, problem", [
    ("### BEGIN SOLUTION\nx = 1", "never closed"),
    ("x = 1\n### END SOLUTION", "without BEGIN"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "inside another"),
    ("if a:\n    ### BEGIN SOLUTION\n    x = 1\n### END SOLUTION", "not indented like"),
    ("### BEGIN SOLUTION (part a)\nx = 1\n### END SOLUTION", "stand alone"),
])
def test_unbalanced_markers_are_reported(text, problem):
    with pytest.raises(editions.MarkerError, match=problem):
        editions.solution_regions(text, "nb, cell 1")


def test_builds_are_deterministic(tmp_path):
    first = {p.relative_to(tmp_path / "a"): p.read_bytes() for p in editions.build(tmp_path / "a")}
    second = {p.relative_to(tmp_path / "b"): p.read_bytes() for p in editions.build(tmp_path / "b")}
    assert first == second and len(first) == 2 * len(NOTEBOOKS)


def test_command_line(tmp_path, capsys):
    assert editions.main(["--out", str(tmp_path)]) == 0
    assert (tmp_path / "student" / NOTEBOOKS[0].name).is_file()
    assert editions.main(["--check"]) == 0
    assert "cells with solutions" in capsys.readouterr().out


# ----------------------------------------------------------------------------- every chapter


def test_there_are_chapters():
    assert NOTEBOOKS, "no notebooks/NN_name.ipynb found"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_student_edition_holds_no_solution_text(path):
    nb = read(path)
    student_text = "\n".join(src(c) for c in editions.student_edition(nb)["cells"])
    outside, inside = [], []
    for cell in nb["cells"]:
        text = src(cell)
        regions = editions.solution_regions(text)
        lines = text.split("\n")
        taken = {i for b, e, _ in regions for i in range(b, e + 1)}
        inside += [lines[i].strip() for i in sorted(taken)]
        outside += [line.strip() for i, line in enumerate(lines) if i not in taken]
    assert not any(line.strip().startswith(("### BEGIN SOLUTION", "### END SOLUTION"))
                   for line in student_text.split("\n")), f"{path.name}: a marker is left in the student edition"
    for line in inside:
        if len(line) > 3 and not line.startswith("#"):
            assert student_text.count(line) <= "\n".join(outside).count(line), \
                f"{path.name}: solution line leaks into the student edition: {line!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_chapter_has_timed_checked_exercises(path):
    nb = read(path)
    chapter = path.name[:2]
    code = "\n".join(src(c) for c in nb["cells"] if c["cell_type"] == "code")
    text = "\n".join(src(c) for c in nb["cells"] if c["cell_type"] == "markdown")
    checked = CHECK_CALL.findall(code)
    assert len(set(checked)) >= 3, f"{path.name}: fewer than 3 checked exercises ({checked})"
    headings = {m.group(1): m.group("what") for m in HEADING.finditer(text)}
    for id in checked:
        assert id.startswith(chapter + "."), f"{path.name}: check id {id} belongs to another chapter"
        assert id in headings, f"{path.name}: exercise {id} has no '### Exercise {id} (kind; N minutes)' heading"
        exercises._load_chapter(id)
        assert id in exercises.EXERCISES, f"{path.name}: no check registered for {id}"
    for id, what in headings.items():
        assert re.search(r"\d+\s*min", what), f"{path.name}: exercise {id} does not say how long it takes"
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and CHECK_CALL.search(src(cell)):
            assert editions.is_exercise_cell(cell), f"{path.name}: a check() cell has no solution region"


def test_every_registered_check_refuses_a_missing_answer():
    for module in sorted((ROOT / "mlcourse" / "checks").glob("ch*.py")):
        importlib.import_module(f"mlcourse.checks.{module.stem}")
    assert exercises.EXERCISES
    for id in exercises.EXERCISES:
        with pytest.raises(exercises.ExerciseFailed, match="no answer yet"):
            exercises.check(id, None)


def _python(code: str) -> ast.Module:
    """A code cell parsed as Python, IPython's magics and shell escapes translated first."""
    return ast.parse(TransformerManager().transform_cell(code))


_OWN_SCOPE = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda,
              ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _module_level(node: ast.AST):
    """The nodes of a statement that run in the module's scope (not inside defs, lambdas, comprehensions)."""
    yield node
    if isinstance(node, _OWN_SCOPE):
        return  # a def's name is bound here; its body runs later, in its own scope
    for child in ast.iter_child_nodes(node):
        yield from _module_level(child)


def _stops(stmt: ast.stmt) -> bool:
    """Whether a top-level statement runs a stub's `raise NotImplementedError` itself (not inside a def)."""
    return any(isinstance(n, ast.Raise) and isinstance(n.exc, ast.Name) and n.exc.id == "NotImplementedError"
               for n in _module_level(stmt))


def _bound(tree: ast.Module, stop_at_stub: bool = False) -> set[str]:
    """Global names the code binds: assignments, loop and with targets, imports, defs, classes, `global`.

    With stop_at_stub, only statements before the first one that raises a stub's NotImplementedError
    count, because in the student edition the rest never runs.
    """
    names = {g for n in ast.walk(tree) if isinstance(n, ast.Global) for g in n.names}
    for stmt in tree.body:
        if stop_at_stub and _stops(stmt):
            break
        for n in _module_level(stmt):
            if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
                names.add(n.id)
            elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(n.name)
            elif isinstance(n, (ast.Import, ast.ImportFrom)):
                names |= {(a.asname or a.name).split(".")[0] for a in n.names}
            elif isinstance(n, ast.ExceptHandler) and n.name:
                names.add(n.name)
    return names


def _local(tree: ast.AST) -> set[str]:
    """Names bound anywhere in the code, in any scope (a cell's own locals are not earlier cells' names)."""
    return ({n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
            | {n.arg for n in ast.walk(tree) if isinstance(n, ast.arg)} | _bound(tree))


def _loaded(tree: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def answer_only_names_used_later(nb: dict, name: str = "notebook") -> list[tuple[int, list[str]]]:
    """(code cell, names) where a cell's student version uses a name that only an earlier answer defines.

    nbval runs each exercise cell's stub and then its solution (tools/student_stubs.py), so later cells
    see the answers; a student's run does not. A later cell that reads a global bound only inside an
    earlier solution region (or after an earlier stub's raise) would fail for students although CI
    passes: this finds such cells.
    """
    found, answers, student_bound = [], set(), set()
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    for i, cell in enumerate(code):
        text = src(cell)
        student = _python(editions.student_code(text, f"{name}, code cell {i}"))
        used = (_loaded(student) - _local(student)) & (answers - student_bound)
        if used:
            found.append((i, sorted(used)))
        if editions.is_exercise_cell(cell):
            answers |= _bound(_python(editions.solution_edition({"cells": [cell]})["cells"][0]["source"]))
        student_bound |= _bound(student, stop_at_stub=True)
    return found


def runs_code_after_its_exercises(nb: dict) -> bool:
    """Whether a code cell without a solution follows the first exercise cell (it may call a student's function)."""
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    first = next((i for i, c in enumerate(code) if editions.is_exercise_cell(c)), len(code))
    return any(not editions.is_exercise_cell(c) for c in code[first:])


def test_a_later_cell_using_an_answers_name_is_found():
    nb = {"cells": [new_code_cell("### BEGIN SOLUTION\nppv = 0.1\n### END SOLUTION\ncheck('99.1', ppv)"),
                    new_code_cell("def f(x):\n    ### BEGIN SOLUTION\n    k = 2\n    ### END SOLUTION\n    return k"),
                    new_code_cell("print(ppv, f(1))")]}
    assert answer_only_names_used_later(nb) == [(2, ["ppv"])]   # f is defined in the student edition too


def test_names_masked_by_locals_or_bound_after_a_stub_are_found_too():
    nb = {"cells": [new_code_cell("def rate(tp, fp):\n    return tp / (tp + fp)"),
                    new_code_cell("### BEGIN SOLUTION\ntp = 3\n### END SOLUTION\nscore = tp * 2"),
                    new_code_cell("print(tp, score, [k for k in range(2)])")]}
    assert answer_only_names_used_later(nb) == [(2, ["score", "tp"])]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_cell_needs_what_only_an_answer_defines(path):
    """The student edition runs through with every exercise unanswered (checked without running it)."""
    assert answer_only_names_used_later(read(path), path.name) == [], \
        f"{path.name}: these code cells use names that only an exercise's solution defines"


# Every chapter's exercise cells run as their student version inside nbval's run (tools/student_stubs.py),
# so the student editions are not executed a second time. Chapters with code after their exercises
# (today 02 and 04: a cell that calls the student's function, which must print "Not written yet"
# rather than fail) are, end to end, as a student runs them.
END_TO_END = [p for p in NOTEBOOKS if runs_code_after_its_exercises(read(p))]


def test_the_chapters_run_end_to_end_are_found():
    assert [p.name[:2] for p in END_TO_END] == ["02", "04"]


@pytest.mark.parametrize("path", END_TO_END, ids=lambda p: p.name)
def test_student_edition_runs_and_fails_only_in_exercises(path, tmp_path):
    """Execute the student edition (fast mode): exercise cells raise NotImplementedError, nothing else fails."""
    from nbclient import NotebookClient

    nb = nbformat.reads(editions.dumps(editions.student_edition(read(path), path.name)), as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.outputs if o.output_type == "error"]
        if "YOUR CODE HERE" in cell.source:
            # mlcourse.setup() shows a stub's own `raise NotImplementedError` as one 'Not written yet' line
            # on stderr instead of a traceback; without that hook it is an ordinary error output.
            said = "".join(nbio.source({"source": o.get("text", "")}) for o in cell.outputs
                           if o.output_type == "stream" and o.get("name") == "stderr")
            problem = student_stubs.stub_problem([dict(e) for e in errors], said)   # the rule nbval's run uses
            assert problem is None, f"{path.name}, cell {i}: the stub should stop at NotImplementedError, but {problem}"
        else:
            assert not errors, f"{path.name}, cell {i} failed in the student edition: " \
                               f"{errors[0].ename}: {errors[0].evalue}"
