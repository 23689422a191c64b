"""mlcourse.setup(): fast mode, seeding, quiet warnings, and a report without absolute paths."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import types
import warnings
from pathlib import Path

import numpy as np
import pytest

import mlcourse
from mlcourse import config, paths


@pytest.mark.parametrize("value, expected", [("1", True), ("true", True), ("0", False), ("", False), ("off", False)])
def test_is_fast_reads_the_switch(monkeypatch, value, expected):
    monkeypatch.setenv("MLCOURSE_FAST", value)
    assert mlcourse.is_fast() is expected


def test_is_fast_rejects_nonsense(monkeypatch):
    monkeypatch.setenv("MLCOURSE_FAST", "maybe")
    with pytest.raises(ValueError, match="set it to 1"):
        mlcourse.is_fast()


def test_display_path_hides_the_home_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert paths.display_path(tmp_path / ".cache" / "mlcourse") == str(Path("~/.cache/mlcourse"))
    assert paths.display_path(None) == "(not set)"


def test_setup_reports_and_seeds(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("MLCOURSE_FAST", "1")
    monkeypatch.setenv("MLCOURSE_DATA_DIR", str(tmp_path / "data"))
    cfg = mlcourse.setup(seed=7)
    a = np.random.rand(3)
    import keras

    k1 = keras.ops.convert_to_numpy(keras.random.uniform((3,)))
    out = capsys.readouterr().out
    assert cfg.fast and cfg.seed == 7 and cfg.backend == keras.config.backend()
    assert cfg.data_dir == tmp_path / "data"
    for text in ("keras", "backend", "devices", "FAST", "data folder"):
        assert text in out
    mlcourse.setup(seed=7, verbose=False)
    assert np.allclose(a, np.random.rand(3)), "NumPy is not reseeded"
    assert np.allclose(k1, keras.ops.convert_to_numpy(keras.random.uniform((3,)))), "Keras is not reseeded"


def test_warnings_are_printed_without_file_paths():
    config.quiet()
    text = warnings.formatwarning("careful", UserWarning, "/home/someone/x.py", 3)
    assert text == "UserWarning: careful\n"


def test_a_cells_bare_not_implemented_error_reads_not_written_yet(capsys):
    pytest.importorskip("IPython")
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        config.install_exercise_hook()
        shell.run_cell("answer = None\nraise NotImplementedError")
        err = capsys.readouterr().err
        assert "Not written yet" in err and "Traceback" not in err
        # an error raised inside a library keeps its ordinary traceback
        shell.run_cell("import fractions\nfractions.Fraction(1, 0)")
        shell.run_cell("def f():\n    raise NotImplementedError('from a function')\n")
        shell.run_cell("import json\njson.loads('{', object_hook=None)")
        out = capsys.readouterr()
        assert "Not written yet" not in out.err
    finally:
        shell.set_custom_exc((), None)
        InteractiveShell.clear_instance()


def test_devices_and_has_gpu_read_keras_device_list(monkeypatch):
    import keras

    monkeypatch.setattr(keras.config, "backend", lambda: "tensorflow")
    monkeypatch.setattr(keras.distribution, "list_devices", lambda: ["gpu:0", "cpu:0"])
    assert config.devices() == ["gpu:0", "cpu:0"] and config.has_gpu() is True
    monkeypatch.setattr(keras.distribution, "list_devices", lambda: ["CPU:0"])
    assert config.has_gpu() is False

    def unavailable():
        raise RuntimeError("no devices before first use")

    monkeypatch.setattr(keras.distribution, "list_devices", unavailable)
    assert config.devices() == ["cpu"] and config.has_gpu() is False


@pytest.mark.parametrize("available, count, expected", [
    (True, 2, ["cuda:0", "cuda:1", "cpu:0"]), (False, 0, ["cpu:0"])])
def test_on_torch_the_devices_come_from_torch(monkeypatch, available, count, expected):
    """keras.distribution is not implemented for the torch backend (it raised AttributeError there)."""
    import keras

    cuda = types.SimpleNamespace(is_available=lambda: available, device_count=lambda: count)
    monkeypatch.setitem(sys.modules, "torch", types.SimpleNamespace(cuda=cuda))
    monkeypatch.setattr(keras.config, "backend", lambda: "torch")
    assert config.devices() == expected and config.has_gpu() is available


@pytest.mark.parametrize("backend", ["tensorflow", "jax", "torch"])
def test_devices_work_on_every_installed_backend(backend):
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed")
    script = ("from mlcourse import config; d = config.devices(); "
              "print(any('cpu' in x.lower() for x in d), config.has_gpu())")
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.split()[0] == "True"   # every backend lists the CPU
