"""MedMNIST without PyTorch: a metadata registry, a checksummed download and an offline-first loader.

Resolution order of `load()`: the folder in MLCOURSE_DATA_DIR, the local mirror folders
(MLCOURSE_MIRRORS, separated by os.pathsep, or the `mirrors` argument), the user cache
(MLCOURSE_CACHE_DIR or the platform's cache folder), and only then a download from Zenodo.
"""

from __future__ import annotations

import glob
import hashlib
import http.client
import json
import math
import os
import re
import socket
import sys
import time
import urllib.error
import urllib.request
import uuid
import warnings
import zipfile
import zlib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np

from mlcourse.paths import cache_dir, data_dir, display_path, mirror_dirs

_REGISTRY = json.loads(resources.files("mlcourse").joinpath("medmnist_info.json").read_text("utf-8"))
INFO: dict[str, dict] = _REGISTRY["subsets"]
CITATION: str = _REGISTRY["citation"]
CITATION_SHORT: str = _REGISTRY["citation_short"]
FLAGS: tuple[str, ...] = tuple(INFO)
SIZES: tuple[int, ...] = (28, 64, 128, 224)
SPLITS: tuple[str, ...] = ("train", "val", "test")
KEYS: tuple[str, ...] = tuple(f"{s}_{k}" for s in SPLITS for k in ("images", "labels"))
TASKS: tuple[str, ...] = ("binary-class", "multi-class", "multi-label, binary-class", "ordinal-regression")

RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


class DataError(RuntimeError):
    """A MedMNIST file could not be found, downloaded or read."""


class DownloadError(DataError):
    """A download failed; the message says how to place the file by hand."""


class InvalidFileError(DataError):
    """A local file is not a usable MedMNIST file; the message names the failed check."""


class NonCommercialLicenseWarning(UserWarning):
    """The subset may not be used commercially (DermaMNIST, CC BY-NC 4.0)."""


# ----------------------------------------------------------------------------- metadata


def _check_flag(flag: str) -> str:
    """Normalise a subset name ('PneumoniaMNIST' → 'pneumoniamnist') or explain the valid names."""
    key = str(flag).strip().lower()
    if key not in INFO:
        raise ValueError(f"Unknown MedMNIST subset {flag!r}. Valid names: {', '.join(FLAGS)}.")
    return key


def available_sizes(flag: str) -> tuple[int, ...]:
    """The image sizes released for a subset (28–224 for 2D, 28 and 64 for 3D)."""
    return tuple(int(s) for s in INFO[_check_flag(flag)]["sizes"])


def info(flag: str, size: int = 28) -> dict:
    """The registry entry of one subset and size: task, labels, split sizes, licence, URL, MD5, file name."""
    key = _check_flag(flag)
    sizes = available_sizes(key)
    if int(size) not in sizes:
        raise ValueError(f"{INFO[key]['name']} is released at sizes {sizes}, not {size}.")
    entry = {k: v for k, v in INFO[key].items() if k != "sizes"}
    entry.update(INFO[key]["sizes"][str(int(size))], flag=key, size=int(size))
    return entry


def n_classes(flag: str) -> int:
    """Number of classes (or of labels, for the multi-label ChestMNIST)."""
    return len(INFO[_check_flag(flag)]["label"])


def label_names(flag: str) -> list[str]:
    """The class names of a subset, in label order (index i is the name of label i)."""
    labels = INFO[_check_flag(flag)]["label"]
    return [labels[str(i)] for i in range(len(labels))]


def positive_class(flag: str) -> int:
    """The label of the clinically positive class of a binary subset (BreastMNIST: 0, malignant)."""
    entry = INFO[_check_flag(flag)]
    if entry["task"] != "binary-class":
        raise ValueError(f"{entry['name']} is a {entry['task']} task; a positive class is defined for binary-class "
                         "subsets only (for others, pick the class of interest from label_names()).")
    return int(entry["positive_class"])


def citation(flag: str) -> str:
    """How to cite a subset: MedMNIST v2 and the source data set, with the licence."""
    entry = INFO[_check_flag(flag)]
    return (f"{entry['name']}: licence {entry['license']}. Cite {CITATION_SHORT}; "
            f"source data: {entry['source_citation']}")


