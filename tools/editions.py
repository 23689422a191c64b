#!/usr/bin/env python3
"""Build the student and the solution edition of every chapter from the source notebooks.

The source notebooks in notebooks/ hold the solutions between nbgrader's markers:

    ### BEGIN SOLUTION          (code cells, and markdown cells for written answers)
    ...
    ### END SOLUTION

Student edition: each solution region of a code cell becomes `# YOUR CODE HERE` and
`raise NotImplementedError` (at the marker's indentation), each region of a markdown cell
becomes "*YOUR ANSWER HERE*", and the outputs of those cells are cleared; everything else,
outputs included, is kept. Solution edition: the notebook with the marker lines removed.
Both are deterministic: the same source gives the same bytes, written as Jupyter writes a
notebook (tools/nbio.py), so that opening and saving an edition in JupyterLab changes nothing.

    python tools/editions.py                  # both editions into build/student and build/solutions
    python tools/editions.py --out release    # elsewhere
    python tools/editions.py --check          # only validate the markers of every notebook
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(Path(__file__).resolve().parent) not in sys.path:  # the sibling module nbio, however this file is loaded
    sys.path.insert(0, str(Path(__file__).resolve().parent))

import nbio  # noqa: E402

NOTEBOOKS = ROOT / "notebooks"
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
STUDENT_CODE = ("# YOUR CODE HERE", "raise NotImplementedError")
STUDENT_TEXT = "*YOUR ANSWER HERE*"
_MARKER = re.compile(r"^(?P<indent>[ \t]*)### (?P<kind>BEGIN|END) SOLUTION[ \t]*$")


class MarkerError(ValueError):
    """Solution markers that do not pair up; the message names the notebook and cell."""


_source = nbio.source  # a cell's source as one string


def solution_regions(text: str, where: str = "cell") -> list[tuple[int, int, str]]:
    """(begin line, end line, indentation) of each solution region; raise MarkerError if unbalanced."""
    regions, start = [], None
    for i, line in enumerate(text.split("\n")):
        m = _MARKER.match(line)
        if not m:
            if line.strip().startswith((BEGIN, END)):
                raise MarkerError(f"{where}, line {i + 1}: a solution marker must stand alone on its line")
            continue
        if m["kind"] == "BEGIN":
            if start is not None:
                raise MarkerError(f"{where}, line {i + 1}: BEGIN SOLUTION inside another solution region")
            start = (i, m["indent"])
        else:
            if start is None:
                raise MarkerError(f"{where}, line {i + 1}: END SOLUTION without BEGIN SOLUTION")
            if m["indent"] != start[1]:
                raise MarkerError(f"{where}, line {i + 1}: END SOLUTION is not indented like its BEGIN")
            regions.append((start[0], i, start[1]))
            start = None
    if start is not None:
        raise MarkerError(f"{where}, line {start[0] + 1}: BEGIN SOLUTION is never closed")
    return regions


def _replace_regions(text: str, regions: list[tuple[int, int, str]], stub: list[str] | None) -> str:
    """Replace each region (markers included) by the stub lines, or keep its body when stub is None."""
    lines, out, cursor = text.split("\n"), [], 0
    for begin, end, indent in regions:
        out += lines[cursor:begin]
        out += lines[begin + 1:end] if stub is None else [indent + s for s in stub]
        cursor = end + 1
    return "\n".join(out + lines[cursor:])


def is_exercise_cell(cell: dict, where: str = "cell") -> bool:
    """True when a cell holds at least one solution region."""
    return bool(solution_regions(_source(cell), where))


def student_code(source: str, where: str = "cell") -> str:
    """A code cell's source as the student edition has it (unchanged when it holds no solution)."""
    regions = solution_regions(source, where)
    return _replace_regions(source, regions, list(STUDENT_CODE)) if regions else source


def student_edition(nb: dict, name: str = "notebook") -> dict:
    """The student edition of a notebook (a new dict; the input is not modified)."""
    out = copy.deepcopy(nb)
    for i, cell in enumerate(out["cells"]):
        regions = solution_regions(_source(cell), f"{name}, cell {i}")
        if not regions:
            continue
        if cell["cell_type"] == "code":
            cell["source"] = student_code(_source(cell), f"{name}, cell {i}")
            cell["outputs"], cell["execution_count"] = [], None
        else:
            cell["source"] = _replace_regions(_source(cell), regions, [STUDENT_TEXT])
    return out


def solution_edition(nb: dict, name: str = "notebook") -> dict:
    """The solution edition: the source notebook without its marker lines."""
    out = copy.deepcopy(nb)
    for i, cell in enumerate(out["cells"]):
        regions = solution_regions(_source(cell), f"{name}, cell {i}")
        if regions:
            cell["source"] = _replace_regions(_source(cell), regions, None)
    return out


def dumps(nb: dict) -> str:
    """Deterministic notebook JSON as Jupyter writes it (sorted keys, one-space indent, final newline)."""
    return nbio.dumps(nb)


def source_notebooks(folder: Path = NOTEBOOKS) -> list[Path]:
    """The chapter notebooks NN_name.ipynb, in chapter order."""
    return nbio.chapter_notebooks(folder)


def build(out: Path, folder: Path = NOTEBOOKS) -> list[Path]:
    """Write both editions of every chapter under out/student and out/solutions; return the files."""
    written = []
    for path in source_notebooks(folder):
        nb = nbio.read_notebook(path)
        for edition, make in (("student", student_edition), ("solutions", solution_edition)):
            target = out / edition / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(dumps(make(nb, path.name)), encoding="utf-8", newline="\n")
            written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "build", help="output folder (default: build/)")
    parser.add_argument("--check", action="store_true", help="only check that the markers pair up")
    args = parser.parse_args(argv)
    try:
        if args.check:
            for path in source_notebooks():
                nb = nbio.read_notebook(path)
                n = sum(is_exercise_cell(c, f"{path.name}, cell {i}") for i, c in enumerate(nb["cells"]))
                print(f"{path.name}: {n} cells with solutions")
            return 0
        files = build(args.out)
    except MarkerError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"wrote {len(files)} notebooks under {args.out}/student and {args.out}/solutions")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
