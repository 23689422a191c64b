"""Build the course website from the committed notebooks: ``python3 course.py site [--out DIR]``.

The site is Sphinx with myst-nb (the engine of Jupyter Book 1) and sphinx-book-theme; MathJax comes
from the sphinx-mathjax-offline package, so neither the build nor the built pages need internet.
Notebooks are rendered from their committed outputs (never executed).

The build stages a source tree in a temporary folder that mirrors the repository (``notebooks/``,
``docs/``), so that links such as ``../docs/errata.md#e9-...`` resolve as they do on GitHub, and
prepares each notebook there:

- an ipywidgets output (which renders as nothing without a widget manager) is replaced by a note
  ("interactive widget: run the notebook to use it"), its text fallback and any figure that the
  saved widget state holds;
- every figure gets alt text: the first comment of its code cell, else the text of the markdown
  cell before it;
- the Colab badge is a local image (the site works offline) and a link downloads the original notebook.

Then it fills the chapter map (from mlcourse/course.json) and the results table
(mlcourse.benchmarks.results_table) into the pages of book/ and runs Sphinx.
"""

from __future__ import annotations

import argparse
import copy
import html
import json
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import course_metadata  # noqa: E402
import sync_links  # noqa: E402

BOOK = ROOT / "book"
DEFAULT_OUT = ROOT / "build" / "site"
DOCS = ("sources.md", "errata.md", "where_to_find_data.md")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
ALT_MAX_CHARS = 250
WIDGET_NOTE = ("Interactive widget: it needs a running Python kernel, so this page shows it as it was "
               "when the notebook was saved. Run the notebook (Colab or JupyterLab) to use it.")


class SiteError(Exception):
    """The site cannot be built; the message says why and what to do."""


def plain_text(markdown: str) -> str:
    """Markdown (or a comment) reduced to one line of plain text, for alt attributes."""
    text = re.sub(r"```.*?```", " ", markdown, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", text)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links and images -> their text
    text = re.sub(r"\$\$(.+?)\$\$", r"\1", text, flags=re.S)
    text = re.sub(r"\$([^$]+)\$", r"\1", text)
    text = re.sub(r"[*_`#>|]+", " ", text)
    text = re.sub(r"\\([a-zA-Z]+)", r"\1", text)  # \alpha -> alpha
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) > ALT_MAX_CHARS:
        text = text[: ALT_MAX_CHARS - 1].rsplit(" ", 1)[0] + "…"
    return text


def first_comment(code: str) -> str:
    """The first comment of a code cell that describes it (not a noqa/type pragma), or ''."""
    for line in code.splitlines():
        stripped = line.strip()
        if stripped.startswith("#") and not re.match(r"#\s*(noqa|type:|pragma|%%|!)", stripped):
            text = stripped.lstrip("#").strip()
            if text:
                return text
    return ""


