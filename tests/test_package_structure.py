"""The package's structure: no import cycles (also through imports inside functions), and every
module imports on its own in a fresh interpreter."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "mlcourse"


def _module_names() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


MODULES = _module_names()


def _imports(module: str) -> set[str]:
    """The mlcourse modules that `module` imports anywhere in its source, functions included."""
    rel = Path(*module.split("."))
    folder = PACKAGE.parent / rel
    path = folder / "__init__.py" if folder.is_dir() else folder.with_suffix(".py")
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("mlcourse")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("mlcourse"):
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in MODULES}
    # importing a.b.c runs a/__init__ and a/b/__init__ too
    closure = set()
    for name in found:
        parts = name.split(".")
        closure |= {".".join(parts[:i]) for i in range(1, len(parts) + 1)}
    return {m for m in closure if m in MODULES and m != module}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycle_between_modules():
    # every `from mlcourse import x` runs the package root first; the root itself is left out
    graph = {m: _imports(m) - {"mlcourse"} for m in MODULES if m != "mlcourse"}
    assert _cycle(graph) is None, f"import cycle: {' -> '.join(_cycle(graph))}"


def test_the_cycle_finder_finds_cycles():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def _import_alone(module: str) -> tuple[str, int, str]:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True,
                          env=env, timeout=300)
    return module, proc.returncode, proc.stderr[-2000:]


@pytest.mark.parametrize("group", ["plain", "keras"])
def test_every_module_imports_alone_in_a_fresh_interpreter(group):
    heavy = [m for m in MODULES if m.startswith("mlcourse.models") or m in ("mlcourse.training",)]
    chosen = heavy if group == "keras" else [m for m in MODULES if m not in heavy]
    with ThreadPoolExecutor(max_workers=2) as pool:
        failures = [(m, err) for m, code, err in pool.map(_import_alone, chosen) if code != 0]
    assert not failures, "\n\n".join(f"`import {m}` failed:\n{err}" for m, err in failures)
