"""Confirm a tuning run's winner: measure its best few again, in turns, and keep the best median.

A tuner's best is the fastest of many single timings taken at different moments of a shared,
noisy machine, so it is often a lucky one: the winner's curse. In one matmul run the four best
had measured 450, 445, 432 and 430 GFLOPS while tuning; measured again over 8 rounds the first gave
394-442 and the second 433-451. ``confirm`` measures the ``top`` candidates ``rounds`` times in
turns (the order reversed every other round, so each candidate sees the same moments of the
machine) and the winner is the lowest median. Both tuners end with it (``tune(confirm=4)``), and
records keep the re-measurements as confirmation rows (``records.is_confirmation``), by which
``records.best`` then judges the task.

>>> c = Confirmation(["a", "b"], [[0.004, 0.005, 0.0045], [0.0042, 0.0043, 0.0041]])
>>> c.winner, c.medians
('b', [0.0045, 0.0042])
"""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from ..errors import TuningError

ROUNDS = 3


def median_seconds(seconds) -> float:
    """The lower median of the finite timings (a time that was measured, for an even count too), ``inf``
    when there is none: the one rule by which a confirmation, ``records.best`` and ``History`` judge.

    >>> median_seconds([0.3, 0.1, math.inf, 0.2, 0.4])
    0.2
    >>> median_seconds([math.inf])
    inf
    """
    ok = [t for t in seconds if math.isfinite(t)]
    return statistics.median_low(ok) if ok else math.inf


@dataclass
class Confirmation:
    """The configs re-measured (best first by their tuning figure) and their seconds per round
    (``inf`` where a round failed); ``winner`` is the config with the lowest median."""
    configs: list
    seconds: list

    @property
    def medians(self) -> list:
        """Median seconds of each config over its successful rounds (``median_seconds``)."""
        return [median_seconds(ts) for ts in self.seconds]

    @property
    def best_index(self) -> int | None:
        """Position of the winner in ``configs`` (None when every candidate failed every round)."""
        medians = self.medians
        k = min(range(len(medians)), key=lambda i: medians[i], default=None)
        return k if k is not None and math.isfinite(medians[k]) else None

    @property
    def winner(self):
        """The config with the lowest median (None when every candidate failed every round)."""
        k = self.best_index
        return None if k is None else self.configs[k]

    def table(self, flop: float) -> str:
        """One line per candidate: its GFLOPS in each round and the median, the winner marked."""
        win = self.best_index
        lines = []
        for k, (ts, med) in enumerate(zip(self.seconds, self.medians)):
            rounds = " ".join(f"{flop / t / 1e9:7.1f}" if math.isfinite(t) else f"{'failed':>7s}" for t in ts)
            median = f"{flop / med / 1e9:7.1f}" if math.isfinite(med) else f"{'-':>7s}"
            lines.append(f"{'*' if k == win else ' '} #{k + 1}  rounds {rounds}   median {median} GFLOPS")
        return "\n".join(lines)


def confirm(measurer, funcs: list, ref, configs: list | None = None, rounds: int = ROUNDS,
            on_round=None) -> Confirmation:
    """Measure ``funcs`` (lowered candidates, best first) ``rounds`` times in turns.

    ``configs`` name the candidates (default: their positions); ``on_round(configs, results)`` is
    called after each round with the round's ``MeasureResult``s, in the order of ``configs``
    (the tuners append them to their records as confirmation rows).

    >>> c = confirm(measurer, [f1, f2, f3], task.reference(), configs=[c1, c2, c3])   # doctest: +SKIP
    >>> c.winner                                                                      # doctest: +SKIP
    """
    _check_rounds(rounds)
    configs = list(range(len(funcs))) if configs is None else list(configs)
    if len(configs) != len(funcs):
        raise TuningError(f"confirm: {len(funcs)} candidates but {len(configs)} configs to name them")
    seconds = [[] for _ in funcs]
    for r in range(rounds):
        order = list(range(len(funcs)))[::1 if r % 2 == 0 else -1]
        results = [None] * len(funcs)
        for k, res in zip(order, measurer.measure([funcs[k] for k in order], ref)):
            results[k] = res
            seconds[k].append(res.mean if res.ok else math.inf)
        if on_round is not None:
            on_round(configs, results)
    return Confirmation(configs, seconds)


def confirm_run(measurer, task, tool: str, configs: list, funcs: list, ref, rounds: int = ROUNDS, records=None,
                history=None) -> Confirmation:
    """``confirm`` with a tuner's bookkeeping: each round appended to ``records`` (a path, or None) as
    confirmation rows of ``task`` by ``tool``, and the rounds' GFLOPS recorded in ``history`` (or None).
    ``configs`` are AutoTVM ``ConfigEntity``s or Ansor programs (anything with ``to_json()``).

    >>> c = confirm_run(m, task, "autotvm", configs, funcs, task.reference(), records="mm.jsonl")  # doctest: +SKIP
    """
    from . import records as rec
    on_round = None
    if records is not None:
        target = rec.target_string()

        def on_round(cs, results):
            rec.append(records, [rec.make_row(task.name, task.args, c.to_json(), r, tool, target, task.flop,
                                              confirm=True) for c, r in zip(cs, results)])
    c = confirm(measurer, funcs, ref, configs, rounds, on_round)
    if history is not None:
        history.add_confirmation([getattr(cfg, "index", None) for cfg in configs],
                                 [[task.flop / t / 1e9 if math.isfinite(t) and t > 0 else 0.0 for t in ts]
                                  for ts in c.seconds])
    return c


def check(top, rounds) -> None:
    """Refuse, by name, a ``confirm`` (how many of a run's best to measure again) or ``confirm_rounds``
    that is not an integer >= 0 (>= 1 for rounds); a ``confirm`` of 0 or 1 confirms nothing.

    >>> check(4, 0)   # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    workbench.errors.TuningError: tune: confirm_rounds is how many times ... an integer >= 1; got 0
    """
    if isinstance(top, bool) or not isinstance(top, int) or top < 0:
        raise TuningError(f"tune: confirm is how many of the run's best configs are measured again at the end, "
                          f"an integer >= 0 (0: none); got {top!r}")
    _check_rounds(rounds)


def _check_rounds(rounds) -> None:
    if isinstance(rounds, bool) or not isinstance(rounds, int) or rounds < 1:
        raise TuningError(f"tune: confirm_rounds is how many times each confirmed candidate is measured again, "
                          f"an integer >= 1; got {rounds!r}")
