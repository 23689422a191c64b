"""Measure the CNN chapters (11-13) against the published MedMNIST v2 baselines and print both.

Run by hand on an idle machine; a full run takes longer than CI allows (about 30-60 minutes on 2
CPU cores):

    python tools/benchmark_targets.py                    # everything below
    python tools/benchmark_targets.py --skip-notebooks   # reuse the committed results/*.json
    python tools/benchmark_targets.py --skip-race        # no time-to-baseline race

1. Chapters 11, 12 and 13 are executed in full mode (a copy; the committed notebooks are not
   touched), each timed; they record their test results into results/benchmark/run/.
2. The time-to-baseline race on PneumoniaMNIST (in the manner of DAWNBench: training seconds until a
   fixed test score). Chapter 11's CNN, trained with the recipe read from notebook 11's parameters
   cell (frozen before the race and chosen there on validation), races ResNet-18 (28) under
   MedMNIST's recipe (Adam 1e-3, batch 128, 100 epochs with x0.1 at epochs 50 and 75, no
   augmentation), in the same process on the same machine; both use batch-norm momentum 0.9, as
   the PyTorch original does. Each model's test AUC is scored every quarter epoch, outside the
   timed part, and used for no decision except stopping the clock when it first reaches ResNet-18
   (28)'s published 0.944 (or at --max-seconds).
3. The table (published baseline, our number) is printed and written to results/benchmark/targets.json.

Published numbers come from `mlcourse.benchmarks.medmnist_v2()` (MedMNIST v2, Yang et al. 2023).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(Path(__file__).resolve().parent) not in sys.path:  # the sibling modules below, however this file is loaded
    sys.path.insert(0, str(Path(__file__).resolve().parent))

import course_metadata  # noqa: E402
import nbio  # noqa: E402

CHAPTERS = ("11", "12", "13")         # the CNN chapters whose targets this tool measures
_COURSE = course_metadata.by_number(ROOT)
NOTEBOOKS = {ch: course_metadata.notebook_name(_COURSE[ch]) for ch in CHAPTERS}
RESULT_FILES = {ch: Path(_COURSE[ch]["results"][0]).name for ch in CHAPTERS}
SCORES_PER_EPOCH = 4                  # the race scores the test split every quarter epoch
NOTEBOOK_LIMIT_S = 600.0               # each chapter in full mode under 10 minutes on 2 cores


def notebook_parameters(path: Path, fast: bool = False) -> dict[str, Any]:
    """The upper-case names assigned in a notebook's `parameters` cell, evaluated with cfg.fast = fast."""
    cells = nbio.code_cells(nbio.read_notebook(path), tag="parameters")
    if len(cells) != 1:
        raise ValueError(f"{path} must have exactly one code cell tagged 'parameters'; found {len(cells)}.")
    source = nbio.source(cells[0][1])
    namespace: dict[str, Any] = {"cfg": SimpleNamespace(fast=fast)}
    exec(compile(source, str(path), "exec"), namespace)  # our own notebook; the contract keeps it to plain assignments
    return {k: v for k, v in namespace.items() if k.isupper()}


def published(flag: str, method: str = "ResNet-18 (28)") -> dict[str, float]:
    """One published MedMNIST v2 row (acc, auc) for a dataset."""
    from mlcourse import benchmarks

    for row in benchmarks.medmnist_v2(flag):
        if row["method"] == method:
            return {"acc": float(row["acc"]), "auc": float(row["auc"])}
    raise ValueError(f"MedMNIST v2 has no row {method!r} for {flag}.")


def first_time_at(rows: list[dict[str, float]], target: float, key: str = "test_auc") -> float | None:
    """Training seconds at the first scoring point whose `key` reaches `target`; None if none does."""
    for row in rows:
        if row[key] >= target:
            return float(row["train_s"])
    return None


