"""Read and write notebook files the way Jupyter does, for every tool in tools/ (and the tests).

Jupyter stores a notebook as JSON with a one-space indent, sorted keys, non-ASCII characters
written as they are, multi-line strings split into lists of lines, and (in the files of this
repository) a final newline. :func:`read_notebook` gives the notebook as stored, with each
cell's source joined into one string and nothing validated, upgraded or added;
:func:`write_notebook` writes it back in the same format, so that reading and writing an
unchanged notebook gives the same bytes.

Needs ``nbformat`` (installed with the course's test extras) for its attribute-style dicts:
``nb.cells[0].source`` and ``nb["cells"][0]["source"]`` both work.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

CHAPTER_GLOB = "[0-9][0-9]_*.ipynb"


def _v4():
    """nbformat's version-4 reader and writer, with a clear message when nbformat is missing."""
    try:
        import nbformat.v4
    except ImportError as exc:  # pragma: no cover - nbformat is a test dependency
        raise ImportError("reading notebooks needs nbformat: install the course with its test extras "
                          "(pip install -e \".[test]\")") from exc
    return nbformat.v4


def reads(text: str, where: str = "notebook") -> Any:
    """A notebook from its JSON text, as stored (sources joined into strings, no validation)."""
    import json

    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{where} is not valid JSON ({exc}); open it in JupyterLab or restore it from git.") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
        raise ValueError(f"{where} is not a notebook: it has no list of 'cells'.")
    if raw.get("nbformat") != 4:
        raise ValueError(f"{where} has nbformat {raw.get('nbformat')!r}; the course's tools read version 4 only "
                         "(save it again with a current JupyterLab).")
    return _v4().nbjson.to_notebook(raw)


def read_notebook(path: str | os.PathLike) -> Any:
    """The notebook stored at `path` (see :func:`reads`)."""
    path = Path(path)
    return reads(path.read_text(encoding="utf-8"), where=str(path))


def dumps(nb: Any) -> str:
    """The notebook as Jupyter writes it (indent 1, sorted keys, lines split), with a final newline."""
    import nbformat

    text = _v4().nbjson.writes(nbformat.from_dict(nb))
    return text if text.endswith("\n") else text + "\n"


def write_notebook(path: str | os.PathLike, nb: Any) -> None:
    """Write `nb` to `path` in Jupyter's format (see :func:`dumps`), with Unix line endings."""
    Path(path).write_text(dumps(nb), encoding="utf-8", newline="\n")


def source(cell: Any) -> str:
    """A cell's source as one string (the file may store it as a list of lines)."""
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def tags(cell: Any) -> list[str]:
    """The tags of a cell (empty when it has none)."""
    return list(cell.get("metadata", {}).get("tags", []) or [])


def code_cells(nb: Any, tag: str | None = None) -> list[tuple[int, Any]]:
    """(index, cell) of every code cell, or only of those tagged `tag`."""
    return [(i, c) for i, c in enumerate(nb.get("cells", []))
            if c.get("cell_type") == "code" and (tag is None or tag in tags(c))]


def markdown_cells(nb: Any) -> list[tuple[int, Any]]:
    """(index, cell) of every markdown cell."""
    return [(i, c) for i, c in enumerate(nb.get("cells", [])) if c.get("cell_type") == "markdown"]


def code_text(nb: Any, cells: Iterable[tuple[int, Any]] | None = None) -> str:
    """The sources of the given code cells (default: all of them), joined by blank lines."""
    return "\n\n".join(source(c) for _, c in (code_cells(nb) if cells is None else cells))


def chapter_notebooks(folder: str | os.PathLike) -> list[Path]:
    """The chapter notebooks NN_name.ipynb of a folder, in chapter order."""
    return sorted(Path(folder).glob(CHAPTER_GLOB))
