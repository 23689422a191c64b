"""mlcourse.torchfile: the restricted unpickler, and size checks before anything is allocated."""

from __future__ import annotations

import io
import os
import pickle
import struct
import sys
import types
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
from peak_memory import peak_mb

from mlcourse import torchfile


# ----------------------------------------------------------------------------- the restricted unpickler
class _System:
    """Unpickling this object would run a shell command."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self):
        return os.system, (self.command,)


class _Eval:
    """Unpickling this object would evaluate Python code."""

    def __init__(self, code: str) -> None:
        self.code = code

    def __reduce__(self):
        return eval, (self.code,)


def _payloads(marker):
    touch = f"open({str(marker)!r}, 'w').close()"
    return {"os.system": pickle.dumps({"w": _System(f"touch {marker}")}, protocol=2, fix_imports=False),
            "builtins.eval": pickle.dumps(OrderedDict(w=_Eval(touch)), protocol=2, fix_imports=False)}


@pytest.mark.parametrize("kind", ["os.system", "builtins.eval"])
@pytest.mark.parametrize("shape", ["raw", "zip", "legacy"])
def test_malicious_pickle_is_refused_without_running(tmp_path, kind, shape):
    marker = tmp_path / "ran"
    payload = _payloads(marker)[kind]
    path = tmp_path / "evil.pth"
    if shape == "raw":
        path.write_bytes(payload)
    elif shape == "zip":
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("archive/data.pkl", payload)
            zf.writestr("archive/version", "3\n")
    else:  # the legacy layout: magic number, protocol, sys info, then the state dict
        head = b"".join(pickle.dumps(v, protocol=2) for v in
                        (torchfile._LEGACY_MAGIC, 1001, {"protocol_version": 1001, "little_endian": True}))
        path.write_bytes(head + payload)
    with pytest.raises(torchfile.UnsafePickleError, match="Refused to load the global") as info:
        torchfile.read_torch_state_dict(path)
    refused = str(info.value)
    assert ("system" in refused and ("posix" in refused or "nt." in refused or "os." in refused)) \
        if kind == "os.system" else "builtins.eval" in refused
    assert not marker.exists(), "the payload ran"


def _fake_torch(monkeypatch):
    """Stand-ins for the torch globals, so that pickle can write a tensor archive without torch."""
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")

    class FloatStorage:
        pass

    FloatStorage.__module__, FloatStorage.__qualname__ = "torch", "FloatStorage"
    torch.FloatStorage = FloatStorage

    def _rebuild_tensor_v2(*args):
        raise AssertionError("never called")

    _rebuild_tensor_v2.__module__, _rebuild_tensor_v2.__qualname__ = "torch._utils", "_rebuild_tensor_v2"
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2
    torch._utils = utils
    monkeypatch.setitem(sys.modules, "torch", torch)
    monkeypatch.setitem(sys.modules, "torch._utils", utils)
    return FloatStorage, _rebuild_tensor_v2


def test_zip_archive_honours_offset_size_and_stride(tmp_path, monkeypatch):
    FloatStorage, rebuild = _fake_torch(monkeypatch)

    class StorageRef:
        def __init__(self, key, numel):
            self.key, self.numel = key, numel

    class Tensor:
        def __init__(self, ref, offset, size, stride):
            self.args = (ref, offset, size, stride, False, OrderedDict())

        def __reduce__(self):
            return rebuild, self.args

    class Writer(pickle.Pickler):
        def persistent_id(self, obj):
            if isinstance(obj, StorageRef):
                return ("storage", FloatStorage, obj.key, "cpu", obj.numel)
            return None

    ref = StorageRef("0", 8)
    obj = OrderedDict(t=Tensor(ref, 0, (3, 2), (1, 3)),      # a transposed (2, 3) matrix
                      v=Tensor(ref, 6, (2,), (1,)),          # a view with an offset
                      s=Tensor(ref, 7, (), ()))              # a scalar
    buf = io.BytesIO()
    Writer(buf, protocol=2).dump(obj)
    path = tmp_path / "tiny.pth"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("tiny/data.pkl", buf.getvalue())
        zf.writestr("tiny/data/0", np.arange(8, dtype="<f4").tobytes())
    out = torchfile.read_torch_state_dict(path)
    np.testing.assert_array_equal(out["t"], np.arange(6, dtype="float32").reshape(2, 3).T)
    np.testing.assert_array_equal(out["v"], [6.0, 7.0])
    assert out["s"] == 7.0 and out["t"].flags.c_contiguous


def test_reader_rejects_missing_and_foreign_files(tmp_path):
    with pytest.raises(ValueError, match="No weight file"):
        torchfile.read_torch_state_dict(tmp_path / "absent.pth")
    path = tmp_path / "plain.pth"
    path.write_bytes(pickle.dumps(12345, protocol=2))
    with pytest.raises(ValueError, match="neither a torch zip archive nor a legacy"):
        torchfile.read_torch_state_dict(path)




# ----------------------------------------------------------------------------- sizes checked before allocating
class _Ref:
    def __init__(self, key: str, numel: int) -> None:
        self.key, self.numel = key, numel


def _archive(monkeypatch, tensors: dict) -> bytes:
    """The state-dict pickle of `tensors` ({name: (ref, offset, size, stride)}), written with fake torch types."""
    FloatStorage, rebuild = _fake_torch(monkeypatch)

    class Tensor:
        def __init__(self, args):
            self.args = (*args, False, OrderedDict())

        def __reduce__(self):
            return rebuild, self.args

    class Writer(pickle.Pickler):
        def persistent_id(self, obj):
            if isinstance(obj, _Ref):
                return ("storage", FloatStorage, obj.key, "cpu", obj.numel, None)
            return None

    buf = io.BytesIO()
    Writer(buf, protocol=2).dump(OrderedDict((k, Tensor(v)) for k, v in tensors.items()))
    return buf.getvalue()


def _legacy(monkeypatch, tensors: dict, storages: list[tuple[str, int, bytes]]) -> bytes:
    """A legacy-format file: header pickles, the state dict, the keys, then (numel, raw bytes) per storage."""
    head = b"".join(pickle.dumps(v, protocol=2) for v in
                    (torchfile._LEGACY_MAGIC, 1001, {"protocol_version": 1001, "little_endian": True}))
    body = _archive(monkeypatch, tensors) + pickle.dumps([k for k, _, _ in storages], protocol=2)
    for _, numel, raw in storages:
        body += struct.pack("<q", numel) + raw
    return head + body


def test_legacy_round_trip(tmp_path, monkeypatch):
    ref = _Ref("7", 6)
    path = tmp_path / "ok.pth"
    path.write_bytes(_legacy(monkeypatch, {"w": (ref, 0, (2, 3), (3, 1)), "e": (ref, 6, (0,), (1,))},
                             [("7", 6, np.arange(6, dtype="<f4").tobytes())]))
    out = torchfile.read_torch_state_dict(path)
    np.testing.assert_array_equal(out["w"], np.arange(6, dtype="float32").reshape(2, 3))
    assert out["e"].shape == (0,)


def test_legacy_storage_larger_than_the_file_is_refused(tmp_path, monkeypatch):
    numel = 40 * 10 ** 9  # 149 GiB of float32, from a file of a few hundred bytes
    ref = _Ref("0", numel)
    path = tmp_path / "liar.pth"
    path.write_bytes(_legacy(monkeypatch, {"w": (ref, 0, (numel,), (1,))}, [("0", numel, b"\0" * 64)]))
    assert path.stat().st_size < 1024
    peak, raised = peak_mb(lambda: torchfile.read_torch_state_dict(path))
    assert isinstance(raised, pickle.UnpicklingError) and "claims 40000000000 values" in str(raised), repr(raised)
    assert peak < 200


def test_pickle_length_beyond_the_file_is_refused(tmp_path):
    # BINBYTES8 announcing 2 GiB: CPython's unpickler would allocate it before finding the data missing.
    path = tmp_path / "huge_bytes.pth"
    path.write_bytes(b"\x80\x04\x8e" + struct.pack("<Q", 1 << 31) + b"abc.")
    peak, raised = peak_mb(lambda: torchfile.read_torch_state_dict(path))
    assert isinstance(raised, ValueError), repr(raised)
    assert peak < 200
    legacy = tmp_path / "huge_in_legacy.pth"
    legacy.write_bytes(pickle.dumps(torchfile._LEGACY_MAGIC, protocol=2) + path.read_bytes())
    peak, raised = peak_mb(lambda: torchfile.read_torch_state_dict(legacy))
    assert isinstance(raised, pickle.UnpicklingError) and "truncated or malformed" in str(raised), repr(raised)
    assert peak < 200


def test_zip_storage_smaller_than_declared_is_refused(tmp_path, monkeypatch):
    numel = 40 * 10 ** 9
    path = tmp_path / "liar.pth"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("liar/data.pkl", _archive(monkeypatch, {"w": (_Ref("0", numel), 0, (numel,), (1,))}))
        zf.writestr("liar/data/0", b"\0" * 64)
    peak, raised = peak_mb(lambda: torchfile.read_torch_state_dict(path))
    assert isinstance(raised, pickle.UnpicklingError) and "truncated (64 bytes" in str(raised), repr(raised)
    assert peak < 200


def test_zip_member_with_an_impossible_size_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "bomb.pth"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("bomb/data.pkl", _archive(monkeypatch, {"w": (_Ref("0", 4), 0, (4,), (1,))}))
        zf.writestr("bomb/data/0", b"\0" * 16)
    raw = bytearray(path.read_bytes())
    # Rewrite the storage's declared uncompressed size in the central directory to 100 GB.
    cd = raw.rfind(b"PK\x01\x02")
    assert raw[cd + 46:cd + 46 + 11] == b"bomb/data/0"
    raw[cd + 24:cd + 28] = struct.pack("<I", 0xFFFFFFF0)
    path.write_bytes(bytes(raw))
    peak, raised = peak_mb(lambda: torchfile.read_torch_state_dict(path))
    assert isinstance(raised, pickle.UnpicklingError) and "which is impossible" in str(raised), repr(raised)
    assert peak < 200


@pytest.mark.parametrize("offset, size, stride, match", [
    (0, (10 ** 6, 10 ** 6), (0, 0), "does not fit its storage"),  # 10^12 elements viewed on 8
    (0, (3, 3), (3, 1), "does not fit its storage"),
    (9, (), (), "does not fit its storage"),
    (0, (2,), (-1,), "malformed"),
    (0, (2, 2), (1,), "malformed"),
    (0.5, (2,), (1,), "malformed"),
])
def test_tensor_views_must_fit_their_storage(tmp_path, monkeypatch, offset, size, stride, match):
    path = tmp_path / "views.pth"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("v/data.pkl", _archive(monkeypatch, {"t": (_Ref("0", 8), offset, size, stride)}))
        zf.writestr("v/data/0", np.arange(8, dtype="<f4").tobytes())
    peak, raised = peak_mb(lambda: torchfile.read_torch_state_dict(path))
    assert isinstance(raised, pickle.UnpicklingError) and match in str(raised), repr(raised)
    assert peak < 200
