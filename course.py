#!/usr/bin/env python3
"""Set up the course and open it, or run its tests, with nothing but Python installed.

    python3 course.py lab                      # set up .venv, then open JupyterLab on notebooks/
    python3 course.py lab --execute 00 --fast  # set up, then run chapter 00 headless
    python3 course.py test [pytest args...]    # set up, then run the whole test suite
    python3 course.py site [--out DIR]         # set up, then build the course website (build/site/)
    python3 course.py grade SUBMISSIONS/ --chapter 04   # set up, then grade a folder of notebooks

"Set up" means: create a virtual environment in .venv (once), upgrade pip and install the
course package with its test extras (``pip install -e ".[test]"``; about 3 GB on disk, mostly
TensorFlow). pip runs quietly: one ``==>`` line per step, and pip's own messages only when it fails.
The install is skipped when .venv/.mlcourse-installed records the current hash of pyproject.toml.

JupyterLab and pytest run as child processes: Ctrl+C, SIGTERM and SIGHUP end the child too (it gets
SIGTERM, then SIGKILL if it is still there after a grace period), so no server is left holding the port.

Standard library only; works on Linux, macOS and Windows with the Python versions that
``requires-python`` in pyproject.toml names (the pinned TensorFlow has no wheels for newer ones).
"""

import sys

if sys.version_info < (3, 10):  # noqa: UP036 - keep this check above any newer syntax
    sys.stderr.write(
        "error: the course needs Python 3.10 or newer, but this is Python %d.%d (%s).\n"  # noqa: UP031
        "Install a newer Python (https://www.python.org/downloads/) and run this again with it,\n"
        "e.g. `python3.12 course.py lab`.\n" % (sys.version_info[0], sys.version_info[1], sys.executable)
    )
    sys.exit(1)

import argparse
import hashlib
import os
import re
import signal
import subprocess
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".mlcourse-installed"
NOTEBOOKS = ROOT / "notebooks"
EXECUTED = ROOT / "executed"
WINDOWS = os.name == "nt"
INSTALL_SIZE = "about 3 GB on disk"  # measured: du -sh .venv after a fresh install (TensorFlow is 1.9 GB of it)
PIP_QUIET = ["-q", "--disable-pip-version-check"]
ERROR_TAIL_LINES = 40  # how much of pip's captured output a failure shows
STOP_GRACE_S = 10.0  # how long a child gets to end after SIGTERM before it is killed


class CourseError(Exception):
    """A failure with a message meant for the student; printed without a traceback."""


def fast_value(value: str) -> bool:
    """How mlcourse reads MLCOURSE_FAST (only used here to say which mode runs)."""
    return value.strip().lower() in ("1", "true", "yes", "on")


def step(message: str) -> None:
    """Print one progress line."""
    print(f"==> {message}", flush=True)


def venv_bin() -> Path:
    """The folder of the venv's executables."""
    return VENV / ("Scripts" if WINDOWS else "bin")


def venv_python() -> Path:
    """The venv's python."""
    return venv_bin() / ("python.exe" if WINDOWS else "python")


def venv_env(**extra: str) -> dict:
    """The environment for commands run from the venv (as if it were activated)."""
    env = dict(os.environ)
    env["VIRTUAL_ENV"] = str(VENV)
    env["PATH"] = str(venv_bin()) + os.pathsep + env.get("PATH", "")
    env.pop("PYTHONHOME", None)
    env.update(extra)
    return env


def run(cmd: list, what: str, env: dict | None = None) -> None:
    """Run a command from the repo root; raise CourseError naming `what` if it fails."""
    try:
        result = subprocess.run([str(c) for c in cmd], check=False, cwd=ROOT, env=env)
    except OSError as exc:
        raise CourseError(f"{what} failed: {exc}") from exc
    if result.returncode != 0:
        raise CourseError(f"{what} failed (exit status {result.returncode}); see the messages above.")


