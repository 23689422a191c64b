"""data_scripts/prefetch.py and verify.py, run for real against the local test server and real files."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_data import SHARED, Server, make_npz, serve_as

from mlcourse import data, paths

ROOT = Path(__file__).resolve().parents[1]


def load_script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "data_scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


prefetch, verify = load_script("prefetch"), load_script("verify")


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    monkeypatch.setenv(paths.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.delenv(paths.DATA_ENV, raising=False)


@pytest.fixture
def server():
    s = Server()
    yield s
    s.close()


def test_prefetch_downloads_then_skips(server, monkeypatch, tmp_path, capsys):
    serve_as(server, monkeypatch, make_npz())
    dest = tmp_path / "classroom"
    assert prefetch.main(["--flags", "breastmnist", "--dest", str(dest), "--retries", "0"]) == 0
    assert (dest / "breastmnist.npz").is_file()
    assert prefetch.main(["--flags", "breastmnist", "--dest", str(dest)]) == 0
    out = capsys.readouterr().out
    assert "got   breastmnist.npz" in out and "have  breastmnist.npz (official)" in out
    assert server.hits["/breastmnist.npz"] == 1


def test_prefetch_reports_failure_and_leaves_nothing(server, monkeypatch, tmp_path, capsys):
    serve_as(server, monkeypatch, make_npz(), plan=[("status", 404)])
    dest = tmp_path / "classroom"
    assert prefetch.main(["--flags", "breastmnist", "--dest", str(dest), "--retries", "0"]) == 1
    assert list(dest.iterdir()) == []
    assert "by hand" in capsys.readouterr().err


def test_prefetch_rejects_unknown_subset(tmp_path):
    with pytest.raises(SystemExit):
        prefetch.main(["--flags", "lungmnist", "--dest", str(tmp_path)])


def test_verify_folder_classifies_files(tmp_path):
    (tmp_path / "breastmnist.npz").write_bytes(make_npz())
    (tmp_path / "retinamnist.npz").write_bytes(b"not a zip")
    (tmp_path / "notes.npz").write_bytes(b"")
    rows, ok = verify.verify_folder(tmp_path, require=["pneumoniamnist"])
    status = {name: st for name, st, _ in rows}
    assert status == {"breastmnist.npz": "unofficial", "retinamnist.npz": "INVALID",
                      "notes.npz": "unknown", "pneumoniamnist.npz": "MISSING"}
    assert not ok


@pytest.mark.skipif(not SHARED.is_dir(), reason="the course's shared data folder is not beside the repo")
def test_verify_command_on_the_offline_copies(tmp_path):
    for f in SHARED.glob("*.npz"):
        shutil.copy(f, tmp_path)
    run = subprocess.run([sys.executable, str(ROOT / "data_scripts" / "verify.py"), str(tmp_path),
                          "--require", "pneumoniamnist", "breastmnist", "retinamnist", "adrenalmnist3d"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "retinamnist.npz" in run.stdout and "official" in run.stdout
    assert "pneumoniamnist.npz  unofficial" in run.stdout


def _header_lie() -> bytes:
    """A tiny .npz whose train_images header claims a trillion pixels (MemoryError in a naive reader)."""
    import io
    import zipfile

    import numpy as np

    buf, npy = io.BytesIO(), io.BytesIO()
    np.lib.format.write_array_header_1_0(npy, {"descr": "|u1", "fortran_order": False, "shape": (10 ** 12,)})
    with zipfile.ZipFile(buf, "w") as zf:
        for key in data.KEYS:
            zf.writestr(f"{key}.npy", npy.getvalue())
    return buf.getvalue()


def test_prefetch_replaces_a_broken_file(server, monkeypatch, tmp_path, capsys):
    payload = make_npz()
    serve_as(server, monkeypatch, payload)
    dest = tmp_path / "classroom"
    dest.mkdir()
    (dest / "breastmnist.npz").write_bytes(_header_lie())
    assert prefetch.main(["--flags", "breastmnist", "--dest", str(dest), "--retries", "0", "--deadline", "30"]) == 0
    out = capsys.readouterr().out
    assert "bad   breastmnist.npz" in out and "got   breastmnist.npz" in out
    assert (dest / "breastmnist.npz").read_bytes() == payload
    assert sorted(p.name for p in dest.iterdir()) == ["breastmnist.npz"]


def test_verify_reports_a_broken_file_and_goes_on(tmp_path):
    (tmp_path / "adrenalmnist3d.npz").write_bytes(_header_lie())
    (tmp_path / "breastmnist.npz").write_bytes(make_npz())
    (tmp_path / "chestmnist.npz").write_bytes(b"<!DOCTYPE html><html>login</html>")
    rows, ok = verify.verify_folder(tmp_path)
    status = {name: st for name, st, _ in rows}
    assert status == {"adrenalmnist3d.npz": "INVALID", "breastmnist.npz": "unofficial", "chestmnist.npz": "INVALID"}
    detail = {name: d for name, _, d in rows}
    assert "check 'sizes' failed" in detail["adrenalmnist3d.npz"]
    assert "looks like a web page" in detail["chestmnist.npz"] and "pickle" not in detail["chestmnist.npz"]
    assert not ok
