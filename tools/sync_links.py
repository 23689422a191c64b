#!/usr/bin/env python3
"""Keep every link to this repository in step with pyproject.toml.

The repository URL is written in exactly one place: ``[project.urls] Repository`` in
``pyproject.toml``. Everything that has to name it is derived from there by this tool:

* the "Open in Colab" badge in the first cell of every ``notebooks/NN_*.ipynb``;
* the install cell (the first code cell) of every notebook, which pip-installs the course
  package from the repository at the release tag when the notebook runs on Colab. The tag is
  ``v`` + ``[project] version``, or ``[tool.mlcourse] release-tag`` when a fork sets one;
* the same two cells of the chapter template, ``docs/templates/chapter_template.ipynb``, whose
  badge names the placeholder ``NN_name.ipynb`` until the template is copied into notebooks/;
* the chapter table in ``README.md`` (between ``<!-- chapters:start -->`` and
  ``<!-- chapters:end -->``), built from the chapter list in ``mlcourse/course.json`` and the
  notebooks that exist;
* ``git clone`` commands and Colab links in ``README.md`` and ``CONTRIBUTING.md``.

Usage::

    python tools/sync_links.py           # rewrite what is out of date
    python tools/sync_links.py --check   # only report; exit status 1 when something is wrong

Needs the standard library and ``nbformat`` (installed with the course's test extras).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(Path(__file__).resolve().parent) not in sys.path:  # the sibling modules below, however this file is loaded
    sys.path.insert(0, str(Path(__file__).resolve().parent))

import course_metadata  # noqa: E402
import nbio  # noqa: E402

# The chapter template is checked and repaired like a chapter, with this placeholder file name.
TEMPLATE = Path("docs") / "templates" / "chapter_template.ipynb"
TEMPLATE_NAME = "NN_name.ipynb"

START_MARKER = "<!-- chapters:start -->"
END_MARKER = "<!-- chapters:end -->"

COLAB_BADGE_SVG = "https://colab.research.google.com/assets/colab-badge.svg"
# Any Colab badge, right or wrong, so that a wrong one can be found and replaced.
ANY_BADGE_RE = re.compile(
    r"\[!\[Open [Ii]n Colab\]\([^)\s]*\)\]\([^)\s]*\)"
)
NOTEBOOK_GLOB = nbio.CHAPTER_GLOB

# The install cell installs the release the notebooks were written for, without the test extras
# (Colab needs neither pytest nor JupyterLab), and says what it installs.
INSTALL_CELL_TEMPLATE = '''\
# On Colab, install the course package at this release (elsewhere `python3 course.py lab` has done it).
import subprocess
import sys

if "google.colab" in sys.modules:
    print("Installing mlcourse {tag} from {url}")
    pip = [sys.executable, "-m", "pip", "install", "-q"]
    pinned = subprocess.run([*pip, "mlcourse @ git+{url}@{tag}"])
    if pinned.returncode != 0:  # the tag is not published yet
        print("{tag} could not be installed; installing the newest mlcourse (main) instead")
        subprocess.run([*pip, "mlcourse @ git+{url}@main"], check=True)'''
# A tag git accepts and that needs no quoting inside the cell's Python string.
TAG_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")

# Files whose `git clone` commands and Colab links must name this repository.
TEXT_FILES = ("README.md", "CONTRIBUTING.md")
CLONE_RE = re.compile(r"(git clone\s+)(https://github\.com/[\w.-]+/[\w.-]+?)(\.git)?(?=[\s`)]|$)")
COLAB_LINK_RE = re.compile(r"(https://colab\.research\.google\.com/github/)([\w.-]+/[\w.-]+)(/)")


# --------------------------------------------------------------------------- repository URL
def repo_url(root: Path = ROOT) -> str:
    """The repository URL from ``[project.urls] Repository`` in pyproject.toml."""
    text = (Path(root) / "pyproject.toml").read_text(encoding="utf-8")
    try:
        import tomllib  # Python 3.11+
    except ImportError:  # Python 3.10: a tiny parser is enough for one key
        url = _repo_url_without_tomllib(text)
    else:
        url = tomllib.loads(text).get("project", {}).get("urls", {}).get("Repository")
    if not url:
        raise ValueError("pyproject.toml has no [project.urls] Repository entry")
    return url.rstrip("/")


def _repo_url_without_tomllib(text: str) -> str | None:
    return _toml_string_without_tomllib(text, "project.urls", "Repository")


def _toml_string_without_tomllib(text: str, wanted: str, key: str) -> str | None:
    """The string value of `key` in table `wanted` (one-line ``key = "value"`` entries only)."""
    section = None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            continue
        if stripped.startswith("[") and stripped.endswith("]"):
            section = stripped.strip("[]").strip()
        elif section == wanted:
            m = re.match(r'"?' + re.escape(key) + r'"?\s*=\s*"([^"]+)"', stripped)
            if m:
                return m.group(1)
    return None


def pyproject_string(root: Path, table: str, key: str) -> str | None:
    """A string from pyproject.toml under `root`, e.g. ('project', 'version'); None when absent."""
    text = (Path(root) / "pyproject.toml").read_text(encoding="utf-8")
    try:
        import tomllib  # Python 3.11+
    except ImportError:
        return _toml_string_without_tomllib(text, table, key)
    value = tomllib.loads(text)
    for part in table.split("."):
        value = value.get(part, {}) if isinstance(value, dict) else {}
    value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, str) else None


def project_version(root: Path = ROOT) -> str:
    """``[project] version`` from pyproject.toml: the one place the course's version is written."""
    version = pyproject_string(root, "project", "version")
    if not version:
        raise ValueError("pyproject.toml has no [project] version; add e.g. version = \"0.2.0\" there")
    return version