def run_quiet(cmd: list, what: str, env: dict | None = None) -> None:
    """Run a command with its output captured; on failure print the tail of it and raise CourseError."""
    try:
        result = subprocess.run([str(c) for c in cmd], check=False, cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace")
    except OSError as exc:
        raise CourseError(f"{what} failed: {exc}") from exc
    if result.returncode != 0:
        lines = (result.stdout or "").rstrip().splitlines()
        shown = lines[-ERROR_TAIL_LINES:]
        if shown:
            cut = f" (the last {len(shown)} of {len(lines)} lines)" if len(lines) > len(shown) else ""
            print(f"    pip's output{cut}:", file=sys.stderr)
            for line in shown:
                print(f"    | {line}", file=sys.stderr)
            sys.stderr.flush()
        raise CourseError(f"{what} failed (exit status {result.returncode}); pip's messages are above.")


def pip_install(python: Path, args: list, what: str) -> None:
    """`python -m pip install -q ARGS` in the venv's environment; pip's output is shown only if it fails."""
    run_quiet([python, "-m", "pip", "install", *PIP_QUIET, *args], what, env=venv_env())


def forwarded_signals() -> list:
    """The signals that end the child: SIGTERM, plus SIGHUP (POSIX) and SIGBREAK (Windows) where they exist."""
    return [getattr(signal, name) for name in ("SIGTERM", "SIGHUP", "SIGBREAK") if hasattr(signal, name)]


class _Stop(Exception):
    """Raised by the signal handler of run_child to leave its wait."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def exit_status(returncode: int) -> int:
    """A child's return code as a shell exit status (killed by signal N -> 128 + N)."""
    return 128 - returncode if returncode < 0 else returncode


def end_child(proc: subprocess.Popen, grace: float = STOP_GRACE_S, wait_first: float = 0.0) -> int:
    """End a child: give it `wait_first` s to exit by itself, then SIGTERM, then SIGKILL after `grace` s."""
    for action, timeout in ((None, wait_first), (proc.terminate, grace), (proc.kill, None)):
        if proc.poll() is not None:
            break
        if action is not None:
            try:
                action()
            except OSError:  # it ended in the meantime
                pass
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            continue
    return proc.wait()


def run_child(cmd: list, *, cwd: Path | None = None, env: dict | None = None, grace: float = STOP_GRACE_S,
              wait_after_interrupt: float = 0.0, name: str = "the child process") -> int:
    """Run a command and return its exit status; Ctrl+C, SIGTERM or SIGHUP to us end the child as well."""
    stopping = False

    def on_signal(signum: int, frame: object) -> None:
        if not stopping:  # a second signal while the child is being ended changes nothing
            raise _Stop(signum)

    installed = {}
    if threading.current_thread() is threading.main_thread():  # signal handlers can only be set there
        for sig in forwarded_signals():
            try:
                installed[sig] = signal.signal(sig, on_signal)
            except (OSError, ValueError):  # not settable here (e.g. an embedded interpreter)
                pass
    proc = None
    try:
        try:
            proc = subprocess.Popen([str(c) for c in cmd], cwd=cwd, env=env)
            return exit_status(proc.wait())
        except (_Stop, KeyboardInterrupt) as exc:
            stopping = True
            got = signal.Signals(exc.signum).name if isinstance(exc, _Stop) else "Ctrl+C"
            if proc is None:
                return 128 + (exc.signum if isinstance(exc, _Stop) else int(signal.SIGINT))
            print(f"\n==> {got}: stopping {name} (pid {proc.pid})", file=sys.stderr, flush=True)
            # Ctrl+C reached the child too (same terminal); a signal sent to us alone did not.
            wait_first = wait_after_interrupt if isinstance(exc, KeyboardInterrupt) else 0.0
            return exit_status(end_child(proc, grace, wait_first))
    finally:
        stopping = True
        if proc is not None and proc.poll() is None:  # any other error: never leave the child behind
            end_child(proc, grace)
        for sig, previous in installed.items():
            signal.signal(sig, previous)


def python_range(pyproject: Path | None = None) -> tuple[tuple[int, int], tuple[int, int] | None]:
    """(lowest, first unsupported) Python version from requires-python in pyproject.toml, e.g. ((3, 10), (3, 14))."""
    path = pyproject or ROOT / "pyproject.toml"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return (3, 10), None
    spec = re.search(r'^requires-python\s*=\s*"([^"]*)"', text, flags=re.M)
    lower = re.search(r">=\s*(\d+)\.(\d+)", spec.group(1)) if spec else None
    upper = re.search(r"<\s*(\d+)\.(\d+)", spec.group(1)) if spec else None
    low = (int(lower.group(1)), int(lower.group(2))) if lower else (3, 10)
    return low, ((int(upper.group(1)), int(upper.group(2))) if upper else None)


def check_python(version: tuple[int, ...] | None = None) -> None:
    """Raise CourseError when this Python is outside requires-python (no TensorFlow wheel for it)."""
    major_minor = tuple((version or sys.version_info)[:2])
    low, high = python_range()
    newest = f"{high[0]}.{high[1] - 1}" if high else "the newest"
    supported = f"Python {low[0]}.{low[1]} to {newest}"
    if major_minor < low or (high is not None and major_minor >= high):
        why = ("TensorFlow, which the course needs, publishes no wheels for it yet" if high and major_minor >= high
               else "the course's code needs a newer one")
        raise CourseError(
            f"this is Python {major_minor[0]}.{major_minor[1]} ({sys.executable}), but the course supports "
            f"{supported} (requires-python in pyproject.toml): {why}.\n"
            f"Install a supported Python (https://www.python.org/downloads/, or `uv python install {newest}`, "
            f"or `conda create -n mlcourse python={newest}`), then run this again with it, "
            f"e.g. `python{newest} course.py lab`. If .venv was made with this Python, delete it first."
        )


def pyproject_hash() -> str:
    """The hash of pyproject.toml that the install stamp records."""
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def setup() -> Path:
    """Make sure .venv exists and holds the course package; return the venv's python."""
    check_python()
    python = venv_python()
    if not VENV.exists():
        step(f"creating the virtual environment {VENV.name}/ with Python {sys.version.split()[0]}")
        try:
            run([sys.executable, "-m", "venv", VENV], "creating the virtual environment")
        except CourseError as exc:
            raise CourseError(
                f"{exc}\nOn Debian/Ubuntu the venv module is a separate package: "
                "`sudo apt install python3-venv`, then delete .venv and run this again."
            ) from None
    elif not python.exists():
        raise CourseError(
            f"{VENV} exists but has no {python.relative_to(VENV)}: it is broken or was made on "
            "another system. Delete the .venv folder and run this command again."
        )

    wanted = pyproject_hash()
    recorded = STAMP.read_text(encoding="utf-8").strip() if STAMP.exists() else ""
    if recorded == wanted:
        step(f"environment up to date ({VENV.name}/ matches pyproject.toml); skipping install")
        return python

    step("upgrading pip")
    try:
        pip_install(python, ["--upgrade", "pip"], "upgrading pip")
    except CourseError as exc:  # an old pip still installs the course; carry on
        print(f"    warning: {exc} Continuing with the pip that is there.", flush=True)

    step('installing the course package and its dependencies (pip install -e ".[test]"); '
         f"this takes a few minutes the first time, {INSTALL_SIZE}")
    try:
        pip_install(python, ["-e", ".[test]"], "installing the course")
    except CourseError as exc:
        STAMP.unlink(missing_ok=True)
        raise CourseError(
            f"{exc}\nCheck your internet connection (PyPI must be reachable) and run this again; "
            "conda users can use environment.yml instead (see README.md)."
        ) from None
    STAMP.write_text(wanted + "\n", encoding="utf-8")
    step(f"installed; recorded in {STAMP.relative_to(ROOT).as_posix()}")
    return python


def find_notebook(chapter: str) -> Path:
    """'00', '00_welcome', '00_welcome.ipynb' or 'notebooks/00_welcome.ipynb' -> the path."""
    name = Path(chapter).name
    name = name.removesuffix(".ipynb")
    if len(name) == 1 and name.isdigit():
        name = "0" + name
    exact = NOTEBOOKS / f"{name}.ipynb"
    if exact.is_file():
        return exact
    matches = sorted(NOTEBOOKS.glob(f"{name}_*.ipynb")) if name.isdigit() else []
    if len(matches) == 1:
        return matches[0]
    available = ", ".join(p.stem for p in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))) or "none yet"
    if len(matches) > 1:
        names = ", ".join(p.stem for p in matches)
        raise CourseError(f"chapter {chapter!r} is ambiguous ({names}); give the full name")
    raise CourseError(f"no notebook for chapter {chapter!r} in notebooks/ (available: {available})")


