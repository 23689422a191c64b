"""The notebook contract (CONTRIBUTING.md), checked on every notebooks/*.ipynb.

Each rule is a small function ``check_*(nb, name) -> list[str]`` that returns problems as
"<notebook>: cell <i>: <what is wrong>" (empty list: fine). The parametrised tests run every
rule on every notebook; the unit tests below run every rule on small in-memory notebooks, so
the rules themselves are tested even where there are no notebooks yet.

Executing the notebooks is a separate job: nbval does it (``python3 course.py test``).
"""

from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import sync_links  # noqa: E402

NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
URL = sync_links.repo_url(ROOT)

NAME_RE = re.compile(r"^\d{2}_[a-z0-9]+(?:_[a-z0-9]+)*\.ipynb$")
LEARNING_OBJECTIVES_RE = re.compile(
    r"^\s*#{1,6}\s*Learning objectives\b|\*\*Learning objectives\b|__Learning objectives\b",
    re.IGNORECASE | re.MULTILINE,
)
REQUIRED_HEADINGS = ("Exercises", "Summary", "References")
# A call whose name contains "load" (data.load, np.load, load_breast_cancer, nib.load,
# load_mni152_template, download...), or another common way of reading data files.
DATA_LOAD_RE = re.compile(
    r"\b(?:\w*load\w*|read_\w+|fetch_\w+|dcmread|imread|get_testdata_files?)\s*\("
)
ABSOLUTE_PATH_RE = re.compile(
    r"(?<![\w.~-])(?:/home/|/Users/|/root/|/tmp/|/work/|/content/|/private/var/)"
    r"|\b[A-Za-z]:\\{1,2}Users\\",
    re.IGNORECASE,
)
TEXT_MIMETYPES = ("text/plain", "text/html", "text/markdown", "text/latex")
PATH_CHECKED_MIMETYPES = ("text/plain", "text/html", "text/markdown")
MAX_LINES, MAX_CHARS = 60, 6000
SOLUTION_BEGIN, SOLUTION_END = "### BEGIN SOLUTION", "### END SOLUTION"


# --------------------------------------------------------------------------- helpers
def source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def code_cells(nb):
    return [(i, c) for i, c in enumerate(nb.get("cells", [])) if c.get("cell_type") == "code"]


def outputs(nb):
    """(cell index, output) for every stored output."""
    for i, cell in code_cells(nb):
        for out in cell.get("outputs", []) or []:
            yield i, out


def output_texts(out, mimetypes=TEXT_MIMETYPES):
    """(kind, text) pairs of one output: stream text and the textual mime bundles."""
    if out.get("output_type") == "stream":
        yield "stream", text(out.get("text", ""))
    for mime in mimetypes:
        if mime in out.get("data", {}):
            yield mime, text(out["data"][mime])


def loads_data(cell) -> bool:
    """Does this code cell read a data set? (Imports, definitions and comments do not count.)"""
    for line in source(cell).splitlines():
        stripped = line.strip()
        if stripped.startswith(("#", "import ", "from ", "def ", "%", "!")):
            continue
        if DATA_LOAD_RE.search(stripped.split("#", 1)[0]):
            return True
    return False


def parameters_cells(nb):
    return [(i, c) for i, c in code_cells(nb) if "parameters" in c.get("metadata", {}).get("tags", [])]


# --------------------------------------------------------------------------- the rules
def check_name(nb, name):
    if not NAME_RE.match(name):
        return [f"{name}: file name must look like NN_lower_snake_name.ipynb (two digits, lower case)"]
    return []


def check_title_cell(nb, name):
    cells = nb.get("cells", [])
    if not cells or cells[0].get("cell_type") != "markdown":
        return [f"{name}: cell 0: the first cell must be markdown (title, summary, badge, learning objectives)"]
    src, problems = source(cells[0]), []
    if not any(line.startswith("# ") for line in src.splitlines()):
        problems.append(f"{name}: cell 0: no '# ' title line")
    badge = sync_links.badge_markdown(URL, name)
    if badge not in src:
        problems.append(f"{name}: cell 0: missing or wrong Colab badge, expected {badge} "
                        "(run python tools/sync_links.py)")
    if not LEARNING_OBJECTIVES_RE.search(src):
        problems.append(f"{name}: cell 0: no 'Learning objectives' heading or bold label")
    return problems


def check_install_cell(nb, name):
    cells = nb.get("cells", [])
    if len(cells) < 2 or cells[1].get("cell_type") != "code":
        return [f"{name}: cell 1: the second cell must be the install code cell"]
    if not sync_links.same_source(source(cells[1]), sync_links.install_cell_source(URL)):
        return [f"{name}: cell 1: not the canonical install cell (run python tools/sync_links.py)"]
    return []


