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
from peak_memory import peak_mb

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
        self.sent = 0
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
                        self.send_header("Content-Length", "100000")
                        self.end_headers()
                        self.wfile.write(b"PK")
                        self.wfile.flush()
                        time.sleep(value)
                    elif kind == "trickle":  # one byte every 0.3 s, giving up after 30 s
                        self.send_response(200)
                        self.send_header("Content-Length", str(len(value)))
                        self.end_headers()
                        for i in range(100):
                            self.wfile.write(value[i:i + 1])
                            self.wfile.flush()
                            time.sleep(0.3)
                    elif kind == "endless":  # a valid start, then zeros until the client hangs up
                        self.send_response(200)
                        self.end_headers()
                        self.wfile.write(value)
                        for _ in range(800):  # at most 50 MB, so that a broken client cannot hang the test
                            self.wfile.write(bytes(1 << 16))
                            owner.sent += 1 << 16
                    elif kind == "announce":  # a Content-Length far larger than any MedMNIST file
                        self.send_response(200)
                        self.send_header("Content-Length", str(10 ** 10))
                        self.end_headers()
                        self.wfile.write(value)
                    elif kind in ("html", "typed"):
                        content_type, body = value
                        self.send_response(200)
                        self.send_header("Content-Type", content_type)
                        self.send_header("Content-Length", str(len(body)))
                        self.end_headers()
                        self.wfile.write(body)
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
    entry = dict(data.INFO[flag]["sizes"]["28"], url=f"{server.base}/{flag}.npz?download=1", md5=digest,
                 bytes=len(payload))
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