def running_as_root() -> bool:
    """Whether this process runs as root (POSIX; always False on Windows)."""
    geteuid = getattr(os, "geteuid", None)
    return geteuid is not None and geteuid() == 0


def lab_command(python: Path, lab_args: list) -> list:
    """The JupyterLab command line; as root it gets --allow-root (JupyterLab refuses root without it)."""
    cmd = [str(python), "-m", "jupyterlab", "notebooks", *lab_args]
    allowed = any(a == "--allow-root" or a.startswith("--allow-root=") or "allow_root" in a for a in lab_args)
    if running_as_root() and not allowed:
        cmd.append("--allow-root")
        step("running as root: adding --allow-root (JupyterLab will not start as root without it)")
    return cmd


def cmd_lab(args: argparse.Namespace, lab_args: list) -> int:
    """`course.py lab`: set up, then open JupyterLab or execute one chapter headless."""
    if lab_args and args.execute:
        raise CourseError(f"unexpected arguments with --execute: {' '.join(lab_args)}")
    if args.fast and not args.execute:
        raise CourseError("--fast only applies with --execute (set MLCOURSE_FAST=1 yourself for JupyterLab)")
    notebook = find_notebook(args.execute) if args.execute else None
    python = setup()
    if notebook is None:
        cmd = lab_command(python, lab_args)
        step("starting JupyterLab on notebooks/ (stop it with Ctrl+C)")
        return run_child(cmd, cwd=ROOT, env=venv_env(), name="JupyterLab")

    extra = {"MLCOURSE_FAST": "1"} if args.fast else {}
    mode = "fast" if fast_value(extra.get("MLCOURSE_FAST", os.environ.get("MLCOURSE_FAST", ""))) else "full"
    rel = notebook.relative_to(ROOT).as_posix()
    step(f"executing {rel} headless in {mode} mode (this can take a while)")
    EXECUTED.mkdir(exist_ok=True)
    run([python, "-m", "nbconvert", "--to", "notebook", "--execute",
         "--ExecutePreprocessor.timeout=1800", "--output-dir", EXECUTED, notebook],
        f"executing {rel}", env=venv_env(**extra))
    out = EXECUTED / notebook.name
    step(f"done: the executed copy is {out.relative_to(ROOT).as_posix()} (the original is unchanged)")
    return 0


