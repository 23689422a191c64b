"""Run the from-scratch code of a notebook (its cells tagged `scratch`) so tests can compare it with libraries."""

from __future__ import annotations

import json
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def scratch_namespace(name: str) -> dict:
    """Execute the cells tagged 'scratch' of notebooks/<name> in a fresh namespace and return it."""
    nb = json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))
    cells = [c for c in nb["cells"] if c["cell_type"] == "code" and "scratch" in c.get("metadata", {}).get("tags", [])]
    if not cells:
        raise LookupError(f"{name} has no code cell tagged 'scratch'")
    namespace: dict = {"__name__": f"scratch_{Path(name).stem}"}
    for cell in cells:
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        exec(compile(source, f"{name}[scratch]", "exec"), namespace)
    return namespace
