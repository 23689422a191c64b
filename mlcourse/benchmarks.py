"""Published MedMNIST v2 results, and the course's own results records.

The benchmark table (``medmnist_v2_benchmark.csv``, shipped with the package) holds the test
split ACC and AUC that Yang et al. report for every MedMNIST v2 dataset and method. Chapters that
train a headline model call :func:`record_results` to write ``results/NN_name.json``;
``python -m mlcourse.benchmarks`` (or ``mlcourse-results``) prints the course-wide table.

Text in a results record is limited so that it is safe to print: every string (keys and values,
also inside ``settings``) must be printable, without control characters such as newlines or
terminal escape sequences; ``model`` has at most 120 characters, every other string at most 200.
The chapter is two ASCII digits. What ``mlcourse-results`` prints is sanitised as well: any
non-printable character read from a file (or a file name) is shown as an escape such as ``\x1b``.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import numbers
import os
import re
import sys
import tempfile
from collections.abc import Mapping, Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from mlcourse.paths import display_path, is_fast, results_dir

__all__ = [
    "SOURCE",
    "DEFAULT_BASELINES",
    "medmnist_v2",
    "compare",
    "protocol",
    "format_protocol",
    "PUBLISHED_PROTOCOLS",
    "results_dir",
    "record_results",
    "load_results",
    "results_table",
    "main",
]

SOURCE = "MedMNIST v2, Yang et al., Scientific Data 2023; test split"
DEFAULT_BASELINES = ("ResNet-18 (28)", "auto-sklearn", "Google AutoML Vision")
COMMON_KEYS = ("chapter", "dataset", "model", "split", "seconds", "seeds", "settings")
# The metric keys a record must carry, by its "task" (a record without "task" is a classification one).
TASK_KEYS = {"classification": ("acc", "auc"), "segmentation": ("dice",), "detection": ("ap50",)}
REQUIRED_KEYS = COMMON_KEYS[:4] + TASK_KEYS["classification"] + COMMON_KEYS[4:]   # of a classification record
SEGMENTATION_METRICS = ("dice", "iou", "hd95_mm")   # per-class dicts a segmentation record may hold
# Per-stratum dicts a detection record may hold (AP at IoU 0.5 and COCO-style mAP over IoU 0.50:0.95), each
# with an "all" entry for the whole test set.
DETECTION_METRICS = ("ap50", "map_50_95")
_NAME_RE = re.compile(r"[0-9][0-9]_[a-z0-9_]+")  # ASCII only: \d would accept e.g. Arabic-Indic digits
MAX_MODEL_CHARS = 120
MAX_TEXT_CHARS = 200
_CSV_NAME = "medmnist_v2_benchmark.csv"
PROTOCOL_KEYS = ("epochs", "augmentation", "pretraining", "seeds", "aggregate", "data_file")
DATA_FILES = ("official", "re-assembled")

# How the published numbers were obtained (MedMNIST/experiments; Yang et al. 2023), as data. The
# benchmark reports one number per method and dataset; the number of runs behind it is not stated.
_RESNET = {"augmentation": "none", "pretraining": "none (trained from scratch)", "seeds": "not stated",
           "aggregate": "one reported number", "data_file": "official"}
PUBLISHED_PROTOCOLS: dict[str, dict[str, str]] = {
    "ResNet-18 (28)": {"epochs": "100", **_RESNET},
    "ResNet-50 (28)": {"epochs": "100", **_RESNET},
    "ResNet-18 (224)": {"epochs": "100 (28 px upsampled to 224)", **_RESNET},
    "ResNet-50 (224)": {"epochs": "100 (28 px upsampled to 224)", **_RESNET},
    "auto-sklearn": {"epochs": "AutoML time budget", "augmentation": "none", "pretraining": "none",
                     "seeds": "not stated", "aggregate": "one reported number", "data_file": "official"},
    "AutoKeras": {"epochs": "architecture search (num_trials)", "augmentation": "AutoKeras default",
                  "pretraining": "none stated", "seeds": "not stated", "aggregate": "one reported number",
                  "data_file": "official"},
    **{f"ResNet-{depth} + {view}": {"epochs": "100", "augmentation": "intensity x U(0,1) on Adrenal and Vessel, "
                                                           "else none", **{k: v for k, v in _RESNET.items()
                                                                           if k != "augmentation"}}
       for depth in (18, 50) for view in ("2.5D", "3D", "ACS")},
    "Google AutoML Vision": {"epochs": "not disclosed", "augmentation": "not disclosed",
                             "pretraining": "not disclosed (commercial service)", "seeds": "not stated",
                             "aggregate": "one reported number", "data_file": "official"},
}


# ----------------------------------------------------------------------------- benchmark table


@lru_cache(maxsize=1)
def _benchmark_rows() -> tuple[dict[str, Any], ...]:
    """Read the packaged CSV once; acc and auc become floats."""
    text = resources.files(__package__ or "mlcourse").joinpath(_CSV_NAME).read_text(encoding="utf-8")
    rows = []
    for row in csv.DictReader(io.StringIO(text)):
        row["acc"] = float(row["acc"])
        row["auc"] = float(row["auc"])
        rows.append(row)
    return tuple(rows)


def _display_names() -> list[str]:
    """Dataset display names in the CSV's order (e.g. "PathMNIST", ..., "VesselMNIST3D")."""
    return list(dict.fromkeys(row["dataset"] for row in _benchmark_rows()))


