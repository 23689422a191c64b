"""Badges, install cells and the README chapter table follow pyproject.toml's Repository URL."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import sync_links  # noqa: E402

URL = sync_links.repo_url(ROOT)
TAG = sync_links.release_tag(ROOT)


def test_repository_url_is_a_github_url():
    assert sync_links.owner_repo(URL).count("/") == 1


def test_repository_is_in_sync():
    problems = sync_links.check(ROOT)
    assert not problems, (
        "links are out of step with pyproject.toml; run `python tools/sync_links.py`:\n  "
        + "\n  ".join(problems)
    )


def test_readme_lists_every_chapter():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split(sync_links.START_MARKER, 1)[1].split(sync_links.END_MARKER, 1)[0]
    for num, title, _ in sync_links.chapter_rows(ROOT):
        assert f"| {num} |" in table and title in table, f"chapter {num} ({title}) missing from the README table"


# --------------------------------------------------------------------------- on a scratch copy
def make_notebook(url: str, filename: str):
    """A minimal notebook with a correct badge and install cell, written as Jupyter would."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell(
            f"# Welcome\n\nA test chapter.\n\n{sync_links.badge_markdown(url, filename)}\n\n"
            "**Learning objectives**\n- one"
        ),
        nbformat.v4.new_code_cell(sync_links.install_cell_source(url), execution_count=1),
        nbformat.v4.new_code_cell("x = 1  # untouched", execution_count=2),
    ]
    return nb


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    """A copy of the repository's linked files, with a notebook 00 even if none exists yet."""
    for name in ("pyproject.toml", "README.md", "CONTRIBUTING.md", "mlcourse/course.json",
                 "mlcourse/medmnist_info.json", str(sync_links.TEMPLATE)):
        if (ROOT / name).exists():
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "*.py"))
    if not sync_links.notebook_paths(tmp_path):
        sync_links.write_notebook(make_notebook(URL, "00_welcome.ipynb"), tmp_path / "notebooks" / "00_welcome.ipynb")
    # Start clean even if the repository itself is out of step (test_repository_is_in_sync reports that).
    _, problems = sync_links.sync(tmp_path)
    assert problems == []
    return tmp_path


def first_notebook(root: Path) -> Path:
    return sync_links.notebook_paths(root)[0]


def test_altered_badge_is_reported_and_repaired(scratch: Path):
    path = first_notebook(scratch)
    before = path.read_text(encoding="utf-8")
    good = sync_links.colab_url(URL, path.name)
    bad = good.replace("/blob/main/", "/blob/master/")
    assert good in before
    path.write_text(before.replace(good, bad), encoding="utf-8")

    problems = sync_links.check(scratch)
    assert any(p.startswith(f"notebooks/{path.name}: cell 0: wrong Colab badge") for p in problems), problems
    assert sync_links.main(["--check", "--root", str(scratch)]) == 1

    changed, left = sync_links.sync(scratch)
    assert f"notebooks/{path.name}" in changed and not left
    assert sync_links.check(scratch) == []
    after = path.read_text(encoding="utf-8")
    assert nbformat.reads(after, nbformat.NO_CONVERT) == nbformat.reads(before, nbformat.NO_CONVERT), (
        "fixing the badge must restore the notebook exactly, everything else untouched"
    )


def test_altered_install_cell_is_reported_and_repaired(scratch: Path):
    path = first_notebook(scratch)
    nb = sync_links.read_notebook(path)
    code = next(c for c in nb.cells if c.cell_type == "code")
    assert f"@{TAG}\"" in code.source
    code.source = code.source.replace(f"@{TAG}\"", "@v0.0.1\"")
    sync_links.write_notebook(nb, path)

    assert any("canonical install cell" in p and f"@{TAG}'" in p for p in sync_links.check(scratch))
    sync_links.sync(scratch)
    assert sync_links.check(scratch) == []