def release_tag(root: Path = ROOT) -> str:
    """The git tag the install cells install: ``[tool.mlcourse] release-tag``, else ``v<version>``."""
    tag = pyproject_string(root, "tool.mlcourse", "release-tag") or f"v{project_version(root)}"
    if not TAG_RE.match(tag) or tag.endswith((".", ".lock")) or ".." in tag:
        raise ValueError(f"the release tag {tag!r} (from pyproject.toml) is not a plain git tag name; use letters, "
                         "digits and . _ + - only, e.g. release-tag = \"v0.2.0\" under [tool.mlcourse]")
    return tag


def owner_repo(url: str) -> str:
    """``https://github.com/OWNER/REPO`` -> ``OWNER/REPO``."""
    m = re.fullmatch(r"https://github\.com/([\w.-]+)/([\w.-]+?)(?:\.git)?/?", url)
    if not m:
        raise ValueError(f"the Repository URL {url!r} is not of the form https://github.com/OWNER/REPO")
    return f"{m.group(1)}/{m.group(2)}"


# --------------------------------------------------------------------------- canonical text
def colab_url(url: str, filename: str) -> str:
    return f"https://colab.research.google.com/github/{owner_repo(url)}/blob/main/notebooks/{filename}"


def badge_markdown(url: str, filename: str) -> str:
    """The exact badge markdown a notebook called ``filename`` must carry."""
    return f"[![Open In Colab]({COLAB_BADGE_SVG})]({colab_url(url, filename)})"


def install_cell_source(url: str, tag: str | None = None) -> str:
    """The exact source of the install cell (the first code cell of each notebook).

    `tag` defaults to this repository's :func:`release_tag`.
    """
    return INSTALL_CELL_TEMPLATE.format(url=url, tag=release_tag(ROOT) if tag is None else tag)


_source = nbio.source


def same_source(actual: str, expected: str) -> bool:
    """Compare cell sources, ignoring only trailing whitespace at the very end."""
    return actual.rstrip() == expected.rstrip()


# --------------------------------------------------------------------------- notebooks
def notebook_paths(root: Path = ROOT) -> list[Path]:
    """The chapter notebooks notebooks/NN_*.ipynb under `root`, in chapter order."""
    return nbio.chapter_notebooks(Path(root) / "notebooks")


def linked_files(root: Path = ROOT) -> list[tuple[Path, str]]:
    """(path, file name its badge must name) of every notebook whose badge and install cell are kept."""
    files = [(p, p.name) for p in notebook_paths(root)]
    if (Path(root) / TEMPLATE).is_file():
        files.append((Path(root) / TEMPLATE, TEMPLATE_NAME))
    return files


def notebook_problems(nb, filename: str, url: str, tag: str | None = None) -> list[str]:
    """What is wrong with the badge and install cell of one notebook (empty when fine)."""
    tag = release_tag(ROOT) if tag is None else tag
    problems = []
    cells = nb.get("cells", [])
    expected_badge = badge_markdown(url, filename)
    if not cells or cells[0].get("cell_type") != "markdown":
        problems.append("cell 0: the first cell must be a markdown cell holding the title and Colab badge")
    else:
        src = _source(cells[0])
        badges = ANY_BADGE_RE.findall(src)
        if expected_badge not in src:
            if badges:
                problems.append(f"cell 0: wrong Colab badge {badges[0]!r}; expected {expected_badge!r}")
            else:
                problems.append(f"cell 0: no Colab badge; expected {expected_badge!r}")
        elif len(badges) > 1:
            problems.append(f"cell 0: {len(badges)} Colab badges; keep only {expected_badge!r}")
    code = [(i, c) for i, c in enumerate(cells) if c.get("cell_type") == "code"]
    expected_install = install_cell_source(url, tag)
    if not code:
        problems.append("no code cell: the first code cell must be the install cell")
    elif not same_source(_source(code[0][1]), expected_install):
        problems.append(
            f"cell {code[0][0]}: the first code cell is not the canonical install cell "
            f"(it must install 'mlcourse @ git+{url}@{tag}' on Colab)"
        )
    return problems


