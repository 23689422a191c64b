"""mlcourse.setup(): fast mode, seeding, quiet warnings, and a report without absolute paths."""

from __future__ import annotations

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
