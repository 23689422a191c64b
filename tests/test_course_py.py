"""course.py: quiet pip steps that show pip's output only on failure, --allow-root for root, and a
JupyterLab (or any child) that ends with course.py on SIGTERM, SIGHUP or Ctrl+C."""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
POSIX = pytest.mark.skipif(os.name == "nt", reason="POSIX signals")


def load_course():
    """course.py as a module (it is a script beside the package, not part of it)."""
    spec = importlib.util.spec_from_file_location("course_under_test", ROOT / "course.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture()
def course(tmp_path, monkeypatch):
    module = load_course()
    (tmp_path / "pyproject.toml").write_bytes((ROOT / "pyproject.toml").read_bytes())
    monkeypatch.setattr(module, "ROOT", tmp_path)
    venv = tmp_path / ".venv"
    monkeypatch.setattr(module, "VENV", venv)
    monkeypatch.setattr(module, "STAMP", venv / ".mlcourse-installed")
    python = module.venv_python()
    python.parent.mkdir(parents=True)
    python.write_text("")
    return module


class FakeRun:
    """Stands in for subprocess.run: records each command, fails the ones that contain `fail_on`."""

    def __init__(self, fail_on: str | None = None, output: str = ""):
        self.calls, self.fail_on, self.output = [], fail_on, output

    def __call__(self, cmd, **kwargs):
        self.calls.append((list(cmd), kwargs))
        failed = self.fail_on is not None and self.fail_on in cmd
        return subprocess.CompletedProcess(cmd, 1 if failed else 0, stdout=self.output if failed else "")


def test_setup_runs_pip_quietly_with_one_line_per_step(course, monkeypatch, capsys):
    fake = FakeRun()
    monkeypatch.setattr(course.subprocess, "run", fake)
    python = course.setup()
    assert [cmd for cmd, _ in fake.calls] == [
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "--upgrade", "pip"],
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-e", ".[test]"],
    ]
    for _, kwargs in fake.calls:  # output captured (shown only on failure), run from the repo root in the venv
        assert kwargs["stdout"] == subprocess.PIPE and kwargs["stderr"] == subprocess.STDOUT
        assert kwargs["cwd"] == course.ROOT and kwargs["env"]["VIRTUAL_ENV"] == str(course.VENV)
    out = capsys.readouterr().out
    assert [line for line in out.splitlines() if not line.startswith("==> ")] == []
    assert "==> upgrading pip" in out
    assert "this takes a few minutes the first time, about 3 GB on disk" in out
    assert course.STAMP.read_text(encoding="utf-8").strip() == course.pyproject_hash()

    fake.calls.clear()
    course.setup()  # recorded: nothing to install
    assert fake.calls == [] and "skipping install" in capsys.readouterr().out


def test_a_failed_install_shows_the_tail_of_pips_output(course, monkeypatch, capsys):
    noise = "".join(f"Collecting package{i}\n" for i in range(100))
    error = "ERROR: Could not find a version that satisfies the requirement tensorflow\n"
    monkeypatch.setattr(course.subprocess, "run", FakeRun(fail_on=".[test]", output=noise + error))
    with pytest.raises(course.CourseError, match="(?s)installing the course failed .*internet connection"):
        course.setup()
    err = capsys.readouterr().err
    assert "| ERROR: Could not find a version that satisfies the requirement tensorflow" in err
    assert f"the last {course.ERROR_TAIL_LINES} of 101 lines" in err
    assert "package0\n" not in err and len(err.splitlines()) == course.ERROR_TAIL_LINES + 1
    assert not course.STAMP.exists()


def test_a_failed_pip_upgrade_only_warns(course, monkeypatch, capsys):
    monkeypatch.setattr(course.subprocess, "run", FakeRun(fail_on="--upgrade", output="ERROR: no network\n"))
    course.setup()
    captured = capsys.readouterr()
    assert "| ERROR: no network" in captured.err
    assert "warning: upgrading pip failed" in captured.out and course.STAMP.exists()


