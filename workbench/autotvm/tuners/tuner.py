"""The tuning loop shared by every AutoTVM tuner.

A tuner proposes configs (``next_batch``) and learns from their measurements
(``update``); ``Tuner.tune`` runs the loop:

    next_batch -> lower each config here, in the calling process (a failure becomes an
    Exception the measurer records as INSTANTIATE_ERROR) -> measurer.measure ->
    update -> callbacks (log_to_file, progress_bar, History...)

``records=path`` makes tuning resumable: configs of this task already in the file are
not measured again, their results teach the tuner, and they count toward ``n_trial``;
new results are appended to the same file. Everything random comes from ``seed``, so
the same seed with the same measurements proposes the same configs.

At the end, the ``confirm`` (4) best configs are measured again, ``confirm_rounds`` (3) times
in turns, and the lowest median wins (``tune.confirm``): the best single timing of a run is
often a lucky one. The re-measurements go to the records as confirmation rows.

Configs are also seen as *choice vectors*: one choice index per knob, in the order of
``space.knobs``. A space index is that vector read as a mixed-radix number whose
first knob is the least significant digit (the order ``ConfigSpace.get`` uses).

    >>> tuner = RandomTuner(task, seed=0)
    >>> history = tuner.tune(n_trial=32, callbacks=[progress_bar(32)], records="mm.jsonl")
    >>> tuner.best_config, tuner.best_gflops
"""
from __future__ import annotations

import math
import random

import numpy as np


