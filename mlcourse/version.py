"""The course's version, written once in pyproject.toml: read from it in a checkout, else from the metadata."""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path


def package_version() -> str:
    """The course's version: pyproject.toml's in a source checkout, else the installed package's metadata."""
    # In a checkout (editable install included) pyproject.toml is the one place the version is written;
    # an editable install's metadata keeps the version of the day it was installed.
    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    try:
        text = pyproject.read_text(encoding="utf-8")
    except OSError:
        text = ""
    project = re.search(r"^\[project\]\s*$(.*?)(?=^\[|\Z)", text, re.MULTILINE | re.DOTALL)
    if project and re.search(r'^name\s*=\s*"mlcourse"', project.group(1), re.MULTILINE):
        version = re.search(r'^version\s*=\s*"([^"]+)"', project.group(1), re.MULTILINE)
        if version:
            return version.group(1)
    try:
        return metadata.version("mlcourse")
    except metadata.PackageNotFoundError:  # neither installed nor in a checkout: a copied folder
        return "0+unknown"
