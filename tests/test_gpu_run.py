"""tools/gpu_run.py (what .ci/gpu runs): the plan (fast pass first, then full mode within the budget), the
timing table, the refusal without a GPU, and bad arguments; notebooks are not executed here."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import gpu_run  # noqa: E402


def fake_runner(seconds):
    """A runner that 'takes' seconds[name] and passes, recording what it was asked to do."""
    calls = []

    def run(path, fast, limit, env):
        calls.append((path.name, fast, limit, env["KERAS_BACKEND"]))
        taken = seconds[path.name] * (1 if fast else 10)
        return ("passed", taken, "1 passed") if taken <= limit else ("timed out", limit, "stopped")

    return run, calls


def test_fast_pass_first_then_full_mode_until_the_budget_is_spent():
    books = gpu_run.pick(["00", "11", "13"])
    run, calls = fake_runner({b.name: s for b, s in zip(books, (2.0, 10.0, 30.0))})
    rows = gpu_run.plan_and_run(books, "both", budget=250.0, env={"KERAS_BACKEND": "jax"}, runner=run)
    assert [(r["mode"], r["status"]) for r in rows] == [
        ("fast", "passed"), ("fast", "passed"), ("fast", "passed"),   # 42 s
        ("full", "passed"), ("full", "passed"),                       # 20 s + 100 s: 162 s spent, 88 s left
        ("full", "timed out")]                                         # 300 s needed
    assert calls[-1][2] == pytest.approx(88.0) and {c[3] for c in calls} == {"jax"}


def test_no_full_run_starts_with_less_than_a_minute_left():
    books = gpu_run.pick(["00", "11"])
    run, calls = fake_runner({b.name: 5.0 for b in books})
    rows = gpu_run.plan_and_run(books, "both", budget=70.0, env={"KERAS_BACKEND": "jax"}, runner=run)
    assert [r["status"] for r in rows] == ["passed", "passed", "passed", "not run"]   # 10 + 50 s, then 10 s left
    assert "budget spent" in rows[-1]["detail"] and len(calls) == 3


def test_table_is_written_with_totals(tmp_path):
    rows = [{"notebook": "00_welcome.ipynb", "mode": "fast", "status": "passed", "seconds": 3.5, "detail": ""},
            {"notebook": "00_welcome.ipynb", "mode": "full", "status": "passed", "seconds": 12.0, "detail": ""}]
    out = tmp_path / "benchmark" / "gpu.json"
    gpu_run.write_table(rows, ["cuda:0"], out)
    table = json.loads(out.read_text())
    assert table["total_seconds"] == {"fast": 3.5, "full": 12.0} and table["devices"] == ["cuda:0"]
    assert table["backend"] == "jax" and not list(out.parent.glob(".gpu.*"))


def test_refuses_without_a_gpu(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(gpu_run, "gpu_devices", lambda: [])
    assert gpu_run.main(["--chapters", "00", "--out", str(tmp_path / "gpu.json")]) == 2
    assert "--allow-cpu" in capsys.readouterr().err and not (tmp_path / "gpu.json").exists()


@pytest.mark.parametrize("argv, match", [(["--chapters", "99"], "not chapters"), (["--chapters", "1"], "not chapters")])
def test_unknown_chapters_are_refused(argv, match):
    with pytest.raises(SystemExit, match=match):
        gpu_run.main(argv)


def test_bad_budget_is_refused(capsys):
    with pytest.raises(SystemExit):
        gpu_run.main(["--budget", "0"])
    assert "--budget must be a positive" in capsys.readouterr().err


def test_installs_the_course_without_tensorflow():
    deps = gpu_run.dependencies_without_tensorflow()
    assert not [d for d in deps if d.lower().startswith("tensorflow")]
    assert any(d.startswith("keras") for d in deps) and any(d.startswith("nbval") for d in deps)
    assert not any(d.startswith(("sphinx", "playwright")) for d in deps)