class Tuner:
    """Base of the tuners: the loop, bookkeeping of what was measured, and the best so far.

    Subclasses implement ``next_batch(n)`` (at most ``n`` configs not measured yet) and may
    override ``update(configs, results)``. Attributes after (or during) ``tune``:
    ``best_config`` (a ConfigEntity or None), ``best_gflops`` (0.0 until something ran),
    ``trial`` (configs measured, resumed ones included), ``last_predictions`` (the model's
    score per config of the last batch, or None for tuners without a model).

    ``include_fallback`` (default True): the first batch also measures the template's
    fallback config, so every run starts from a known reasonable point (and the
    fallback's own speed is in the records, to compare against).
    """

    def __init__(self, task, seed: int = 0, include_fallback: bool = True):
        self.task = task
        self.include_fallback = include_fallback
        self.space = task.space
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.pyrng = random.Random(seed)  # for indices of spaces too big for int64
        self.knob_names = list(self.space.knobs)
        self.knob_sizes = [len(self.space.knobs[k]) for k in self.knob_names]
        self.space_size = len(self.space)
        self.visited: set = set()          # space indices measured (or being measured)
        self.scores: dict = {}             # space index -> measured GFLOPS (0.0 on error)
        self.best_config = None
        self.best_gflops = 0.0
        self.best_trial = 0
        self.trial = 0
        self.last_predictions = None
        self.lowered: dict = {}            # space index -> PrimFunc, for the batch being measured
        self.confirmation = None           # the end-of-run re-measurement (tune.confirm.Confirmation)

    # -------------------------------------------------------------- what subclasses provide

    def next_batch(self, n: int) -> list:
        """Up to ``n`` configs (ConfigEntity) not measured yet; an empty list when the space is exhausted."""
        raise NotImplementedError

    def update(self, configs: list, results: list) -> None:
        """Learn from measured ``configs`` and their ``results`` (MeasureResult, aligned)."""

    def has_next(self) -> bool:
        """False once every config of the space has been measured."""
        return len(self.visited) < self.space_size

    # -------------------------------------------------------------- choice vectors

    def choices_of(self, index: int) -> list:
        """The choice index of each knob for space index ``index``."""
        out = []
        for size in self.knob_sizes:
            index, c = divmod(index, size)
            out.append(c)
        return out

    def index_of(self, choices) -> int:
        """The space index of a choice vector (inverse of ``choices_of``)."""
        index, scale = 0, 1
        for c, size in zip(choices, self.knob_sizes):
            index += int(c) * scale
            scale *= size
        return index

    def indices_of(self, choices: np.ndarray) -> list:
        """``index_of`` for each row of an (n × knobs) integer array."""
        if self.space_size < 2 ** 62:
            scales = np.cumprod([1] + self.knob_sizes[:-1]).astype(np.int64)
            return (choices.astype(np.int64) @ scales).tolist()
        return [self.index_of(row) for row in choices]

    def random_choices(self, n: int) -> np.ndarray:
        """``n`` random choice vectors (rows), from the tuner's generator."""
        sizes = np.asarray(self.knob_sizes)
        return (self.rng.random((n, len(sizes))) * sizes).astype(np.int64)

    def random_unvisited(self, n: int, exclude=()) -> list:
        """Up to ``n`` distinct random space indices neither measured nor in ``exclude``."""
        taken = set(self.visited) | set(exclude)
        left = self.space_size - len(taken)
        n = min(n, max(0, left))
        if n <= 0:
            return []
        if left <= 4 * n or left < self.space_size // 4:  # mostly explored: draw from what is left
            rest = [i for i in range(self.space_size) if i not in taken] if self.space_size < 10 ** 6 else None
            if rest is not None:
                return self.pyrng.sample(rest, n)
        out: list = []
        while len(out) < n:
            i = self.pyrng.randrange(self.space_size)
            if i not in taken:
                taken.add(i)
                out.append(i)
        return out

    # -------------------------------------------------------------- the loop

    def _propose(self, n: int) -> list:
        """``next_batch(n)``, with the template's fallback config first in the first batch (when asked)."""
        fb = None
        if self.include_fallback and not getattr(self, "_fallback_done", False):
            self._fallback_done = True
            from ..space import FallbackConfig
            fb = FallbackConfig(self.space)
            if fb.index in self.visited:
                fb = None
        if fb is None:
            return self.next_batch(n)
        self.visited.add(fb.index)  # so next_batch does not propose it too
        try:
            rest = self.next_batch(n - 1) if n > 1 else []
        finally:
            self.visited.discard(fb.index)
        if self.last_predictions is not None:
            self.last_predictions = [None] + list(self.last_predictions)
        return [self.space.get(fb.index)] + rest

    def _lower(self, cfg):
        """The lowered PrimFunc of ``cfg`` (raises when the config cannot be instantiated)."""
        return self.task.lower(cfg)

    def gflops(self, result) -> float:
        """Measured GFLOPS of one MeasureResult (0.0 on error)."""
        if not result.ok or not math.isfinite(result.mean) or result.mean <= 0:
            return 0.0
        return self.task.flop / result.mean / 1e9

    def _record(self, configs, results) -> None:
        for cfg, res in zip(configs, results):
            self.trial += 1
            g = self.gflops(res)
            self.visited.add(cfg.index)
            self.scores[cfg.index] = g
            if g > self.best_gflops:
                self.best_gflops, self.best_config, self.best_trial = g, cfg, self.trial

    def _resume(self, path, batch_size: int, history) -> None:
        """Load this task's measurements from a records file: they count as done and teach the tuner."""
        import os

        from ...tune import records
        from ...tune.measure import MeasureResult
        from ..space import ConfigEntity

        if not os.path.exists(path):
            return
        configs, results, seen = [], [], set()
        for row in records.trials(records.load(path)):
            if row.get("task", {}).get("key") != self.task.key or row.get("tool", "autotvm") != "autotvm":
                continue
            try:
                cfg = ConfigEntity.from_json(self.space, row["config"])
                res = MeasureResult.from_json(row["result"])
            except Exception:  # a row from an older space of the same name: not this space's config
                continue
            if cfg.index in self.visited or cfg.index in seen:
                continue
            seen.add(cfg.index)
            configs.append(cfg)
            results.append(res)
        for i in range(0, len(configs), batch_size):
            cs, rs = configs[i:i + batch_size], results[i:i + batch_size]
            self._record(cs, rs)
            self.update(cs, rs)
            if history is not None:  # the returned History starts with what was resumed
                self.last_predictions = None
                history(self, [(self.task, c) for c in cs], rs)

    def confirm(self, measurer, top: int = 4, rounds: int = 3, records=None, history=None, ref=None):
        """Measure the ``top`` best configs measured so far ``rounds`` times in turns; the lowest median
        becomes ``best_config`` (``best_gflops`` its median). Returns the ``Confirmation`` (None with
        fewer than two successful configs: nothing to choose between).

        ``records``: a path to append the re-measurements to, as confirmation rows; ``history``: a
        ``History`` to record them in.

            >>> tuner.tune(64, measurer=m, confirm=0)          # doctest: +SKIP
            >>> print(tuner.confirm(m, top=6, rounds=5).table(task.flop))   # doctest: +SKIP
        """
        from ...tune import confirm as cf
        cf.check(top, rounds)
        ranked = sorted((i for i, g in self.scores.items() if g > 0), key=lambda i: -self.scores[i])[:top]
        if len(ranked) < 2:
            return None
        configs = [self.space.get(i) for i in ranked]
        funcs = []
        for cfg in configs:
            try:
                funcs.append(self.task.lower(cfg))
            except Exception as e:  # noqa: BLE001 - it lowered before; if not now, the measurer records why
                funcs.append(e)
        c = cf.confirm_run(measurer, self.task, "autotvm", configs, funcs,
                           ref if ref is not None else self.task.reference(), rounds, records, history)
        self.confirmation = c
        k = c.best_index
        if k is not None:
            self.best_config, self.best_gflops = configs[k], self.task.flop / c.medians[k] / 1e9
        return c

    def tune(self, n_trial: int, measurer=None, batch_size: int = 8, callbacks=(), early_stopping=None,
             records=None, confirm: int = 4, confirm_rounds: int = 3):
        """Measure up to ``n_trial`` configs (resumed ones included) and return the ``History``.

        ``measurer``: a ``tune.measure.Measurer`` (one is made, and closed, when None).
        ``callbacks``: functions ``fn(tuner, inputs, results)`` called after each batch.
        ``early_stopping``: stop after this many trials without a better config.
        ``records``: a records file to resume from and append new results to.
        ``confirm``: after new trials, measure this many of the best again, ``confirm_rounds`` times in
        turns, and keep the lowest median (0: keep the best single timing).

            >>> hist = XGBTuner(task, seed=1).tune(64, records="mm.jsonl", early_stopping=32)
        """
        from ...tune.callbacks import log_to_file, with_history

        if n_trial < 0 or batch_size < 1:
            raise ValueError(f"tune: n_trial must be >= 0 and batch_size >= 1, got {n_trial} and {batch_size}")
        from ...tune import confirm as cf
        cf.check(confirm, confirm_rounds)
        callbacks, history = with_history(callbacks)
        if records is not None:
            self._resume(records, batch_size, history)
            callbacks.insert(0, log_to_file(records, tool="autotvm"))  # first: a batch is on disk before anything else

        own = measurer is None
        if own:
            from ...tune.measure import Measurer
            measurer = Measurer()
        start = self.trial
        try:
            ref = self.task.reference() if self.trial < n_trial else None
            while self.trial < n_trial and self.has_next():
                if early_stopping is not None and self.trial - self.best_trial >= early_stopping:
                    break
                configs = self._propose(min(batch_size, n_trial - self.trial))
                if not configs:
                    break
                funcs = []
                self.lowered = {}
                for cfg in configs:
                    try:
                        f = self._lower(cfg)
                        self.lowered[cfg.index] = f
                    except Exception as e:  # noqa: BLE001 - any failure is this config's, recorded and skipped
                        f = e
                    funcs.append(f)
                results = measurer.measure(funcs, ref)
                self._record(configs, results)
                self.update(configs, results)
                inputs = [(self.task, c) for c in configs]
                for cb in callbacks:
                    cb(self, inputs, results)
            if self.trial > start and confirm >= 2:
                self.confirm(measurer, confirm, confirm_rounds, records, history, ref)
        finally:
            self.lowered = {}
            if own:
                measurer.close()
        return history
