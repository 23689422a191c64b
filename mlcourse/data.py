"""MedMNIST without PyTorch: a metadata registry, a checksummed download and an offline-first loader.

Resolution order of `load()`: the folder in MLCOURSE_DATA_DIR, the local mirror folders
(MLCOURSE_MIRRORS, separated by os.pathsep, or the `mirrors` argument), the user cache
(MLCOURSE_CACHE_DIR or the platform's cache folder), and only then a download from Zenodo.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import socket
import time
import urllib.error
import urllib.request
import uuid
import warnings
import zipfile
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


class UnofficialFileWarning(UserWarning):
    """A local file differs from the official release but has the official structure."""


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

_MD5_MEMO: dict[tuple[str, int, int], str] = {}


def md5sum(path: str | os.PathLike) -> str:
    """MD5 of a file (remembered per path, size and modification time)."""
    p = Path(path)
    st = p.stat()
    key = (str(p.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _MD5_MEMO:
        h = hashlib.md5()
        with open(p, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        _MD5_MEMO[key] = h.hexdigest()
    return _MD5_MEMO[key]


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


def check_arrays(arrays: Mapping[str, np.ndarray], flag: str, size: int = 28) -> None:
    """Raise InvalidFileError naming the first failed check: keys, dtypes, shapes, split sizes, label range."""
    entry = info(flag, size)
    keys = set(arrays)
    if keys != set(KEYS):
        missing, extra = sorted(set(KEYS) - keys), sorted(keys - set(KEYS))
        raise InvalidFileError(f"check 'keys' failed: missing {missing or 'none'}, unexpected {extra or 'none'}"
                               f" (a MedMNIST file holds exactly {', '.join(KEYS)})")
    for key in KEYS:
        a = arrays[key]
        if key.endswith("images") and a.dtype != np.uint8:
            raise InvalidFileError(f"check 'dtype' failed: {key} is {a.dtype}, expected uint8")
        if key.endswith("labels") and a.dtype.kind not in "iu":
            raise InvalidFileError(f"check 'dtype' failed: {key} is {a.dtype}, expected an integer type")
    shapes = expected_shapes(flag, size)
    for key in KEYS:
        got, want = arrays[key].shape, shapes[key]
        if got[0] != want[0]:
            raise InvalidFileError(f"check 'split size' failed: {key} has {got[0]} samples, the official "
                                   f"{key.split('_')[0]} split has {want[0]}")
        if got != want:
            raise InvalidFileError(f"check 'shape' failed: {key} has shape {got}, expected {want}")
    top = 1 if entry["task"].startswith("multi-label") else len(entry["label"]) - 1
    for split in SPLITS:
        labels = arrays[f"{split}_labels"]
        lo, hi = int(labels.min()), int(labels.max())
        if lo < 0 or hi > top:
            raise InvalidFileError(f"check 'label range' failed: {split}_labels span {lo}..{hi}, "
                                   f"expected 0..{top} for the task '{entry['task']}'")


def read_npz(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read every array of an .npz file into memory, refusing pickled objects."""
    try:
        with np.load(path, allow_pickle=False) as f:
            return {k: f[k] for k in f.files}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as err:
        raise InvalidFileError(f"check 'readable' failed: {display_path(path)} is not a readable .npz "
                               f"archive of plain arrays ({type(err).__name__}: {err})") from None


def _read_checked(path: str | os.PathLike, flag: str, size: int) -> tuple[dict[str, np.ndarray], bool]:
    """Read a local file and check it; return its arrays and whether its MD5 is the official one."""
    entry = info(flag, size)
    try:
        arrays = read_npz(path)
        check_arrays(arrays, flag, size)
    except InvalidFileError as err:
        raise InvalidFileError(
            f"{display_path(path)} is not a valid {entry['name']} file (size {entry['size']}): {err}. "
            f"Delete it, or replace it with the official file ({entry['url']}, MD5 {entry['md5']})."
        ) from None
    return arrays, md5sum(path) == entry["md5"]