@pytest.mark.parametrize("euid, lab_args, added", [
    (0, ["--no-browser"], True),
    (0, ["--allow-root"], False),
    (0, ["--ServerApp.allow_root=True"], False),
    (1000, [], False),
])
def test_lab_as_root_adds_allow_root(course, monkeypatch, capsys, euid, lab_args, added):
    monkeypatch.setattr(course.os, "geteuid", lambda: euid, raising=False)
    monkeypatch.setattr(course, "setup", lambda: Path("venv-python"))
    started = []
    monkeypatch.setattr(course, "run_child", lambda cmd, **kwargs: started.append((cmd, kwargs)) or 0)
    assert course.main(["lab", *lab_args]) == 0
    [(cmd, kwargs)] = started
    assert cmd[:4] == ["venv-python", "-m", "jupyterlab", "notebooks"]
    assert cmd[4:] == [*lab_args, "--allow-root"] if added else cmd[4:] == lab_args
    assert kwargs["cwd"] == course.ROOT and kwargs["name"] == "JupyterLab"
    out = capsys.readouterr().out
    assert ("running as root: adding --allow-root" in out) is added
    assert out.count("--allow-root") == (1 if added else 0)


def test_no_geteuid_means_not_root(course, monkeypatch):
    monkeypatch.delattr(course.os, "geteuid", raising=False)  # as on Windows
    assert course.running_as_root() is False
    assert "--allow-root" not in course.lab_command(Path("py"), [])


def test_exit_status_of_a_signalled_child():
    course = load_course()
    assert course.exit_status(0) == 0 and course.exit_status(3) == 3
    assert course.exit_status(-signal.SIGTERM) == 128 + signal.SIGTERM


CHILD = """
import pathlib, signal, sys, time
folder = pathlib.Path(sys.argv[1])
def on_term(signum, frame):
    (folder / "child-got-sigterm").write_text("yes")
    sys.exit(3)
signal.signal(signal.SIGTERM, on_term if sys.argv[2] == "obey" else signal.SIG_IGN)
(folder / "child-pid").write_text(str(__import__("os").getpid()))
time.sleep(120)
"""

PARENT = """
import signal, sys
sys.path.insert(0, sys.argv[1])
signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal, even if started in the background
import course
sys.exit(course.run_child([sys.executable, sys.argv[2], sys.argv[3], sys.argv[4]], grace=float(sys.argv[5])))
"""


def start_parent(tmp_path: Path, mode: str, grace: float) -> tuple[subprocess.Popen, int]:
    """Start a python running course.run_child on the dummy child; return it and the child's pid."""
    (tmp_path / "child.py").write_text(textwrap.dedent(CHILD))
    (tmp_path / "parent.py").write_text(textwrap.dedent(PARENT))
    parent = subprocess.Popen([sys.executable, str(tmp_path / "parent.py"), str(ROOT), str(tmp_path / "child.py"),
                               str(tmp_path), mode, str(grace)], stderr=subprocess.PIPE, text=True)
    pid_file = tmp_path / "child-pid"
    for _ in range(600):
        if pid_file.exists() and pid_file.read_text():
            return parent, int(pid_file.read_text())
        if parent.poll() is not None:
            break
        time.sleep(0.05)
    parent.kill()
    pytest.fail(f"the child did not start: {parent.communicate()[1]}")


def is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@POSIX
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT], ids=lambda s: s.name)
def test_a_signal_to_course_py_ends_the_child(tmp_path, signum):
    parent, child = start_parent(tmp_path, "obey", grace=30)
    parent.send_signal(signum)
    try:
        _, err = parent.communicate(timeout=60)
    finally:
        parent.kill()
    assert (tmp_path / "child-got-sigterm").read_text() == "yes"
    assert parent.returncode == 3  # the child's exit status is passed on
    assert not is_running(child)
    got = "Ctrl+C" if signum == signal.SIGINT else signum.name
    assert f"{got}: stopping the child process (pid {child})" in err


@POSIX
def test_a_child_that_ignores_sigterm_is_killed_after_the_grace_period(tmp_path):
    parent, child = start_parent(tmp_path, "ignore", grace=1)
    parent.send_signal(signal.SIGTERM)
    try:
        parent.communicate(timeout=60)
    finally:
        parent.kill()
    assert parent.returncode == 128 + signal.SIGKILL
    assert not is_running(child) and not (tmp_path / "child-got-sigterm").exists()


def test_run_child_returns_the_exit_status_and_restores_the_handlers():
    course = load_course()
    before = signal.getsignal(signal.SIGTERM)
    assert course.run_child([sys.executable, "-c", "import sys; sys.exit(7)"]) == 7
    assert signal.getsignal(signal.SIGTERM) is before


