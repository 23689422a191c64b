"""pytest setup for tests/ and notebooks/: a test run never writes the committed results/.

A notebook run in full mode records its results with mlcourse.benchmarks.record_results, which writes
to $MLCOURSE_RESULTS_DIR or, unset, to results/ in the repository. .ci/run points that variable at a
temporary folder; this does the same for any other pytest run that has not set it, so that running
the notebooks through nbval in full mode cannot overwrite the committed results by accident.

It also loads tools/student_stubs.py: while nbval runs a chapter, each exercise cell is first run as
the student edition has it and must stop at its `raise NotImplementedError`.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

TOOLS = str(Path(__file__).resolve().parent / "tools")
if TOOLS not in sys.path:
    sys.path.insert(0, TOOLS)
pytest_plugins = ["student_stubs"]


def pytest_configure(config) -> None:
    """Point MLCOURSE_RESULTS_DIR at a fresh temporary folder unless the caller chose one."""
    if not os.environ.get("MLCOURSE_RESULTS_DIR"):
        os.environ["MLCOURSE_RESULTS_DIR"] = tempfile.mkdtemp(prefix="mlcourse-test-results-")
