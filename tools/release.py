#!/usr/bin/env python3
"""Tag a release of the course once everything that names its version agrees.

The version is written once, as ``[project] version`` in ``pyproject.toml``. Before it creates
the annotated tag ``v<version>`` (or ``[tool.mlcourse] release-tag``), this tool checks that

* the git working tree is clean (nothing modified, staged or untracked) and the tag is new;
* the newest released entry of ``CHANGELOG.md`` (``## [X.Y.Z] - YYYY-MM-DD``) is that version
  and says something;
* ``CITATION.cff`` has the same ``version`` and, as ``date-released``, the changelog's date;
* the install cell of every notebook (and of the chapter template) installs that tag, as
  ``python tools/sync_links.py`` writes it.

Usage::

    python tools/release.py --dry-run   # run the checks, print the tag it would create
    python tools/release.py             # run the checks, then create the tag
    git push origin v0.2.0              # publish it (the tool never pushes)

Standard library, git and ``nbformat`` only.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parent))

import nbio  # noqa: E402
import sync_links  # noqa: E402

CHANGELOG = "CHANGELOG.md"
CITATION = "CITATION.cff"
RELEASE_HEADING_RE = re.compile(r"^## \[(?P<version>[^\]]+)\] - (?P<date>\d{4}-\d{2}-\d{2})\s*$", re.MULTILINE)
ANY_HEADING_RE = re.compile(r"^## ", re.MULTILINE)


def changelog_releases(text: str) -> list[tuple[str, str]]:
    """(version, date) of every released entry of a changelog, newest first ('Unreleased' skipped)."""
    return [(m["version"], m["date"]) for m in RELEASE_HEADING_RE.finditer(text)]


def changelog_section(text: str, version: str) -> str:
    """The body of the changelog entry for `version` (without its heading); '' when there is none."""
    for m in RELEASE_HEADING_RE.finditer(text):
        if m["version"] == version:
            rest = text[m.end():]
            following = ANY_HEADING_RE.search(rest)
            body = rest[: following.start()] if following else rest
            # Drop the link references that close a Keep a Changelog file.
            body = "\n".join(line for line in body.splitlines() if not re.match(r"^\[[^\]]+\]: ", line))
            return body.strip()
    return ""


def citation_fields(text: str) -> dict[str, str]:
    """The top-level scalar fields of a CITATION.cff (``version``, ``date-released``, ...), unquoted."""
    fields = {}
    for m in re.finditer(r"^([A-Za-z][\w-]*):[ \t]*(\S.*?)[ \t]*$", text, re.MULTILINE):
        value = m.group(2)
        if value[:1] in "\"'" and value[-1:] == value[:1]:
            value = value[1:-1]
        fields.setdefault(m.group(1), value)
    return fields


def metadata_problems(root: Path = ROOT) -> list[str]:
    """Where CHANGELOG.md and CITATION.cff disagree with pyproject.toml's version (empty when all agree)."""
    root = Path(root)
    version = sync_links.project_version(root)
    problems = []
    date = None
    changelog = root / CHANGELOG
    if not changelog.is_file():
        problems.append(f"{CHANGELOG}: missing; add it with an entry '## [{version}] - YYYY-MM-DD'")
    else:
        text = changelog.read_text(encoding="utf-8")
        releases = changelog_releases(text)
        if not releases:
            problems.append(f"{CHANGELOG}: no released entry; add '## [{version}] - YYYY-MM-DD' under [Unreleased]")
        elif releases[0][0] != version:
            problems.append(f"{CHANGELOG}: the newest entry is {releases[0][0]}, pyproject.toml says {version}; "
                            f"add '## [{version}] - YYYY-MM-DD' above it (or fix the version in pyproject.toml)")
        else:
            date = releases[0][1]
            if not changelog_section(text, version):
                problems.append(f"{CHANGELOG}: the entry for {version} is empty; say what changed")
    citation = root / CITATION
    if not citation.is_file():
        problems.append(f"{CITATION}: missing; it tells users how to cite the course and MedMNIST")
    else:
        fields = citation_fields(citation.read_text(encoding="utf-8"))
        if fields.get("version") != version:
            problems.append(f"{CITATION}: version is {fields.get('version')!r}, pyproject.toml says {version!r}; "
                            f"set version: \"{version}\"")
        if date and fields.get("date-released") != date:
            problems.append(f"{CITATION}: date-released is {fields.get('date-released')!r}, the changelog's "
                            f"{version} entry is dated {date}; make them the same")
    return problems