# ----------------------------------------------------------------------------- folders


_env_data_dir = data_dir  # `load(data_dir=...)` shadows the name inside functions


def search_path(data_dir: str | os.PathLike | None = None,
                mirrors: Iterable[str | os.PathLike] | None = None) -> list[Path]:
    """The folders `load()` looks in, in order: data folder, mirrors, user cache."""
    first = Path(data_dir).expanduser() if data_dir is not None else _env_data_dir()
    folders = ([first] if first else []) + mirror_dirs(mirrors) + [cache_dir()]
    unique: list[Path] = []
    for f in folders:
        if f not in unique:
            unique.append(f)
    return unique


def locate(flag: str, size: int = 28, data_dir: str | os.PathLike | None = None,
           mirrors: Iterable[str | os.PathLike] | None = None) -> Path | None:
    """The first local copy of a subset's file along the search path, or None."""
    name = info(flag, size)["file"]
    for folder in search_path(data_dir, mirrors):
        if (folder / name).is_file():
            return folder / name
    return None


# ----------------------------------------------------------------------------- checks

_MD5_MEMO: dict[tuple, str] = {}
_RACY_NS = 2_000_000_000  # a file changed this recently may change again within the same clock tick


def md5sum(path: str | os.PathLike) -> str:
    """MD5 of a file (remembered per path, inode, size, modification and change time)."""
    p = Path(path)
    st = p.stat()
    key = (str(p.resolve()), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    if key in _MD5_MEMO:
        return _MD5_MEMO[key]
    started = time.time_ns()
    h = hashlib.md5()
    with open(p, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    digest = h.hexdigest()
    # Like git's "racily clean" rule: remember only files that were last touched well before hashing.
    if started - max(st.st_mtime_ns, st.st_ctime_ns) > _RACY_NS:
        _MD5_MEMO[key] = digest
    return digest


def expected_shapes(flag: str, size: int = 28) -> dict[str, tuple[int, ...]]:
    """The official array shapes of every key of a subset's .npz file."""
    entry = info(flag, size)
    s = entry["size"]
    if entry["dim"] == 3:
        image = (s, s, s)
    else:
        image = (s, s) if entry["n_channels"] == 1 else (s, s, entry["n_channels"])
    n_labels = len(entry["label"]) if entry["task"].startswith("multi-label") else 1
    shapes = {}
    for split in SPLITS:
        n = entry["n_samples"][split]
        shapes[f"{split}_images"] = (n, *image)
        shapes[f"{split}_labels"] = (n, n_labels)
    return shapes


_ZIP_SLACK = 64 * 1024  # zip and .npy headers, and the slack allowed over a registered size


def max_file_bytes(flag: str, size: int = 28) -> int:
    """The most bytes a download of a subset may have: its registered size + slack, else a ceiling from its shapes."""
    entry = info(flag, size)
    if entry.get("bytes"):
        return int(entry["bytes"]) + _ZIP_SLACK
    raw = 0
    for key, shape in expected_shapes(flag, size).items():
        itemsize = 1 if key.endswith("images") else 8  # uint8 images; labels of any integer type
        raw += math.prod(shape) * itemsize
    return raw + raw // 500 + _ZIP_SLACK  # deflate grows incompressible data by well under 0.2 %


def _check_layout(layout: Mapping[str, tuple[tuple[int, ...], np.dtype]], flag: str, size: int) -> None:
    """Check keys, dtypes, split sizes and shapes of (shape, dtype) pairs, as read from the .npy headers."""
    keys = set(layout)
    if keys != set(KEYS):
        missing, extra = sorted(set(KEYS) - keys), sorted(keys - set(KEYS))
        raise InvalidFileError(f"check 'keys' failed: missing {missing or 'none'}, unexpected {extra or 'none'}"
                               f" (a MedMNIST file holds exactly {', '.join(KEYS)})")
    for key in KEYS:
        dtype = np.dtype(layout[key][1])
        if key.endswith("images") and dtype != np.uint8:
            raise InvalidFileError(f"check 'dtype' failed: {key} is {dtype}, expected uint8")
        if key.endswith("labels") and dtype.kind not in "iu":
            raise InvalidFileError(f"check 'dtype' failed: {key} is {dtype}, expected an integer type")
    shapes = expected_shapes(flag, size)
    for key in KEYS:
        got, want = tuple(layout[key][0]), shapes[key]
        if got and got[0] != want[0]:
            raise InvalidFileError(f"check 'split size' failed: {key} has {got[0]} samples, the official "
                                   f"{key.split('_')[0]} split has {want[0]}")
        if got != want:
            raise InvalidFileError(f"check 'shape' failed: {key} has shape {got}, expected {want}")


def check_arrays(arrays: Mapping[str, np.ndarray], flag: str, size: int = 28) -> None:
    """Raise InvalidFileError naming the first failed check: keys, dtypes, shapes, split sizes, label range."""
    entry = info(flag, size)
    _check_layout({k: (np.shape(a), np.asarray(a).dtype) for k, a in arrays.items()}, flag, size)
    top = 1 if entry["task"].startswith("multi-label") else len(entry["label"]) - 1
    for split in SPLITS:
        labels = arrays[f"{split}_labels"]
        if labels.size == 0:
            continue
        lo, hi = int(labels.min()), int(labels.max())
        if lo < 0 or hi > top:
            raise InvalidFileError(f"check 'label range' failed: {split}_labels span {lo}..{hi}, "
                                   f"expected 0..{top} for the task '{entry['task']}'")


def _looks_like_html(head: bytes) -> bool:
    """True when the first bytes of a file or body are an HTML page (captive portal, login or error page)."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return text.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<!--")) or (
        text.startswith(b"<") and b"<html" in text[:1024])


_DEFLATE_RATIO = 1100       # deflate cannot expand data more than about 1032-fold
DEFAULT_MAX_BYTES = 8 << 30  # bound on the arrays of an .npz read without a subset to check it against


def _npz_header(zf: zipfile.ZipFile, item: zipfile.ZipInfo) -> tuple[tuple[int, ...], np.dtype, bool, int]:
    """Read one member's .npy header (without inflating its data); return shape, dtype, order and data size."""
    with zf.open(item) as f:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            raise ValueError(f"member {item.filename} uses .npy format {version}, which is not supported")
        header_bytes = f.tell()
    if dtype.hasobject or dtype.kind not in "biuf" or dtype.fields is not None:
        raise InvalidFileError(f"check 'plain arrays' failed: {item.filename} holds {dtype} values, not plain "
                               f"numbers (a MedMNIST file never holds Python objects, which are not loaded)")
    nbytes = math.prod(shape) * dtype.itemsize
    if item.file_size != header_bytes + nbytes:
        raise InvalidFileError(f"check 'sizes' failed: {item.filename} declares {item.file_size} bytes, but its "
                               f"header describes a {shape} {dtype} array of {header_bytes + nbytes} bytes")
    return tuple(shape), dtype, fortran, nbytes


def _inflate(zf: zipfile.ZipFile, item: zipfile.ZipInfo, shape: tuple[int, ...], dtype: np.dtype,
             fortran: bool, nbytes: int) -> np.ndarray:
    """Read one member's data into a freshly allocated array of exactly the size its header declared."""
    flat = np.empty(math.prod(shape), dtype=dtype)
    view = memoryview(flat.view(np.uint8))
    with zf.open(item) as f:
        f.seek(item.file_size - nbytes)  # skip the header, already read by _npz_header
        pos = 0
        while pos < nbytes:
            n = f.readinto(view[pos:pos + (1 << 22)])
            if not n:
                raise InvalidFileError(f"check 'sizes' failed: {item.filename} ends after {pos} of {nbytes} bytes")
            pos += n
        if f.read(1):  # also makes zipfile check the member's CRC
            raise InvalidFileError(f"check 'sizes' failed: {item.filename} holds more data than its header says")
    return flat.reshape(shape, order="F" if fortran else "C")


def read_npz(path: str | os.PathLike, flag: str | None = None, size: int = 28, *,
             max_bytes: int = DEFAULT_MAX_BYTES) -> dict[str, np.ndarray]:
    """Read every array of an .npz file, checking every header (and a subset's layout) before inflating any data.

    Members must be plain numeric .npy arrays whose declared sizes agree with their headers; with
    `flag`, keys, dtypes and shapes must be the subset's official ones, else at most `max_bytes`
    bytes are read. Anything else raises InvalidFileError before memory is allocated for it.
    """
    shown = display_path(path)
    try:
        with open(path, "rb") as f:
            head = f.read(1024)
    except OSError as err:
        raise InvalidFileError(f"check 'readable' failed: {shown} cannot be opened ({err})") from None
    if not head.startswith(b"PK"):
        what = "it looks like a web page" if _looks_like_html(head) else "it is not a zip archive"
        raise InvalidFileError(f"check 'readable' failed: {shown} is not a MedMNIST .npz file ({what}); "
                               f"delete it and download again")
    needed = 0
    try:
        archive_bytes = os.path.getsize(path)
        with zipfile.ZipFile(path) as zf:
            layout: dict[str, tuple] = {}
            for item in zf.infolist():
                key = item.filename[:-4] if item.filename.endswith(".npy") else None
                if key is None or key in layout:
                    raise InvalidFileError(f"check 'keys' failed: the archive holds {item.filename!r} "
                                           f"{'twice' if key else 'which is not a .npy array'}")
                if item.compress_size > archive_bytes or (
                        item.file_size > _DEFLATE_RATIO * item.compress_size + 4096):
                    raise InvalidFileError(f"check 'sizes' failed: {item.filename} declares {item.file_size} "
                                           f"bytes from {item.compress_size} compressed bytes, which is impossible")
                layout[key] = (item, *_npz_header(zf, item))
            if flag is not None:
                _check_layout({k: (v[1], v[2]) for k, v in layout.items()}, flag, size)
            needed = sum(v[4] for v in layout.values())
            if flag is None and needed > max_bytes:
                raise InvalidFileError(f"check 'sizes' failed: the arrays need {needed} bytes, more than "
                                       f"max_bytes={max_bytes}")
            return {k: _inflate(zf, *v) for k, v in layout.items()}
    except MemoryError:
        raise InvalidFileError(f"check 'memory' failed: reading {shown} needs {needed / 2**30:.1f} GiB of memory, "
                               f"more than is free; close other programs or use a smaller image size") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, ValueError, OSError, EOFError,
            KeyError, NotImplementedError) as err:
        raise InvalidFileError(f"check 'readable' failed: {shown} is not a readable .npz archive of plain "
                               f"arrays ({type(err).__name__}: {err}); delete it and download again") from None


def _read_checked(path: str | os.PathLike, flag: str, size: int) -> tuple[dict[str, np.ndarray], bool]:
    """Read a local file and check it; return its arrays and whether its MD5 is the official one."""
    entry = info(flag, size)
    try:
        arrays = read_npz(path, flag, size)
        check_arrays(arrays, flag, size)
    except InvalidFileError as err:
        reason = str(err).removesuffix("; delete it and download again")  # the advice follows, once
        raise InvalidFileError(
            f"{display_path(path)} is not a valid {entry['name']} file (size {entry['size']}): {reason}. "
            f"Delete it, or replace it with the official file ({entry['url']}, MD5 {entry['md5']})."
        ) from None
    return arrays, md5sum(path) == entry["md5"]


def verify_file(path: str | os.PathLike, flag: str, size: int = 28) -> str:
    """Return 'official' (MD5 matches) or 'unofficial' (structure valid); raise InvalidFileError otherwise."""
    return "official" if _read_checked(path, flag, size)[1] else "unofficial"


# ----------------------------------------------------------------------------- download

MIN_DEADLINE = 120.0    # seconds: the shortest default overall deadline of a download
SLOWEST_RATE = 50_000   # bytes per second: the default deadline allows the file at this speed
_HOST = re.sub(r"[^A-Za-z0-9]", "", socket.gethostname())[:32] or "host"
_PART = re.compile(r"\.part-(?:(?P<host>[A-Za-z0-9]{1,32})-(?P<pid>\d{1,10})-)?[0-9a-f]{8}")


def default_deadline(flag: str, size: int = 28) -> float:
    """The default overall deadline of a download, in seconds: max(120 s, the file's bytes at 50 kB/s)."""
    return max(MIN_DEADLINE, max_file_bytes(flag, size) / SLOWEST_RATE)


def _pid_alive(pid: int) -> bool:
    """Whether a process id is alive on this machine (assumed alive where that cannot be checked safely)."""
    if pid == os.getpid() or sys.platform == "win32":  # os.kill on Windows would terminate the process
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. PermissionError: it exists but belongs to someone else
        return True
    return True


def remove_stale_parts(folder: str | os.PathLike, name: str, max_age: float = 600.0) -> list[Path]:
    """Delete partial downloads of one file left by killed processes; return the paths removed.

    A part is stale when the process named in it (on this machine) is gone, or when it has not
    been written to for `max_age` seconds; parts of other files are never touched.
    """
    removed = []
    for part in Path(folder).glob(glob.escape(name) + ".part-*"):
        m = _PART.fullmatch(part.name[len(name):])
        if not m:
            continue
        try:
            age = time.time() - part.stat().st_mtime
        except OSError:
            continue
        dead = m["pid"] is not None and m["host"] == _HOST and not _pid_alive(int(m["pid"]))
        if dead or age > max_age:
            try:
                part.unlink()
                removed.append(part)
            except OSError:
                pass
    return removed


def _manual_help(entry: dict, folder: Path, reason: str) -> str:
    """The message of a failed download: what failed and how to place the file by hand."""
    return (
        f"Could not download {entry['name']} (size {entry['size']}): {reason}.\n"
        f"  URL:    {entry['url']}\n"
        f"  MD5:    {entry['md5']}\n"
        f"  folder: {display_path(folder)}\n"
        f"To work offline, fetch the file by hand (a browser, another machine) and save it as\n"
        f"  {display_path(folder / entry['file'])}\n"
        f"or point MLCOURSE_DATA_DIR at a folder that already holds {entry['file']} "
        f"(e.g. one made with `python data_scripts/prefetch.py`). Nothing was left in the folder."
    )


def _progress(total: int | None, name: str, enabled: bool):
    """A tqdm progress bar in bytes (a do-nothing bar when disabled)."""
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=name,
                disable=not enabled, leave=False)


