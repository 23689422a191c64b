#!/usr/bin/env python3
"""Download chosen MedMNIST subsets and sizes into one folder, for classrooms that work offline.

Example (on a machine with internet; then copy the folder and set MLCOURSE_DATA_DIR to it):
    python data_scripts/prefetch.py --flags pneumoniamnist breastmnist --sizes 28 64 --dest ~/medmnist
    python data_scripts/prefetch.py --course --dest ~/medmnist      # the subsets the course uses
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mlcourse import data

COURSE_FLAGS = ("pneumoniamnist", "breastmnist", "retinamnist", "adrenalmnist3d")


def prefetch(flags: list[str], sizes: list[int], dest: Path, retries: int = 3, timeout: float = 60.0,
             deadline: float | None = None) -> int:
    """Fetch every (flag, size) not already valid in `dest` (a broken file is fetched again); return the failures."""
    failures = 0
    for flag in flags:
        for size in sizes:
            try:
                entry = data.info(flag, size)
            except ValueError as err:
                print(f"skip  {flag} {size}: {err}")
                continue
            path = dest / entry["file"]
            if path.is_file():
                try:
                    status = data.verify_file(path, flag, size)
                    print(f"have  {entry['file']} ({status})")
                    continue
                except data.InvalidFileError as err:
                    print(f"bad   {entry['file']}: {err}\n      downloading it again")
                    path.unlink()
            try:
                data.download(flag, size, dest, retries=retries, timeout=timeout, deadline=deadline)
                print(f"got   {entry['file']} (MD5 verified)")
            except data.DownloadError as err:
                failures += 1
                print(f"FAIL  {entry['file']}\n{err}", file=sys.stderr)
    return failures


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--flags", nargs="+", default=[],
                        help=f"subsets, e.g. pneumoniamnist; any of: {' '.join(data.FLAGS)}")
    parser.add_argument("--course", action="store_true",
                        help=f"add the subsets the course uses ({' '.join(COURSE_FLAGS)})")
    parser.add_argument("--all", action="store_true", help="all 18 subsets (several GB at the larger sizes)")
    parser.add_argument("--sizes", nargs="+", type=int, default=[28], help="image sizes: 28 64 128 224 (3D: 28 64)")
    parser.add_argument("--dest", type=Path, required=True, help="folder to fill (created if needed)")
    parser.add_argument("--retries", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds without data before a retry")
    parser.add_argument("--deadline", type=float, default=None,
                        help="seconds allowed for each file, all retries included (default: 120 s, more for big files)")
    args = parser.parse_args(argv)
    chosen = args.flags + (list(COURSE_FLAGS) if args.course else [])
    flags = list(data.FLAGS) if args.all else list(dict.fromkeys(chosen))
    if not flags:
        parser.error("name subsets with --flags, or use --course or --all")
    for flag in flags:
        if flag.lower() not in data.INFO:
            parser.error(f"unknown subset {flag!r}; valid: {', '.join(data.FLAGS)}")
    args.dest.mkdir(parents=True, exist_ok=True)
    failures = prefetch([f.lower() for f in flags], args.sizes, args.dest, args.retries, args.timeout, args.deadline)
    print(f"{'all files present' if not failures else f'{failures} file(s) failed'} in {args.dest}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
