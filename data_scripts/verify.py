#!/usr/bin/env python3
"""Check a data folder against the MedMNIST registry: which files are official, valid copies, or broken.

    python data_scripts/verify.py ~/medmnist            # every MedMNIST file found in the folder
    python data_scripts/verify.py ~/medmnist --require pneumoniamnist breastmnist

Exit status 0 when every file found (and every required subset) is usable, 1 otherwise.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from mlcourse import data

_NAME = re.compile(r"^(?P<flag>[a-z0-9]+?)(?:_(?P<size>64|128|224))?\.npz$")


def verify_folder(folder: Path, require: list[str] | None = None) -> tuple[list[tuple[str, str, str]], bool]:
    """Rows (file, status, detail) for the folder, and whether everything is usable."""
    rows, ok = [], True
    for path in sorted(folder.glob("*.npz")):
        m = _NAME.match(path.name)
        if not m or m["flag"] not in data.INFO:
            rows.append((path.name, "unknown", "not a MedMNIST file name"))
            continue
        size = int(m["size"] or 28)
        try:
            status = data.verify_file(path, m["flag"], size)
            detail = "MD5 matches the official release" if status == "official" else (
                f"structure valid, MD5 differs from the official {data.info(m['flag'], size)['md5']}")
        except (data.DataError, OSError) as err:  # report it and go on with the next file
            status, detail, ok = "INVALID", str(err), False
        rows.append((path.name, status, detail))
    for flag in require or []:
        name = data.info(flag)["file"]
        if not (folder / name).is_file():
            rows.append((name, "MISSING", "required but not in the folder"))
            ok = False
    return rows, ok


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--require", nargs="*", default=[], help="subsets (size 28) that must be present")
    args = parser.parse_args(argv)
    if not args.folder.is_dir():
        parser.error(f"{args.folder} is not a folder")
    rows, ok = verify_folder(args.folder, args.require)
    if not rows:
        print(f"no .npz files in {args.folder}")
    width = max((len(r[0]) for r in rows), default=0)
    for name, status, detail in rows:
        print(f"{name:<{width}}  {status:<10}  {detail}")
    print("OK: every file is usable" if ok else "PROBLEMS found (see above)")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