def check_setup_cell(nb, name):
    calls = [i for i, c in code_cells(nb) if "mlcourse.setup(" in source(c)]
    if not calls:
        return [f"{name}: no code cell calls mlcourse.setup(...)"]
    return []


def check_parameters_cell(nb, name):
    params = parameters_cells(nb)
    if len(params) != 1:
        where = ", ".join(str(i) for i, _ in params) or "none"
        return [f"{name}: exactly one code cell must be tagged 'parameters' (found: {where})"]
    index, cell = params[0]
    problems = []
    setup = [i for i, c in code_cells(nb) if "mlcourse.setup(" in source(c)]
    if setup and setup[0] > index:
        problems.append(f"{name}: cell {index}: the parameters cell comes before the setup cell "
                        f"(cell {setup[0]}), so it cannot read cfg.fast")
    first_load = next((i for i, c in code_cells(nb) if loads_data(c)), None)
    if first_load is not None and first_load < index:
        problems.append(f"{name}: cell {index}: the parameters cell must come before cell {first_load}, "
                        "which loads data")
    try:
        tree = ast.parse(source(cell))
    except SyntaxError as exc:
        return problems + [f"{name}: cell {index}: the parameters cell is not plain Python ({exc.msg})"]
    for node in tree.body:
        if not isinstance(node, (ast.Assign, ast.AnnAssign)):
            problems.append(f"{name}: cell {index}: line {node.lineno}: the parameters cell may only hold "
                            "plain assignments (papermill overrides them)")
    return problems


def check_headings(nb, name):
    """`## Exercises`, `## Summary` and `## References` exist, in that order."""
    found = {}
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "markdown":
            continue
        for j, line in enumerate(source(cell).splitlines()):
            for heading in REQUIRED_HEADINGS:
                if heading not in found and re.match(rf"##\s+{heading}\b", line):
                    found[heading] = (i, j)
    problems = [f"{name}: no '## {h}' heading" for h in REQUIRED_HEADINGS if h not in found]
    positions = [found[h] for h in REQUIRED_HEADINGS if h in found]
    if not problems and positions != sorted(positions):
        order = ", ".join(f"'## {h}' in cell {found[h][0]}" for h in REQUIRED_HEADINGS)
        problems.append(f"{name}: headings must come in the order Exercises, Summary, References ({order})")
    return problems


def check_no_errors(nb, name):
    return [f"{name}: cell {i}: stored error output ({out.get('ename', '?')}: {out.get('evalue', '')})"
            for i, out in outputs(nb) if out.get("output_type") == "error"]


def check_executed(nb, name):
    """Every code cell was run and has an `outputs` key (GitHub's viewer needs it)."""
    problems = []
    for i, cell in code_cells(nb):
        if "outputs" not in cell:
            problems.append(f"{name}: cell {i}: code cell has no 'outputs' key")
        if cell.get("execution_count") is None:
            problems.append(f"{name}: cell {i}: code cell was not executed (execution_count is empty)")
    return problems


def check_no_absolute_paths(nb, name):
    problems = []
    for i, out in outputs(nb):
        for kind, value in output_texts(out, PATH_CHECKED_MIMETYPES):
            m = ABSOLUTE_PATH_RE.search(value)
            if m:
                line = next((ln for ln in value.splitlines() if ABSOLUTE_PATH_RE.search(ln)), m.group(0))
                problems.append(f"{name}: cell {i}: absolute path in {kind} output: {line.strip()[:120]!r}")
                break
    return problems


def check_output_size(nb, name):
    """No output longer than a screenful (images are exempt)."""
    problems = []
    for i, out in outputs(nb):
        for kind, value in output_texts(out):
            lines = value.count("\n") + (0 if value.endswith("\n") or not value else 1)
            if len(value) > MAX_CHARS:
                problems.append(f"{name}: cell {i}: {kind} output has {len(value)} characters (max {MAX_CHARS})")
            elif kind != "text/html" and lines > MAX_LINES:
                problems.append(f"{name}: cell {i}: {kind} output has {lines} lines (max {MAX_LINES})")
    return problems


def check_kernelspec(nb, name):
    spec = nb.get("metadata", {}).get("kernelspec", {})
    if spec.get("name") != "python3":
        return [f"{name}: notebook metadata kernelspec name is {spec.get('name')!r}, expected 'python3'"]
    return []