@pytest.mark.parametrize("pytest_status, expected", [(0, 0), (1, 1), (5, 1)])
def test_course_py_test_runs_pytest_as_a_child_that_gets_time_to_finish(course, monkeypatch, pytest_status, expected):
    monkeypatch.setattr(course, "setup", lambda: Path("venv-python"))
    started = []
    monkeypatch.setattr(course, "run_child", lambda cmd, **kwargs: started.append((cmd, kwargs)) or pytest_status)
    assert course.main(["test", "-x"]) == expected
    [(cmd, kwargs)] = started
    assert cmd[:3] == ["venv-python", "-m", "pytest"] and cmd[-1] == "-x"
    assert kwargs["wait_after_interrupt"] == course.STOP_GRACE_S and kwargs["env"]["MPLBACKEND"] == "Agg"


def write_pyproject(course, spec: str) -> None:
    text = f'[project]\nname = "x"\nrequires-python = "{spec}"\n'
    (course.ROOT / "pyproject.toml").write_text(text, encoding="utf-8")


def test_the_python_range_comes_from_pyproject(course):
    assert load_course().python_range(ROOT / "pyproject.toml")[1] is not None  # the real file has an upper bound
    write_pyproject(course, ">=3.10,<3.14")
    assert course.python_range() == ((3, 10), (3, 14))
    write_pyproject(course, ">=3.11")
    assert course.python_range() == ((3, 11), None)
    (course.ROOT / "pyproject.toml").unlink()
    assert course.python_range() == ((3, 10), None)


@pytest.mark.parametrize("version, ok", [
    ((3, 10, 0), True), ((3, 13, 5), True), ((3, 14, 0), False), ((3, 9, 1), False)])
def test_a_python_outside_the_range_is_refused_with_the_supported_range(course, version, ok):
    write_pyproject(course, ">=3.10,<3.14")
    if ok:
        course.check_python(version)
        return
    with pytest.raises(course.CourseError) as info:
        course.check_python(version)
    message = str(info.value)
    assert f"this is Python {version[0]}.{version[1]}" in message
    assert "Python 3.10 to 3.13" in message and "python3.13 course.py lab" in message
    assert ("TensorFlow" in message) is (version >= (3, 14))


def test_setup_refuses_an_unsupported_python_before_installing(course, monkeypatch):
    write_pyproject(course, ">=3.10,<3.11")
    fake = FakeRun()
    monkeypatch.setattr(course.subprocess, "run", fake)
    monkeypatch.setattr(course.sys, "version_info", (3, 11, 0, "final", 0))
    with pytest.raises(course.CourseError, match="supports Python 3.10 to 3.10"):
        course.setup()
    assert fake.calls == [] and not course.STAMP.exists()


def test_site_builds_with_the_venv_python(course, monkeypatch, capsys):
    monkeypatch.setattr(course, "setup", lambda: Path("venv-python"))
    started = []
    monkeypatch.setattr(course, "run_child", lambda cmd, **kwargs: started.append((cmd, kwargs)) or 0)
    assert course.main(["site", "--out", str(course.ROOT / "out")]) == 0
    assert course.main(["site"]) == 0
    (first, kwargs), (second, _) = started
    assert first == ["venv-python", str(course.ROOT / "tools" / "build_site.py"), "--out", str(course.ROOT / "out")]
    assert second[-1] == str(course.ROOT / "build" / "site") and kwargs["cwd"] == course.ROOT
    assert "works offline" in capsys.readouterr().out
    with pytest.raises(SystemExit):  # argparse: an unknown option is an error, not passed on
        course.main(["site", "--bogus"])


def test_grade_passes_its_arguments_to_tools_grade(course, monkeypatch, capsys):
    monkeypatch.setattr(course, "setup", lambda: Path("venv-python"))
    started = []
    monkeypatch.setattr(course, "run_child", lambda cmd, **kwargs: started.append((cmd, kwargs)) or 3)
    args = ["subs", "--chapter", "04", "--out", "graded", "--timeout-cell", "30"]
    assert course.main(["grade", *args]) == 1 and "tools/grade.py is missing" in capsys.readouterr().err
    (course.ROOT / "tools").mkdir()
    (course.ROOT / "tools" / "grade.py").write_text("")
    assert course.main(["grade", *args]) == 3  # the grader's exit status is passed on
    [(cmd, kwargs)] = started
    assert cmd == ["venv-python", str(course.ROOT / "tools" / "grade.py"), *args]
    assert kwargs["cwd"] == Path.cwd(), "relative paths are the user's, not the repository's"
    assert course.main(["grade"]) == 2 and "usage: course.py grade SUBMISSIONS" in capsys.readouterr().out