class _Refused(Exception):
    """A download that must not be retried: the server sent the wrong thing, too much, or too slowly."""


def _check_head(head: bytes, content_type: str) -> None:
    """Refuse a body whose first bytes are a web page or anything else that is not a zip archive."""
    if head.startswith(b"PK"):
        return
    if _looks_like_html(head) or content_type.startswith("text/html"):
        raise _Refused("the server sent a web page, not the file (a captive portal, a login page or an "
                       "error page: open the URL in a browser to see it)")
    raise _Refused(f"the server sent something that is not a zip archive (it begins with {head[:16]!r})")


def _fetch_once(url: str, tmp: Path, timeout: float, progress: bool, *, limit: int,
                deadline_at: float, deadline: float) -> str:
    """Stream one URL into tmp; return its MD5. Raises on HTTP errors, time-outs, short, long, slow or HTML bodies."""
    request = urllib.request.Request(url, headers={"User-Agent": "mlcourse (course data loader)"})
    h = hashlib.md5()
    written, head = 0, b""

    def too_slow() -> _Refused:
        return _Refused(f"the server was too slow: the file did not arrive within the deadline of {deadline:g} s "
                        f"({written} bytes received); try again later, pass a longer deadline=, or place the "
                        f"file by hand")

    left = deadline_at - time.monotonic()
    if left <= 0:
        raise too_slow()
    with urllib.request.urlopen(request, timeout=min(timeout, left)) as response:
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.strip().isdigit() else None
        content_type = (response.headers.get("Content-Type") or "").strip().lower()
        if total is not None and total > limit:
            raise _Refused(f"the server announces {total} bytes, but the file has at most {limit}")
        with open(tmp, "wb") as f, _progress(total, tmp.name.split(".part")[0], progress) as bar:
            while True:
                try:
                    chunk = response.read1(1 << 16)
                except (socket.timeout, TimeoutError):
                    if time.monotonic() >= deadline_at:
                        raise too_slow() from None
                    raise
                if not chunk:
                    break
                if len(head) < 512:
                    head += chunk[:512 - len(head)]
                    if len(head) >= 512:
                        _check_head(head, content_type)
                written += len(chunk)
                if written > limit:
                    raise _Refused(f"the server sent more bytes than the file has (stopped after {written} bytes; "
                                   f"the file has at most {limit})")
                f.write(chunk)
                h.update(chunk)
                bar.update(len(chunk))
                if time.monotonic() > deadline_at:
                    raise too_slow()
    if total is not None and written != total:
        raise http.client.IncompleteRead(b"", total - written)
    if len(head) < 512:
        _check_head(head, content_type)
    return h.hexdigest()