def _looks_like_install_cell(cell) -> bool:
    src = _source(cell)
    return "google.colab" in src or "pip install" in src or '"pip"' in src


def fix_notebook(nb, filename: str, url: str, tag: str | None = None) -> bool:
    """Repair the badge and install cell in place; return whether anything changed."""
    import nbformat

    tag = release_tag(ROOT) if tag is None else tag
    changed = False
    cells = nb.cells
    expected_badge = badge_markdown(url, filename)
    if cells and cells[0].cell_type == "markdown":
        src = _source(cells[0])
        badges = ANY_BADGE_RE.findall(src)
        if expected_badge not in src or len(badges) > 1:
            if badges:
                # Replace the first badge, drop any others.
                first = True

                def repl(_m):
                    nonlocal first
                    out = expected_badge if first else ""
                    first = False
                    return out

                new_src = ANY_BADGE_RE.sub(repl, src)
            else:
                lines = src.split("\n")
                title = next((i for i, line in enumerate(lines) if line.startswith("# ")), -1)
                lines[title + 1:title + 1] = ["", expected_badge] if title >= 0 else [expected_badge, ""]
                new_src = "\n".join(lines)
            cells[0].source = new_src
            changed = True
    code = [(i, c) for i, c in enumerate(cells) if c.cell_type == "code"]
    expected_install = install_cell_source(url, tag)
    if code and same_source(_source(code[0][1]), expected_install):
        pass
    elif code and _looks_like_install_cell(code[0][1]):
        code[0][1].source = expected_install
        changed = True
    else:
        # No install cell at all: add one right after the title cell.
        new_cell = nbformat.v4.new_code_cell(expected_install)
        if nb.get("nbformat", 4) == 4 and nb.get("nbformat_minor", 0) < 5:
            new_cell.pop("id", None)  # cell ids only exist from nbformat 4.5 on
        cells.insert(1 if cells and cells[0].cell_type == "markdown" else 0, new_cell)
        changed = True
    return changed


def read_notebook(path: Path):
    """The notebook at `path` as stored (tools/nbio.py)."""
    return nbio.read_notebook(path)


def write_notebook(nb, path: Path) -> None:
    """Write as Jupyter does (tools/nbio.py): indent 1, sorted keys, a final newline."""
    nbio.write_notebook(path, nb)


# --------------------------------------------------------------------------- README table
def chapter_rows(root: Path = ROOT) -> list[tuple[str, str, str]]:
    """(number, title, data) of every chapter in mlcourse/course.json under `root`."""
    return [(ch["number"], ch["title"], ch["data"]) for ch in course_metadata.chapters(root)]


def chapter_table(url: str, notebooks: list[str], chapters: list[tuple[str, str, str]] | None = None) -> str:
    """The README chapter table for the given notebook file names (possibly none).

    `chapters` holds (number, title, data) rows; by default those of this repository's course file.
    """
    by_number: dict[str, list[str]] = {}
    for name in sorted(notebooks):
        by_number.setdefault(name[:2], []).append(name)
    rows = list(chapter_rows() if chapters is None else chapters)
    known = {num for num, _, _ in rows}
    for num in sorted(set(by_number) - known):  # notebooks the course file does not list yet
        stem = by_number[num][0][3:-len(".ipynb")]
        rows.append((num, stem.replace("_", " ").capitalize(), "see the notebook"))
    rows.sort(key=lambda r: r[0])
    lines = [
        "| # | Chapter | Data | Notebook |",
        "|---|---|---|---|",
    ]
    for num, title, data in rows:
        names = by_number.get(num, [])
        if names:
            title_cell = f"[{title}](notebooks/{names[0]})"
            nb_cell = " ".join(
                badge_markdown(url, n) if len(names) == 1 else f"{badge_markdown(url, n)} `{n}`"
                for n in names
            )
        else:
            title_cell, nb_cell = title, "planned"
        lines.append(f"| {num} | {title_cell} | {data} | {nb_cell} |")
    return "\n".join(lines)