def last_paragraph(markdown: str) -> str:
    """The last paragraph of a markdown cell that is not a heading or a fenced block."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", re.sub(r"```.*?```", "", markdown, flags=re.S))]
    paragraphs = [p for p in paragraphs if p and not p.startswith("#")]
    return paragraphs[-1] if paragraphs else ""


def figure_alt(cells: list[dict[str, Any]], index: int) -> str:
    """Alt text for the figures of code cell `index`: its first comment, else the markdown before it."""
    comment = first_comment(_source(cells[index]))
    if comment:
        return plain_text(comment)
    for cell in reversed(cells[:index]):
        if cell.get("cell_type") == "markdown":
            text = plain_text(last_paragraph(_source(cell)))
            if text:
                return text
    return "Figure produced by the code cell above."


def _source(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _widget_outputs(state: dict[str, Any], model_id: str) -> list[dict[str, Any]]:
    """The outputs saved in the Output widgets reachable from widget `model_id` (its static picture)."""
    found, seen, todo = [], set(), [model_id]
    while todo:
        mid = todo.pop(0)
        if mid in seen or mid not in state:
            continue
        seen.add(mid)
        model = state[mid]
        if model.get("model_name") == "OutputModel":
            found.extend(copy.deepcopy(model.get("state", {}).get("outputs", [])))
        refs = re.findall(r"IPY_MODEL_([0-9a-f]+)", json.dumps(model.get("state", {})))
        todo.extend(refs)
    return [o for o in found if o.get("output_type") in ("display_data", "execute_result", "stream")]


def widget_fallback(output: dict[str, Any], state: dict[str, Any]) -> list[dict[str, Any]]:
    """A widget output replaced by a note, its text/plain description and the saved picture of it."""
    data = output.get("data", {})
    plain = data.get("text/plain", "")
    plain = "".join(plain) if isinstance(plain, list) else str(plain)
    note = f'<div class="widget-fallback" role="note"><p><strong>{html.escape(WIDGET_NOTE)}</strong></p>'
    if plain.strip():
        note += f"<p>The widget: <code>{html.escape(plain.strip())}</code></p>"
    note += "</div>"
    replaced = [{"output_type": "display_data", "metadata": {}, "data": {"text/html": note}}]
    model_id = data.get(WIDGET_VIEW, {}).get("model_id", "")
    return replaced + _widget_outputs(state, model_id)


SOLUTION_MARKER_RE = re.compile(r"^[ \t]*#*[ \t]*(BEGIN|END) SOLUTION[ \t]*\n?", re.MULTILINE)


def prepare_notebook(nb: dict[str, Any], name: str) -> dict[str, Any]:
    """A copy of notebook `nb` (file `name`) made ready for the site (widgets, alt text, badge, download)."""
    nb = copy.deepcopy(nb)
    state = nb.get("metadata", {}).pop("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    cells = nb.get("cells", [])
    for i, cell in enumerate(cells):
        if cell.get("cell_type") == "markdown":
            text = _source(cell).replace(f"]({COLAB_BADGE})", "](../_static/colab-badge.svg)")
            cell["source"] = SOLUTION_MARKER_RE.sub("", text)  # nbgrader's markers are not headings
            continue
        if cell.get("cell_type") != "code":
            continue
        outputs = []
        for out in cell.get("outputs", []):
            if WIDGET_VIEW in out.get("data", {}):
                outputs.extend(widget_fallback(out, state))
            else:
                outputs.append(out)
        cell["outputs"] = outputs
        if any(k.startswith("image/") for o in outputs for k in o.get("data", {})):
            meta = cell.setdefault("metadata", {}).setdefault("mystnb", {})
            meta.setdefault("image", {})["alt"] = figure_alt(cells, i)
    download = {
        "cell_type": "markdown", "metadata": {},
        "source": f'<p class="nb-download"><a href="{html.escape(name)}" download>Download the notebook '
                  f"({html.escape(name)})</a> to run it in JupyterLab; the badge above opens it in Colab.</p>",
    }
    if (nb.get("nbformat", 4), nb.get("nbformat_minor", 0)) >= (4, 5):
        download["id"] = "site-download-link"  # cell ids are required from nbformat 4.5 on
    cells.insert(1 if cells else 0, download)
    return nb


def chapter_map(root: Path) -> tuple[str, list[str]]:
    """The index page's chapter table (markdown) and the toctree entries of the implemented chapters."""
    rows = ["| # | Chapter | Data |", "|---|---|---|"]
    toc = []
    for ch in course_metadata.chapters(root):
        stem = Path(course_metadata.notebook_name(ch)).stem
        exists = (root / "notebooks" / f"{stem}.ipynb").is_file()
        title = ch["title"].replace("|", "\\|")
        if exists:
            title = f"[{title}](notebooks/{stem}.ipynb)"
            toc.append(f"notebooks/{stem}")
        else:
            title += " (planned)"
        rows.append(f"| {ch['number']} | {title} | {ch['data'].replace('|', '/')} |")
    return "\n".join(rows), toc


def results_block(root: Path) -> str:
    """The results page's table: what `mlcourse-results` prints for the repository's results/."""
    sys.path.insert(0, str(root))
    from mlcourse import benchmarks

    try:
        table = benchmarks.results_table(root / "results")
    except ValueError as err:
        raise SiteError(f"cannot make the results page: {err}") from None
    table = table.replace(str(root / "results"), "results")
    return '<div class="results-table">\n\n```text\n' + table + "\n```\n\n</div>"