def download(flag: str, size: int = 28, folder: str | os.PathLike | None = None, *,
             timeout: float = 60.0, retries: int = 3, backoff: float = 2.0,
             progress: bool = True, deadline: float | None = None) -> Path:
    """Download a subset's official file into `folder`, checking its MD5; return its path.

    Transient failures (time-outs, refused or dropped connections, short bodies, HTTP 5xx/429)
    are retried `retries` times with exponential back-off; a 404, a wrong checksum, a web page,
    a body longer than the file, or passing the overall `deadline` (seconds, all attempts
    together; default `default_deadline()`) is not. `timeout` bounds each wait for data.
    The file is written under a temporary name and renamed only when complete and verified,
    so a failed download leaves nothing behind; partial files left by killed processes are
    removed first. The DownloadError says how to place the file by hand.
    """
    entry = info(flag, size)
    for name, value, low in (("timeout", timeout, 0.0), ("deadline", deadline, 0.0), ("backoff", backoff, -1.0)):
        if value is not None and not (isinstance(value, (int, float)) and math.isfinite(value) and value > low):
            raise ValueError(f"download(): {name} must be a finite number of seconds "
                             f"{'> 0' if low == 0 else '>= 0'}, not {value!r}.")
    if not isinstance(retries, int) or retries < 0:
        raise ValueError(f"download(): retries must be a whole number >= 0, not {retries!r}.")
    deadline = default_deadline(flag, size) if deadline is None else float(deadline)
    deadline_at = time.monotonic() + deadline
    limit = max_file_bytes(flag, size)
    target_dir = Path(folder).expanduser() if folder is not None else (data_dir() or cache_dir())
    try:
        target_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DownloadError(_manual_help(entry, target_dir, f"cannot create the folder ({err})")) from None
    remove_stale_parts(target_dir, entry["file"], max_age=max(600.0, 2 * timeout))
    dest = target_dir / entry["file"]
    tmp = target_dir / f"{entry['file']}.part-{_HOST}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    reason, attempts = "unknown error", 0
    try:
        for attempts in range(1, retries + 2):
            if attempts > 1:
                time.sleep(min(backoff * 2 ** (attempts - 2), max(0.0, deadline_at - time.monotonic())))
            try:
                digest = _fetch_once(entry["url"], tmp, timeout, progress, limit=limit,
                                     deadline_at=deadline_at, deadline=deadline)
            except _Refused as err:
                reason = str(err)
                break
            except urllib.error.HTTPError as err:
                reason = f"the server answered HTTP {err.code} {err.reason}"
                if err.code in RETRY_STATUS:
                    continue
                break
            except http.client.IncompleteRead as err:
                reason = f"the connection closed {err.expected} bytes before the end of the file"
                continue
            except (socket.timeout, TimeoutError):
                reason = f"no data arrived for {timeout:g} s (time-out)"
                continue
            except (urllib.error.URLError, http.client.HTTPException, ConnectionError) as err:
                detail = getattr(err, "reason", err)
                reason = (f"no data arrived for {timeout:g} s (time-out)"
                          if isinstance(detail, (socket.timeout, TimeoutError)) else f"network error: {detail}")
                continue
            except OSError as err:  # disk full, permission denied: retrying will not help
                reason = f"cannot write the file ({err})"
                break
            if digest != entry["md5"]:
                reason = f"checksum mismatch: the file received has MD5 {digest}, expected {entry['md5']}"
                break
            os.replace(tmp, dest)
            return dest
        if attempts > 1:
            reason += f" (gave up after {attempts} attempts)"
        raise DownloadError(_manual_help(entry, target_dir, reason))
    finally:
        tmp.unlink(missing_ok=True)


