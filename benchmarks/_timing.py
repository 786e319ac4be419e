"""Timing shared by the benchmarks: seconds per call of any function, after one warm-up call."""
from __future__ import annotations

import time


def seconds(fn, min_time: float = 0.2) -> float:
    """Mean seconds per call of ``fn`` over back-to-back calls lasting at least ``min_time``."""
    fn()
    n, t0 = 0, time.perf_counter()
    while True:
        fn()
        n += 1
        elapsed = time.perf_counter() - t0
        if elapsed >= min_time:
            return elapsed / n
