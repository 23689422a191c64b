"""mlcourse/course.json, the one list of chapters, agrees with notebooks/ and results/; the chapter
template in docs/templates/ follows the skeleton of CONTRIBUTING.md."""

from __future__ import annotations

import copy
import json
import re
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import course_metadata as cm  # noqa: E402
import nbio  # noqa: E402
import sync_links  # noqa: E402

DOC = cm.load(ROOT)
CHAPTERS = DOC["chapters"]
FLAGS = cm.medmnist_flags(ROOT)
NAMES = cm.dataset_names(DOC, FLAGS)
IMPLEMENTED = [ch for ch in CHAPTERS if ch["status"] == "implemented"]
NOTEBOOKS = nbio.chapter_notebooks(ROOT / "notebooks")
LOAD_CALL = re.compile(r"""\bload\(\s*["'](\w+)["']""")
RECORD_CALL = re.compile(r"""\brecord_results\(\s*["'](\w+)["']""")
STRING = re.compile(r"""["'](\w+)["']""")


def ids(chapters):
    return [ch["number"] for ch in chapters]


def notebook(ch):
    return nbio.read_notebook(ROOT / "notebooks" / cm.notebook_name(ch))


# --------------------------------------------------------------------------- the file itself
def test_the_course_file_lists_chapters_00_to_20_all_implemented():
    assert ids(CHAPTERS) == [f"{n:02d}" for n in range(21)]
    assert [ch["number"] for ch in CHAPTERS if ch["status"] == "planned"] == []


def test_every_dataset_is_a_medmnist_flag_or_a_named_source():
    for ch in CHAPTERS:
        for name in ch["datasets"]:
            assert name in FLAGS or name in DOC["sources"], f"chapter {ch['number']}: unknown dataset {name!r}"


@pytest.mark.parametrize("ch", CHAPTERS, ids=ids(CHAPTERS))
def test_the_data_column_names_every_dataset(ch):
    for name in ch["datasets"]:
        assert NAMES[name] in ch["data"], (
            f"chapter {ch['number']}: its data text {ch['data']!r} does not mention {NAMES[name]} ({name})")


# --------------------------------------------------------------------------- against notebooks/
def test_every_notebook_has_an_implemented_entry_and_vice_versa():
    on_disk = {p.name for p in NOTEBOOKS}
    listed = {cm.notebook_name(ch) for ch in IMPLEMENTED}
    assert not on_disk - listed, (f"notebooks without an implemented entry in {cm.COURSE_FILE.as_posix()} "
                                  f"(add one, or fix its number and slug): {sorted(on_disk - listed)}")
    assert not listed - on_disk, f"implemented chapters without their notebook: {sorted(listed - on_disk)}"
    planned = {ch["number"] for ch in CHAPTERS if ch["status"] == "planned"}
    early = [p.name for p in NOTEBOOKS if p.name[:2] in planned]
    assert not early, f"notebooks of chapters still marked planned: {early}"


@pytest.mark.parametrize("ch", IMPLEMENTED, ids=ids(IMPLEMENTED))
def test_the_notebook_title_carries_the_chapter_number(ch):
    # The course file holds the short title of the README table; the notebook's own title may be longer.
    title = next(line for line in nbio.source(notebook(ch).cells[0]).splitlines() if line.startswith("# "))
    assert title.startswith(f"# {ch['number']}. "), f"{cm.notebook_name(ch)}: title line {title!r}"


@pytest.mark.parametrize("ch", IMPLEMENTED, ids=ids(IMPLEMENTED))
def test_the_datasets_are_the_ones_the_notebook_uses(ch):
    nb = notebook(ch)
    code = nbio.code_text(nb)
    params = nbio.code_text(nb, nbio.code_cells(nb, tag="parameters"))
    loaded = {f for f in LOAD_CALL.findall(code) + STRING.findall(params) if f in FLAGS}
    missing = loaded - set(ch["datasets"])
    assert not missing, f"chapter {ch['number']} loads {sorted(missing)}; add them to its datasets"
    for name in ch["datasets"]:
        if name in FLAGS:
            assert re.search(rf"""["']{name}["']""", code), f"chapter {ch['number']}: lists {name} but never uses it"
    for key, src in DOC["sources"].items():
        used = bool(re.search(src["used_when_code_matches"], code))
        problem = f"uses {key} but does not list it" if used else f"lists {key} but never uses it"
        assert used == (key in ch["datasets"]), f"chapter {ch['number']}: {problem}"


# --------------------------------------------------------------------------- against results/
def test_every_results_file_exists_and_belongs_to_one_chapter():
    listed = [r for ch in CHAPTERS for r in ch["results"]]
    assert len(listed) == len(set(listed)), "a results file is listed under two chapters"
    for result in listed:
        assert (ROOT / result).is_file(), f"{result} is listed in {cm.COURSE_FILE.as_posix()} but missing"
    on_disk = {p.relative_to(ROOT).as_posix() for p in (ROOT / "results").glob("*.json")}
    assert on_disk == set(listed), f"results files not listed under any chapter: {sorted(on_disk - set(listed))}"


@pytest.mark.parametrize("ch", IMPLEMENTED, ids=ids(IMPLEMENTED))
def test_the_results_are_the_ones_the_notebook_records(ch):
    recorded = {f"results/{name}.json" for name in RECORD_CALL.findall(nbio.code_text(notebook(ch)))}
    assert recorded == set(ch["results"]), f"chapter {ch['number']}: record_results writes {sorted(recorded)}"
    for result in ch["results"]:
        records = json.loads((ROOT / result).read_text(encoding="utf-8"))
        assert {r["chapter"] for r in records} == {ch["number"]}, f"{result}: records of another chapter"