def known_flags() -> list[str]:
    """MedMNIST flags (lower-case dataset names, e.g. "pneumoniamnist") in the benchmark table."""
    return [name.lower() for name in _display_names()]


def _resolve_dataset(dataset: str) -> str:
    """Map a MedMNIST flag or display name (any case) to the display name used in the CSV."""
    if isinstance(dataset, str):
        key = dataset.strip().lower()
        for name in _display_names():
            if name.lower() == key:
                return name
    raise ValueError(
        f"unknown MedMNIST dataset {dataset!r}; use a flag such as 'pneumoniamnist' or a display "
        f"name. Valid names: {', '.join(_display_names())}."
    )


def medmnist_v2(dataset: str | None = None) -> list[dict[str, Any]]:
    """Published MedMNIST v2 rows (dataset, dim, method, acc, auc, split, source), optionally for one dataset."""
    rows = _benchmark_rows()
    if dataset is not None:
        name = _resolve_dataset(dataset)
        rows = tuple(row for row in rows if row["dataset"] == name)
    return [dict(row) for row in rows]


def _find_method(rows: list[dict[str, Any]], method: str) -> dict[str, Any] | None:
    """The row for `method` (case-insensitive) among one dataset's rows, or None when not reported."""
    for row in rows:
        if row["method"].lower() == method.strip().lower():
            return row
    return None


def _check_methods(methods: Sequence[str]) -> None:
    """Refuse method names that appear nowhere in the benchmark table (typos)."""
    if isinstance(methods, str):
        raise ValueError(f"baselines must be a list or tuple of method names, not the string {methods!r}.")
    known = list(dict.fromkeys(row["method"] for row in _benchmark_rows()))
    lower = {m.lower() for m in known}
    bad = [m for m in methods if not isinstance(m, str) or m.strip().lower() not in lower]
    if bad:
        raise ValueError(f"unknown baseline method(s) {bad}; choose from: {', '.join(known)}.")


def _fmt(value: float | None) -> str:
    """Three decimals, or "-" for a missing value."""
    return "-" if value is None else f"{value:.3f}"


def _signed(diff: float) -> str:
    """Signed difference with three decimals, e.g. "+0.012" (never "-0.000")."""
    return f"{round(diff, 3) + 0.0:+.3f}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool]) -> list[str]:
    """Align columns: text left, numbers right, two spaces between columns, a dashed rule under the header."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        """One aligned row."""
        parts = [str(c).rjust(w) if r else str(c).ljust(w) for c, w, r in zip(cells, widths, right)]
        return "  ".join(parts).rstrip()

    return [line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def _check_unit_float(value: Any, what: str) -> float:
    """A real number in [0, 1] (bools and NaN refused), as a Python float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"{what} must be a number between 0 and 1; got {value!r}.")
    return float(value)


