"""Run the from-scratch code of a notebook (its cells tagged `scratch`) so tests can compare it with libraries."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
if str(ROOT / "tools") not in sys.path:
    sys.path.insert(0, str(ROOT / "tools"))

import nbio  # noqa: E402


def scratch_namespace(name: str, given: dict | None = None) -> dict:
    """Execute the cells tagged 'scratch' of notebooks/<name> in a fresh namespace (holding `given`, the names
    that earlier cells of the notebook define) and return it."""
    cells = nbio.code_cells(nbio.read_notebook(NOTEBOOKS / name), tag="scratch")
    if not cells:
        raise LookupError(f"{name} has no code cell tagged 'scratch'")
    namespace: dict = {**(given or {}), "__name__": f"scratch_{Path(name).stem}"}
    for _, cell in cells:
        exec(compile(nbio.source(cell), f"{name}[scratch]", "exec"), namespace)
    return namespace