def replace_table(readme: str, table: str) -> str | None:
    """README text with the block between the markers replaced (None if markers are missing)."""
    start = readme.find(START_MARKER)
    end = readme.find(END_MARKER)
    if start < 0 or end < 0 or end < start:
        return None
    return readme[: start + len(START_MARKER)] + "\n" + table + "\n" + readme[end:]


def fix_text_links(text: str, url: str) -> str:
    """Point `git clone` commands and Colab links at the canonical repository."""
    text = CLONE_RE.sub(lambda m: m.group(1) + url, text)
    return COLAB_LINK_RE.sub(lambda m: m.group(1) + owner_repo(url) + m.group(3), text)


def text_link_problems(text: str, url: str) -> list[str]:
    problems = []
    for m in CLONE_RE.finditer(text):
        if m.group(2) != url:
            problems.append(f"`git clone {m.group(2)}` should clone {url}")
    for m in COLAB_LINK_RE.finditer(text):
        if m.group(2) != owner_repo(url):
            problems.append(f"Colab link names {m.group(2)!r}, not {owner_repo(url)!r}")
    return problems


# --------------------------------------------------------------------------- check / sync
def check(root: Path = ROOT) -> list[str]:
    """Everything that is out of step, as 'file: problem' lines (empty when all is well)."""
    root = Path(root)
    url = repo_url(root)
    owner_repo(url)  # fail early on a malformed URL
    tag = release_tag(root)
    problems = []
    paths = notebook_paths(root)
    for path, badge_name in linked_files(root):
        rel = path.relative_to(root).as_posix()
        try:
            nb = read_notebook(path)
        except Exception as exc:  # unreadable JSON is a problem to report, not a crash
            problems.append(f"{rel}: cannot be read as a notebook ({exc})")
            continue
        problems += [f"{rel}: {p}" for p in notebook_problems(nb, badge_name, url, tag)]
    readme_path = root / "README.md"
    if not readme_path.exists():
        problems.append("README.md: missing")
    else:
        readme = readme_path.read_text(encoding="utf-8")
        new = replace_table(readme, chapter_table(url, [p.name for p in paths], chapter_rows(root)))
        if new is None:
            problems.append(f"README.md: the markers {START_MARKER} and {END_MARKER} are missing")
        elif new != readme:
            problems.append("README.md: the chapter table is out of date (run python tools/sync_links.py)")
    for name in TEXT_FILES:
        path = root / name
        if path.exists():
            problems += [f"{name}: {p}" for p in text_link_problems(path.read_text(encoding="utf-8"), url)]
    return problems


def sync(root: Path = ROOT) -> tuple[list[str], list[str]]:
    """Rewrite what is out of step. Returns (files changed, problems left that need a person)."""
    root = Path(root)
    url = repo_url(root)
    owner_repo(url)
    tag = release_tag(root)
    changed: list[str] = []
    paths = notebook_paths(root)
    rows = chapter_rows(root)  # a malformed course file stops here, before anything is written
    for path, badge_name in linked_files(root):
        try:
            nb = read_notebook(path)
        except Exception:
            continue  # reported by check() below
        if fix_notebook(nb, badge_name, url, tag):
            write_notebook(nb, path)
            changed.append(path.relative_to(root).as_posix())
    readme_path = root / "README.md"
    if readme_path.exists():
        readme = readme_path.read_text(encoding="utf-8")
        new = replace_table(readme, chapter_table(url, [p.name for p in paths], rows))
        new = fix_text_links(new if new is not None else readme, url)
        if new != readme:
            readme_path.write_text(new, encoding="utf-8", newline="\n")
            changed.append("README.md")
    for name in TEXT_FILES:
        path = root / name
        if name == "README.md" or not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        new = fix_text_links(text, url)
        if new != text:
            path.write_text(new, encoding="utf-8", newline="\n")
            changed.append(name)
    return changed, check(root)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only report problems; exit 1 if any")
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root (default: this repo)")
    args = parser.parse_args(argv)
    try:
        if args.check:
            problems = check(args.root)
            for p in problems:
                print(p)
            if problems:
                print(f"\n{len(problems)} problem(s); run `python tools/sync_links.py` to fix them.")
                return 1
            print("links are in sync with pyproject.toml")
            return 0
        changed, problems = sync(args.root)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for name in changed:
        print(f"updated {name}")
    for p in problems:
        print(f"cannot fix automatically: {p}")
    if not changed and not problems:
        print("nothing to do: links are in sync with pyproject.toml")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
