"""Execute the chapters on a GPU with JAX and write a timing table to results/benchmark/gpu.json.

    python3 tools/gpu_run.py [--install] [--mode fast|full|both] [--budget SECONDS] [--chapters 00 11 ...]

`.ci/gpu` calls it with --install on a machine that has an NVIDIA GPU. Each chapter runs through nbval
(`pytest notebooks/NN_x.ipynb --nbval-lax`) with KERAS_BACKEND=jax, in a subprocess with its own time limit.
In mode "both" (the default) every chapter runs in fast mode first, then chapters run in full mode, in
order, until the budget is spent; a chapter that does not fit in what is left is recorded as "not run".
TensorFlow is not needed: --install installs the course's other dependencies and the package itself
without it. Results of full-mode runs go to a temporary folder, never into results/.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "results" / "benchmark" / "gpu.json"
MIN_FULL_SECONDS = 60.0          # a full-mode chapter is not started with less than this left
TEST_EXTRAS_NEEDED = ("pytest", "nbval", "nbformat", "nbclient", "ipykernel", "pyyaml")


def chapters() -> list[Path]:
    """The chapter notebooks, in order."""
    return sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def pick(numbers: list[str] | None) -> list[Path]:
    """The notebooks of the chapters named (all when None); an unknown number is an error that names it."""
    books = chapters()
    if not numbers:
        return books
    by_number = {p.name[:2]: p for p in books}
    unknown = [n for n in numbers if n not in by_number]
    if unknown:
        raise SystemExit(f"error: --chapters names {unknown}, which are not chapters; use two-digit numbers "
                         f"from {sorted(by_number)}.")
    return [by_number[n] for n in numbers]


def dependencies_without_tensorflow(pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    """The package's dependencies and the test tools nbval needs, without TensorFlow."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    test = [d for d in project["optional-dependencies"]["test"]
            if re.match(r"[A-Za-z0-9_.-]+", d).group(0).lower() in TEST_EXTRAS_NEEDED]
    return [d for d in project["dependencies"] if not d.lower().startswith("tensorflow")] + test


def install(python: str = sys.executable) -> None:
    """Install what is missing: the course without TensorFlow, and JAX with CUDA if JAX is absent."""
    pip = [python, "-m", "pip", "install", "-q"]
    subprocess.run([*pip, *dependencies_without_tensorflow()], check=True)
    subprocess.run([*pip, "--no-deps", "-e", str(ROOT)], check=True)
    if subprocess.run([python, "-c", "import jax"], capture_output=True).returncode != 0:
        subprocess.run([*pip, "jax[cuda12]"], check=True)


def gpu_devices() -> list[str]:
    """JAX's GPU devices as text; [] when JAX is missing or sees no GPU."""
    probe = ("import jax\nprint('\\n'.join(str(d) for d in jax.devices() if d.platform in ('gpu', 'cuda')))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    return [line for line in done.stdout.splitlines() if line.strip()] if done.returncode == 0 else []


def run_notebook(path: Path, fast: bool, limit: float, env: dict[str, str]) -> tuple[str, float, str]:
    """Run one notebook through nbval; (status, seconds, last line of pytest's output)."""
    cmd = [sys.executable, "-m", "pytest", str(path), "--nbval-lax", "--nbval-current-env", "-q",
           "-p", "no:cacheprovider"]
    start = time.perf_counter()
    try:
        done = subprocess.run(cmd, cwd=ROOT, env={**env, "MLCOURSE_FAST": "1" if fast else "0"},
                              capture_output=True, text=True, timeout=limit)
    except subprocess.TimeoutExpired:
        return "timed out", time.perf_counter() - start, f"stopped after {limit:.0f} s"
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    return ("passed" if done.returncode == 0 else "failed"), time.perf_counter() - start, (lines or [""])[-1]


def plan_and_run(books: list[Path], mode: str, budget: float, env: dict[str, str],
                 runner: Callable[[Path, bool, float, dict[str, str]], tuple[str, float, str]] = run_notebook,
                 ) -> list[dict]:
    """Fast pass first (modes fast, both), then full mode while the budget lasts (modes full, both)."""
    passes = {"fast": [True], "full": [False], "both": [True, False]}[mode]
    rows, spent = [], 0.0
    for fast in passes:
        for path in books:
            left = budget - spent
            if left < (1.0 if fast else MIN_FULL_SECONDS):
                rows.append({"notebook": path.name, "mode": "fast" if fast else "full", "status": "not run",
                             "seconds": 0.0, "detail": f"budget spent ({left:.0f} s left)"})
                continue
            status, seconds, detail = runner(path, fast, left, env)
            spent += seconds
            rows.append({"notebook": path.name, "mode": "fast" if fast else "full", "status": status,
                         "seconds": round(seconds, 1), "detail": detail[:200]})
            print(f"{path.name:32s} {'fast' if fast else 'full'} {status:9s} {seconds:7.1f} s", flush=True)
    return rows


def write_table(rows: list[dict], devices: list[str], out: Path) -> None:
    """The timing table as JSON, written atomically."""
    total = {m: round(sum(r["seconds"] for r in rows if r["mode"] == m), 1) for m in ("fast", "full")}
    table = {"devices": devices, "python": platform.python_version(), "backend": "jax",
             "date": time.strftime("%Y-%m-%d"), "runs": rows, "total_seconds": total}
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=".gpu.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(table, indent=2) + "\n")
    os.replace(tmp, out)
    print(f"wrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}: fast {total['fast']} s, "
          f"full {total['full']} s")


def main(argv: list[str] | None = None) -> int:
    """Command line: check the GPU, optionally install, run the chapters, write the table."""
    parser = argparse.ArgumentParser(prog="gpu_run.py", description=__doc__.splitlines()[0])
    parser.add_argument("--install", action="store_true", help="install the course (without TensorFlow) first")
    parser.add_argument("--mode", choices=("fast", "full", "both"), default="both")
    parser.add_argument("--budget", type=float, default=840.0, help="seconds for all runs together (default 840)")
    parser.add_argument("--chapters", nargs="*", help="two-digit chapter numbers (default: all)")
    parser.add_argument("--allow-cpu", action="store_true", help="run even without a GPU (to test this script)")
    parser.add_argument("--out", type=Path, default=OUT, help="where to write the table (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.budget <= 0:
        parser.error(f"--budget must be a positive number of seconds; got {args.budget}")
    books = pick(args.chapters)
    if args.install:
        install()
    devices = gpu_devices()
    if not devices and not args.allow_cpu:
        print("error: JAX sees no GPU (or JAX is not installed). On a machine with an NVIDIA GPU, run "
              "`.ci/gpu` (it installs jax[cuda12]); to test this script on a CPU, add --allow-cpu.", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as results:
        env = {**os.environ, "KERAS_BACKEND": "jax", "MPLBACKEND": "Agg", "MLCOURSE_RESULTS_DIR": results}
        rows = plan_and_run(books, args.mode, args.budget, env)
    write_table(rows, devices or ["cpu (--allow-cpu)"], args.out)
    return 0 if all(r["status"] in ("passed", "not run") for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
