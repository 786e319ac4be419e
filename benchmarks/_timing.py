"""Timing shared by the benchmarks: seconds per call of any function, after one warm-up call."""
from __future__ import annotations

import time


SETTLE = 0.1  # idle seconds before a window: the threads of whatever ran before have stopped spinning


def seconds(fn, min_time: float = 0.2, settle: float = SETTLE) -> float:
    """Mean seconds per call of ``fn`` over back-to-back calls lasting at least ``min_time``, after
    ``settle`` idle seconds. onnxruntime's threads spin on after its runs: without the pause,
    ResNet-18 always timed right after it (benchmarks/models.py) measured 1.14x onnxruntime's
    latency instead of 1.02x."""
    time.sleep(settle)
    fn()
    n, t0 = 0, time.perf_counter()
    while True:
        fn()
        n += 1
        elapsed = time.perf_counter() - t0
        if elapsed >= min_time:
            return elapsed / n
