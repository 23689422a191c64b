"""Read PyTorch weight files (zip and legacy formats) into NumPy arrays without torch, safely.

A torch file is a pickle, and unpickling runs code. This reader admits only the globals a tensor
archive needs (`collections.OrderedDict`, `torch._utils._rebuild_tensor(_v2)` and the
`torch.*Storage` types, each mapped to a NumPy stand-in) and refuses every other one before it can
run, with `UnsafePickleError`. Nothing is allocated before its size is checked against the file:
every length inside a pickle must fit the bytes that follow it, every storage must fit its zip
member or the rest of a legacy file, and every tensor's offset, size and stride must fit its
storage.

- `read_torch_state_dict(path)`: the file's tensors as a dict of NumPy arrays.
"""

from __future__ import annotations

import io
import os
import pickle
import pickletools
import zipfile
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["UnsafePickleError", "read_torch_state_dict"]

_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_DEFLATE_RATIO = 1100  # deflate cannot expand data more than about 1032-fold
_STORAGE_DTYPES = {
    "FloatStorage": "<f4", "DoubleStorage": "<f8", "HalfStorage": "<f2", "BFloat16Storage": None,
    "LongStorage": "<i8", "IntStorage": "<i4", "ShortStorage": "<i2", "CharStorage": "i1",
    "ByteStorage": "u1", "BoolStorage": "?",
}


class UnsafePickleError(pickle.UnpicklingError):
    """Raised when a weight file asks for a Python global that a tensor archive never needs."""


# ----------------------------------------------------------------------------- reading the file
class _StorageType:
    """Stands in for a torch `*Storage` class: remembers the little-endian NumPy dtype."""

    def __init__(self, name: str) -> None:
        """Record the storage name and its dtype."""
        dtype = _STORAGE_DTYPES[name]
        if dtype is None:
            raise UnsafePickleError(f"torch.{name} tensors are not supported by this reader.")
        self.name = name
        self.dtype = np.dtype(dtype)


class _Storage:
    """A flat storage: a 1-D NumPy array filled from the archive (now or, in the legacy format, later)."""

    def __init__(self, dtype: np.dtype, numel: int, data: np.ndarray | None = None) -> None:
        """Hold the dtype, the element count and, once read, the data."""
        self.dtype = dtype
        self.numel = numel
        self.data = data


class _LazyTensor:
    """A tensor whose storage may not have been read yet (legacy files put storages after the pickle)."""

    def __init__(self, storage: _Storage, offset: int, size: tuple, stride: tuple) -> None:
        """Remember where in the storage the tensor lives."""
        self.storage, self.offset, self.size, self.stride = storage, int(offset), tuple(size), tuple(stride)

    def materialise(self) -> np.ndarray:
        """Copy the tensor out of its storage, honouring offset, size and stride."""
        data = self.storage.data
        if data is None:
            raise pickle.UnpicklingError("A tensor's storage was never found in the archive.")
        count = 1
        for n in self.size:
            count *= n
        empty = count == 0
        last = self.offset + sum((n - 1) * s for n, s in zip(self.size, self.stride)) if not empty else 0
        if empty and count <= data.size and 0 <= self.offset <= data.size:
            return np.zeros(self.size, dtype=data.dtype.newbyteorder("="))
        if self.offset < 0 or last >= data.size or count > data.size:
            raise pickle.UnpicklingError(f"Tensor of size {self.size} and stride {self.stride} at offset "
                                         f"{self.offset} does not fit its storage of {data.size} elements.")
        if not self.size:
            return data[self.offset].copy()
        item = data.itemsize
        view = np.lib.stride_tricks.as_strided(data[self.offset:], shape=self.size,
                                               strides=[s * item for s in self.stride], writeable=False)
        return np.array(view, dtype=data.dtype.newbyteorder("="), copy=True, order="C")


def _whole(values: Any) -> bool:
    """True for a tuple of whole numbers >= 0 (bools excluded)."""
    return isinstance(values, tuple) and all(type(v) is int and v >= 0 for v in values)


def _rebuild_tensor_v2(storage: _Storage, storage_offset: int, size: tuple, stride: tuple,
                       requires_grad: bool = False, backward_hooks: Any = None, metadata: Any = None) -> _LazyTensor:
    """NumPy stand-in for torch._utils._rebuild_tensor_v2."""
    if not isinstance(storage, _Storage):
        raise pickle.UnpicklingError("_rebuild_tensor_v2 was given something that is not a storage.")
    if not _whole((storage_offset,)) or not _whole(size) or not _whole(stride) or len(size) != len(stride):
        raise pickle.UnpicklingError(f"Tensor with offset {storage_offset!r:.40}, size {size!r:.80} and stride "
                                     f"{stride!r:.80} is malformed (whole numbers >= 0, size and stride alike).")
    return _LazyTensor(storage, storage_offset, size, stride)


