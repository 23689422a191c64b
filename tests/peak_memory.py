"""Peak memory of a call, for the tests that prove a hostile file is refused in bounded memory."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable


def peak_mb(fn: Callable[[], object]) -> tuple[float, BaseException | None]:
    """Run fn under tracemalloc (which sees NumPy's allocations); return the peak in MB and what it raised."""
    tracemalloc.start()
    raised = None
    try:
        fn()
    except BaseException as err:  # noqa: BLE001 - the test inspects it
        raised = err
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return peak, raised