def test_missing_badge_and_install_cell_are_added(scratch: Path):
    path = first_notebook(scratch)
    nb = sync_links.read_notebook(path)
    n_cells = len(nb.cells)
    nb.cells[0].source = "# A chapter\n\nNo badge here."
    nb.cells = [c for c in nb.cells if sync_links.INSTALL_CELL_TEMPLATE.splitlines()[0] not in c.source]
    sync_links.write_notebook(nb, path)

    problems = sync_links.check(scratch)
    assert any("no Colab badge" in p for p in problems) and any("install cell" in p for p in problems)
    sync_links.sync(scratch)
    assert sync_links.check(scratch) == []
    nb = sync_links.read_notebook(path)
    assert len(nb.cells) == n_cells
    assert nb.cells[0].source.splitlines()[:3] == ["# A chapter", "", sync_links.badge_markdown(URL, path.name)]
    assert nb.cells[1].source == sync_links.install_cell_source(URL)


def test_new_repository_url_propagates_everywhere(scratch: Path):
    """Changing the one URL in pyproject.toml flags everything; the tool updates everything."""
    pyproject = scratch / "pyproject.toml"
    new_url = "https://github.com/someone-else/fork"
    pyproject.write_text(pyproject.read_text(encoding="utf-8").replace(URL, new_url), encoding="utf-8")
    assert sync_links.repo_url(scratch) == new_url
    problems = sync_links.check(scratch)
    assert any(p.startswith("notebooks/") for p in problems)
    assert any(p.startswith("README.md") for p in problems)

    sync_links.sync(scratch)
    assert sync_links.check(scratch) == []
    text = "".join(p.read_text(encoding="utf-8") for p in sync_links.notebook_paths(scratch))
    text += (scratch / "README.md").read_text(encoding="utf-8")
    assert "someone-else/fork" in text and "medimg-course/mlcourse" not in text


def test_notebooks_are_written_as_jupyter_writes_them(scratch: Path):
    path = first_notebook(scratch)
    text = path.read_text(encoding="utf-8")
    assert text.endswith("}\n")
    assert text.startswith('{\n "cells": [')  # indent 1, sorted keys
    json.loads(text)


def test_readme_table_with_and_without_notebooks():
    n_chapters = len(sync_links.chapter_rows(ROOT))
    empty = sync_links.chapter_table(URL, [])
    assert empty.count("planned") == n_chapters and "colab-badge" not in empty
    one = sync_links.chapter_table(URL, ["03_knn.ipynb"])
    assert one.count("planned") == n_chapters - 1
    assert sync_links.badge_markdown(URL, "03_knn.ipynb") in one
    assert "[k-nearest neighbours](notebooks/03_knn.ipynb)" in one


def test_missing_markers_are_reported(scratch: Path):
    readme = scratch / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8").replace(sync_links.START_MARKER, ""), encoding="utf-8")
    assert any("markers" in p for p in sync_links.check(scratch))


def test_clone_commands_follow_the_url():
    wrong = "git clone https://github.com/old/place.git\n"
    assert sync_links.text_link_problems(wrong, URL)
    fixed = sync_links.fix_text_links(wrong, URL)
    assert fixed == f"git clone {URL}\n" and not sync_links.text_link_problems(fixed, URL)


def test_readme_table_comes_from_the_course_file(scratch: Path):
    """A title changed in mlcourse/course.json flags the README table; the tool rewrites it."""
    course = scratch / "mlcourse" / "course.json"
    doc = json.loads(course.read_text(encoding="utf-8"))
    doc["chapters"][3]["title"] = "Nearest neighbours, renamed"
    course.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    assert any("chapter table is out of date" in p for p in sync_links.check(scratch))
    changed, left = sync_links.sync(scratch)
    assert changed == ["README.md"] and not left
    readme = (scratch / "README.md").read_text(encoding="utf-8")
    assert "| 03 | [Nearest neighbours, renamed](notebooks/03_knn.ipynb) |" in readme