# --------------------------------------------------------------------------- the checks of the file
def broken(change):
    doc = copy.deepcopy(DOC)
    change(doc)
    return doc


def _set(index, key, value):
    return lambda doc: doc["chapters"][index].__setitem__(key, value)


BROKEN = [
    (lambda doc: doc.pop("chapters"), "non-empty list 'chapters'"),
    (lambda doc: doc["chapters"][3].pop("slug"), "chapter entry 3 (03): missing slug"),
    (_set(3, "colour", "red"), "unknown keys colour"),
    (_set(3, "number", 3), "must be two digits as a string"),
    (lambda doc: doc["chapters"].reverse(), "keep the chapters in increasing order"),
    (_set(3, "slug", "kNN"), "lower-case snake case"),
    (_set(3, "title", "k | nn"), "title must be one line of text without '|'"),
    (_set(3, "status", "done"), "status 'done' must be one of implemented, planned"),
    (_set(3, "datasets", "wdbc"), "datasets must be a list of strings"),
    (_set(3, "datasets", ["wdbc", "wdbc"]), "datasets lists something twice"),
    (_set(3, "datasets", ["pneumonia"]), "unknown dataset 'pneumonia'"),
    (_set(3, "results", ["results/04_knn.json"]), "must look like 'results/03_name.json'"),
    (lambda doc: doc["chapters"][20].update(status="planned", results=["results/20_scaling_up.json"]),
     "chapter 20 is planned"),
    (lambda doc: doc["sources"]["wdbc"].pop("provider"), "source 'wdbc' needs the text fields provider"),
    (lambda doc: doc["sources"].__setitem__("breastmnist", dict(doc["sources"]["wdbc"])), "is a MedMNIST flag"),
    (lambda doc: doc["sources"]["wdbc"].__setitem__("used_when_code_matches", "("), "not a regular expression"),
]


def test_the_real_file_passes_the_checks():
    cm.validate(copy.deepcopy(DOC), FLAGS)


@pytest.mark.parametrize("change, message", BROKEN, ids=[m for _, m in BROKEN])
def test_a_malformed_file_is_refused_with_a_message(change, message):
    with pytest.raises(cm.CourseMetadataError, match=re.escape(message)):
        cm.validate(broken(change), FLAGS)


def test_a_missing_or_unreadable_file_is_refused(tmp_path):
    (tmp_path / "mlcourse").mkdir()
    (tmp_path / "mlcourse" / "medmnist_info.json").write_text((ROOT / cm.MEDMNIST_FILE).read_text("utf-8"), "utf-8")
    with pytest.raises(cm.CourseMetadataError, match="is missing"):
        cm.load(tmp_path)
    (tmp_path / cm.COURSE_FILE).write_text("{not json", encoding="utf-8")
    with pytest.raises(cm.CourseMetadataError, match="not valid JSON"):
        cm.load(tmp_path)


def test_benchmark_targets_reads_its_chapters_from_the_file():
    import benchmark_targets as bt

    assert bt.NOTEBOOKS == {n: cm.notebook_name(cm.by_number(ROOT)[n]) for n in ("11", "12", "13")}
    assert all((ROOT / "results" / name).is_file() for name in bt.RESULT_FILES.values())


# --------------------------------------------------------------------------- the chapter template
TEMPLATE = ROOT / sync_links.TEMPLATE


@pytest.fixture(scope="module")
def template():
    assert TEMPLATE.is_file(), f"{sync_links.TEMPLATE.as_posix()} is missing"
    return nbio.read_notebook(TEMPLATE)


def test_the_template_is_valid_nbformat_without_outputs(template):
    nbformat.validate(template)
    for i, cell in nbio.code_cells(template):
        assert cell.outputs == [] and cell.execution_count is None, f"template cell {i} has stored outputs"
    assert TEMPLATE.read_text(encoding="utf-8") == nbio.dumps(template), "save the template as Jupyter writes it"


def test_the_template_follows_the_skeleton(template):
    import test_notebooks as contract  # the rules every chapter notebook is held to

    # Every rule except the file name (a placeholder) and "was executed" (a template has no outputs).
    skip = {contract.check_name, contract.check_executed}
    for check in contract.CHECKS:
        if check not in skip:
            assert check(template, sync_links.TEMPLATE_NAME) == [], check.__name__
    headings = [line[3:].strip() for _, c in nbio.markdown_cells(template)
                for line in nbio.source(c).splitlines() if line.startswith("## ")]
    order = ["Setup", "Theory", "Exercises", "Summary", "References"]
    assert [h for h in headings if h in order] == order, headings
    assert re.search(r"^### Exercise NN\.\d+ \(\w+; \d+ minutes\)", "\n".join(
        nbio.source(c) for _, c in nbio.markdown_cells(template)), re.M), "no '### Exercise NN.k (kind; N minutes)'"


def test_the_template_scratch_cell_runs_on_its_own(template):
    cells = nbio.code_cells(template, tag="scratch")
    assert cells, "the template shows a cell tagged 'scratch'"
    namespace: dict = {}
    for _, cell in cells:
        exec(compile(nbio.source(cell), "template[scratch]", "exec"), namespace)