BACKENDS = ("tensorflow", "jax", "torch")   # Keras backends; jax and torch are extras of pyproject.toml


def split_backend(args: list) -> tuple:
    """(backend or None, the other arguments) from `--backend NAME` or `--backend=NAME` in args."""
    rest, backend, i = [], None, 0
    while i < len(args):
        arg = args[i]
        if arg == "--backend" or arg.startswith("--backend="):
            if arg == "--backend":
                if i + 1 >= len(args):
                    raise CourseError(f"--backend needs a name: one of {', '.join(BACKENDS)}")
                i += 1
                backend = args[i]
            else:
                backend = arg.split("=", 1)[1]
            if backend not in BACKENDS:
                raise CourseError(f"--backend {backend!r} is not a Keras backend; use one of {', '.join(BACKENDS)}")
        else:
            rest.append(arg)
        i += 1
    return backend, rest


def ensure_backend(python: Path, backend: str) -> None:
    """Install the backend's extra (pip install -e ".[test,<backend>]") when the venv cannot import it."""
    if backend == "tensorflow":
        return
    if subprocess.run([str(python), "-c", f"import {backend}"], capture_output=True).returncode == 0:
        return
    step(f'installing the {backend} backend (pip install -e ".[test,{backend}]")')
    pip_install(python, ["-e", f".[test,{backend}]"], f"installing {backend}")


WORKERS_ENV = "MLCOURSE_TEST_WORKERS"
MAX_WORKERS = 4  # each worker starts its own notebook kernels: more workers, more memory
# Arguments with which the caller needs one process (a debugger, or xdist switched off): nothing is added.
SERIAL_ARGS = ("--pdb", "--trace", "-pno:xdist")