def test_extra_rows_for_notebooks_beyond_the_course_file():
    table = sync_links.chapter_table(URL, ["21_federated_learning.ipynb"], [("00", "Welcome", "data")])
    assert "| 21 | [Federated learning](notebooks/21_federated_learning.ipynb) | see the notebook |" in table
    assert "| 00 | Welcome | data | planned |" in table


def test_a_malformed_course_file_stops_the_tool_before_it_writes(scratch: Path, capsys):
    course = scratch / "mlcourse" / "course.json"
    course.write_text(course.read_text(encoding="utf-8").replace('"status": "implemented"', '"status": "soon"', 1),
                      encoding="utf-8")
    readme = (scratch / "README.md").read_bytes()
    assert sync_links.main(["--root", str(scratch)]) == 1
    assert "status 'soon' must be one of implemented, planned" in capsys.readouterr().err
    assert (scratch / "README.md").read_bytes() == readme


def test_the_template_keeps_a_placeholder_badge_and_the_install_cell(scratch: Path):
    template = scratch / sync_links.TEMPLATE
    if not template.exists():
        pytest.skip("no chapter template yet")
    nb = sync_links.read_notebook(template)
    assert sync_links.notebook_problems(nb, sync_links.TEMPLATE_NAME, URL) == []
    code = next(c for c in nb.cells if c.cell_type == "code")
    code.source = code.source.replace(f"@{TAG}\"", "@v0.0.1\"")
    sync_links.write_notebook(nb, template)
    assert any(p.startswith(f"{sync_links.TEMPLATE.as_posix()}: ") for p in sync_links.check(scratch))
    sync_links.sync(scratch)
    assert sync_links.check(scratch) == []
    assert template.read_bytes() == (ROOT / sync_links.TEMPLATE).read_bytes()


# --------------------------------------------------------------------------- the release tag
def test_the_install_cell_installs_the_release_tag_without_test_extras():
    version = sync_links.project_version(ROOT)
    assert TAG == f"v{version}", "with no [tool.mlcourse] release-tag, the tag is v<version>"
    cell = sync_links.install_cell_source(URL)
    assert f'"mlcourse @ git+{URL}@{TAG}"' in cell
    assert "[test]" not in cell
    assert cell.index(f"@{TAG}") < cell.index("@main"), "main is only the fallback"
    assert f'print("Installing mlcourse {TAG} from {URL}")' in cell
    assert cell == sync_links.install_cell_source(URL, TAG)


def run_install_cell(source: str, monkeypatch, on_colab: bool, tag_exists: bool = True) -> list:
    """Execute an install cell with subprocess.run replaced; return the commands it would have run."""
    import subprocess
    import types

    calls = []

    def fake_run(cmd, **kw):
        calls.append((cmd, kw))
        return subprocess.CompletedProcess(cmd, 0 if tag_exists or cmd[-1].endswith("@main") else 1)

    monkeypatch.setattr(subprocess, "run", fake_run)
    if on_colab:
        monkeypatch.setitem(sys.modules, "google", types.ModuleType("google"))
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    exec(compile(source, "<install cell>", "exec"), {})
    return calls


def test_the_install_cell_does_nothing_off_colab(monkeypatch, capsys):
    assert run_install_cell(sync_links.install_cell_source(URL, "v9.8.7"), monkeypatch, on_colab=False) == []
    assert capsys.readouterr().out == ""


def test_on_colab_the_install_cell_says_what_it_installs_and_pip_installs_the_tag(monkeypatch, capsys):
    calls = run_install_cell(sync_links.install_cell_source(URL, "v9.8.7"), monkeypatch, on_colab=True)
    assert capsys.readouterr().out == f"Installing mlcourse v9.8.7 from {URL}\n"
    ((cmd, kwargs),) = calls
    assert cmd == [sys.executable, "-m", "pip", "install", "-q", f"mlcourse @ git+{URL}@v9.8.7"]
    assert kwargs == {}