def execute_notebook(name: str, results_dir: Path) -> float:
    """Execute notebooks/<name> in full mode on a copy; return the wall time in seconds."""
    from nbclient import NotebookClient

    nb = nbio.read_notebook(ROOT / "notebooks" / name)
    env_backup = dict(os.environ)
    os.environ.update(MLCOURSE_FAST="0", MLCOURSE_RESULTS_DIR=str(results_dir))
    try:
        start = time.perf_counter()
        NotebookClient(nb, timeout=3600, kernel_name="python3",
                       resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()
        return time.perf_counter() - start
    finally:
        os.environ.clear()
        os.environ.update(env_backup)


def read_records(folder: Path, chapter: str) -> list[dict[str, Any]]:
    """The records a chapter wrote; an empty list (with a note) when the file is missing."""
    path = folder / RESULT_FILES[chapter]
    if not path.exists():
        print(f"note: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} is missing; "
              f"run notebook {NOTEBOOKS[chapter]} in full mode first.")
        return []
    return json.loads(path.read_text(encoding="utf-8"))


def race(max_seconds: float, seed: int = 0) -> dict[str, Any]:
    """Seconds of training for chapter 11's CNN and for ResNet-18 (28) to reach ResNet-18 (28)'s test AUC."""
    import mlcourse

    mlcourse.setup(seed=seed, verbose=False)
    import keras

    from mlcourse import data, metrics, models, training

    target = published("pneumoniamnist")["auc"]
    ds = data.load("pneumoniamnist")
    x_test, y_test = training.prepare_images(ds.test[0]), ds.test[1]

    class RaceToTarget(keras.callbacks.Callback):
        """Score the test split every quarter epoch with the clock stopped; stop at the target or the time limit.

        The clock also stops between an epoch's last batch and the next epoch's first, so that
        fit_classifier's validation scoring and weight bookkeeping are not counted as training.
        """

        def __init__(self) -> None:
            super().__init__()
            self.rows: list[dict[str, float]] = []

        def on_train_begin(self, logs=None) -> None:
            self.t0, self.paused, self.pause_start, self.epoch = time.perf_counter(), 0.0, None, 0
            steps = int(self.params["steps"])
            self.points = {max(1, round(steps * q / SCORES_PER_EPOCH)) for q in range(1, SCORES_PER_EPOCH + 1)}
            self.steps = steps

        def on_epoch_begin(self, epoch: int, logs=None) -> None:
            self.epoch = epoch
            if self.pause_start is not None:
                self.paused += time.perf_counter() - self.pause_start
                self.pause_start = None

        def on_train_batch_end(self, batch: int, logs=None) -> None:
            if batch + 1 not in self.points:
                return
            t = time.perf_counter()
            train_s = t - self.t0 - self.paused
            auc = metrics.medmnist_auc(y_test, self.model.predict(x_test, verbose=0), "binary-class")
            self.rows.append({"epoch": round(self.epoch + (batch + 1) / self.steps, 3), "train_s": train_s,
                              "test_auc": auc})
            if auc >= target or train_s > max_seconds:
                self.model.stop_training = True
            if batch + 1 == self.steps:
                self.pause_start = t             # the clock stays stopped until the next epoch begins
            else:
                self.paused += time.perf_counter() - t

    p = notebook_parameters(ROOT / "notebooks" / NOTEBOOKS["11"])
    keras.utils.set_random_seed(seed)
    aug = models.augmentation(rotation=p["AUG_ROTATION"], translation=p["AUG_TRANSLATION"], zoom=p["AUG_ZOOM"],
                              contrast=p["AUG_CONTRAST"], seed=seed)
    cnn = models.compact_cnn((28, 28, 1), 2, widths=tuple(p["WIDTHS"]), dropout=p["DROPOUT"], augment=aug,
                             bn_momentum=p.get("BN_MOMENTUM", models.BN_MOMENTUM))
    cnn_race = RaceToTarget()
    training.fit_classifier(cnn, ds.train, ds.val, task="binary-class", epochs=p["EPOCHS"], batch_size=p["BATCH_SIZE"],
                            lr=p["LR"], weight_decay=p["WEIGHT_DECAY"], label_smoothing=p.get("LABEL_SMOOTHING", 0.0),
                            warmup_epochs=p.get("WARMUP_EPOCHS", 0), callbacks=[cnn_race])

    keras.utils.set_random_seed(seed)
    resnet = models.resnet18_28((28, 28, 1), 2, bn_momentum=0.9)     # PyTorch's momentum, as in MedMNIST
    resnet_race = RaceToTarget()
    training.fit_classifier(resnet, ds.train, ds.val, task="binary-class", epochs=100, batch_size=128, lr=1e-3,
                            schedule="medmnist", callbacks=[resnet_race])

    cnn_s, resnet_s = first_time_at(cnn_race.rows, target), first_time_at(resnet_race.rows, target)
    return {"target_auc": target, "seed": seed, "max_seconds": max_seconds, "scores_per_epoch": SCORES_PER_EPOCH,
            "cnn": {"seconds": cnn_s, "epochs": cnn_race.rows},
            "resnet18_28": {"seconds": resnet_s, "epochs": resnet_race.rows},
            "ratio": (resnet_s / cnn_s) if (cnn_s and resnet_s) else None}


def _fmt(x: float | None, digits: int = 3) -> str:
    """A number for the table, or a dash."""
    return "-" if x is None else f"{x:.{digits}f}"


def target_rows(records: dict[str, list[dict[str, Any]]], times: dict[str, float],
                race_result: dict | None) -> list[list[str]]:
    """Rows of (what, published ResNet-18 (28) number or time limit, ours, met) for everything measured."""
    rows: list[list[str]] = []

    def add(what: str, reference: float, ours: float | None, higher_is_better: bool = True, digits: int = 3) -> None:
        reached = ours is not None and (ours >= reference if higher_is_better else ours <= reference)
        met = "-" if ours is None else ("yes" if reached else "NO")
        rows.append([what, ("≥ " if higher_is_better else "≤ ") + _fmt(reference, digits), _fmt(ours, digits), met])

    pneu, breast, retina = published("pneumoniamnist"), published("breastmnist"), published("retinamnist")
    for r in (r for r in records.get("11", []) if r["dataset"] == "pneumoniamnist"):
        what = f"ch11 {r['model']}, PneumoniaMNIST"
        add(f"{what} AUC vs ResNet-18 (28)", pneu["auc"], r["auc"])
        add(f"{what} ACC vs ResNet-18 (28)", pneu["acc"], r["acc"])
    for r in (r for r in records.get("12", []) if r["dataset"] == "breastmnist"):
        add(f"ch12 {r['model']}, BreastMNIST AUC vs ResNet-18 (28)", breast["auc"], r["auc"])
        add(f"ch12 {r['model']}, BreastMNIST ACC vs ResNet-18 (28)", breast["acc"], r["acc"])
    for r in (r for r in records.get("13", []) if r["dataset"] == "retinamnist"):
        add(f"ch13 {r['model']}, RetinaMNIST AUC vs ResNet-18 (28)", retina["auc"], r["auc"])
        add(f"ch13 {r['model']}, RetinaMNIST ACC vs ResNet-18 (28)", retina["acc"], r["acc"])
    for chapter, seconds in times.items():
        add(f"notebook {NOTEBOOKS[chapter]} full mode (s)", NOTEBOOK_LIMIT_S, seconds, higher_is_better=False, digits=0)
    if race_result:
        target = race_result["target_auc"]
        race_times = {}
        for key, label in (("cnn", "ch11 CNN"), ("resnet18_28", "ResNet-18 (28), MedMNIST recipe")):
            entry = race_result[key]
            race_times[key] = entry["seconds"]
            if entry["seconds"] is not None:
                ours = _fmt(entry["seconds"], 1)
            else:  # stopped at the time limit: report how long it trained and its best test AUC
                last = entry["epochs"][-1] if entry.get("epochs") else {"train_s": 0.0}
                best = max((e["test_auc"] for e in entry.get("epochs", [])), default=float("nan"))
                ours = f"> {last['train_s']:.0f} (not reached; best {best:.4f})"
            rows.append([f"time to test AUC {target:.3f}: {label} (s)", "-", ours, "-"])
        if race_result.get("ratio") is not None:
            ratio = _fmt(race_result["ratio"], 1)
        elif race_times["cnn"] and race_result["resnet18_28"].get("epochs"):
            ratio = f"> {race_result['resnet18_28']['epochs'][-1]['train_s'] / race_times['cnn']:.1f}"
        else:
            ratio = "-"
        rows.append(["ratio ResNet-18 (28) / ch11 CNN", "-", ratio, "-"])
    return rows


def render(rows: list[list[str]]) -> str:
    """A Markdown table."""
    header = ["measured", "published / limit", "ours", "met"]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(4)]
    line = lambda r: "| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |"  # noqa: E731
    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)])


