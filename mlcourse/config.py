"""One call at the top of every notebook: seeds, quiet logs, fast mode, and an environment report."""

from __future__ import annotations

import contextlib
import importlib
import os
import platform
import random
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

from mlcourse.paths import cache_dir, data_dir, display_path, is_fast
from mlcourse.version import package_version


@dataclass(frozen=True)
class Config:
    """What `setup()` decided: the seed, fast mode, the Keras backend and the data folders."""

    seed: int
    fast: bool
    backend: str
    data_dir: Path | None
    cache_dir: Path


def _format_warning(message, category, filename, lineno, line=None) -> str:
    """Warnings as one readable line, without the absolute path of the file that raised them."""
    return f"{category.__name__}: {message}\n"


def quiet() -> None:
    """Silence TensorFlow's C++ and Python logging and print warnings without file paths."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    warnings.formatwarning = _format_warning
    try:
        import absl.logging

        absl.logging.set_verbosity(absl.logging.ERROR)
    except ImportError:
        pass


@contextlib.contextmanager
def native_stderr_silenced():
    """Send C-level stderr to the null device (TensorFlow's start-up logs ignore TF_CPP_MIN_LOG_LEVEL)."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no real file descriptor 2 here
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and the Keras backend so that a rerun gives the same numbers."""
    import numpy as np

    random.seed(seed)
    np.random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    with native_stderr_silenced():
        import keras

    keras.utils.set_random_seed(seed)


def devices() -> list[str]:
    """The devices Keras can use, named backend-independently (e.g. 'cpu:0', 'gpu:0', 'cuda:0')."""
    import keras

    if keras.config.backend() == "torch":  # keras.distribution is not implemented for torch: ask torch
        import torch

        gpus = [f"cuda:{i}" for i in range(torch.cuda.device_count())] if torch.cuda.is_available() else []
        return gpus + ["cpu:0"]
    try:
        with native_stderr_silenced():
            return [str(d) for d in keras.distribution.list_devices()]
    except Exception:  # some backends cannot list devices before first use
        return ["cpu"]


def _is_gpu(name: str) -> bool:
    """Whether a device name from devices() is a GPU."""
    return "gpu" in name.lower() or "cuda" in name.lower()


def has_gpu() -> bool:
    """Whether Keras can use a GPU (an entry of devices() names a GPU or CUDA device)."""
    return any(_is_gpu(d) for d in devices())


def _cell_raised(tb) -> bool:
    """Whether the innermost frame of a traceback is notebook code (a cell), not a library's."""
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return False
    filename = tb.tb_frame.f_code.co_filename
    return filename.startswith("<ipython-input") or "ipykernel_" in filename or filename.startswith("<cell")


NOT_WRITTEN = "Not written yet"  # how the exercise hook starts its line (tools/student_stubs.py looks for it)


def _not_written_yet(shell, etype, value, tb, tb_offset=None):
    """IPython handler: a cell's own `raise NotImplementedError` is an unwritten exercise, said in one line."""
    if not _cell_raised(tb):
        shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
        return None
    print(f"\u2717 {NOT_WRITTEN}: this cell still says `raise NotImplementedError`. "
          "Replace that line with your code, then run the cell again.", file=sys.stderr)
    return None


def install_exercise_hook() -> bool:
    """In IPython/Jupyter, show a cell's bare `raise NotImplementedError` as 'not written yet'; True if installed."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None or not hasattr(shell, "set_custom_exc"):
        return False
    shell.set_custom_exc((NotImplementedError,), _not_written_yet)
    return True


def setup(seed: int = 42, verbose: bool = True) -> Config:
    """Seed every generator, quiet the logs, read fast mode, set the course plot style and print the environment."""
    quiet()
    install_exercise_hook()
    fast = is_fast()
    set_seed(seed)
    import keras
    import numpy as np
    import sklearn

    from mlcourse import plots  # imported here: matplotlib is not needed by `import mlcourse`

    plots.use_course_style()

    cfg = Config(
        seed=seed,
        fast=fast,
        backend=keras.config.backend(),
        data_dir=data_dir(),
        cache_dir=cache_dir(),
    )
    if verbose:
        found = devices()
        print(f"Python {platform.python_version()} on {platform.system()} | mlcourse {package_version()}")
        print(f"numpy {np.__version__} | scikit-learn {sklearn.__version__} | keras {keras.__version__}"
              f" (backend: {cfg.backend} {_backend_version(cfg.backend)})")
        print(f"devices: {', '.join(found)}")
        if not any(_is_gpu(d) for d in found):
            print("no GPU: fine, every chapter is sized to run on a laptop CPU")
        print(f"mode: {'FAST (MLCOURSE_FAST=1, shrunk for CI)' if fast else 'full'} | seed: {seed}")
        print(f"data folder: {display_path(cfg.data_dir)} | cache: {display_path(cfg.cache_dir)}")
    return cfg


def _backend_version(backend: str) -> str:
    """The version string of the backend framework, or '' when it cannot be imported."""
    module = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch", "numpy": "numpy"}.get(backend, backend)
    try:
        return importlib.import_module(module).__version__
    except Exception:
        return ""