def test_on_colab_an_unpublished_tag_falls_back_to_main_and_says_so(monkeypatch, capsys):
    calls = run_install_cell(sync_links.install_cell_source(URL, "v9.8.7"), monkeypatch, on_colab=True,
                             tag_exists=False)
    assert "v9.8.7 could not be installed; installing the newest mlcourse (main) instead" in capsys.readouterr().out
    assert [cmd[-1] for cmd, _ in calls] == [f"mlcourse @ git+{URL}@v9.8.7", f"mlcourse @ git+{URL}@main"]
    assert calls[1][1] == {"check": True}


def test_a_new_version_moves_every_install_cell_to_its_tag(scratch: Path):
    pyproject = scratch / "pyproject.toml"
    version = sync_links.project_version(scratch)
    text = pyproject.read_text(encoding="utf-8")
    assert f'version = "{version}"' in text
    pyproject.write_text(text.replace(f'version = "{version}"', 'version = "7.0.0"', 1), encoding="utf-8")
    assert sync_links.release_tag(scratch) == "v7.0.0"
    n_linked = len(sync_links.linked_files(scratch))
    problems = sync_links.check(scratch)
    assert len([p for p in problems if "@v7.0.0'" in p]) == n_linked, problems

    changed, left = sync_links.sync(scratch)
    assert len(changed) == n_linked and not left
    for path, _ in sync_links.linked_files(scratch):
        text = path.read_text(encoding="utf-8")
        assert f"git+{URL}@v7.0.0" in text and f"git+{URL}@{TAG}" not in text


def test_a_fork_names_its_own_release_tag(scratch: Path):
    pyproject = scratch / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    if "[tool.mlcourse]" not in text:
        text += "\n[tool.mlcourse]\n"
    pyproject.write_text(text.replace("[tool.mlcourse]\n", '[tool.mlcourse]\nrelease-tag = "fork-0.2.0-1"\n', 1),
                         encoding="utf-8")
    assert sync_links.release_tag(scratch) == "fork-0.2.0-1"
    assert sync_links.check(scratch)
    sync_links.sync(scratch)
    assert sync_links.check(scratch) == []
    nb = sync_links.read_notebook(first_notebook(scratch))
    code = next(c for c in nb.cells if c.cell_type == "code")
    assert code.source == sync_links.install_cell_source(URL, "fork-0.2.0-1")


@pytest.mark.parametrize("bad", ["v1 .0", "v1..0", "-v1", 'v1"; import os', "v1.lock", ""])
def test_a_malformed_release_tag_is_refused_before_anything_is_written(scratch: Path, bad: str, capsys):
    pyproject = scratch / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    if "[tool.mlcourse]" not in text:
        text += "\n[tool.mlcourse]\n"
    escaped = bad.replace('"', '\\"')
    pyproject.write_text(text.replace("[tool.mlcourse]\n", f'[tool.mlcourse]\nrelease-tag = "{escaped}"\n', 1),
                         encoding="utf-8")
    if not bad:  # an empty release-tag means "use v<version>"
        assert sync_links.release_tag(scratch) == TAG
        return
    before = first_notebook(scratch).read_bytes()
    with pytest.raises(ValueError, match="is not a plain git tag name"):
        sync_links.release_tag(scratch)
    assert sync_links.main(["--root", str(scratch)]) == 1
    assert "release tag" in capsys.readouterr().err
    assert first_notebook(scratch).read_bytes() == before


def test_a_missing_version_is_a_clear_error(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "mlcourse"\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"no \[project\] version"):
        sync_links.release_tag(tmp_path)


def test_the_version_and_tag_are_read_without_tomllib(tmp_path: Path):
    """Python 3.10 has no tomllib; the small fallback parser reads the same values."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert sync_links._toml_string_without_tomllib(text, "project", "version") == sync_links.project_version(ROOT)
    fork = text.replace("[tool.mlcourse]\n", '[tool.mlcourse]\nrelease-tag = "v0.2.0-fork"\n', 1)
    assert sync_links._toml_string_without_tomllib(fork, "tool.mlcourse", "release-tag") == "v0.2.0-fork"
    assert sync_links._toml_string_without_tomllib(text, "tool.mlcourse", "release-tag") is None
