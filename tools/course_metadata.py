"""The course's chapters, read from the one data file that lists them: ``mlcourse/course.json``.

Each chapter has a two-digit ``number``, a ``slug`` (its notebook is
``notebooks/<number>_<slug>.ipynb``), a ``title``, a ``status`` ("implemented" or "planned"),
``data`` (the README's Data column), ``datasets`` (MedMNIST flags from
``mlcourse/medmnist_info.json`` or keys of the file's ``sources``) and ``results`` (the files
under ``results/`` the chapter writes in full mode). :func:`load` checks all of that before
anyone uses it, and says what to fix.

Standard library only, so that every tool and test can use it.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
COURSE_FILE = Path("mlcourse") / "course.json"
MEDMNIST_FILE = Path("mlcourse") / "medmnist_info.json"
STATUSES = ("implemented", "planned")
CHAPTER_KEYS = ("number", "slug", "title", "status", "data", "datasets", "results")
SOURCE_KEYS = ("name", "what", "provider", "used_when_code_matches")
SLUG_RE = re.compile(r"^[a-z0-9]+(?:_[a-z0-9]+)*$")
RESULTS_RE = re.compile(r"^results/\d\d_[a-z0-9]+(?:_[a-z0-9]+)*\.json$")


class CourseMetadataError(ValueError):
    """mlcourse/course.json is missing or malformed; the message names the entry and the fix."""


def medmnist_flags(root: str | os.PathLike = ROOT) -> dict[str, str]:
    """MedMNIST flag -> display name (e.g. 'pneumoniamnist' -> 'PneumoniaMNIST'), from medmnist_info.json."""
    info = json.loads((Path(root) / MEDMNIST_FILE).read_text(encoding="utf-8"))
    return {flag: entry.get("name", flag) for flag, entry in info["subsets"].items()}


def notebook_name(chapter: dict[str, Any]) -> str:
    """The notebook file name of a chapter entry, e.g. '11_cnn.ipynb'."""
    return f"{chapter['number']}_{chapter['slug']}.ipynb"


def load(root: str | os.PathLike = ROOT) -> dict[str, Any]:
    """The whole course file under `root`, checked (raises CourseMetadataError naming what is wrong)."""
    path = Path(root) / COURSE_FILE
    if not path.is_file():
        raise CourseMetadataError(f"{COURSE_FILE.as_posix()} is missing under {root}; it lists the course's chapters "
                                  "(restore it from git).")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CourseMetadataError(f"{COURSE_FILE.as_posix()} is not valid JSON ({exc}); fix the syntax there.") from exc
    validate(doc, medmnist_flags(root))
    return doc


def chapters(root: str | os.PathLike = ROOT) -> list[dict[str, Any]]:
    """The chapter entries, in chapter order."""
    return load(root)["chapters"]


def by_number(root: str | os.PathLike = ROOT) -> dict[str, dict[str, Any]]:
    """Chapter number ('00'..'20') -> chapter entry."""
    return {ch["number"]: ch for ch in chapters(root)}


def dataset_names(doc: dict[str, Any], flags: dict[str, str]) -> dict[str, str]:
    """Every dataset id the file may use -> its display name (MedMNIST flags and the file's sources)."""
    return {**flags, **{key: src["name"] for key, src in doc.get("sources", {}).items()}}


def validate(doc: Any, flags: dict[str, str]) -> None:
    """Raise CourseMetadataError for the first thing wrong with a parsed course file."""
    where = COURSE_FILE.as_posix()
    if not isinstance(doc, dict) or not isinstance(doc.get("chapters"), list) or not doc["chapters"]:
        raise CourseMetadataError(f"{where}: the top level must be an object with a non-empty list 'chapters'.")
    sources = doc.get("sources", {})
    if not isinstance(sources, dict):
        raise CourseMetadataError(f"{where}: 'sources' must be an object of source id -> description.")
    for key, src in sources.items():
        missing = [k for k in SOURCE_KEYS if not isinstance(src, dict) or not isinstance(src.get(k), str) or not src[k]]
        if missing:
            raise CourseMetadataError(f"{where}: source {key!r} needs the text fields {', '.join(missing)}.")
        if key in flags:
            raise CourseMetadataError(f"{where}: source {key!r} is a MedMNIST flag; list MedMNIST subsets by "
                                      "flag only.")
        try:
            re.compile(src["used_when_code_matches"])
        except re.error as exc:
            raise CourseMetadataError(f"{where}: source {key!r}: 'used_when_code_matches' is not a regular "
                                      f"expression ({exc}).") from exc
    known = dataset_names(doc, flags)
    previous = None
    for i, ch in enumerate(doc["chapters"]):
        label = f"{where}: chapter entry {i}"
        if not isinstance(ch, dict):
            raise CourseMetadataError(f"{label} must be an object with the keys {', '.join(CHAPTER_KEYS)}.")
        missing = [k for k in CHAPTER_KEYS if k not in ch]
        extra = sorted(set(ch) - set(CHAPTER_KEYS))
        if missing or extra:
            raise CourseMetadataError(f"{label} ({ch.get('number', '?')}): "
                                      + (f"missing {', '.join(missing)}" if missing else "")
                                      + ("; " if missing and extra else "")
                                      + (f"unknown keys {', '.join(extra)}" if extra else "")
                                      + f"; the keys are {', '.join(CHAPTER_KEYS)}.")
        number = ch["number"]
        if not (isinstance(number, str) and re.fullmatch(r"\d\d", number)):
            raise CourseMetadataError(f"{label}: number {number!r} must be two digits as a string, e.g. \"07\".")
        label = f"{where}: chapter {number}"
        if previous is not None and number <= previous:
            raise CourseMetadataError(f"{label} comes after chapter {previous}: keep the chapters in increasing order "
                                      "without repeats.")
        previous = number
        if not (isinstance(ch["slug"], str) and SLUG_RE.match(ch["slug"])):
            raise CourseMetadataError(f"{label}: slug {ch['slug']!r} must be lower-case snake case, "
                                      "e.g. \"case_study\".")
        for key in ("title", "data"):
            if not (isinstance(ch[key], str) and ch[key].strip()) or "|" in ch[key] or "\n" in ch[key]:
                raise CourseMetadataError(f"{label}: {key} must be one line of text without '|' (it goes into a "
                                          "Markdown table).")
        if ch["status"] not in STATUSES:
            raise CourseMetadataError(f"{label}: status {ch['status']!r} must be one of {', '.join(STATUSES)}.")
        for key in ("datasets", "results"):
            if not (isinstance(ch[key], list) and all(isinstance(v, str) for v in ch[key])):
                raise CourseMetadataError(f"{label}: {key} must be a list of strings (it may be empty).")
            if len(set(ch[key])) != len(ch[key]):
                raise CourseMetadataError(f"{label}: {key} lists something twice.")
        unknown = [d for d in ch["datasets"] if d not in known]
        if unknown:
            raise CourseMetadataError(f"{label}: unknown dataset {unknown[0]!r}: use a MedMNIST flag from "
                                      f"{MEDMNIST_FILE.as_posix()} (e.g. 'pneumoniamnist') or add it to 'sources'.")
        for result in ch["results"]:
            if not RESULTS_RE.match(result) or not Path(result).name.startswith(number + "_"):
                raise CourseMetadataError(f"{label}: results file {result!r} must look like "
                                          f"'results/{number}_name.json' (the chapter's number first).")
        if ch["status"] == "planned" and ch["results"]:
            raise CourseMetadataError(f"{label} is planned, so it has no results yet; empty its 'results' list.")