def _rebuild_tensor(storage: _Storage, storage_offset: int, size: tuple, stride: tuple) -> _LazyTensor:
    """NumPy stand-in for the older torch._utils._rebuild_tensor."""
    return _rebuild_tensor_v2(storage, storage_offset, size, stride)


_ALLOWED = {
    ("collections", "OrderedDict"): OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
}


class _TensorUnpickler(pickle.Unpickler):
    """An unpickler that admits only the globals of a torch tensor archive and reads storages itself."""

    def __init__(self, file: io.BufferedIOBase, read_storage=None) -> None:
        """`read_storage(key, dtype, numel)` returns the storage data, or None to fill it in later."""
        super().__init__(file)
        self._read_storage = read_storage
        self.storages: dict[str, _Storage] = {}

    def find_class(self, module: str, name: str) -> Any:
        """Return a NumPy stand-in for an admitted global; refuse every other one."""
        if (module, name) in _ALLOWED:
            return _ALLOWED[(module, name)]
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name)
        raise UnsafePickleError(
            f"Refused to load the global {module}.{name}: a weight file only needs OrderedDict, "
            "torch._utils._rebuild_tensor_v2 and torch *Storage types. The file may be corrupt or "
            "malicious; do not load it with pickle or torch.load either.")

    def persistent_load(self, pid: Any) -> _Storage:
        """Resolve ('storage', type, key, location, numel[, view]) to a `_Storage`."""
        if not isinstance(pid, tuple) or len(pid) < 5 or pid[0] not in ("storage", b"storage"):
            raise UnsafePickleError(f"Unsupported persistent id {pid!r:.80} in the weight file.")
        storage_type, key, _location, numel = pid[1:5]
        if not isinstance(storage_type, _StorageType):
            raise UnsafePickleError(f"Persistent id names {storage_type!r:.60}, not a torch storage type.")
        if len(pid) > 5 and pid[5] is not None:
            raise UnsafePickleError("Storage views (a pre-2018 torch format) are not supported.")
        key = str(key)
        if type(numel) is not int or numel < 0:
            raise pickle.UnpicklingError(f"Storage {key!r:.40} has an invalid element count {numel!r:.40}.")
        if key not in self.storages:
            data = self._read_storage(key, storage_type.dtype, int(numel)) if self._read_storage else None
            self.storages[key] = _Storage(storage_type.dtype, int(numel), data)
        return self.storages[key]


class _Capped:
    """A read-only view of a file that never reads past `end`, so that no read asks for more than the file has."""

    def __init__(self, f: io.BufferedIOBase, end: int) -> None:
        """Wrap `f`, stopping at byte offset `end`."""
        self.f, self.end = f, end

    def read(self, n: int = -1) -> bytes:
        """Read at most n bytes, and never past the end."""
        left = max(0, self.end - self.f.tell())
        return self.f.read(left if n is None or n < 0 else min(n, left))

    def readline(self, limit: int = -1) -> bytes:
        """Read one line, never past the end."""
        left = max(0, self.end - self.f.tell())
        return self.f.readline(left if limit is None or limit < 0 else min(limit, left))


def _scan(f: io.BufferedIOBase, end: int) -> None:
    """Walk one pickle's opcodes without running them, refusing any length that does not fit the file.

    CPython's unpickler allocates a declared bytes/str length before reading it, so a 20-byte
    file could otherwise ask for gigabytes. `f` is left where it was.
    """
    start = f.tell()
    try:
        for opcode, _arg, _pos in pickletools.genops(_Capped(f, end)):
            if opcode.name == "STOP":
                break
    except (ValueError, EOFError, TypeError) as err:
        raise pickle.UnpicklingError(f"The weight file is truncated or malformed: {err}") from None
    finally:
        f.seek(start)


def _load(unpickler: "_TensorUnpickler", f: io.BufferedIOBase, end: int) -> Any:
    """Scan one pickle for impossible lengths, then unpickle it with the restricted unpickler."""
    _scan(f, end)
    return unpickler.load()


