"""The Ansor tuning loop for one task: search, measure, learn, repeat.

Each round the evolutionary search proposes a batch (random programs until the cost
model has something to learn from), the batch is lowered here and measured by the
shared ``tune.Measurer`` (isolated workers, checked against the reference), the
results go to the callbacks (``log_to_file``, ``progress_bar``, ``History``...) and
then train the cost model. Records use the shared format with ``tool="ansor"``; the
``config`` of a row holds the sketch, the decisions and the schedule trace, so a
records file alone is enough to rebuild the best schedule (``apply_history_best``). At the end the
``confirm`` (4) best programs are measured again in turns and the lowest median wins, as in AutoTVM
(``tune.confirm``).

>>> task = SearchTask("matmul", [A, B], [C])                       # doctest: +SKIP
>>> hist = AnsorTuner(task, seed=0).tune(64, records="mm.jsonl")   # doctest: +SKIP
>>> print(task_best.trace)                                         # doctest: +SKIP
"""
from __future__ import annotations

import math
import os
import random

from .cost_model import AnsorCostModel
from .evolution import EvolutionarySearch, spread


class AnsorTuner:
    """Auto-schedules ``task`` (a ``SearchTask``); ``model`` may be shared between tuners.

    When the task has a ``baseline`` (the schedule it gets untuned), the first batch measures it too.
    Attributes while and after tuning: ``best_program``, ``best_gflops``, ``best_seconds``,
    ``trial``, ``best_trial``, ``last_predictions`` (the model's scores for the last batch).
    """

    def __init__(self, task, seed: int = 0, model: AnsorCostModel | None = None, population: int = 96,
                 generations: int = 3, eps: float = 0.1):
        self.task = task
        self.seed = seed
        self.rng = random.Random(seed)
        self.model = model if model is not None else AnsorCostModel(seed=seed)
        self.search = EvolutionarySearch(task, self.model, self.rng, population, generations, eps=eps)
        self.measured: dict = {}     # program key -> GFLOPS
        self.elites: list = []       # (gflops, program) of the best measured programs
        self.best_program = None
        self.best_gflops = 0.0
        self.best_seconds = math.inf
        self.trial = 0
        self.best_trial = 0
        self.last_predictions = None
        self.rows_of_batch: list = []
        self.confirmation = None     # the end-of-run re-measurement (tune.confirm.Confirmation)

    # ---------------------------------------------------------------- bookkeeping
    def _throughput(self, result) -> float:
        """What the cost model learns: GFLOPS, or runs per second for a task without float ops (a copy);
        0 for a failed measurement. Labels are normalized per task, so the unit does not matter."""
        if not (result.ok and result.mean > 0):
            return 0.0
        return self.task.flop / result.mean / 1e9 if self.task.flop > 0 else 1.0 / result.mean

    def _learn(self, progs: list, results: list) -> None:
        feats, gf = [], []
        for p, r in zip(progs, results):
            g = self._throughput(r)
            self.trial += 1
            self.measured[p.key()] = g
            if g > 0:
                if p.sketch is not None:  # the baseline is not a sketch's program: nothing to mutate
                    self.elites.append((g, p))
                if r.mean < self.best_seconds:
                    self.best_program, self.best_trial, self.best_seconds = p, self.trial, r.mean
                    self.best_gflops = self.task.flop / r.mean / 1e9
            low = self.search.lowered(p)
            if low is not None:
                feats.append(low[1])
                gf.append(g)
        # the parents of the next search: the best measured, at most a few of each register block
        ranked = sorted(self.elites, key=lambda t: -t[0])
        kept = {id(p) for p in spread([p for _, p in ranked], 16, self.search.block_share)}
        self.elites = [(g, p) for g, p in ranked if id(p) in kept]
        self.model.update(feats, gf, self.task.key)

    def _resume(self, path, history) -> None:
        from ..tune import records
        from ..tune.measure import MeasureResult
        if not os.path.exists(path):
            return
        progs, results, seen = [], [], set()
        for row in records.trials(records.load(path)):
            if row["task"]["key"] != self.task.key or row.get("tool") != "ansor":
                continue
            try:
                p = self.task.program(row["config"])
            except Exception:  # noqa: BLE001 - a row of another version of this task: skip it
                continue
            if p.key() in self.measured or p.key() in seen:
                continue
            seen.add(p.key())
            progs.append(p)
            results.append(MeasureResult.from_json(row["result"]))
        if progs:
            self._learn(progs, results)
            if history is not None:
                self.last_predictions = None
                history(self, [(self.task, p) for p in progs], results)

    # ---------------------------------------------------------------- one round
    def step(self, measurer, batch_size: int, callbacks=(), ref=None) -> list:
        """Propose, lower, measure and learn one batch; returns its ``MeasureResult``s ([] when done)."""
        base = None
        if self.task.baseline is not None and "baseline" not in self.measured:
            from .program import BaselineProgram
            base = BaselineProgram(self.task.dag, self.task.baseline)
            if self.search.lowered(base) is None:
                base = None
        n = batch_size - (base is not None)
        progs = self.search.next_batch(n, set(self.measured), [p for _, p in self.elites]) if n > 0 else []
        progs = ([base] if base is not None else []) + progs
        if not progs:
            return []
        feats = [self.search.lowered(p) for p in progs]
        self.last_predictions = (list(self.model.predict([f[1] for f in feats])) if self.model.fitted
                                 else None)
        funcs = [f[0] for f in feats]
        results = measurer.measure(funcs, ref if ref is not None else self.reference)
        inputs = [(self.task, p) for p in progs]
        for cb in callbacks:
            cb(self, inputs, results)
        self._learn(progs, results)
        return results

    @property
    def reference(self):
        if getattr(self, "_ref", None) is None:
            self._ref = self.task.reference()
        return self._ref

    def confirm(self, measurer, top: int = 4, rounds: int = 3, records=None, history=None):
        """Measure the ``top`` best programs measured so far ``rounds`` times in turns; the lowest median
        becomes ``best_program`` (``best_seconds``, ``best_gflops`` its median). Returns the
        ``Confirmation`` (None with fewer than two successful programs: nothing to choose between).

        ``records``: a path to append the re-measurements to, as confirmation rows; ``history``: a
        ``History`` to record them in.

        >>> tuner.tune(64, measurer=m, confirm=0)                                  # doctest: +SKIP
        >>> print(tuner.confirm(m, top=6, rounds=5).table(task.flop))              # doctest: +SKIP
        """
        from ..tune import confirm as cf
        cf.check(top, rounds)
        ranked = sorted((k for k, g in self.measured.items() if g > 0 and k in self.search.programs),
                        key=lambda k: -self.measured[k])[:top]
        if len(ranked) < 2:
            return None
        progs = [self.search.programs[k] for k in ranked]
        funcs = []
        for p in progs:
            low = self.search.lowered(p)
            funcs.append(low[0] if low is not None else
                         RuntimeError(f"program {p.key()} lowered while tuning but not now"))
        c = cf.confirm_run(measurer, self.task, "ansor", progs, funcs, self.reference, rounds, records, history)
        self.confirmation = c
        k = c.best_index
        if k is not None:
            self.best_program, self.best_seconds = progs[k], c.medians[k]
            self.best_gflops = self.task.flop / self.best_seconds / 1e9
        return c

    def tune(self, n_trial: int, measurer=None, batch_size: int = 16, callbacks=(), records=None,
             early_stopping: int | None = None, confirm: int = 4, confirm_rounds: int = 3):
        """Measure up to ``n_trial`` programs (resumed ones included) and return the ``History``.

        ``confirm``: after new trials, measure this many of the best again, ``confirm_rounds`` times in
        turns, and keep the lowest median (0: keep the best single timing).
        """
        from ..tune import confirm as cf
        from ..tune.callbacks import log_to_file, with_history
        from ..tune.measure import Measurer

        if n_trial < 0 or batch_size < 1:
            raise ValueError(f"tune: n_trial must be >= 0 and batch_size >= 1, got {n_trial} and {batch_size}")
        cf.check(confirm, confirm_rounds)
        callbacks, history = with_history(callbacks)
        if records is not None:
            self._resume(records, history)
            callbacks.insert(0, log_to_file(records, tool="ansor"))
        own = measurer is None
        measurer = Measurer() if own else measurer
        start = self.trial
        try:
            while self.trial < n_trial:
                if early_stopping is not None and self.trial - self.best_trial >= early_stopping:
                    break
                if not self.step(measurer, min(batch_size, n_trial - self.trial), callbacks):
                    break
            if self.trial > start and confirm >= 2:
                self.confirm(measurer, confirm, confirm_rounds, records, history)
        finally:
            if own:
                measurer.close()
        return history

    def best_schedule(self):
        """The schedule of the best program measured (None before any success)."""
        return None if self.best_program is None else self.best_program.apply()

    def __repr__(self):
        return f"<AnsorTuner {self.task.key}: {self.trial} trials, best {self.best_gflops:.1f} GFLOPS>"
