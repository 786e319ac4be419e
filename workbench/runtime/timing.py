"""The result of timing a kernel: per-run seconds of each repeat, and their statistics."""
from __future__ import annotations

import statistics
from dataclasses import dataclass


def format_seconds(s: float) -> str:
    """``0.00123`` → ``"1.23 ms"``: three significant digits in s, ms, µs or ns."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if abs(s) >= scale:
            return f"{s / scale:.3g} {unit}"
    return f"{s / 1e-9:.3g} ns"


@dataclass(frozen=True)
class TimeResult:
    """Seconds per run, one figure per repeat (each the mean of ``number`` back-to-back runs).

    >>> r = TimeResult.from_results((0.00122, 0.00125, 0.00121), number=10)
    >>> r
    1.23 ms ± 0.017 ms (median 1.22 ms, 3 repeats × 10 runs)
    >>> r.min
    0.00121
    """
    mean: float
    median: float
    std: float
    min: float
    results: tuple
    number: int

    @classmethod
    def from_results(cls, results, number: int) -> "TimeResult":
        results = tuple(float(r) for r in results)
        std = statistics.pstdev(results) if len(results) > 1 else 0.0
        return cls(statistics.fmean(results), statistics.median(results), std, min(results), results, number)

    @property
    def repeat(self) -> int:
        return len(self.results)

    def __repr__(self):
        unit, scale = next(((u, k) for u, k in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)) if self.mean >= k),
                           ("ns", 1e-9))
        return (f"{self.mean / scale:.3g} {unit} ± {self.std / scale:.2g} {unit} "
                f"(median {self.median / scale:.3g} {unit}, {self.repeat} repeats × {self.number} runs)")
