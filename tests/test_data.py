"""The data layer against a real HTTP server on 127.0.0.1 and real files: no mocks of the network."""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import shutil
import socket
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

from mlcourse import data, paths

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "medmnist"
FLAG = "breastmnist"  # small official split sizes (546/78/156): cheap to fake in the official format


# ----------------------------------------------------------------------------- fixtures


def make_npz(flag: str = FLAG, size: int = 28, seed: int = 0, **override) -> bytes:
    """Bytes of an .npz file in the official format of `flag` (random pixels), with optional overrides."""
    rng = np.random.default_rng(seed)
    entry = data.info(flag, size)
    arrays = {}
    for key, shape in data.expected_shapes(flag, size).items():
        if key.endswith("images"):
            arrays[key] = rng.integers(0, 256, size=shape, dtype=np.uint8)
        else:
            arrays[key] = rng.integers(0, len(entry["label"]), size=shape).astype(np.uint8)
    for key, value in override.items():
        if value is None:
            arrays.pop(key)
        else:
            arrays[key] = value
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()


class Server:
    """A real threaded HTTP server on 127.0.0.1 whose routes the tests set up."""

    def __init__(self) -> None:
        self.routes: dict[str, list] = {}
        self.hits: dict[str, int] = {}
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep pytest output clean
                pass

            def do_GET(self):
                path = self.path.split("?")[0]
                owner.hits[path] = owner.hits.get(path, 0) + 1
                plan = owner.routes.get(path, [("status", 404)])
                step = plan[min(owner.hits[path], len(plan)) - 1]
                kind, value = step
                try:
                    if kind == "status":
                        self.send_error(value)
                    elif kind == "body":
                        self.send_response(200)
                        self.send_header("Content-Length", str(len(value)))
                        self.end_headers()
                        self.wfile.write(value)
                    elif kind == "truncated":
                        self.send_response(200)
                        self.send_header("Content-Length", str(len(value)))
                        self.end_headers()
                        self.wfile.write(value[: len(value) // 3])
                        self.wfile.flush()
                        self.close_connection = True
                    elif kind == "stall":
                        self.send_response(200)
                        self.send_header("Content-Length", "1000000")
                        self.end_headers()
                        self.wfile.write(b"PK")
                        self.wfile.flush()
                        time.sleep(value)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = Server()
    yield s
    s.close()


@pytest.fixture(autouse=True)
def isolated_folders(tmp_path, monkeypatch):
    """Every test gets its own empty cache and no data folder or mirrors from the environment."""
    monkeypatch.setenv(paths.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.delenv(paths.DATA_ENV, raising=False)
    monkeypatch.delenv(paths.MIRRORS_ENV, raising=False)
    data._MD5_MEMO.clear()
    return tmp_path


def serve_as(server: Server, monkeypatch, payload: bytes, plan: list | None = None,
             md5: str | None = None, flag: str = FLAG) -> str:
    """Point the registry entry of `flag` (size 28) at the local server; return the expected MD5."""
    digest = md5 or hashlib.md5(payload).hexdigest()
    entry = dict(data.INFO[flag]["sizes"]["28"], url=f"{server.base}/{flag}.npz?download=1", md5=digest)
    monkeypatch.setitem(data.INFO[flag]["sizes"], "28", entry)
    server.routes[f"/{flag}.npz"] = plan or [("body", payload)]
    return digest


def folder_listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# ----------------------------------------------------------------------------- registry


def test_registry_covers_all_18_subsets_and_their_sizes():
    assert len(data.FLAGS) == 18
    assert sum(f.endswith("3d") for f in data.FLAGS) == 6
    for flag in data.FLAGS:
        sizes = data.available_sizes(flag)
        assert sizes == ((28, 64) if flag.endswith("3d") else (28, 64, 128, 224)), flag
        for size in sizes:
            entry = data.info(flag, size)
            assert entry["url"].startswith("https://zenodo.org/records/10519652/files/"), flag
            assert entry["url"].split("/")[-1].split("?")[0] == entry["file"]
            assert len(entry["md5"]) == 32 and int(entry["md5"], 16) >= 0
            assert entry["task"] in data.TASKS
            assert entry["n_channels"] in (1, 3)
            assert set(entry["n_samples"]) == set(data.SPLITS)


def test_registry_known_values_and_licences():
    pneu = data.info("PneumoniaMNIST")
    assert pneu["md5"] == "28209eda62fecd6e6a2d98b1501bb15f"
    assert pneu["n_samples"] == {"train": 4708, "val": 524, "test": 624}
    assert pneu["label"] == {"0": "normal", "1": "pneumonia"}
    assert data.info("retinamnist")["md5"] == "bd4c0672f1bba3e3a89f0e4e876791e4"
    assert data.info("adrenalmnist3d")["md5"] == "bbd3c5a5576322bc4cdfea780653b1ce"
    assert data.info("breastmnist", 224)["file"] == "breastmnist_224.npz"
    assert data.n_classes("chestmnist") == 14
    assert {f for f in data.FLAGS if data.INFO[f]["license"] != "CC BY 4.0"} == {"dermamnist"}


def test_registry_rejects_unknown_subset_and_size():
    with pytest.raises(ValueError, match="Valid names: pathmnist"):
        data.info("lungmnist")
    with pytest.raises(ValueError, match=r"sizes \(28, 64\), not 128"):
        data.info("nodulemnist3d", 128)


def test_expected_shapes_per_kind():
    assert data.expected_shapes("pneumoniamnist")["train_images"] == (4708, 28, 28)
    assert data.expected_shapes("retinamnist", 64)["test_images"] == (400, 64, 64, 3)
    assert data.expected_shapes("adrenalmnist3d")["val_images"] == (98, 28, 28, 28)
    assert data.expected_shapes("chestmnist")["test_labels"] == (22433, 14)


# ----------------------------------------------------------------------------- folders


def test_resolution_order_data_dir_then_mirrors_then_cache(tmp_path, monkeypatch):
    d, m, c = tmp_path / "d", tmp_path / "m", tmp_path / "cache"
    for folder in (d, m, c):
        folder.mkdir(exist_ok=True)
    payload = make_npz()
    (c / "breastmnist.npz").write_bytes(payload)
    assert data.locate(FLAG) == c / "breastmnist.npz"
    monkeypatch.setenv(paths.MIRRORS_ENV, str(m))
    (m / "breastmnist.npz").write_bytes(payload)
    assert data.locate(FLAG) == m / "breastmnist.npz"
    monkeypatch.setenv(paths.DATA_ENV, str(d))
    (d / "breastmnist.npz").write_bytes(payload)
    assert data.locate(FLAG) == d / "breastmnist.npz"
    assert data.search_path() == [d, m, c]


def test_cache_dir_follows_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(paths.CACHE_ENV, str(tmp_path / "x"))
    assert paths.cache_dir() == tmp_path / "x"
    monkeypatch.delenv(paths.CACHE_ENV)
    assert paths.cache_dir().name == "mlcourse"


# ----------------------------------------------------------------------------- download


def test_normal_download_lands_in_cache_and_loads(server, monkeypatch, isolated_folders):
    payload = make_npz()
    serve_as(server, monkeypatch, payload)
    ds = data.load(FLAG, retries=0)
    cache = isolated_folders / "cache"
    assert folder_listing(cache) == ["breastmnist.npz"]
    assert (cache / "breastmnist.npz").read_bytes() == payload
    assert ds.official and ds.train[0].shape == (546, 28, 28) and ds.test[1].shape == (156, 1)
    # A second load uses the cached file: the server is not asked again.
    data.load(FLAG)
    assert server.hits["/breastmnist.npz"] == 1


def test_download_goes_to_data_dir_when_set(server, monkeypatch, tmp_path):
    serve_as(server, monkeypatch, make_npz())
    monkeypatch.setenv(paths.DATA_ENV, str(tmp_path / "course-data"))
    data.load(FLAG, retries=0)
    assert folder_listing(tmp_path / "course-data") == ["breastmnist.npz"]


def test_503_then_success_is_retried(server, monkeypatch, isolated_folders):
    payload = make_npz()
    serve_as(server, monkeypatch, payload, plan=[("status", 503), ("status", 503), ("body", payload)])
    path = data.download(FLAG, retries=3, backoff=0.01, progress=False)
    assert server.hits["/breastmnist.npz"] == 3
    assert path.read_bytes() == payload
    assert folder_listing(path.parent) == ["breastmnist.npz"]


def assert_clean_failure(excinfo, folder: Path, *fragments: str) -> None:
    """A failed download: one clear message with URL, MD5, folder and advice; nothing left behind."""
    message = str(excinfo.value)
    entry = data.info(FLAG)
    for text in (entry["url"], entry["md5"], "MLCOURSE_DATA_DIR", "by hand", "breastmnist.npz", *fragments):
        assert text in message, f"{text!r} missing from:\n{message}"
    assert folder_listing(folder) == [], "a failed download left files behind"


def test_404_fails_at_once_with_instructions(server, monkeypatch, isolated_folders):
    serve_as(server, monkeypatch, make_npz(), plan=[("status", 404)])
    with pytest.raises(data.DownloadError) as excinfo:
        data.download(FLAG, retries=3, backoff=0.01, progress=False)
    assert server.hits["/breastmnist.npz"] == 1, "a 404 must not be retried"
    assert_clean_failure(excinfo, isolated_folders / "cache", "HTTP 404")


def test_503_forever_gives_up_after_retries(server, monkeypatch, isolated_folders):
    serve_as(server, monkeypatch, make_npz(), plan=[("status", 503)])
    with pytest.raises(data.DownloadError) as excinfo:
        data.download(FLAG, retries=2, backoff=0.01, progress=False)
    assert server.hits["/breastmnist.npz"] == 3
    assert_clean_failure(excinfo, isolated_folders / "cache", "HTTP 503", "after 3 attempts")


def test_truncated_body_is_detected_and_removed(server, monkeypatch, isolated_folders):
    payload = make_npz()
    serve_as(server, monkeypatch, payload, plan=[("truncated", payload)])
    with pytest.raises(data.DownloadError) as excinfo:
        data.download(FLAG, retries=1, backoff=0.01, progress=False)
    assert server.hits["/breastmnist.npz"] == 2
    assert_clean_failure(excinfo, isolated_folders / "cache", "before the end of the file")


def test_truncated_then_complete_succeeds(server, monkeypatch):
    payload = make_npz()
    serve_as(server, monkeypatch, payload, plan=[("truncated", payload), ("body", payload)])
    path = data.download(FLAG, retries=1, backoff=0.01, progress=False)
    assert path.read_bytes() == payload


def test_wrong_checksum_is_refused_and_removed(server, monkeypatch, isolated_folders):
    serve_as(server, monkeypatch, make_npz(), md5="0" * 32)
    with pytest.raises(data.DownloadError) as excinfo:
        data.download(FLAG, retries=2, backoff=0.01, progress=False)
    assert server.hits["/breastmnist.npz"] == 1
    assert_clean_failure(excinfo, isolated_folders / "cache", "checksum mismatch")


def test_stalled_server_times_out(server, monkeypatch, isolated_folders):
    serve_as(server, monkeypatch, make_npz(), plan=[("stall", 3.0)])
    start = time.monotonic()
    with pytest.raises(data.DownloadError) as excinfo:
        data.download(FLAG, timeout=0.5, retries=1, backoff=0.01, progress=False)
    assert time.monotonic() - start < 2.9, "the time-out did not cut the stalled transfer short"
    assert_clean_failure(excinfo, isolated_folders / "cache", "time-out")


def test_no_server_at_all(monkeypatch, isolated_folders):
    with socket.socket() as s:  # a port that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    entry = dict(data.INFO[FLAG]["sizes"]["28"], url=f"http://127.0.0.1:{port}/breastmnist.npz")
    monkeypatch.setitem(data.INFO[FLAG]["sizes"], "28", entry)
    with pytest.raises(data.DownloadError) as excinfo:
        data.load(FLAG, retries=1)
    assert_clean_failure(excinfo, isolated_folders / "cache", "network error", "refused")


def test_download_false_explains_where_it_looked(tmp_path):
    with pytest.raises(data.DataError, match="download=False") as excinfo:
        data.load(FLAG, download=False, data_dir=tmp_path / "empty")
    assert "cache" in str(excinfo.value) and data.info(FLAG)["md5"] in str(excinfo.value)


# ----------------------------------------------------------------------------- local files


def test_unofficial_but_valid_file_loads_with_warning(tmp_path):
    path = tmp_path / "breastmnist.npz"
    path.write_bytes(make_npz(seed=1))
    with pytest.warns(data.UnofficialFileWarning) as record:
        ds = data.load(FLAG, data_dir=tmp_path, download=False)
    message = str(record[0].message)
    assert "breastmnist.npz" in message and data.info(FLAG)["md5"] in message
    assert not ds.official and ds.val[0].shape == (78, 28, 28)


@pytest.mark.parametrize("override, check", [
    ({"train_labels": None}, "check 'keys' failed"),
    ({"extra": np.zeros(3)}, "unexpected ['extra']"),
    ({"train_images": np.zeros((546, 28, 28), np.float32)}, "check 'dtype' failed: train_images is float32"),
    ({"val_labels": np.zeros((78, 1), np.float64)}, "check 'dtype' failed: val_labels"),
    ({"test_images": np.zeros((156, 32, 32), np.uint8)}, "check 'shape' failed: test_images"),
    ({"test_images": np.zeros((150, 28, 28), np.uint8)}, "check 'split size' failed"),
    ({"train_labels": np.full((546, 1), 2, np.uint8)}, "check 'label range' failed"),
])
def test_invalid_files_are_refused_naming_the_check(tmp_path, override, check):
    path = tmp_path / "breastmnist.npz"
    path.write_bytes(make_npz(**override))
    with pytest.raises(data.InvalidFileError) as excinfo:
        data.load(FLAG, data_dir=tmp_path, download=False)
    assert check in str(excinfo.value)
    assert "breastmnist.npz" in str(excinfo.value) and data.info(FLAG)["md5"] in str(excinfo.value)


def test_pickled_object_arrays_are_refused(tmp_path):
    buf = io.BytesIO()
    np.savez(buf, **{k: np.array([{"evil": 1}], dtype=object) for k in data.KEYS})
    (tmp_path / "breastmnist.npz").write_bytes(buf.getvalue())
    with pytest.raises(data.InvalidFileError, match="check 'readable' failed"):
        data.load(FLAG, data_dir=tmp_path, download=False)


def test_not_a_zip_is_refused(tmp_path):
    (tmp_path / "breastmnist.npz").write_bytes(b"<html>Service unavailable</html>")
    with pytest.raises(data.InvalidFileError, match="not a readable .npz"):
        data.load(FLAG, data_dir=tmp_path, download=False)


@pytest.mark.skipif(not SHARED.is_dir(), reason="the course's shared data folder is not beside the repo")
@pytest.mark.parametrize("flag, official", [("retinamnist", True), ("adrenalmnist3d", True),
                                            ("breastmnist", False), ("pneumoniamnist", False)])
def test_the_real_offline_copies(tmp_path, flag, official):
    shutil.copy(SHARED / f"{flag}.npz", tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = data.load(flag, data_dir=tmp_path, download=False)
    unofficial = [w for w in caught if issubclass(w.category, data.UnofficialFileWarning)]
    assert ds.official is official and bool(unofficial) is not official
    assert data.verify_file(tmp_path / f"{flag}.npz", flag) == ("official" if official else "unofficial")
    x, y = ds.test
    assert x.shape[0] == data.info(flag)["n_samples"]["test"] == y.shape[0]


# ----------------------------------------------------------------------------- licences


def test_licence_and_citation_printed_once(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(data, "_ANNOUNCED", set())
    (tmp_path / "breastmnist.npz").write_bytes(make_npz())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data.load(FLAG, data_dir=tmp_path, download=False)
        data.load(FLAG, data_dir=tmp_path, download=False)
    out = capsys.readouterr().out
    assert out.count("CC BY 4.0") == 1 and "Al-Dhabyani" in out and "Yang et al." in out


def test_dermamnist_warns_non_commercial(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(data, "_ANNOUNCED", set())
    (tmp_path / "dermamnist.npz").write_bytes(make_npz("dermamnist", seed=3))
    warnings.simplefilter("ignore", data.UnofficialFileWarning)
    with pytest.warns(data.NonCommercialLicenseWarning, match="non-commercial"):
        data.load("dermamnist", data_dir=tmp_path, download=False)
    assert "CC BY-NC 4.0" in capsys.readouterr().out


def test_summary_and_label_names(tmp_path):
    (tmp_path / "breastmnist.npz").write_bytes(make_npz())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = data.load(FLAG, data_dir=tmp_path, download=False)
    assert ds.label_names == ["malignant", "normal, benign"]
    lines = ds.summary().splitlines()
    assert lines[0].startswith("BreastMNIST") and len(lines) == 4
    with pytest.raises(ValueError, match="Unknown split"):
        ds.split("validation")


def test_registry_json_is_the_single_source():
    raw = json.loads((Path(data.__file__).parent / "medmnist_info.json").read_text("utf-8"))
    assert set(raw["subsets"]) == set(data.FLAGS)