def protocol(*, epochs: int | str, augmentation: str | bool, pretraining: str = "none", seeds: Sequence[int],
             aggregate: str, official: bool) -> dict[str, str]:
    """The protocol behind one of our results, as printed beside it: epochs, augmentation, external
    pretraining data, seeds and how they are aggregated, and whether the data file is the official one.

    `official` is `ds.official` of the loaded subset: False for a re-assembled or re-saved copy,
    whose images may differ from those the published numbers were computed on.
    """
    if isinstance(epochs, bool) or not isinstance(epochs, (int, str)) or (isinstance(epochs, int) and epochs < 0):
        raise ValueError(f"epochs must be the number of training epochs (an int) or a short text; got {epochs!r}.")
    if isinstance(augmentation, bool):
        augmentation = "yes" if augmentation else "none"
    if not isinstance(augmentation, str) or not augmentation.strip():
        raise ValueError(f"augmentation must be True/False or a short text such as 'flips, rotation'; "
                         f"got {augmentation!r}.")
    if not isinstance(pretraining, str) or not pretraining.strip():
        raise ValueError(f"pretraining must name the external data the model saw before ('none', 'ImageNet'); "
                         f"got {pretraining!r}.")
    if (isinstance(seeds, (str, bytes)) or not isinstance(seeds, Sequence) or not seeds
            or not all(isinstance(x, numbers.Integral) and not isinstance(x, bool) for x in seeds)):
        raise ValueError(f"seeds must be a non-empty list of ints, e.g. [0, 1, 2]; got {seeds!r}.")
    if not isinstance(aggregate, str) or not aggregate.strip():
        raise ValueError(f"aggregate must say how the seeds are combined, e.g. 'median (min-max)'; got {aggregate!r}.")
    if not isinstance(official, bool):
        raise ValueError(f"official must be True or False (ds.official of the loaded subset); got {official!r}.")
    out = {"epochs": str(epochs), "augmentation": augmentation, "pretraining": pretraining,
           "seeds": f"{len(seeds)} ({', '.join(str(int(x)) for x in seeds)})", "aggregate": aggregate,
           "data_file": "official" if official else "re-assembled"}
    for key, value in out.items():
        _check_strings(value, f"protocol {key!r}", MAX_TEXT_CHARS)
    return out


def format_protocol(proto: Mapping[str, str] | None) -> str:
    """One line: '20 epochs | aug: flips | pretraining: none | seeds: 3 (0, 1, 2), median (min-max) | official file'."""
    if not proto:
        return "protocol not recorded"
    epochs = str(proto.get("epochs", "?"))
    epochs = f"{epochs} epochs" if epochs.isdigit() else f"epochs: {epochs}"
    return " | ".join([epochs, f"aug: {proto.get('augmentation', '?')}",
                       f"pretraining: {proto.get('pretraining', '?')}",
                       f"seeds: {proto.get('seeds', '?')}, {proto.get('aggregate', '?')}",
                       f"{proto.get('data_file', '?')} file"])


def _with_protocols(table: list[str], protocols: Sequence[str]) -> list[str]:
    """Table lines (header, rule, one line per row) with each row's protocol on an indented line below it."""
    out = table[:2]
    for line, proto in zip(table[2:], protocols):
        out.append(line)
        if proto:
            out.append("    " + proto)
    return out


def _verdict(ci: tuple[float, float], value: float) -> str:
    """Where a published value lies against our CI: 'ours above' (below the CI), 'ours below', else 'level'."""
    low, high = ci
    return "ours above" if low > value else ("ours below" if high < value else "level")


