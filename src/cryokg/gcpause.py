"""Pausing Python's cyclic garbage collector around allocation-heavy stages.

Loading, validating and writing a large graph allocate millions of containers that stay alive until the stage
ends; with the collector on, each full collection walks every object of the process (all the graphs already
loaded), so a stage's cost grows faster than its input (notes/performance.md; docs/benchmarks.md at 1 M
triples). These stages make no reference cycles, so pausing the collector loses nothing: reference counting
still frees everything, and the collector runs again afterwards.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collector_paused"]


@contextmanager
def collector_paused() -> Iterator[None]:
    """Disable the cyclic collector for the block (also usable as a decorator), then restore its state."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
