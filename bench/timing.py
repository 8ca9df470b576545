"""Timing helpers shared by the benchmarks (bench scripts import it as a sibling module)."""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["rate"]


def rate(function: Callable[[], object], seconds: float, *, batch: int = 10) -> float:
    """Calls per second of ``function`` over about ``seconds``, after one warm-up call."""
    function()
    count = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(batch):
            function()
        count += batch
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - start)