def install_cell_problems(root: Path = ROOT) -> list[str]:
    """Notebooks whose install cell does not install this release's tag (empty when all do)."""
    root = Path(root)
    url, tag = sync_links.repo_url(root), sync_links.release_tag(root)
    expected = sync_links.install_cell_source(url, tag)
    problems = []
    for path, _ in sync_links.linked_files(root):
        rel = path.relative_to(root).as_posix()
        try:
            nb = sync_links.read_notebook(path)
        except Exception as exc:  # an unreadable notebook is reported, not a crash
            problems.append(f"{rel}: cannot be read as a notebook ({exc})")
            continue
        code = [c for c in nb.get("cells", []) if c.get("cell_type") == "code"]
        if not code or not sync_links.same_source(nbio.source(code[0]), expected):
            problems.append(f"{rel}: the install cell does not install {tag}; run python tools/sync_links.py")
    return problems


def git(root: Path, *args: str) -> subprocess.CompletedProcess:
    """Run git in `root`, capturing its output (never raises on a non-zero exit)."""
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=False)


def git_problems(root: Path, tag: str) -> list[str]:
    """Why `root` cannot be tagged `tag` now: not a repository, no commit, a dirty tree, an existing tag."""
    inside = git(root, "rev-parse", "--show-toplevel")
    if inside.returncode != 0:
        return [f"{root} is not a git repository (git says: {inside.stderr.strip() or inside.stdout.strip()})"]
    if git(root, "rev-parse", "--verify", "-q", "HEAD^{commit}").returncode != 0:
        return ["the repository has no commit yet; commit the release first"]
    problems = []
    status = git(root, "status", "--porcelain", "--untracked-files=normal")
    dirty = [line for line in status.stdout.splitlines() if line.strip()]
    if dirty:
        shown = "\n  ".join(dirty[:10]) + (f"\n  ... and {len(dirty) - 10} more" if len(dirty) > 10 else "")
        problems.append(f"the working tree is not clean; commit or remove these first:\n  {shown}")
    if git(root, "rev-parse", "--verify", "-q", f"refs/tags/{tag}").returncode == 0:
        problems.append(f"the tag {tag} exists already; raise the version in pyproject.toml for a new release")
    return problems


def all_problems(root: Path = ROOT) -> list[str]:
    """Every reason not to tag now (empty when the release is ready)."""
    root = Path(root)
    tag = sync_links.release_tag(root)
    return git_problems(root, tag) + metadata_problems(root) + install_cell_problems(root)


def tag_message(root: Path = ROOT) -> str:
    """The annotated tag's message: a title line and the changelog entry of the version."""
    version = sync_links.project_version(root)
    body = changelog_section((Path(root) / CHANGELOG).read_text(encoding="utf-8"), version)
    return f"mlcourse {version}\n\n{body}\n"


def main(argv: list[str] | None = None) -> int:
    """Check the release, then create its tag (or with --dry-run say what it would do); exit status 0 or 1."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dry-run", action="store_true", help="run the checks and print the tag; create nothing")
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root (default: this repository)")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    try:
        tag = sync_links.release_tag(root)
        problems = all_problems(root)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if problems:
        for problem in problems:
            print(f"not ready: {problem}", file=sys.stderr)
        print(f"\n{len(problems)} problem(s); no tag created.", file=sys.stderr)
        return 1
    print(f"ready: version {sync_links.project_version(root)}, tag {tag}, {sync_links.repo_url(root)}")
    head = git(root, "rev-parse", "--short", "HEAD").stdout.strip()
    if args.dry_run:
        print(f"would run: git tag -a {tag} {head} -m 'mlcourse {sync_links.project_version(root)}' "
              "(message: the changelog entry)")
        return 0
    made = subprocess.run(["git", "-C", str(root), "tag", "-a", tag, "-F", "-", "HEAD"],
                          input=tag_message(root), capture_output=True, text=True, check=False)
    if made.returncode != 0:
        print(f"error: git tag failed: {made.stderr.strip()}", file=sys.stderr)
        return 1
    print(f"created the annotated tag {tag} on {head}; publish it with: git push origin {tag}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
