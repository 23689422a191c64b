"""Sources are cited by author and year, errata ids resolve, and relative links point somewhere real.

The course's five source documents are listed in docs/sources.md, and the errors in them in
docs/errata.md, one heading `E<n>. <title>` per entry. These tests keep the notebooks, the
package and the documentation consistent with those two files.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
ERRATA = ROOT / "docs" / "errata.md"
SOURCES = ROOT / "docs" / "sources.md"

# How the five documents are cited (docs/sources.md).
CITATIONS = (
    "Swarnkar et al. (2022)",
    "Naidu Ch et al. (c. 2020)",
    "Shetty (c. 2020)",
    "Sunkara and Balivada (2024)",
    "Thankachan (2020)",
)

# Internal names a reader cannot resolve: file numbers of the documents, a private inventory,
# a syllabus that is not part of the repository.
FORBIDDEN = (
    (re.compile(r"\bseeds?[ _-]?0\d\d\b", re.IGNORECASE), 'a source document cited by number ("seed 00N")'),
    (re.compile(r"\bseed[ _-]inventory\b", re.IGNORECASE), "the private seed inventory"),
    (re.compile(r"\bSYLLABUS\.md\b", re.IGNORECASE), "SYLLABUS.md, which is not in the repository"),
    (re.compile(r"(?<![\w/.-])seeds/"), "the seeds/ folder, which readers do not have"),
)

# An erratum id: E followed by one or two digits, not part of a longer word or number
# (1E10, E123, $E_1$ and hex such as 0xE1 do not count), optionally a range such as E1–E4.
ERRATUM_ID = re.compile(r"(?<![\w.\\$])E(\d{1,2})(?:\s*[–-]\s*E(\d{1,2}))?(?![\w])")
BOX_START = re.compile(r"^[ \t]*>[ \t]*\*\*(?:The literature often gets this wrong|Erratum)", re.MULTILINE)


# --------------------------------------------------------------------------- helpers
def _text(source) -> str:
    return "".join(source) if isinstance(source, list) else source


def notebook_cells(path: Path) -> list[tuple[int, str, str]]:
    """(index, cell type, source) of every cell of a notebook, outputs excluded."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [(i, c["cell_type"], _text(c.get("source", ""))) for i, c in enumerate(nb["cells"])]


def markdown_cells(path: Path) -> list[tuple[int, str]]:
    """(index, source) of the markdown cells of a notebook."""
    return [(i, s) for i, kind, s in notebook_cells(path) if kind == "markdown"]


def strip_code(markdown: str) -> str:
    """Markdown with fenced code blocks, inline code and LaTeX math blanked out."""
    markdown = re.sub(r"^(```|~~~).*?^\1[^\n]*$", "", markdown, flags=re.DOTALL | re.MULTILINE)
    markdown = re.sub(r"`[^`\n]*`", "", markdown)
    markdown = re.sub(r"\$\$.*?\$\$", "", markdown, flags=re.DOTALL)
    return re.sub(r"\$[^$\n]+\$", "", markdown)


def erratum_ids(markdown: str) -> set[int]:
    """Every erratum id named in a piece of markdown, ranges (E1–E4) expanded."""
    ids: set[int] = set()
    for m in ERRATUM_ID.finditer(strip_code(markdown)):
        first = int(m.group(1))
        last = int(m.group(2)) if m.group(2) else first
        ids.update(range(first, last + 1) if first <= last else (first, last))
    return ids


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps only its text
    text = re.sub(r"<[^>]+>", "", text).strip().lower()
    text = "".join(ch for ch in text if ch.isalnum() or ch in " -_")
    return text.replace(" ", "-")


def markdown_anchors(markdown: str) -> set[str]:
    """All anchors of a markdown document: its headings (GitHub style) and explicit ids."""
    anchors: set[str] = set()
    seen: dict[str, int] = {}
    body = re.sub(r"^(```|~~~).*?^\1[^\n]*$", "", markdown, flags=re.DOTALL | re.MULTILINE)
    for m in re.finditer(r"^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$", body, flags=re.MULTILINE):
        slug = github_slug(m.group(1))
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        anchors.add(slug if n == 0 else f"{slug}-{n}")
    anchors.update(re.findall(r"<a\s+(?:id|name)=\"([^\"]+)\"", markdown))
    return anchors


LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REF_LINK = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+\"[^\"]*\")?\s*$", re.MULTILINE)
HTML_LINK = re.compile(r"<(?:a|img)\s[^>]*?(?:href|src)=\"([^\"]+)\"", re.IGNORECASE)


def link_targets(markdown: str) -> list[str]:
    """The targets of the links and images in a piece of markdown (code and math ignored)."""
    body = strip_code(markdown)
    return LINK.findall(body) + REF_LINK.findall(body) + HTML_LINK.findall(body)


def broken_links(markdown: str, where: Path, root: Path = ROOT) -> list[str]:
    """Relative links in `markdown` (written in file `where`) whose file or #anchor is missing."""
    problems = []
    for target in link_targets(markdown):
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target) or target.startswith("//"):
            continue  # http(s), mailto and other absolute URLs
        path_part, _, anchor = target.partition("#")
        if not path_part:
            if where.suffix == ".md" and anchor and unquote(anchor) not in markdown_anchors(markdown):
                problems.append(f"{target}: no heading with this anchor in the same file")
            continue
        resolved = (where.parent / unquote(path_part)).resolve()
        if not resolved.is_relative_to(root.resolve()):
            problems.append(f"{target}: points outside the repository")
        elif not resolved.exists():
            problems.append(f"{target}: no such file")
        elif anchor and resolved.suffix == ".md":
            if unquote(anchor) not in markdown_anchors(resolved.read_text(encoding="utf-8")):
                problems.append(f"{target}: {resolved.name} has no heading with anchor #{anchor}")
    return problems


def box_problems(markdown: str, entries: dict[int, tuple[str, str]]) -> list[str]:
    """Erratum boxes in `markdown` that name no id, or do not link each id they name."""
    problems = []
    for m in BOX_START.finditer(markdown):
        box = []
        for line in markdown[m.start():].splitlines():  # the run of quoted lines that starts here
            if not line.lstrip().startswith(">"):
                break
            box.append(line)
        box_text = "\n".join(box)
        ids = erratum_ids(box_text)
        if not ids:
            problems.append("an erratum box without an id (E<n> from docs/errata.md)")
        for n in sorted(ids):
            if n in entries and f"../docs/errata.md#{entries[n][0]}" not in box_text:
                problems.append(f"E{n} is not linked to ../docs/errata.md#{entries[n][0]}")
    return problems


def errata_entries(text: str | None = None) -> dict[int, tuple[str, str]]:
    """{id: (anchor, body)} for every `E<n>. <title>` heading of docs/errata.md."""
    text = ERRATA.read_text(encoding="utf-8") if text is None else text
    heads = list(re.finditer(r"^#{2,4}[ \t]+(E(\d{1,2})\.[ \t].+?)[ \t]*$", text, flags=re.MULTILINE))
    entries: dict[int, tuple[str, str]] = {}
    for k, m in enumerate(heads):
        end = heads[k + 1].start() if k + 1 < len(heads) else len(text)
        body = text[m.end():end]
        body = re.split(r"^#{1,2}[ \t]", body, maxsplit=1, flags=re.MULTILINE)[0]
        entries[int(m.group(2))] = (github_slug(m.group(1)), body)
    return entries


def text_files() -> list[Path]:
    """The package's text files, the docs, README.md and CONTRIBUTING.md."""
    files = [ROOT / "README.md", ROOT / "CONTRIBUTING.md"]
    files += sorted(p for p in (ROOT / "docs").rglob("*") if p.is_file())
    files += sorted(p for p in (ROOT / "mlcourse").rglob("*")
                    if p.is_file() and "__pycache__" not in p.parts and p.suffix not in {".pyc", ".npz", ".npy"})
    return [p for p in files if p.exists()]