def compare(
    dataset: str,
    acc: float,
    auc: float,
    model: str = "this model",
    baselines: Sequence[str] = DEFAULT_BASELINES,
    protocol: Mapping[str, str] | None = None,
    auc_ci: tuple[float, float] | None = None,
) -> str:
    """Text table of our test ACC/AUC beside published MedMNIST v2 baselines, with the AUC difference to each.

    Every row is followed by its protocol (ours from `protocol(...)`, the baselines' from
    `PUBLISHED_PROTOCOLS`). With `auc_ci`, our 95% test CI, a column says whether each published AUC
    lies below it (we are 'above'), inside it ('level') or above it ('below'); the published numbers'
    own uncertainty is not known, so 'above' is the most this comparison can say, never 'beats'.
    """
    name = _resolve_dataset(dataset)
    acc = _check_unit_float(acc, "acc")
    auc = _check_unit_float(auc, "auc")
    _check_methods(baselines)
    if auc_ci is not None:
        if not isinstance(auc_ci, (tuple, list)) or len(auc_ci) != 2:
            raise ValueError(f"auc_ci must be a (low, high) pair such as (0.91, 0.95); got {auc_ci!r}.")
        auc_ci = (_check_unit_float(auc_ci[0], "auc_ci low"), _check_unit_float(auc_ci[1], "auc_ci high"))
        if auc_ci[0] > auc_ci[1]:
            raise ValueError(f"auc_ci must be (low, high) with low <= high; got {auc_ci!r}.")
    if protocol is not None and not isinstance(protocol, Mapping):
        raise ValueError("protocol must be the dict returned by benchmarks.protocol(...), or None.")
    rows_for_dataset = medmnist_v2(name)
    ci_text = f" [{auc_ci[0]:.3f}, {auc_ci[1]:.3f}]" if auc_ci else ""
    header = ["model", "ACC", "AUC", "AUC diff"] + (["published AUC vs our CI"] if auc_ci else [])
    body = [[str(model), _fmt(acc), _fmt(auc) + ci_text, ""] + ([""] if auc_ci else [])]
    protocols = [format_protocol(protocol)]
    missing = []
    for method in baselines:
        row = _find_method(rows_for_dataset, method)
        if row is None:
            missing.append(method)
            continue
        body.append([row["method"], _fmt(row["acc"]), _fmt(row["auc"]), _signed(auc - row["auc"])]
                    + ([_verdict(auc_ci, row["auc"])] if auc_ci else []))
        protocols.append(format_protocol(PUBLISHED_PROTOCOLS.get(row["method"])))
    lines = [f"{name} (test split)"]
    lines += _with_protocols(_table(header, body, [False, True, True, True] + ([False] if auc_ci else [])), protocols)
    lines.append(f"AUC diff = {model}'s AUC minus the baseline's AUC.")
    if auc_ci:
        lines.append("level: the published AUC lies inside our 95% bootstrap CI; their own uncertainty is unknown.")
    if missing:
        lines.append(f"Not reported for {name}: {', '.join(missing)}.")
    lines.append(f"Source: {SOURCE}")
    return "\n".join(lines)


def benchmark_table(dataset: str) -> str:
    """Text table of every published MedMNIST v2 method for one dataset."""
    rows = medmnist_v2(dataset)
    name, dim = rows[0]["dataset"], rows[0]["dim"]
    lines = [f"{name} ({name.lower()}, {dim}): published MedMNIST v2 results"]
    body = [[r["method"], _fmt(r["acc"]), _fmt(r["auc"])] for r in rows]
    lines += _table(["method", "ACC", "AUC"], body, [False, True, True])
    lines.append(f"Source: {SOURCE}")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- results records


def _json_ready(value: Any, where: str) -> Any:
    """Check a value can be written as JSON (numpy scalars become Python numbers)."""

    def convert(obj: Any) -> Any:
        """JSON fallback for numpy scalars and arrays."""
        if hasattr(obj, "item") and callable(obj.item) and getattr(obj, "ndim", 0) == 0:
            return obj.item()
        if hasattr(obj, "tolist") and callable(obj.tolist):
            return obj.tolist()
        raise TypeError(type(obj).__name__)

    try:
        return json.loads(json.dumps(value, default=convert, allow_nan=False))
    except (TypeError, ValueError) as err:
        raise ValueError(
            f"{where} cannot be written as JSON ({err}); use numbers, strings, lists and dicts."
        ) from None