def verify_file(path: str | os.PathLike, flag: str, size: int = 28) -> str:
    """Return 'official' (MD5 matches) or 'unofficial' (structure valid); raise InvalidFileError otherwise."""
    return "official" if _read_checked(path, flag, size)[1] else "unofficial"


# ----------------------------------------------------------------------------- download


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


def _fetch_once(url: str, tmp: Path, timeout: float, progress: bool) -> str:
    """Stream one URL into tmp; return its MD5. Raises on HTTP errors, time-outs and short bodies."""
    request = urllib.request.Request(url, headers={"User-Agent": "mlcourse (course data loader)"})
    h = hashlib.md5()
    written = 0
    with urllib.request.urlopen(request, timeout=timeout) as response:
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        with open(tmp, "wb") as f, _progress(total, tmp.name.split(".part")[0], progress) as bar:
            while True:
                chunk = response.read(1 << 16)
                if not chunk:
                    break
                f.write(chunk)
                h.update(chunk)
                written += len(chunk)
                bar.update(len(chunk))
    if total is not None and written != total:
        raise http.client.IncompleteRead(b"", total - written)
    return h.hexdigest()


def download(flag: str, size: int = 28, folder: str | os.PathLike | None = None, *,
             timeout: float = 60.0, retries: int = 3, backoff: float = 2.0,
             progress: bool = True) -> Path:
    """Download a subset's official file into `folder`, checking its MD5; return its path.

    Transient failures (time-outs, refused or dropped connections, short bodies, HTTP 5xx/429)
    are retried `retries` times with exponential back-off; a 404 or a wrong checksum is not.
    The file is written under a temporary name and renamed only when complete and verified,
    so a failed download leaves nothing behind; the DownloadError says how to place it by hand.
    """
    entry = info(flag, size)
    target_dir = Path(folder).expanduser() if folder is not None else (data_dir() or cache_dir())
    try:
        target_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DownloadError(_manual_help(entry, target_dir, f"cannot create the folder ({err})")) from None
    dest = target_dir / entry["file"]
    tmp = target_dir / f"{entry['file']}.part-{uuid.uuid4().hex[:8]}"
    reason, attempts = "unknown error", 0
    try:
        for attempts in range(1, retries + 2):
            if attempts > 1:
                time.sleep(backoff * 2 ** (attempts - 2))
            try:
                digest = _fetch_once(entry["url"], tmp, timeout, progress)
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


def load(flag: str, size: int = 28, *, data_dir: str | os.PathLike | None = None,
         mirrors: Iterable[str | os.PathLike] | None = None, download: bool = True,
         timeout: float = 60.0, retries: int = 3) -> MedMNIST:
    """Load a MedMNIST subset (train/val/test arrays and info), offline first, downloading if needed."""
    entry = info(flag, size)
    path = locate(flag, size, data_dir, mirrors)
    if path is None:
        if not download:
            folders = ", ".join(display_path(f) for f in search_path(data_dir, mirrors))
            raise DataError(f"{entry['file']} is not in any data folder ({folders}) and download=False. "
                            f"Place it in one of them (URL {entry['url']}, MD5 {entry['md5']}) "
                            f"or call load(..., download=True).")
        target = Path(data_dir).expanduser() if data_dir is not None else None
        path = _download(flag, size, target, timeout=timeout, retries=retries)
    arrays, official = _read_checked(path, flag, size)
    if not official:
        warnings.warn(
            f"{display_path(path)} differs from the official {entry['name']} file (its MD5 is "
            f"{md5sum(path)}, the official one {entry['md5']}). Its keys, shapes, dtypes, split sizes and "
            f"label range are the official ones, so it is loaded; published benchmark numbers were "
            f"computed on the official file.", UnofficialFileWarning, stacklevel=2)
    _announce(entry["flag"])
    return MedMNIST(flag=entry["flag"], size=entry["size"], info=entry, path=path, official=official,
                    **{s: (arrays[f"{s}_images"], arrays[f"{s}_labels"]) for s in SPLITS})