def check_solution_markers(nb, name):
    """`### BEGIN SOLUTION` / `### END SOLUTION` come in pairs inside one cell."""
    problems = []
    for i, cell in enumerate(nb.get("cells", [])):
        depth = 0
        for line in source(cell).splitlines():
            if line.strip() == SOLUTION_BEGIN:
                depth += 1
            elif line.strip() == SOLUTION_END:
                depth -= 1
            if depth not in (0, 1):
                break
        if depth != 0:
            problems.append(f"{name}: cell {i}: unbalanced {SOLUTION_BEGIN} / {SOLUTION_END} markers")
    return problems


CHECKS = [
    check_name,
    check_title_cell,
    check_install_cell,
    check_setup_cell,
    check_parameters_cell,
    check_headings,
    check_no_errors,
    check_executed,
    check_no_absolute_paths,
    check_output_size,
    check_kernelspec,
    check_solution_markers,
]


def read_raw(path: Path):
    """The notebook as stored (no upgrades, no added keys), as attribute-accessible dicts."""
    with open(path, encoding="utf-8") as f:
        return nbformat.from_dict(json.load(f))


# --------------------------------------------------------------------------- on the real notebooks
def test_there_are_notebooks():
    assert NOTEBOOKS, f"no notebooks found in {NOTEBOOK_DIR.relative_to(ROOT)}/"


@pytest.mark.parametrize("check", CHECKS, ids=[c.__name__[len("check_"):] for c in CHECKS])
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_contract(path, check):
    problems = check(read_raw(path), path.name)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_valid_nbformat(path):
    nb = read_raw(path)
    nbformat.validate(nb)


# --------------------------------------------------------------------------- the rules themselves
GOOD_NAME = "03_knn.ipynb"


def good_notebook():
    """A small notebook that follows every rule."""
    v4 = nbformat.v4
    nb = v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    params = v4.new_code_cell('K = 3 if cfg.fast else 15  # neighbours\nDATASET = "pneumoniamnist"')
    params.metadata["tags"] = ["parameters"]
    cells = [
        v4.new_markdown_cell(f"# 03. k-nearest neighbours\n\nOne line.\n\n{sync_links.badge_markdown(URL, GOOD_NAME)}"
                             "\n\n**Learning objectives**\n- choose k"),
        v4.new_code_cell(sync_links.install_cell_source(URL)),
        v4.new_code_cell("import mlcourse\nfrom mlcourse import data\ncfg = mlcourse.setup(seed=42)",
                         outputs=[v4.new_output("stream", name="stdout", text="mode: full | seed: 42\n")]),
        params,
        v4.new_markdown_cell("## Theory\n\nDistances."),
        v4.new_code_cell("ds = data.load(DATASET)",
                         outputs=[v4.new_output("execute_result", data={"text/plain": "3"}, execution_count=5)]),
        v4.new_code_cell("def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION"),
        v4.new_markdown_cell("## Exercises\n\n1. Try k = 1."),
        v4.new_markdown_cell("## Summary\n\nDone.\n\n## References\n\n1. A paper."),
    ]
    for n, (_, cell) in enumerate(code_cells({"cells": cells}), start=1):
        cell.execution_count = n
    nb.cells = cells
    return nb


def _cell(nb, startswith):
    return next(c for c in nb.cells if source(c).startswith(startswith))


def _break_badge(nb):
    nb.cells[0].source = nb.cells[0].source.replace("/blob/main/", "/blob/master/")


def _break_install(nb):
    nb.cells[1].source = nb.cells[1].source.replace('"mlcourse @ git+', '"mlcourse[test] @ git+')


def _move_params_after_load(nb):
    params = nb.cells.pop(3)
    nb.cells.insert(5, params)


def _add_params_statement(nb):
    _cell(nb, "K = 3").source += "\nimport os"


def _swap_summary_heading(nb):
    nb.cells[-2].source, nb.cells[-1].source = "## Summary\n\nDone.", "## Exercises\n\n## References\n"


def _absolute_path(nb):
    _cell(nb, "import mlcourse").outputs[0].text = "data folder: /home/alice/medmnist\n"


def _windows_path(nb):
    _cell(nb, "ds = ").outputs[0].data["text/plain"] = "WindowsPath('C:\\\\Users\\\\bob\\\\data')"


def _long_output(nb):
    _cell(nb, "import mlcourse").outputs[0].text = "epoch\n" * (MAX_LINES + 1)


def _huge_html(nb):
    _cell(nb, "ds = ").outputs[0].data["text/html"] = "<td>1</td>" * 700


def _error_output(nb):
    _cell(nb, "ds = ").outputs.append(
        nbformat.v4.new_output("error", ename="ValueError", evalue="bad", traceback=["ValueError: bad"]))


def _unexecuted(nb):
    _cell(nb, "ds = ").execution_count = None


def _no_outputs_key(nb):
    del _cell(nb, "ds = ")["outputs"]