def _finish(obj: Any) -> dict[str, np.ndarray]:
    """Turn the unpickled state dict of lazy tensors into a plain dict of arrays."""
    if isinstance(obj, dict) and "state_dict" in obj and isinstance(obj["state_dict"], dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict):
        raise ValueError(f"The weight file holds a {type(obj).__name__}, not a state dict of tensors.")
    out: dict[str, np.ndarray] = {}
    for key, value in obj.items():
        if isinstance(value, _LazyTensor):
            out[str(key)] = value.materialise()
        else:
            raise ValueError(f"State-dict entry {key!r} is a {type(value).__name__}, not a tensor.")
    return out


def _read_zip(path: Path) -> dict[str, np.ndarray]:
    """Read the torch >= 1.6 zip format: <archive>/data.pkl plus one blob per storage in <archive>/data/."""
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        pkl = [n for n in names if n.endswith("data.pkl") and n.count("/") == 1]
        if len(pkl) != 1:
            raise ValueError(f"{path.name} is a zip file but not a torch archive (no single */data.pkl).")
        root = pkl[0].split("/")[0]

        archive_bytes = path.stat().st_size

        def member(name: str) -> zipfile.ZipInfo:
            try:
                item = zf.getinfo(name)
            except KeyError:
                raise pickle.UnpicklingError(f"The archive has no member {name}.") from None
            if item.compress_size > archive_bytes or item.file_size > _DEFLATE_RATIO * item.compress_size + 4096:
                raise pickle.UnpicklingError(f"Member {name} declares {item.file_size} bytes from "
                                             f"{item.compress_size} stored bytes, which is impossible.")
            return item

        def read_storage(key: str, dtype: np.dtype, numel: int) -> np.ndarray:
            item, needed = member(f"{root}/data/{key}"), numel * dtype.itemsize
            if item.file_size < needed:
                raise pickle.UnpicklingError(f"Storage {key} is truncated ({item.file_size} bytes for {numel} "
                                             f"values of {dtype.itemsize} bytes).")
            with zf.open(item) as f:
                raw = f.read(needed)
            if len(raw) < needed:
                raise pickle.UnpicklingError(f"Storage {key} is truncated ({len(raw)} bytes for {numel} values).")
            return np.frombuffer(raw, dtype=dtype, count=numel)

        with zf.open(member(pkl[0])) as f:
            buf = io.BytesIO(f.read())
        return _finish(_load(_TensorUnpickler(buf, read_storage), buf, len(buf.getbuffer())))


def _read_legacy(path: Path) -> dict[str, np.ndarray]:
    """Read the legacy torch format: magic, protocol, sys-info and state-dict pickles, storage keys, raw storages."""
    end = path.stat().st_size
    with open(path, "rb") as f:
        try:
            magic = _load(_TensorUnpickler(f), f, end)
        except pickle.UnpicklingError as err:
            if isinstance(err, UnsafePickleError):
                raise
            raise ValueError(f"{path.name} is neither a torch zip archive nor a legacy torch file.") from None
        if magic != _LEGACY_MAGIC:
            raise ValueError(f"{path.name} is neither a torch zip archive nor a legacy torch file.")
        _load(_TensorUnpickler(f), f, end)  # protocol version
        sys_info = _load(_TensorUnpickler(f), f, end)
        if isinstance(sys_info, dict) and not sys_info.get("little_endian", True):
            raise ValueError("Big-endian torch files are not supported.")
        unpickler = _TensorUnpickler(f)
        state = _load(unpickler, f, end)
        keys = _load(_TensorUnpickler(f), f, end)
        if not isinstance(keys, (list, tuple)):
            raise pickle.UnpicklingError("The list of storage keys is missing from the weight file.")
        for key in keys:
            storage = unpickler.storages.get(str(key))
            if storage is None:
                raise pickle.UnpicklingError(f"Storage {key} is listed but used by no tensor.")
            head = f.read(8)
            if len(head) != 8:
                raise pickle.UnpicklingError(f"Storage {key} is truncated (its element count is missing).")
            numel = int.from_bytes(head, "little", signed=True)
            needed = numel * storage.dtype.itemsize
            if numel != storage.numel or needed > end - f.tell():
                raise pickle.UnpicklingError(f"Storage {key} claims {numel} values ({needed} bytes); the tensors "
                                             f"expect {storage.numel} and the file has {end - f.tell()} bytes left.")
            storage.data = np.frombuffer(f.read(needed), dtype=storage.dtype)
        return _finish(state)


def read_torch_state_dict(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read a PyTorch state-dict file into NumPy arrays without torch, refusing any unexpected global."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"No weight file at {path}.")
    if zipfile.is_zipfile(path):
        return _read_zip(path)
    return _read_legacy(path)
