"""Every folder the course reads or writes, and every MLCOURSE_* environment variable, in one place."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path

FAST_ENV = "MLCOURSE_FAST"
DATA_ENV = "MLCOURSE_DATA_DIR"
MIRRORS_ENV = "MLCOURSE_MIRRORS"
CACHE_ENV = "MLCOURSE_CACHE_DIR"
RESULTS_ENV = "MLCOURSE_RESULTS_DIR"
RESULTS_FOLDER = "results"  # <repository root>/results, when the package runs from a clone

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


def is_fast() -> bool:
    """True when fast mode is on (environment variable MLCOURSE_FAST=1)."""
    value = os.environ.get(FAST_ENV, "0").strip().lower()
    if value in _FALSE:
        return False
    if value in _TRUE:
        return True
    raise ValueError(f"{FAST_ENV}={value!r} is not understood: set it to 1 (fast mode) or 0 (full mode).")


def display_path(path: str | os.PathLike | None) -> str:
    """A path as a student should see it: under the home folder as ~/..., else relative when shorter."""
    if path is None:
        return "(not set)"
    p = Path(path).expanduser().absolute()
    home = Path.home().absolute()
    try:
        return str(Path("~") / p.relative_to(home))
    except ValueError:
        pass
    try:
        rel = os.path.relpath(p)
    except ValueError:  # another drive on Windows
        return str(p)
    return rel if len(rel) <= len(str(p)) else str(p)


def cache_dir() -> Path:
    """The user cache folder: MLCOURSE_CACHE_DIR, else the platform's cache folder + 'mlcourse'."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
        return base / "mlcourse" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "mlcourse"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "mlcourse"


def data_dir() -> Path | None:
    """The course data folder named by MLCOURSE_DATA_DIR, or None."""
    value = os.environ.get(DATA_ENV)
    return Path(value).expanduser() if value else None


def mirror_dirs(extra: Iterable[str | os.PathLike] | None = None) -> list[Path]:
    """Local mirror folders: those passed in, then those in MLCOURSE_MIRRORS."""
    folders = [Path(p).expanduser() for p in (extra or [])]
    folders += [Path(p).expanduser() for p in os.environ.get(MIRRORS_ENV, "").split(os.pathsep) if p]
    return folders


def results_dir() -> Path:
    """Folder for results records: $MLCOURSE_RESULTS_DIR, else <repo root>/results, else ./results."""
    env = os.environ.get(RESULTS_ENV, "").strip()
    if env:
        return Path(env).expanduser()
    root = Path(__file__).resolve().parent.parent
    if (root / "pyproject.toml").is_file():
        return root / RESULTS_FOLDER
    return Path.cwd() / RESULTS_FOLDER