_download = download  # `load(download=...)` shadows the name inside load()


# ----------------------------------------------------------------------------- load


@dataclass
class MedMNIST:
    """One MedMNIST subset in memory: (images, labels) per split, plus its registry entry."""

    flag: str
    size: int
    info: dict
    path: Path
    official: bool
    train: tuple[np.ndarray, np.ndarray] = field(repr=False)
    val: tuple[np.ndarray, np.ndarray] = field(repr=False)
    test: tuple[np.ndarray, np.ndarray] = field(repr=False)

    def split(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """The (images, labels) of 'train', 'val' or 'test'."""
        if name not in SPLITS:
            raise ValueError(f"Unknown split {name!r}; use one of {SPLITS}.")
        return getattr(self, name)

    @property
    def label_names(self) -> list[str]:
        """Class names in label order."""
        return [self.info["label"][str(i)] for i in range(len(self.info["label"]))]

    def summary(self) -> str:
        """One line per split: sizes, image shape and class counts."""
        lines = [f"{self.info['name']} ({self.info['modality']}, {self.info['task']}, {self.size}px)"]
        for s in SPLITS:
            x, y = self.split(s)
            if self.info["task"].startswith("multi-label"):
                counts = f"positives per label {y.sum(axis=0).tolist()}"
            else:
                counts = ", ".join(f"{n}: {int((y == i).sum())}" for i, n in enumerate(self.label_names))
            lines.append(f"  {s:5s} {x.shape[0]:6d} images {tuple(x.shape[1:])} | {counts}")
        return "\n".join(lines)


_ANNOUNCED: set[str] = set()


def _announce(flag: str) -> None:
    """Print a subset's licence and citation once per session; warn about non-commercial licences."""
    entry = INFO[flag]
    if flag not in _ANNOUNCED:
        _ANNOUNCED.add(flag)
        print(citation(flag))
    if "NC" in entry["license"]:
        warnings.warn(f"{entry['name']} is licensed {entry['license']}: non-commercial use only.",
                      NonCommercialLicenseWarning, stacklevel=3)


_NOTED: set[tuple[str, str]] = set()


def _note_unofficial(path: Path, entry: dict) -> None:
    """Print one line, once per file and session, saying that a valid local file is not the official one."""
    key = (str(Path(path).resolve()), md5sum(path))
    if key in _NOTED:
        return
    _NOTED.add(key)
    print(f"Note: {display_path(path)} is not the official {entry['name']} file (MD5 {key[1][:8]}..., official "
          f"{entry['md5'][:8]}...) but has its structure; ds.official is False, and published numbers were "
          f"computed on the official file.")


def load(flag: str, size: int = 28, *, data_dir: str | os.PathLike | None = None,
         mirrors: Iterable[str | os.PathLike] | None = None, download: bool = True,
         timeout: float = 60.0, retries: int = 3, deadline: float | None = None) -> MedMNIST:
    """Load a MedMNIST subset (train/val/test arrays and info), offline first, downloading if needed.

    `timeout` bounds each wait for data and `deadline` the whole download (see `download`).
    """
    entry = info(flag, size)
    target = Path(data_dir).expanduser() if data_dir is not None else None
    remove_stale_parts(target or _env_data_dir() or cache_dir(), entry["file"])
    path = locate(flag, size, data_dir, mirrors)
    if path is None:
        if not download:
            folders = ", ".join(display_path(f) for f in search_path(data_dir, mirrors))
            raise DataError(f"{entry['file']} is not in any data folder ({folders}) and download=False. "
                            f"Place it in one of them (URL {entry['url']}, MD5 {entry['md5']}) "
                            f"or call load(..., download=True).")
        path = _download(flag, size, target, timeout=timeout, retries=retries, deadline=deadline)
    arrays, official = _read_checked(path, flag, size)
    if not official:
        _note_unofficial(path, entry)
    _announce(entry["flag"])
    return MedMNIST(flag=entry["flag"], size=entry["size"], info=entry, path=path, official=official,
                    **{s: (arrays[f"{s}_images"], arrays[f"{s}_labels"]) for s in SPLITS})