def _cores() -> int:
    """CPU cores this process may use (its affinity where the platform tells, else the CPU count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def worker_args(pytest_args: list, environ: dict | None = None) -> list:
    """pytest-xdist's `-n N --dist loadfile` (a notebook's cells stay in one process, in order), or []."""
    environ = os.environ if environ is None else environ
    value = environ.get(WORKERS_ENV, "").strip()
    if value:
        if not (value.isascii() and value.isdecimal()) or int(value) < 1:
            raise CourseError(f"{WORKERS_ENV}={value!r} is not a number of test processes; "
                              f"set it to 1 (one process) or more, or unset it for up to {MAX_WORKERS}")
        workers = int(value)
    else:
        workers = min(_cores(), MAX_WORKERS)
    joined = [a + b for a, b in zip(pytest_args, pytest_args[1:] + [""])]   # "-p", "no:xdist" -> "-pno:xdist"
    if any(a.split("=")[0] in SERIAL_ARGS for a in pytest_args + joined):
        return []
    numbered = any(a.startswith("-n") or a.split("=")[0] == "--numprocesses" for a in pytest_args)
    dist = [] if any(a.split("=")[0] == "--dist" for a in pytest_args) else ["--dist", "loadfile"]
    if numbered:   # the caller's number of processes; nbval still needs each notebook in one process
        return dist
    return [] if workers == 1 else ["-n", str(workers), *dist]


def cmd_test(pytest_args: list) -> int:
    """`course.py test`: set up, then run pytest (on another Keras backend with --backend NAME)."""
    backend, pytest_args = split_backend(pytest_args)
    workers = worker_args(pytest_args)
    python = setup()
    env = venv_env(MPLBACKEND="Agg", TF_CPP_MIN_LOG_LEVEL="3")
    if backend:
        ensure_backend(python, backend)
        env["KERAS_BACKEND"] = backend
    env.setdefault("MLCOURSE_FAST", "1")  # an explicit value, e.g. MLCOURSE_FAST=0, wins
    # Paths given on the command line replace the default `tests notebooks`, so that
    # `course.py test tests/test_links.py` runs that file only. (Should an option's value
    # happen to be a path, pytest falls back to testpaths in pyproject.toml: the same two.)
    named = [a for a in pytest_args if not a.startswith("-") and (ROOT / a.split("::")[0]).exists()]
    targets = [] if named else ["tests", "notebooks"]
    cmd = [str(python), "-m", "pytest", *targets, "--nbval-lax", "--nbval-current-env",
           "-p", "no:cacheprovider", *workers, *pytest_args]
    mode = "fast" if fast_value(env["MLCOURSE_FAST"]) else "full"
    on = f", KERAS_BACKEND={env['KERAS_BACKEND']}" if "KERAS_BACKEND" in env else ""
    step(f"running the tests ({mode} mode, MLCOURSE_FAST={env['MLCOURSE_FAST']}{on}): "
         + " ".join(cmd[1:]))
    # Ctrl+C reaches pytest too: it gets time to print its summary before it is stopped.
    code = run_child(cmd, cwd=ROOT, env=env, wait_after_interrupt=STOP_GRACE_S, name="pytest")
    if code == 5:
        print("error: pytest collected no tests; that counts as a failure.", file=sys.stderr)
        return 1
    step("all tests passed" if code == 0 else f"tests failed (pytest exit status {code})")
    return code


def cmd_site(args: argparse.Namespace) -> int:
    """`course.py site`: set up, then build the website from the committed notebooks (nothing is executed)."""
    python = setup()
    out = Path(args.out).resolve() if args.out else ROOT / "build" / "site"
    step(f"building the course website into {out} (from the committed outputs; nothing is executed)")
    cmd = [str(python), str(ROOT / "tools" / "build_site.py"), "--out", str(out)]
    if args.verbose:
        cmd.append("--verbose")
    code = run_child(cmd, cwd=ROOT, env=venv_env(), name="the site build")
    if code == 0:
        step(f"open {out / 'index.html'} in a browser; it works offline")
    return code


def cmd_grade(grade_args: list) -> int:
    """`course.py grade`: set up, then run tools/grade.py with the arguments given."""
    script = ROOT / "tools" / "grade.py"
    if not script.is_file():
        raise CourseError(f"{script.relative_to(ROOT).as_posix()} is missing; restore it from git.")
    python = setup()
    step("grading: " + " ".join(["tools/grade.py", *grade_args]))
    # Run where the user typed the command, so that relative SUBMISSIONS and --out paths mean what they say.
    return run_child([str(python), str(script), *grade_args], cwd=Path.cwd(), env=venv_env(), name="the grader")


GRADE_HELP = """usage: course.py grade SUBMISSIONS --chapter NN [--out DIR] [--timeout-cell S] [--timeout-notebook S]

Set up .venv if needed, then run tools/grade.py with the venv's python: every notebook in the
folder SUBMISSIONS is executed in an isolated kernel, in fast mode, and each checked exercise is
recorded; grades.csv and an HTML summary go to --out. Every argument after `grade` goes to
tools/grade.py unchanged (see `python3 course.py grade --help-grader` for its own help).
"""


TEST_HELP = """usage: course.py test [pytest arguments ...]

Set up .venv if needed, then run from the repository root:
    <.venv python> -m pytest tests notebooks --nbval-lax --nbval-current-env -p no:cacheprovider \
        -n N --dist loadfile [ARGS]