def _printable(text: str) -> str:
    """`text` with every non-printable character (control characters, escapes) replaced by its Python escape."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def _terminal_safe(text: str) -> str:
    """Multi-line text made safe for a terminal: lines kept, non-printable characters escaped."""
    return "\n".join(_printable(line) for line in str(text).split("\n"))


def _check_strings(value: Any, where: str, limit: int = MAX_TEXT_CHARS) -> None:
    """Refuse any string (dict keys included, at any depth) that is too long or holds non-printable characters."""
    if isinstance(value, str):
        if len(value) > limit:
            raise ValueError(f"{where} has {len(value)} characters; at most {limit} are allowed "
                             f"(it starts {_printable(value[:40])!r}). Shorten it.")
        if not value.isprintable():
            raise ValueError(f"{where} contains control or other non-printable characters ({value[:60]!r}); "
                             "use plain one-line text.")
    elif isinstance(value, Mapping):
        for k, v in value.items():
            _check_strings(k, f"{where}: a key", limit)
            _check_strings(v, f"{where} [{_printable(str(k))[:40]!r}]", limit)
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _check_strings(v, f"{where} [{i}]", limit)


def _validate_record(record: Any, index: int, name: str) -> dict[str, Any]:
    """Check one record's keys and types; return a JSON-ready copy."""
    if not isinstance(record, Mapping):
        raise ValueError(f"record {index} must be a dict; got {type(record).__name__}.")
    label = f"record {index}"
    if isinstance(record.get("model"), str) and isinstance(record.get("dataset"), str):
        label += f" (model {record['model']!r:.60}, dataset {record['dataset']!r:.40})"
    task = record.get("task", "classification")
    if task not in TASK_KEYS:
        raise ValueError(f"{label} key 'task' must be one of {list(TASK_KEYS)}; got {task!r:.40}.")
    required = COMMON_KEYS[:4] + TASK_KEYS[task] + COMMON_KEYS[4:]
    missing = [k for k in required if k not in record]
    if missing:
        raise ValueError(f"{label} is missing key(s) {missing}; every {task} record needs {list(required)}.")
    out = {str(k): _json_ready(v, f"{label} key {k!r}") for k, v in record.items()}

    def bad(key: str, expected: str) -> ValueError:
        """The error for a key with a wrong value."""
        return ValueError(f"{label} key {key!r} must be {expected}; got {record[key]!r:.80}.")

    if not isinstance(out["model"], str) or not out["model"].strip():
        raise bad("model", "a non-empty string naming the model")
    _check_strings(out["model"], f"{label} key 'model'", MAX_MODEL_CHARS)
    for key, value in out.items():
        _check_strings(key, f"{label}: a key", MAX_TEXT_CHARS)
        if key != "model":
            _check_strings(value, f"{label} key {key!r}", MAX_TEXT_CHARS)
    chapter = out["chapter"]
    if not isinstance(chapter, str) or not re.fullmatch(r"[0-9][0-9]", chapter):
        raise bad("chapter", "a two-digit string such as '07'")
    if chapter != name[:2]:
        raise bad("chapter", f"{name[:2]!r} to match the results name {name!r}")
    if task == "classification" and out["dataset"] not in known_flags():
        raise bad("dataset", f"a lower-case MedMNIST flag, one of {known_flags()}")
    if task in ("segmentation", "detection") and out["dataset"] not in known_flags() + course_sources():
        raise bad("dataset", f"a MedMNIST flag or a data source of the course, one of {course_sources()}")
    if out["split"] != "test":
        raise bad("split", "'test' (the course records test-split results only)")
    for key in TASK_KEYS["classification"] if task == "classification" else ():
        value = out[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
            raise bad(key, "a float between 0 and 1")
        out[key] = float(value)
    for key in SEGMENTATION_METRICS if task == "segmentation" else ():
        if key in out:
            out[key] = _per_class(record[key], f"{label} key {key!r}", upper=None if key == "hd95_mm" else 1.0)
    for key in DETECTION_METRICS if task == "detection" else ():
        if key in out:
            out[key] = _per_class(record[key], f"{label} key {key!r}", upper=1.0)
            if "all" not in out[key]:
                raise ValueError(f"{label} key {key!r} needs an 'all' entry (the whole test set) beside its strata.")
    seconds = out["seconds"]
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
        raise bad("seconds", "the training time in seconds, a number >= 0")
    out["seconds"] = float(seconds)
    seeds = record["seeds"]
    if (
        not isinstance(seeds, (list, tuple))
        or not seeds
        or not all(isinstance(s, numbers.Integral) and not isinstance(s, bool) for s in seeds)
    ):
        raise bad("seeds", "a non-empty list of ints, e.g. [0, 1, 2]")
    if not isinstance(out["settings"], dict):
        raise bad("settings", "a dict of the settings used (epochs, batch size, ...)")
    if "protocol" in out:
        proto = out["protocol"]
        if (not isinstance(proto, dict) or sorted(proto) != sorted(PROTOCOL_KEYS)
                or not all(isinstance(v, str) for v in proto.values()) or proto["data_file"] not in DATA_FILES):
            raise bad("protocol", f"the dict from benchmarks.protocol(...) with the keys {list(PROTOCOL_KEYS)}")
    return out


def _validate_records(name: str, records: Any) -> list[dict[str, Any]]:
    """Check the results name and every record."""
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        raise ValueError(
            f"results name {name!r:.80} must look like '07_unsupervised': two digits 0-9 (the chapter), "
            "an underscore, then lower-case letters, digits or underscores."
        )
    if isinstance(records, Mapping) or not isinstance(records, (list, tuple)):
        raise ValueError("records must be a list of dicts; wrap a single record in a list: [record].")
    if not records:
        raise ValueError("records is empty; pass at least one record.")
    return [_validate_record(r, i, name) for i, r in enumerate(records)]


def course_sources() -> list[str]:
    """The names of the course's non-MedMNIST data sources (the 'sources' of mlcourse/course.json)."""
    return list(_course_sources())


@lru_cache(maxsize=1)
def _course_sources() -> tuple[str, ...]:
    """course.json's source names, read once per process."""
    path = Path(__file__).with_name("course.json")
    return tuple(sorted(json.loads(path.read_text(encoding="utf-8"))["sources"]))


def _per_class(value: Any, where: str, upper: float | None) -> dict[str, float]:
    """A non-empty dict of class name -> number >= 0 (and <= upper), or a ValueError naming `where`."""
    if not isinstance(value, Mapping) or not value:
        raise ValueError(f"{where} must be a non-empty dict of class name -> number, e.g. {{'GM': 0.91}}; "
                         f"got {value!r:.80}.")
    out = {}
    for name, number in value.items():
        ok = isinstance(number, numbers.Real) and not isinstance(number, bool) and math.isfinite(float(number))
        if not isinstance(name, str) or not ok or number < 0 or (upper is not None and number > upper):
            limit = f"between 0 and {upper:g}" if upper is not None else ">= 0"
            raise ValueError(f"{where} [{str(name)[:40]!r}] must be a finite number {limit}; got {number!r:.40}.")
        out[name] = float(number)
    return out


def _fast_mode(fast: bool | None) -> bool:
    """fast=None reads the MLCOURSE_FAST switch the way mlcourse.setup() does."""
    return is_fast() if fast is None else bool(fast)


def record_results(name: str, records: Sequence[Mapping[str, Any]], fast: bool | None = None) -> Path | None:
    """Validate and write results/<name>.json atomically; in fast mode write nothing and return None."""
    checked = _validate_records(name, records)
    if _fast_mode(fast):
        print(f"Fast mode: results for {name} are not recorded (unset MLCOURSE_FAST for a full run).")
        return None
    folder = results_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    text = json.dumps(checked, sort_keys=True, indent=2) + "\n"
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes the file private; results are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    print(f"Recorded {len(checked)} result(s) in {display_path(path)}")
    return path


def load_results(directory: str | os.PathLike[str] | None = None) -> list[dict[str, Any]]:
    """All records from <directory>/*.json (default: results_dir()); a malformed file raises ValueError."""
    folder = Path(directory) if directory is not None else results_dir()
    if directory is not None and folder.exists() and not folder.is_dir():
        raise ValueError(f"{folder} is not a folder; pass the folder that holds the results/*.json files.")
    records: list[dict[str, Any]] = []
    if not folder.is_dir():
        return records
    for path in sorted(folder.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            records.extend(_validate_records(path.stem, data))
        except (ValueError, UnicodeDecodeError) as err:
            raise ValueError(
                f"malformed results file {_printable(str(path))}: {err} Fix or delete it, then rerun its chapter."
            ) from None
    return records


def results_table(directory: str | os.PathLike[str] | None = None) -> str:
    """Course-wide table: every recorded result, with MedMNIST v2 reference rows per dataset."""
    folder = Path(directory) if directory is not None else results_dir()
    records = load_results(folder)
    if not records:
        return (
            f"No results recorded yet in {display_path(folder)}.\n"
            "Run a chapter notebook in full mode (MLCOURSE_FAST unset) to record its headline model."
        )
    segmentation = [r for r in records if r.get("task") == "segmentation"]
    detection = [r for r in records if r.get("task") == "detection"]
    records = [r for r in records if r.get("task", "classification") == "classification"]
    order = {flag: i for i, flag in enumerate(known_flags())}
    body: list[list[str]] = []
    protocols: list[str] = []
    datasets = sorted({r["dataset"] for r in records}, key=order.__getitem__)
    for i, flag in enumerate(datasets):
        if i:
            body.append([""] * 6)
            protocols.append("")
        mine = sorted((r for r in records if r["dataset"] == flag), key=lambda r: (r["chapter"], r["model"]))
        for r in mine:
            body.append([r["chapter"], flag, r["model"], _fmt(r["acc"]), _fmt(r["auc"]), f"{r['seconds']:.1f}"])
            protocols.append(format_protocol(r.get("protocol")))
        published = medmnist_v2(flag)
        for method in DEFAULT_BASELINES:
            row = _find_method(published, method)
            if row is not None:
                body.append(["ref", flag, row["method"], _fmt(row["acc"]), _fmt(row["auc"]), "-"])
                protocols.append(format_protocol(PUBLISHED_PROTOCOLS.get(row["method"])))
    lines = [f"Course results (test split) from {display_path(folder)}"]
    lines += _with_protocols(_table(
        ["chapter", "dataset", "model", "ACC", "AUC", "seconds"], body, [False, False, False, True, True, True]
    ), protocols)
    lines.append(f"Rows marked ref are published reference results: {SOURCE}")
    if segmentation:
        lines += ["", "Segmentation results (test split): Dice per class, mean over the classes"]
        seg_body = [[r["chapter"], r["dataset"], r["model"], _fmt(sum(r["dice"].values()) / len(r["dice"])),
                     ", ".join(f"{k} {v:.3f}" for k, v in r["dice"].items()), f"{r['seconds']:.1f}"]
                    for r in sorted(segmentation, key=lambda r: (r["chapter"], r["model"]))]
        lines += _table(["chapter", "dataset", "model", "mean Dice", "Dice per class", "seconds"], seg_body,
                        [False, False, False, True, False, True])
    if detection:
        lines += ["", "Detection results (test split): AP at IoU 0.5 and mAP over IoU 0.50:0.95, whole test set"]
        det_body = [[r["chapter"], r["dataset"], r["model"], _fmt(r["ap50"]["all"]),
                     _fmt(r["map_50_95"]["all"]) if "map_50_95" in r else "-", f"{r['seconds']:.1f}"]
                    for r in sorted(detection, key=lambda r: (r["chapter"], r["model"]))]
        lines += _table(["chapter", "dataset", "model", "AP@0.5", "mAP@[.5:.95]", "seconds"], det_body,
                        [False, False, False, True, True, True])
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: print the course results table, or one dataset's published benchmark rows."""
    parser = argparse.ArgumentParser(
        prog="mlcourse-results",
        description="Print the course's recorded results beside published MedMNIST v2 baselines.",
    )
    parser.add_argument("--dir", default=None,
                        help="folder with the results *.json files (default: $MLCOURSE_RESULTS_DIR or <repo>/results)")
    parser.add_argument("--dataset", metavar="FLAG",
                        help="print the published MedMNIST v2 rows for one dataset, e.g. pneumoniamnist")
    args = parser.parse_args(argv)
    try:
        if args.dataset:
            print(_terminal_safe(benchmark_table(args.dataset)))
        else:
            print(_terminal_safe(results_table(args.dir)))
    except ValueError as err:
        print(f"error: {_terminal_safe(str(err))}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