def test_unofficial_but_valid_file_loads_with_one_short_note(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(data, "_NOTED", set())
    path = tmp_path / "breastmnist.npz"
    path.write_bytes(make_npz(seed=1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")              # a note, not a warning box per load
        ds = data.load(FLAG, data_dir=tmp_path, download=False)
        data.load(FLAG, data_dir=tmp_path, download=False)
    notes = [line for line in capsys.readouterr().out.splitlines() if line.startswith("Note:")]
    assert len(notes) == 1, "one line per file and session"
    assert "breastmnist.npz is not the official BreastMNIST file" in notes[0]
    assert data.info(FLAG)["md5"][:8] in notes[0] and "ds.official is False" in notes[0]
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
    with pytest.raises(data.InvalidFileError, match="check 'plain arrays' failed") as excinfo:
        data.load(FLAG, data_dir=tmp_path, download=False)
    assert "allow_pickle" not in str(excinfo.value) and "pickle.load" not in str(excinfo.value)


@pytest.mark.parametrize("body, what", [
    (b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head></html>", "it looks like a web page"),
    (b"\n  <html>Service unavailable</html>", "it looks like a web page"),
    (b"\x80\x04\x95 a pickle, not an archive", "it is not a zip archive"),
    (b"", "it is not a zip archive"),
])
def test_web_page_or_junk_saved_as_npz_gets_safe_advice(tmp_path, body, what):
    (tmp_path / "breastmnist.npz").write_bytes(body)
    with pytest.raises(data.InvalidFileError) as excinfo:
        data.load(FLAG, data_dir=tmp_path, download=False)
    message = str(excinfo.value)
    assert f"not a MedMNIST .npz file ({what})" in message
    assert message.count("elete it") == 1, "the advice is given once"
    assert "pickle" not in message.lower(), "the message must never suggest unsafe loading"
    with pytest.raises(data.InvalidFileError, match="delete it and download again"):
        data.read_npz(tmp_path / "breastmnist.npz")


@pytest.mark.skipif(not SHARED.is_dir(), reason="the course's shared data folder is not beside the repo")
@pytest.mark.parametrize("flag, official", [("retinamnist", True), ("adrenalmnist3d", True),
                                            ("breastmnist", False), ("pneumoniamnist", False)])
def test_the_real_offline_copies(tmp_path, flag, official, capsys, monkeypatch):
    monkeypatch.setattr(data, "_NOTED", set())
    shutil.copy(SHARED / f"{flag}.npz", tmp_path)
    ds = data.load(flag, data_dir=tmp_path, download=False)
    noted = "is not the official" in capsys.readouterr().out
    assert ds.official is official and noted is not official
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


# ----------------------------------------------------------------------------- hostile servers


def test_trickling_server_hits_the_overall_deadline(server, monkeypatch, isolated_folders):
    payload = make_npz()
    serve_as(server, monkeypatch, payload, plan=[("trickle", payload)])
    with pytest.raises(data.DownloadError) as excinfo:
        data.download(FLAG, timeout=5.0, deadline=1.0, retries=2, backoff=0.01, progress=False)
    assert server.hits["/breastmnist.npz"] == 1, "a download past its deadline must not be retried"
    assert_clean_failure(excinfo, isolated_folders / "cache", "too slow", "deadline of 1 s", "deadline=")


def test_default_deadline_grows_with_the_file():
    assert data.default_deadline(FLAG) == data.MIN_DEADLINE
    big = data.max_file_bytes("pathmnist", 224)
    assert big > 10 ** 10 and data.default_deadline("pathmnist", 224) == big / data.SLOWEST_RATE
    with pytest.raises(ValueError, match="deadline must be a finite number of seconds > 0"):
        data.download(FLAG, deadline=0, progress=False)
    with pytest.raises(ValueError, match="timeout must be"):
        data.download(FLAG, timeout=float("nan"), progress=False)


def test_byte_cap_known_size_and_ceiling_from_shapes(monkeypatch):
    assert data.info("retinamnist")["bytes"] == (SHARED / "retinamnist.npz").stat().st_size \
        if SHARED.is_dir() else data.info("retinamnist")["bytes"] == 3291041
    assert data.max_file_bytes("retinamnist") == 3291041 + data._ZIP_SLACK
    entry = {k: v for k, v in data.INFO[FLAG]["sizes"]["28"].items() if k != "bytes"}
    monkeypatch.setitem(data.INFO[FLAG]["sizes"], "28", entry)
    raw = sum(np.prod(s) * (1 if k.endswith("images") else 8) for k, s in data.expected_shapes(FLAG).items())
    assert raw < data.max_file_bytes(FLAG) < raw * 1.01 + 10 ** 5


@pytest.mark.parametrize("registered", [True, False])
def test_endless_body_stops_at_the_byte_cap(server, monkeypatch, isolated_folders, registered):
    payload = make_npz()
    serve_as(server, monkeypatch, payload, plan=[("endless", payload)])
    if not registered:  # no size in the registry: the ceiling comes from the official array shapes
        entry = {k: v for k, v in data.INFO[FLAG]["sizes"]["28"].items() if k != "bytes"}
        monkeypatch.setitem(data.INFO[FLAG]["sizes"], "28", entry)
    limit = data.max_file_bytes(FLAG)
    with pytest.raises(data.DownloadError) as excinfo:
        data.download(FLAG, retries=2, backoff=0.01, progress=False)
    assert_clean_failure(excinfo, isolated_folders / "cache", "the server sent more bytes than the file has")
    stopped = int(str(excinfo.value).split("stopped after ")[1].split(" ")[0])
    assert limit < stopped <= limit + (1 << 16)
    assert server.hits["/breastmnist.npz"] == 1


def test_announced_length_beyond_the_cap_is_refused_at_once(server, monkeypatch, isolated_folders):
    serve_as(server, monkeypatch, make_npz(), plan=[("announce", b"PK\x03\x04")])
    with pytest.raises(data.DownloadError) as excinfo:
        data.download(FLAG, retries=2, backoff=0.01, progress=False)
    assert_clean_failure(excinfo, isolated_folders / "cache", "announces 10000000000 bytes")
    assert server.hits["/breastmnist.npz"] == 1


@pytest.mark.parametrize("content_type, body", [
    ("text/html; charset=utf-8", b"<!DOCTYPE html><html><body>Please log in to the campus Wi-Fi</body></html>"),
    ("application/octet-stream", b"\n<html><head><title>Portal</title></head><body>" + b"x" * 2000 + b"</body></html>"),
    ("text/html", b"Access denied"),
])
def test_web_page_instead_of_the_file(server, monkeypatch, isolated_folders, content_type, body):
    serve_as(server, monkeypatch, make_npz(), plan=[("html", (content_type, body))])
    with pytest.raises(data.DownloadError) as excinfo:
        data.load(FLAG, retries=2)
    assert_clean_failure(excinfo, isolated_folders / "cache", "the server sent a web page, not the file")
    assert server.hits["/breastmnist.npz"] == 1


def test_other_junk_is_refused_before_the_checksum(server, monkeypatch, isolated_folders):
    serve_as(server, monkeypatch, make_npz(), plan=[("typed", ("application/octet-stream", b"\0" * 4000))])
    with pytest.raises(data.DownloadError) as excinfo:
        data.download(FLAG, retries=1, backoff=0.01, progress=False)
    assert_clean_failure(excinfo, isolated_folders / "cache", "not a zip archive")


def _dead_pid() -> int:
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_stale_part_files_of_that_file_are_removed(server, monkeypatch, isolated_folders):
    import os

    payload = make_npz()
    serve_as(server, monkeypatch, payload)
    cache = isolated_folders / "cache"
    cache.mkdir()
    dead, host = _dead_pid(), data._HOST
    stale = [f"breastmnist.npz.part-{host}-{dead}-deadbeef", "breastmnist.npz.part-0123abcd"]
    kept = [f"breastmnist.npz.part-{host}-{os.getpid()}-0badf00d",  # a live writer (this process)
            f"breastmnist.npz.part-otherhost-{dead}-12345678",      # another machine's, recently written
            f"retinamnist.npz.part-{host}-{dead}-deadbeef",         # another file's
            "breastmnist.npz.partial-notes"]                         # not a part file at all
    for name in stale + kept:
        (cache / name).write_bytes(b"PK half a file")
    old = time.time() - 3600
    os.utime(cache / stale[1], (old, old))  # an old-style name, untouched for an hour
    ds = data.load(FLAG, retries=0)
    assert ds.official
    assert folder_listing(cache) == sorted(["breastmnist.npz", *kept])
    assert data.remove_stale_parts(cache, "breastmnist.npz") == []


# ----------------------------------------------------------------------------- hostile files


def _npy(shape, descr: str = "|u1", data_bytes: bytes = b"") -> bytes:
    """A .npy member whose header claims `shape`, followed by whatever bytes are given."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": descr, "fortran_order": False, "shape": tuple(shape)})
    return buf.getvalue() + data_bytes


def _zip(members: dict[str, bytes]) -> bytes:
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, raw in members.items():
            zf.writestr(name + ".npy", raw)
    return buf.getvalue()


def _official_members(**override) -> dict[str, bytes]:
    members = {}
    for key, shape in data.expected_shapes(FLAG).items():
        buf = io.BytesIO()
        np.lib.format.write_array(buf, np.zeros(shape, np.uint8))
        members[key] = buf.getvalue()
    members.update(override)
    return members


@pytest.mark.parametrize("members, check", [
    ({"train_images": _npy((10 ** 12,))}, "header describes a (1000000000000,) uint8 array"),
    ({"train_images": _npy((4708, 28, 28), data_bytes=b"\0" * 4708 * 784)}, "check 'split size' failed"),
    ({"train_images": _npy((546, 28, 28), data_bytes=b"\0" * 10)}, "check 'sizes' failed: train_images.npy"),
    ({"val_labels": _npy((78, 1), "|O")}, "check 'plain arrays' failed"),
    ({"test_labels": _npy((156, 1), "<c16", b"\0" * 156 * 16)}, "check 'plain arrays' failed"),
])
def test_header_lies_are_refused_before_allocating(tmp_path, members, check):
    path = tmp_path / "breastmnist.npz"
    path.write_bytes(_zip(_official_members(**members)))
    peak, raised = peak_mb(lambda: data.load(FLAG, data_dir=tmp_path, download=False))
    assert isinstance(raised, data.InvalidFileError), repr(raised)
    assert check in str(raised) and "pickle" not in str(raised).lower()
    assert peak < 200


def test_tiny_file_claiming_a_trillion_elements(tmp_path):
    path = tmp_path / "claims.npz"
    path.write_bytes(_zip({"x": _npy((10 ** 6, 10 ** 6))}))
    assert path.stat().st_size < 400
    peak, raised = peak_mb(lambda: data.read_npz(path))
    assert isinstance(raised, data.InvalidFileError) and "check 'sizes' failed" in str(raised), repr(raised)
    assert peak < 200


@pytest.fixture(scope="module")
def zip_bombs(tmp_path_factory):
    """Two small .npz files that would inflate to 300 MB: wrong declared size, and an extra member."""
    import zipfile

    folder = tmp_path_factory.mktemp("bombs")
    zeros, n = bytes(1 << 20), 300
    paths = {}
    for kind in ("size", "extra"):
        path = folder / kind / "breastmnist.npz"
        path.parent.mkdir()
        members = _official_members()
        header = _npy((546, 28, 28)) if kind == "size" else _npy((n << 20,))
        name = "train_images" if kind == "size" else "bomb"
        if kind == "size":
            members.pop("train_images")
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            for key, raw in members.items():
                zf.writestr(key + ".npy", raw)
            with zf.open(name + ".npy", "w", force_zip64=True) as f:
                f.write(header)
                for _ in range(n):
                    f.write(zeros)
        paths[kind] = path
    return paths


@pytest.mark.parametrize("kind, check", [("size", "check 'sizes' failed"), ("extra", "unexpected ['bomb']")])
def test_zip_bomb_is_refused_in_bounded_memory(zip_bombs, kind, check):
    path = zip_bombs[kind]
    assert path.stat().st_size < 5_000_000
    peak, raised = peak_mb(lambda: data.load(FLAG, data_dir=path.parent, download=False))
    assert isinstance(raised, data.InvalidFileError), repr(raised)
    assert check in str(raised)
    assert peak < 200, f"reading the bomb peaked at {peak:.0f} MB"


def test_read_npz_without_a_subset_is_bounded_by_max_bytes(zip_bombs):
    peak, raised = peak_mb(lambda: data.read_npz(zip_bombs["extra"], max_bytes=100 << 20))
    assert isinstance(raised, data.InvalidFileError) and "max_bytes" in str(raised), repr(raised)
    assert peak < 200


def test_memory_error_becomes_advice(tmp_path, monkeypatch):
    path = tmp_path / "breastmnist.npz"
    path.write_bytes(make_npz())

    def no_memory(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(data, "_inflate", no_memory)
    with pytest.raises(data.InvalidFileError, match="check 'memory' failed.*smaller image size"):
        data.load(FLAG, data_dir=tmp_path, download=False)


def test_read_npz_round_trips_plain_arrays(tmp_path):
    arrays = {"a": np.arange(12, dtype=">i2").reshape(3, 4), "f": np.asfortranarray(np.eye(3)),
              "s": np.float32(2.5), "e": np.zeros((0, 5), np.uint8), "b": np.array([True, False])}
    np.savez_compressed(tmp_path / "x.npz", **arrays)
    out = data.read_npz(tmp_path / "x.npz")
    assert set(out) == set(arrays)
    for key, value in arrays.items():
        np.testing.assert_array_equal(out[key], value)
        assert out[key].dtype == np.asarray(value).dtype and out[key].shape == np.shape(value)


# ----------------------------------------------------------------------------- checksum memo


def test_md5_memo_sees_a_same_size_same_mtime_rewrite(tmp_path, monkeypatch):
    import os

    monkeypatch.setattr(data, "_RACY_NS", 0)  # remember even a fresh file, as if it were old
    path = tmp_path / "f.bin"
    path.write_bytes(b"a" * 1000)
    first = data.md5sum(path)
    assert len(data._MD5_MEMO) == 1 and data.md5sum(path) == first
    st = path.stat()
    time.sleep(0.05)  # let the change time move on even on a coarse file-system clock
    path.write_bytes(b"b" * 1000)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size and path.stat().st_mtime_ns == st.st_mtime_ns
    assert data.md5sum(path) == hashlib.md5(b"b" * 1000).hexdigest() != first


def test_md5_of_a_freshly_written_file_is_not_remembered(tmp_path):
    import os

    path = tmp_path / "f.bin"
    path.write_bytes(b"a" * 1000)
    st = path.stat()
    assert data.md5sum(path) == hashlib.md5(b"a" * 1000).hexdigest()
    path.write_bytes(b"b" * 1000)  # within the same clock tick, perhaps
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert data.md5sum(path) == hashlib.md5(b"b" * 1000).hexdigest()


def test_every_binary_subset_names_its_clinically_positive_class():
    for flag, entry in data.INFO.items():
        if entry["task"] == "binary-class":
            assert data.positive_class(flag) in (0, 1)
            assert str(data.positive_class(flag)) in entry["label"]
        else:
            assert "positive_class" not in entry
            with pytest.raises(ValueError, match="binary-class subsets only"):
                data.positive_class(flag)
    # the pitfall: in BreastMNIST the malignant class, the finding, is label 0
    assert data.positive_class("breastmnist") == 0
    assert data.label_names("breastmnist")[data.positive_class("breastmnist")] == "malignant"
    assert data.label_names("PneumoniaMNIST")[data.positive_class("pneumoniamnist")] == "pneumonia"
    assert data.label_names("retinamnist") == [data.INFO["retinamnist"]["label"][str(i)] for i in range(5)]