def markdown_documents() -> list[Path]:
    """docs/*.md, README.md and CONTRIBUTING.md."""
    docs = [ROOT / "README.md", ROOT / "CONTRIBUTING.md"] + sorted((ROOT / "docs").glob("*.md"))
    return [p for p in docs if p.exists()]


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


# --------------------------------------------------------------------------- the helpers themselves
@pytest.mark.parametrize("text, ids", [
    ("see erratum E14 above", {14}),
    ("errata E1–E4 and E26", {1, 2, 3, 4, 26}),
    ("[E28](../docs/errata.md#e28-faster-r-cnn-and-internal-covariate-shift)", {28}),
    ("(E9)", {9}),
    ("1E10, E123, EE5, 0xE1, E5a and a rate of 2.E3", set()),
    ("the energy $E_1 + E2$ and `E7` in code", set()),
])
def test_erratum_ids_are_found_and_nothing_else(text, ids):
    assert erratum_ids(text) == ids


@pytest.mark.parametrize("heading, slug", [
    ("E14. Accuracy at low prevalence", "e14-accuracy-at-low-prevalence"),
    ("E28. Faster R-CNN and internal covariate shift", "e28-faster-r-cnn-and-internal-covariate-shift"),
    ("What `setup()` does: seeds, logs!", "what-setup-does-seeds-logs"),
    ("Über [links](x.md) and <b>tags</b>", "über-links-and-tags"),
])
def test_github_slug(heading, slug):
    assert github_slug(heading) == slug


def test_duplicate_headings_get_numbered_anchors():
    assert markdown_anchors("# A\n\n## A\n\n```\n# not a heading\n```\n") == {"a", "a-1"}


def test_broken_links_are_reported(tmp_path: Path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "errata.md").write_text("# Errata\n\n### E1. First entry\n", encoding="utf-8")
    page = tmp_path / "notebooks" / "ch.md"
    page.parent.mkdir()
    text = ("[ok](../docs/errata.md#e1-first-entry) [web](https://example.org/x.md) [mail](mailto:a@b.c) "
            "[gone](../docs/missing.md) [bad anchor](../docs/errata.md#e2-second) [out](../../elsewhere.md) "
            "`[in code](nowhere.md)` [self](#local)\n\n## Local\n")
    problems = broken_links(text, page, root=tmp_path)
    assert len(problems) == 3, problems
    assert any("missing.md" in p and "no such file" in p for p in problems)
    assert any("#e2-second" in p for p in problems)
    assert any("outside the repository" in p for p in problems)


def test_erratum_boxes_must_name_and_link_an_id():
    entries = {7: ("e7-seven", ""), 8: ("e8-eight", "")}
    good = "Text.\n\n> **The literature often gets this wrong ([E7](../docs/errata.md#e7-seven)).**\n> Details.\n"
    unlabelled = "Text.\n\n> **The literature often gets this wrong.** A source says so.\n\nE7 later, outside the box."
    unlinked = "> **Erratum (E8).** Wrong.\n"
    assert box_problems(good, entries) == []
    assert box_problems("A paragraph that mentions E7 but holds no box.", entries) == []
    assert box_problems(unlabelled, entries) == ["an erratum box without an id (E<n> from docs/errata.md)"]
    assert box_problems(unlinked, entries) == ["E8 is not linked to ../docs/errata.md#e8-eight"]


def test_errata_entries_are_parsed():
    text = "# Errata\n\n## Part\n\n### E3. Three\n\nbody 3\n\n### E10. Ten\n\nbody 10\n\n## Next part\n\nx\n"
    entries = errata_entries(text)
    assert sorted(entries) == [3, 10]
    assert entries[3][0] == "e3-three" and "body 3" in entries[3][1]
    assert "Next part" not in entries[10][1]