def main(argv: list[str] | None = None) -> int:
    """Command line: run the notebooks and the race, print and save the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--skip-notebooks", action="store_true", help="read the committed results/*.json instead")
    parser.add_argument("--skip-race", action="store_true", help="do not run the time-to-baseline race")
    parser.add_argument("--reuse-race", action="store_true",
                        help="report the race saved by an earlier run (race.json in --out) instead of running it")
    parser.add_argument("--chapters", nargs="*", default=list(NOTEBOOKS), choices=list(NOTEBOOKS))
    parser.add_argument("--max-seconds", type=float, default=1800.0,
                        help="training seconds after which a model in the race is stopped (default 1800)")
    parser.add_argument("--out", default=str(ROOT / "results" / "benchmark"), help="folder for targets.json")
    args = parser.parse_args(argv)

    out = Path(args.out)
    run_dir = out / "run"
    times: dict[str, float] = {}
    if not args.skip_notebooks:
        run_dir.mkdir(parents=True, exist_ok=True)
        for chapter in args.chapters:
            print(f"executing {NOTEBOOKS[chapter]} in full mode ...", flush=True)
            times[chapter] = execute_notebook(NOTEBOOKS[chapter], run_dir)
            print(f"  {times[chapter]:.0f} s", flush=True)
    folder = ROOT / "results" if args.skip_notebooks else run_dir
    records = {ch: read_records(folder, ch) for ch in args.chapters}
    race_result = None
    out.mkdir(parents=True, exist_ok=True)
    if args.reuse_race:
        race_result = json.loads((out / "race.json").read_text(encoding="utf-8"))
        print(f"reusing the race of {race_result.get('date', 'an earlier run')} from {out / 'race.json'}")
    elif not args.skip_race:
        print("time-to-baseline race on PneumoniaMNIST ...", flush=True)
        race_result = race(args.max_seconds)
        race_result["date"] = time.strftime("%Y-%m-%d %H:%M")
        race_result["load_average_after"] = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
        (out / "race.json").write_text(json.dumps(race_result, indent=2) + "\n", encoding="utf-8")
    rows = target_rows(records, times, race_result)
    print(render(rows))
    summary = {"machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}",
               "keras_backend": os.environ.get("KERAS_BACKEND", "tensorflow"),
               "date": time.strftime("%Y-%m-%d"), "results_from": str(folder.relative_to(ROOT)),
               "notebook_seconds": times, "race": race_result,
               "rows": [dict(zip(["measured", "published", "ours", "met"], r)) for r in rows]}
    (out / "targets.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(f"saved {(out / 'targets.json').relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