The tests run in N processes (pytest-xdist; one notebook's cells stay in one process, in order):
N is the number of CPU cores, at most 4, or MLCOURSE_TEST_WORKERS (1 = one process, no xdist).
Your own -n or --dist wins (--dist loadfile is still added unless you give --dist: with xdist's
default a notebook's cells would be spread over processes); --pdb, --trace or -p no:xdist run one.
Every argument after `test` goes to pytest unchanged, e.g. `python3 course.py test -x -k links`;
test files or folders named there replace the default `tests notebooks`, e.g.
`python3 course.py test tests/test_links.py notebooks/00_welcome.ipynb`.
MLCOURSE_FAST defaults to 1 (set MLCOURSE_FAST=0 for a full run); MPLBACKEND=Agg and
TF_CPP_MIN_LOG_LEVEL=3 are set. The exit status is pytest's ("no tests collected" counts as failure).
`--backend jax` (or torch) runs the tests on that Keras backend, installing it first if needed;
it is taken by course.py and not passed to pytest.
"""


def build_parser() -> argparse.ArgumentParser:
    """The command line parser (the `test` command is handled before it, so pytest gets its arguments)."""
    parser = argparse.ArgumentParser(
        prog="course.py",
        description="Set up and run the course 'Machine learning and deep learning for medical\n"
                    "image analysis'. Each command first creates .venv and installs the course\n"
                    "into it when needed (skipped while pyproject.toml is unchanged).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
               "  python3 course.py lab                      open the notebooks in JupyterLab\n"
               "  python3 course.py lab --execute 00 --fast  run chapter 00 headless, quickly\n"
               "  python3 course.py lab --no-browser         options for JupyterLab are passed on\n"
               "  python3 course.py test                     run the whole test suite\n"
               "  python3 course.py test -k links -x         pass arguments on to pytest\n"
               "  python3 course.py site                     build the course website into build/site/\n"
               "  python3 course.py grade subs/ --chapter 04 grade a folder of submitted notebooks",
    )
    sub = parser.add_subparsers(dest="command", metavar="{lab,test,site,grade}")
    lab = sub.add_parser("lab", help="set up, then open JupyterLab on notebooks/ (or --execute one chapter)",
                         description="Set up .venv if needed, then open JupyterLab on notebooks/. "
                                     "Other options are passed to JupyterLab, e.g. --no-browser or --port 8889.")
    lab.add_argument("--execute", metavar="CHAPTER",
                     help="run one notebook headless instead, e.g. 00 or 00_welcome; "
                          "the executed copy goes to executed/")
    lab.add_argument("--fast", action="store_true",
                     help="with --execute: set MLCOURSE_FAST=1 (small, quick run)")
    sub.add_parser("test", help="set up, then run pytest on tests/ and notebooks/ (extra args go to pytest)",
                   add_help=False)
    site = sub.add_parser("site", help="set up, then build the course website (static HTML, works offline)",
                          description="Set up .venv if needed, then build a static website of the whole course "
                                      "from the committed notebooks (nothing is executed), with MathJax bundled "
                                      "so that it works without internet.")
    site.add_argument("--out", metavar="DIR", help="output folder (default: build/site); it is replaced")
    site.add_argument("--verbose", action="store_true", help="show Sphinx's progress messages")
    sub.add_parser("grade", help="set up, then grade a folder of student notebooks (args go to tools/grade.py)",
                   add_help=False)
    return parser


def main(argv: list | None = None) -> int:
    """Run course.py with the given arguments; return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        if argv and argv[0] == "test":
            rest = argv[1:]
            if rest[:1] == ["--"]:
                rest = rest[1:]
            elif rest in (["-h"], ["--help"]):
                print(TEST_HELP)
                return 0
            return cmd_test(rest)
        if argv and argv[0] == "grade":
            rest = argv[1:]
            if rest in ([], ["-h"], ["--help"]):
                print(GRADE_HELP)
                return 0 if rest else 2
            return cmd_grade(["--help"] if rest == ["--help-grader"] else rest)
        args, unknown = parser.parse_known_args(argv)
        if args.command == "lab":
            return cmd_lab(args, unknown)
        if unknown:
            parser.error(f"unrecognized arguments: {' '.join(unknown)}")
        if args.command == "site":
            return cmd_site(args)
        parser.print_help()
        return 2
    except CourseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