# --------------------------------------------------------------------------- the repository
def test_sources_list_names_all_five_documents():
    text = SOURCES.read_text(encoding="utf-8")
    missing = [c for c in CITATIONS if c not in text]
    assert not missing, f"docs/sources.md must list every source document; missing: {missing}"
    assert "errata.md" in text, "docs/sources.md should point to the errata list"


@pytest.mark.parametrize("path", NOTEBOOKS + text_files(), ids=rel)
def test_no_internal_names_of_the_sources(path: Path):
    if path.suffix == ".ipynb":
        pieces = [(f"cell {i} ({kind})", s) for i, kind, s in notebook_cells(path)]
    else:
        try:
            pieces = [("", path.read_text(encoding="utf-8"))]
        except UnicodeDecodeError:
            pytest.skip("not a text file")
    problems = [f"{rel(path)} {where}: {what}: {m.group(0)!r}"
                for where, text in pieces for pattern, what in FORBIDDEN for m in pattern.finditer(text)]
    assert not problems, ("cite the documents by author and year (docs/sources.md) and errors by the "
                          "ids of docs/errata.md:\n  " + "\n  ".join(problems))


def test_errata_list_is_well_formed():
    text = ERRATA.read_text(encoding="utf-8")
    ids = [int(n) for n in re.findall(r"^#{2,4}[ \t]+E(\d{1,2})\.[ \t]", text, flags=re.MULTILINE)]
    assert ids, "docs/errata.md has no entries (headings like `### E1. Title`)"
    assert len(ids) == len(set(ids)), f"duplicate erratum ids in docs/errata.md: {ids}"
    for n, (_, body) in errata_entries().items():
        for field in ("**Document:**", "**What it says:**", "**What is right:**", "**Taught in:**"):
            assert field in body, f"erratum E{n} in docs/errata.md lacks the field {field}"
        assert any(c.split(" (")[0] in body for c in CITATIONS), f"erratum E{n} does not name its document"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=rel)
def test_erratum_ids_in_notebooks_are_defined(path: Path):
    defined = errata_entries()
    problems = [f"cell {i}: E{n}" for i, src in markdown_cells(path) for n in sorted(erratum_ids(src))
                if n not in defined]
    assert not problems, f"{rel(path)} names errata that docs/errata.md does not define: {problems}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=rel)
def test_erratum_boxes_name_and_link_their_ids(path: Path):
    entries = errata_entries()
    problems = [f"cell {i}: {p}" for i, src in markdown_cells(path) for p in box_problems(src, entries)]
    assert not problems, f"{rel(path)}:\n  " + "\n  ".join(problems)


def test_errata_chapters_match_the_notebooks():
    """An entry's 'Taught in' links exactly the notebooks whose markdown names its id."""
    entries = errata_entries()
    named: dict[int, set[str]] = {n: set() for n in entries}
    for path in NOTEBOOKS:
        for _, src in markdown_cells(path):
            for n in erratum_ids(src):
                named.setdefault(n, set()).add(path.name)
    problems = []
    for n, (_, body) in entries.items():
        taught = body.split("**Taught in:**", 1)[-1]
        linked = set(re.findall(r"\.\./notebooks/([\w.-]+\.ipynb)", taught))
        if linked != named.get(n, set()):
            problems.append(f"E{n}: 'Taught in' links {sorted(linked)}, notebooks naming it: {sorted(named[n])}")
        if not linked and "not covered yet" not in taught:
            problems.append(f"E{n}: no chapter teaches it, so mark it 'not covered yet'")
    assert not problems, "docs/errata.md is out of step with the notebooks:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=rel)
def test_relative_links_in_notebooks_resolve(path: Path):
    problems = [f"cell {i}: {p}" for i, src in markdown_cells(path) for p in broken_links(src, path)]
    assert not problems, f"{rel(path)} has broken links:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("path", markdown_documents(), ids=rel)
def test_relative_links_in_documents_resolve(path: Path):
    problems = broken_links(path.read_text(encoding="utf-8"), path)
    assert not problems, f"{rel(path)} has broken links:\n  " + "\n  ".join(problems)
