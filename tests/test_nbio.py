"""tools/nbio.py: notebooks are read as stored and written back exactly as Jupyter writes them."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import nbio  # noqa: E402

NOTEBOOKS = nbio.chapter_notebooks(ROOT / "notebooks")
TEMPLATE = ROOT / "docs" / "templates" / "chapter_template.ipynb"


def small_notebook():
    v4 = nbformat.v4
    params = v4.new_code_cell("EPOCHS = 2\nSEED = 0", execution_count=1,
                              outputs=[v4.new_output("stream", name="stdout", text="one\ntwo\n")])
    params.metadata["tags"] = ["parameters"]
    nb = v4.new_notebook(cells=[v4.new_markdown_cell("# 99. Test\n\nÄrzte and 28×28 images."), params,
                                v4.new_code_cell("x = 1")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


@pytest.mark.parametrize("path", NOTEBOOKS + ([TEMPLATE] if TEMPLATE.exists() else []), ids=lambda p: p.name)
def test_reading_and_writing_back_gives_the_same_bytes(path, tmp_path):
    nb = nbio.read_notebook(path)
    out = tmp_path / path.name
    nbio.write_notebook(out, nb)
    assert out.read_bytes() == path.read_bytes()


def test_the_format_is_jupyters(tmp_path):
    nb = small_notebook()
    path = tmp_path / "nb.ipynb"
    nbio.write_notebook(path, nb)
    text = path.read_text(encoding="utf-8")
    assert text == nbformat.writes(nb) + "\n"          # indent 1, sorted keys, lines split, non-ASCII kept
    assert text.startswith('{\n "cells": [') and "Ärzte" in text and "\r\n" not in text
    assert json.loads(text)["cells"][1]["outputs"][0]["text"] == ["one\n", "two\n"]


def test_sources_are_strings_and_cells_are_attribute_dicts(tmp_path):
    path = tmp_path / "nb.ipynb"
    nbio.write_notebook(path, small_notebook())
    nb = nbio.read_notebook(path)
    assert nb.cells[1].source == "EPOCHS = 2\nSEED = 0" and nb["cells"][1]["source"] == nb.cells[1].source
    assert nbio.source({"source": ["a\n", "b"]}) == "a\nb" and nbio.source({}) == ""
    assert [i for i, _ in nbio.code_cells(nb)] == [1, 2]
    assert [i for i, _ in nbio.code_cells(nb, tag="parameters")] == [1]
    assert [i for i, _ in nbio.markdown_cells(nb)] == [0]
    assert nbio.code_text(nb) == "EPOCHS = 2\nSEED = 0\n\nx = 1"


def test_reading_adds_and_upgrades_nothing(tmp_path):
    cell = {"cell_type": "code", "metadata": {}, "source": ["x = 1"], "outputs": [], "execution_count": None}
    raw = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 4}
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps(raw), encoding="utf-8")
    nb = nbio.read_notebook(path)
    assert "id" not in nb.cells[0] and nb.nbformat_minor == 4
    assert json.loads(nbio.dumps(nb)) == raw


@pytest.mark.parametrize("text, message", [
    ("{not json", "is not valid JSON"),
    ('{"metadata": {}}', "has no list of 'cells'"),
    ('{"cells": [], "nbformat": 3}', "nbformat 3"),
])
def test_bad_files_are_refused_with_the_path(tmp_path, text, message):
    path = tmp_path / "bad.ipynb"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=message) as info:
        nbio.read_notebook(path)
    assert "bad.ipynb" in str(info.value)


def test_chapter_notebooks_are_the_numbered_ones_in_order(tmp_path):
    for name in ("10_b.ipynb", "02_a.ipynb", "template.ipynb", "2_c.ipynb"):
        (tmp_path / name).write_text("{}", encoding="utf-8")
    assert [p.name for p in nbio.chapter_notebooks(tmp_path)] == ["02_a.ipynb", "10_b.ipynb"]