@pytest.mark.parametrize("args, backend, rest", [
    (["-x", "--backend", "jax", "tests/test_losses.py"], "jax", ["-x", "tests/test_losses.py"]),
    (["--backend=torch"], "torch", []),
    (["-k", "backend"], None, ["-k", "backend"]),
])
def test_backend_option_is_taken_out_of_the_pytest_arguments(course, args, backend, rest):
    assert course.split_backend(args) == (backend, rest)


@pytest.mark.parametrize("args, match", [(["--backend"], "needs a name"), (["--backend", "mxnet"], "not a Keras")])
def test_a_bad_backend_is_refused_before_setup(course, monkeypatch, capsys, args, match):
    monkeypatch.setattr(course, "setup", lambda: pytest.fail("setup ran before the arguments were checked"))
    assert course.main(["test", *args]) == 1
    assert match in capsys.readouterr().err


def test_course_py_test_on_jax_installs_the_extra_and_sets_the_backend(course, monkeypatch):
    monkeypatch.setattr(course, "setup", lambda: Path("venv-python"))
    fake = FakeRun(fail_on="import jax")
    monkeypatch.setattr(course.subprocess, "run", fake)
    installed = []
    monkeypatch.setattr(course, "pip_install", lambda python, args, what: installed.append(args))
    started = []
    monkeypatch.setattr(course, "run_child", lambda cmd, **kwargs: started.append((cmd, kwargs)) or 0)
    assert course.main(["test", "--backend", "jax", "tests/test_losses.py"]) == 0
    assert installed == [["-e", ".[test,jax]"]]
    [(cmd, kwargs)] = started
    assert kwargs["env"]["KERAS_BACKEND"] == "jax" and "--backend" not in cmd and "jax" not in cmd


@pytest.mark.parametrize("cpus, environ, args, expected", [
    (2, {}, ["-x"], ["-n", "2", "--dist", "loadfile"]),
    (16, {}, [], ["-n", "4", "--dist", "loadfile"]),          # at most four processes by default
    (1, {}, [], []),                                          # one core: no xdist at all
    (2, {"MLCOURSE_TEST_WORKERS": "1"}, [], []),
    (2, {"MLCOURSE_TEST_WORKERS": " 3 "}, [], ["-n", "3", "--dist", "loadfile"]),
    (2, {}, ["-n", "3"], ["--dist", "loadfile"]),             # the caller's number; notebooks stay whole
    (2, {}, ["-n3"], ["--dist", "loadfile"]), (2, {}, ["--numprocesses=auto"], ["--dist", "loadfile"]),
    (2, {}, ["-n", "3", "--dist=loadscope"], []), (2, {}, ["--dist", "load"], ["-n", "2"]),
    (2, {}, ["-p", "no:xdist"], []), (2, {}, ["-pno:xdist"], []), (2, {}, ["--pdb"], []),
    (2, {}, ["--nbval-lax"], ["-n", "2", "--dist", "loadfile"]),     # not an -n option
])
def test_tests_run_in_several_processes_unless_asked_otherwise(course, monkeypatch, cpus, environ, args, expected):
    monkeypatch.setattr(course, "_cores", lambda: cpus)
    assert course.worker_args(args, environ) == expected


@pytest.mark.parametrize("value", ["0", "two", "-2", "1.5", "\u00b2"])
def test_a_bad_number_of_test_processes_is_refused_before_setup(course, monkeypatch, capsys, value):
    monkeypatch.setenv("MLCOURSE_TEST_WORKERS", value)
    monkeypatch.setattr(course, "setup", lambda: pytest.fail("setup ran before the setting was checked"))
    assert course.main(["test"]) == 1
    err = capsys.readouterr().err
    assert "MLCOURSE_TEST_WORKERS" in err and "set it to 1" in err