BREAKERS = [
    (check_name, lambda nb: None, "3_KNN.ipynb"),
    (check_title_cell, lambda nb: setattr(nb.cells[0], "cell_type", "raw"), GOOD_NAME),
    (check_title_cell, lambda nb: setattr(nb.cells[0], "source", nb.cells[0].source.replace("# 03.", "03.")),
     GOOD_NAME),
    (check_title_cell, _break_badge, GOOD_NAME),
    (check_title_cell, lambda nb: setattr(nb.cells[0], "source", nb.cells[0].source.replace("Learning", "Goals")),
     GOOD_NAME),
    (check_install_cell, _break_install, GOOD_NAME),
    (check_install_cell, lambda nb: nb.cells.pop(1), GOOD_NAME),
    (check_setup_cell, lambda nb: setattr(_cell(nb, "import mlcourse"), "source", "import mlcourse"), GOOD_NAME),
    (check_parameters_cell, lambda nb: _cell(nb, "K = 3").metadata.pop("tags"), GOOD_NAME),
    (check_parameters_cell, lambda nb: _cell(nb, "ds = ").metadata.update(tags=["parameters"]), GOOD_NAME),
    (check_parameters_cell, _move_params_after_load, GOOD_NAME),
    (check_parameters_cell, _add_params_statement, GOOD_NAME),
    (check_headings, lambda nb: nb.cells.pop(-2), GOOD_NAME),
    (check_headings, _swap_summary_heading, GOOD_NAME),
    (check_no_errors, _error_output, GOOD_NAME),
    (check_executed, _unexecuted, GOOD_NAME),
    (check_executed, _no_outputs_key, GOOD_NAME),
    (check_no_absolute_paths, _absolute_path, GOOD_NAME),
    (check_no_absolute_paths, _windows_path, GOOD_NAME),
    (check_output_size, _long_output, GOOD_NAME),
    (check_output_size, _huge_html, GOOD_NAME),
    (check_kernelspec, lambda nb: nb.metadata.update(kernelspec={"name": "ir"}), GOOD_NAME),
    (check_solution_markers, lambda nb: setattr(nb.cells[6], "source", "### BEGIN SOLUTION\nx = 1"), GOOD_NAME),
]


@pytest.mark.parametrize("check", CHECKS, ids=[c.__name__ for c in CHECKS])
def test_good_notebook_passes(check):
    nb = good_notebook()
    nbformat.validate(nb)
    assert check(nb, GOOD_NAME) == []


@pytest.mark.parametrize(
    "check, breaker, name", BREAKERS,
    ids=[f"{c.__name__}-{getattr(b, '__name__', '')}-{i}" for i, (c, b, _) in enumerate(BREAKERS)],
)
def test_bad_notebook_fails(check, breaker, name):
    nb = good_notebook()
    breaker(nb)
    problems = check(nb, name)
    assert problems, f"{check.__name__} did not notice the problem"
    assert all(p.startswith(f"{name}: ") for p in problems), problems


def test_every_rule_has_a_failing_case():
    assert {c for c, _, _ in BREAKERS} == set(CHECKS)


def test_problems_name_the_cell():
    nb = good_notebook()
    _absolute_path(nb)
    assert check_no_absolute_paths(nb, GOOD_NAME)[0].startswith(f"{GOOD_NAME}: cell 2: ")


def test_images_are_exempt_from_the_size_limit():
    nb = good_notebook()
    _cell(nb, "ds = ").outputs.append(nbformat.v4.new_output(
        "display_data", data={"image/png": "iVBOR" * 5000, "text/plain": "<Figure size 640x480 with 1 Axes>"}))
    assert check_output_size(nb, GOOD_NAME) == []


@pytest.mark.parametrize("line, loads", [
    ("x = data.load('breastmnist')", True),
    ("X, y = load_breast_cancer(return_X_y=True)", True),
    ("arr = np.load(path)", True),
    ("ds = pydicom.dcmread(get_testdata_file('CT_small.dcm'))", True),
    ("from mlcourse.data import load", False),
    ("# data.load('x') later", False),
    ("cfg = mlcourse.setup(seed=0)", False),
])
def test_data_loading_detection(line, loads):
    assert loads_data({"source": line}) is loads


@pytest.mark.parametrize("value, flagged", [
    ("saved to /home/alice/results.json", True),
    ("/Users/bob/x", True),
    ("/tmp/tmpabc/pneumoniamnist.npz", True),
    ("C:\\Users\\carol\\data", True),
    ("data folder: ~/medmnist", False),
    ("see https://example.org/home/page", False),
    ("results/03_knn.json", False),
])
def test_absolute_path_pattern(value, flagged):
    assert bool(ABSOLUTE_PATH_RE.search(value)) is flagged
