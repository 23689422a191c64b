"""Instructors assign a chapter on another dataset by overriding its `parameters` cell with papermill.

These tests run chapters in fast mode with the overrides an instructor would use, as
`papermill notebooks/11_cnn.ipynb out.ipynb -p DATASET breastmnist` does, and check that every
cell runs. The parameters cells themselves must hold plain values, so that `-p NAME value` works.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

papermill = pytest.importorskip("papermill")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import benchmark_targets  # noqa: E402
import course_metadata  # noqa: E402

NOTEBOOKS = ROOT / "notebooks"
RUNS = [
    ("11", {"DATASET": "breastmnist"}),
    ("11", {"DATASET": "retinamnist"}),
    ("13", {"EPOCHS": 1, "DATASET": "breastmnist", "FLIP": False}),   # a plain EPOCHS and a binary subset
    ("07", {"DATASET": "retinamnist"}),                               # colour, five classes
    ("03", {"DATASET": "breastmnist"}),                               # positive class 0 (malignant)
    ("05", {"DATASET": "breastmnist"}),
    ("08", {"DATASET": "breastmnist"}),
    ("10", {"DATASET": "breastmnist"}),
    ("16", {"EPOCHS": 1, "WIDTH": 8}),                                # a narrower U-Net
    ("17", {"WIDTH": 4, "STRIDE": 4, "TOP_K": 5}),                    # a coarser heat map, fewer detections
    ("18", {"SLICE_AXIS": 3, "GRU_UNITS": 8, "HIDDEN": 8}),          # another slice axis, smaller recurrent cells
    ("19", {"ALPHA": 0.2, "REFER": 0.2, "PSEUDO_THRESHOLD": 0.8, "OCCLUSION_PATCH": 4}),   # other risk levels
    ("20", {"N_DEVICES": 4, "DIST_BATCH": 64, "AUG_COPIES": 1, "DASK_WORKERS": 1}),   # four faked devices
]


def _notebook(chapter: str) -> Path:
    return NOTEBOOKS / course_metadata.notebook_name(course_metadata.by_number(ROOT)[chapter])


@pytest.mark.parametrize("chapter", ["03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "14", "15",
                                     "16", "17", "18", "19", "20"])
def test_parameters_are_plain_values_papermill_can_override(chapter):
    """No dicts or lists of settings that `-p NAME value` could not replace as a whole."""
    for fast in (True, False):
        for name, value in benchmark_targets.notebook_parameters(_notebook(chapter), fast=fast).items():
            assert not isinstance(value, dict), f"chapter {chapter}: parameter {name} is a dict; split it"


@pytest.mark.parametrize("chapter, parameters", RUNS, ids=[f"{c}-{'-'.join(map(str, p.values()))}" for c, p in RUNS])
def test_chapter_runs_with_other_parameters(chapter, parameters, tmp_path, monkeypatch):
    monkeypatch.setenv("MLCOURSE_FAST", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("MLCOURSE_RESULTS_DIR", str(tmp_path / "results"))
    out = tmp_path / "out.ipynb"
    nb = papermill.execute_notebook(str(_notebook(chapter)), str(out), parameters=parameters, kernel_name="python3",
                                    cwd=str(NOTEBOOKS), progress_bar=False)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and all(f"{k} = " in injected[0].source for k in parameters)
    assert not (tmp_path / "results").exists()          # fast mode records nothing