def project_info(root: Path) -> dict[str, str]:
    """Repository URL and supported Python range, from pyproject.toml through sync_links' reader."""
    url = sync_links.repo_url(root)
    spec = sync_links.pyproject_string(root, "project", "requires-python") or ">=3.10"
    lower = re.search(r">=\s*([\d.]+)", spec)
    upper = re.search(r"<\s*(\d+)\.(\d+)", spec)
    low = lower.group(1) if lower else "3.10"
    py_range = f"{low} to {upper.group(1)}.{int(upper.group(2)) - 1}" if upper else f"{low} or newer"
    return {"repository": url, "repo_name": url.rstrip("/").rsplit("/", 1)[-1], "python_range": py_range}


def stage(src: Path, root: Path) -> int:
    """Write the Sphinx source tree into `src`; return the number of chapter notebooks staged."""
    shutil.copytree(root / "book", src, ignore=shutil.ignore_patterns("_build", "__pycache__"), dirs_exist_ok=True)
    (src / "notebooks").mkdir(exist_ok=True)
    notebooks = sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if not notebooks:
        raise SiteError(f"no notebooks in {root / 'notebooks'}; there is nothing to build.")
    for path in notebooks:
        try:
            nb = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise SiteError(f"{path.name} is not valid notebook JSON ({exc}); fix or restore it.") from None
        (src / "notebooks" / path.name).write_text(json.dumps(prepare_notebook(nb, path.name)), encoding="utf-8")
    (src / "docs").mkdir(exist_ok=True)
    for name in DOCS:
        shutil.copy2(root / "docs" / name, src / "docs" / name)
    table, toc = chapter_map(root)
    index = (src / "index.md").read_text(encoding="utf-8")
    index = index.replace("<!-- site:chapters -->", table).replace("<!-- site:toctree -->", "\n".join(toc))
    index = index.replace("<!-- site:results -->", results_block(root))
    for key, value in project_info(root).items():
        index = index.replace("{{ " + key + " }}", value)
    (src / "index.md").write_text(index, encoding="utf-8")
    results = (src / "results.md").read_text(encoding="utf-8")
    (src / "results.md").write_text(results.replace("<!-- site:results -->", results_block(root)), encoding="utf-8")
    return len(notebooks)


def build(out: Path = DEFAULT_OUT, root: Path = ROOT, *, quiet: bool = True) -> dict[str, Any]:
    """Build the site into `out` (replaced); return {'out', 'pages', 'chapters', 'seconds'}."""
    try:
        from sphinx.cmd.build import build_main
    except ImportError:
        raise SiteError("Sphinx is not installed in this Python; run `python3 course.py site`, which installs "
                        "the site tools into .venv (or `pip install -e \".[test]\"`).") from None
    out = Path(out).resolve()
    if out == root or root.is_relative_to(out) or out in (root / "notebooks", root / "docs", root / "book"):
        raise SiteError(f"--out {out} would overwrite the course itself; give an empty or new folder, "
                        "e.g. build/site.")
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="mlcourse-site-") as tmp:
        src = Path(tmp) / "src"
        chapters = stage(src, root)
        if out.exists():
            shutil.rmtree(out)
        args = ["-b", "html", "-W", "--keep-going", "-d", str(Path(tmp) / "doctrees"), str(src), str(out)]
        code = build_main((["-q"] if quiet else []) + args)
        if code != 0:
            raise SiteError(f"Sphinx failed (exit status {code}); its warnings are above (they count as errors, "
                            "so that broken links and missing images are caught).")
    for path in sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        shutil.copy2(path, out / "notebooks" / path.name)  # the download links point here
    (out / ".nojekyll").write_text("", encoding="utf-8")
    skip = ("genindex.html", "search.html")
    pages = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.html")
                   if not p.relative_to(out).parts[0].startswith("_") and p.name not in skip)
    return {"out": out, "pages": pages, "chapters": chapters, "seconds": time.perf_counter() - start}


def main(argv: list[str] | None = None) -> int:
    """Command line: build the site and print where it is."""
    parser = argparse.ArgumentParser(prog="build_site.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="output folder (default: build/site)")
    parser.add_argument("--verbose", action="store_true", help="show Sphinx's progress messages")
    args = parser.parse_args(argv)
    try:
        info = build(Path(args.out), quiet=not args.verbose)
    except SiteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"==> built {len(info['pages'])} pages ({info['chapters']} chapters) in {info['seconds']:.0f} s: "
          f"{info['out'] / 'index.html'}")
    print("    open that file in a browser, or serve the folder: python3 -m http.server -d "
          f"{info['out']} 8000")
    return 0


if __name__ == "__main__":
    sys.exit(main())
