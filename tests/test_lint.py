"""Code style of the package, tools, tests and notebooks: `ruff check`, configured in pyproject.toml."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _ruff() -> list[str]:
    try:
        import ruff  # noqa: F401  (the PyPI package ships the binary and a finder)
        from ruff.__main__ import find_ruff_bin
    except ImportError:
        exe = shutil.which("ruff")
        if exe is None:
            pytest.fail("ruff is not installed: `pip install -e '.[test]'` installs it (it is in the test extras).")
        return [exe]
    return [str(find_ruff_bin())]


def test_ruff_check_passes():
    proc = subprocess.run([*_ruff(), "check", "--no-cache", "--output-format", "concise", "."], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    advice = "ruff found problems (fix them, or run `ruff check --fix`):"
    assert proc.returncode == 0, f"{advice}\n{proc.stdout}{proc.stderr}"


def test_ruff_covers_the_notebooks():
    proc = subprocess.run([*_ruff(), "check", "--no-cache", "--show-files", "."], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    files = {Path(line.strip()).name for line in proc.stdout.splitlines()}
    assert {"00_welcome.ipynb", "course.py", "paths.py"} <= files, proc.stdout[-2000:]
