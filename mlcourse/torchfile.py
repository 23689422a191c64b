"""Read PyTorch weight files (zip and legacy formats) into NumPy arrays without torch, safely.

A torch file is a pickle, and unpickling runs code. This reader admits only the globals a tensor
archive needs (`collections.OrderedDict`, `torch._utils._rebuild_tensor(_v2)` and the
`torch.*Storage` types, each mapped to a NumPy stand-in) and refuses every other one before it can
run, with `UnsafePickleError`. Tensors are rebuilt with their offset, size and stride checked
against their storage.

- `read_torch_state_dict(path)`: the file's tensors as a dict of NumPy arrays.
"""

from __future__ import annotations

import io
import os
import pickle
import zipfile
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["UnsafePickleError", "read_torch_state_dict"]

_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
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
        if not self.size:
            return data[self.offset].copy()
        last = self.offset + sum((n - 1) * s for n, s in zip(self.size, self.stride)) if min(self.size) > 0 else 0
        if self.offset < 0 or last >= data.size or any(s < 0 for s in self.stride):
            raise pickle.UnpicklingError(f"Tensor of size {self.size} and stride {self.stride} at offset "
                                         f"{self.offset} does not fit its storage of {data.size} elements.")
        item = data.itemsize
        view = np.lib.stride_tricks.as_strided(data[self.offset:], shape=self.size,
                                               strides=[s * item for s in self.stride], writeable=False)
        return np.array(view, dtype=data.dtype.newbyteorder("="), copy=True, order="C")


def _rebuild_tensor_v2(storage: _Storage, storage_offset: int, size: tuple, stride: tuple,
                       requires_grad: bool = False, backward_hooks: Any = None, metadata: Any = None) -> _LazyTensor:
    """NumPy stand-in for torch._utils._rebuild_tensor_v2."""
    if not isinstance(storage, _Storage):
        raise pickle.UnpicklingError("_rebuild_tensor_v2 was given something that is not a storage.")
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
        if key not in self.storages:
            data = self._read_storage(key, storage_type.dtype, int(numel)) if self._read_storage else None
            self.storages[key] = _Storage(storage_type.dtype, int(numel), data)
        return self.storages[key]


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

        def read_storage(key: str, dtype: np.dtype, numel: int) -> np.ndarray:
            raw = zf.read(f"{root}/data/{key}")
            if len(raw) < numel * dtype.itemsize:
                raise pickle.UnpicklingError(f"Storage {key} is truncated ({len(raw)} bytes for {numel} values).")
            return np.frombuffer(raw, dtype=dtype, count=numel)

        with zf.open(pkl[0]) as f:
            unpickler = _TensorUnpickler(io.BytesIO(f.read()), read_storage)
            return _finish(unpickler.load())


def _read_legacy(path: Path) -> dict[str, np.ndarray]:
    """Read the legacy torch format: magic, protocol and sys-info pickles, the state dict, the storage keys, raw storages."""
    with open(path, "rb") as f:
        magic = _TensorUnpickler(f).load()
        if magic != _LEGACY_MAGIC:
            raise ValueError(f"{path.name} is neither a torch zip archive nor a legacy torch file.")
        _TensorUnpickler(f).load()  # protocol version
        sys_info = _TensorUnpickler(f).load()
        if isinstance(sys_info, dict) and not sys_info.get("little_endian", True):
            raise ValueError("Big-endian torch files are not supported.")
        unpickler = _TensorUnpickler(f)
        state = unpickler.load()
        keys = _TensorUnpickler(f).load()
        for key in keys:
            storage = unpickler.storages.get(str(key))
            if storage is None:
                raise pickle.UnpicklingError(f"Storage {key} is listed but used by no tensor.")
            numel = int(np.frombuffer(f.read(8), dtype="<i8")[0])
            raw = f.read(numel * storage.dtype.itemsize)
            if numel != storage.numel or len(raw) != numel * storage.dtype.itemsize:
                raise pickle.UnpicklingError(f"Storage {key} is truncated or has the wrong size.")
            storage.data = np.frombuffer(raw, dtype=storage.dtype)
        return _finish(state)


def read_torch_state_dict(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read a PyTorch state-dict file into NumPy arrays without torch, refusing any unexpected global."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"No weight file at {path}.")
    if zipfile.is_zipfile(path):
        return _read_zip(path)
    return _read_legacy(path)
