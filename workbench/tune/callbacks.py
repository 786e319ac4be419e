"""Callbacks a tuner calls after each measured batch: log to a file, show progress, keep a history.

A callback is ``fn(tuner, inputs, results)``: ``inputs`` is a list of ``(task, config)``,
``results`` the aligned ``MeasureResult``s. The tuner may set ``tuner.last_predictions``
(the cost model's scores for the batch, aligned with it) before calling.

>>> h = History()
>>> tuner.tune(64, callbacks=[log_to_file("mm.jsonl"), progress_bar(64), h])   # doctest: +SKIP
>>> h.best_gflops                                                                # doctest: +SKIP
41.7
"""
from __future__ import annotations

import math
import sys

from . import records


def _gflops(task, result) -> float:
    """GFLOPS of one measurement (0 when it failed)."""
    return _gflops_of(task.flop, result)


def _gflops_of(flop: float, result) -> float:
    return flop / result.mean / 1e9 if result.ok and math.isfinite(result.mean) and result.mean > 0 else 0.0


def _config_json(config) -> dict:
    return config.to_json() if hasattr(config, "to_json") else dict(config)


def log_to_file(path, tool: str = "autotvm"):
    """A callback appending each batch to the records file ``path`` (one write + fsync per batch).

    >>> cb = log_to_file("mm.jsonl")    # doctest: +SKIP
    """
    target = records.target_string()

    def _log(tuner, inputs, results):
        rows = [records.make_row(task.name, task.args, _config_json(config), result, tool, target,
                                 getattr(task, "flop", None))
                for (task, config), result in zip(inputs, results)]
        records.append(path, rows)
    _log.path = path
    return _log


def progress_bar(total: int, prefix: str = "", width: int = 30, stream=None):
    """A callback drawing a plain-text bar: trials done, best GFLOPS so far, errors.

    >>> cb = progress_bar(100, prefix="matmul")   # doctest: +SKIP
    matmul [#########---------------------]  30/100  best  12.34 GFLOPS  errors 2
    """
    state = {"done": 0, "best": 0.0, "errors": 0}

    def _show(tuner, inputs, results):
        out = stream if stream is not None else sys.stdout
        state["done"] += len(results)
        for (task, _), r in zip(inputs, results):
            state["best"] = max(state["best"], _gflops(task, r))
            state["errors"] += not r.ok
        frac = min(1.0, state["done"] / total) if total > 0 else 1.0
        bar = "#" * int(round(frac * width))
        line = (f"{prefix + ' ' if prefix else ''}[{bar:-<{width}}] {state['done']:>{len(str(total))}}/{total}"
                f"  best {state['best']:7.2f} GFLOPS  errors {state['errors']}")
        out.write("\r" + line + ("\n" if state["done"] >= total else ""))
        out.flush()
    return _show


class History:
    """What happened in each batch: trials, their GFLOPS and error kinds, predictions, best so far.

    Use it as a callback; ``batches`` is a list of dicts with ``trials`` (trial numbers,
    counted from 0 across the run), ``configs`` (config indices), ``gflops`` (0 on error),
    ``errors`` (``ErrorKind`` values), ``predicted`` (the cost model's scores, or None)
    and ``best_gflops`` (after the batch). ``confirmed`` is the end-of-run confirmation when there
    was one (``tune.confirm``): ``configs`` re-measured, their ``gflops`` per round and ``medians``.

    >>> h = History()
    >>> h.to_json()
    {'version': 1, 'batches': []}
    """

    def __init__(self):
        self.batches: list = []
        self.confirmed: dict | None = None

    def __call__(self, tuner, inputs, results) -> None:
        preds = getattr(tuner, "last_predictions", None)
        self.add_batch([_config_json(c).get("index") for _, c in inputs],
                       [_gflops(task, r) for (task, _), r in zip(inputs, results)],
                       [r.error.value for r in results],
                       None if preds is None else [None if p is None else float(p) for p in preds])

    def add_batch(self, configs: list, gflops: list, errors: list, predicted: list | None = None) -> None:
        """Record one batch (what ``__call__`` does with a tuner's batch)."""
        start = self.n_trials
        best = max([self.best_gflops] + [float(g) for g in gflops])
        self.batches.append({"trials": list(range(start, start + len(gflops))), "configs": list(configs),
                             "gflops": [float(g) for g in gflops], "errors": list(errors),
                             "predicted": predicted, "best_gflops": best})

    def add_confirmation(self, configs: list, gflops: list) -> None:
        """Record the end-of-run re-measurements: per config (an index, or None for an Ansor program), its
        GFLOPS in each round (0 where a round failed). Each median is the GFLOPS of the lower median time
        (``tune.confirm.median_seconds``), the figure records judge by.

        >>> h = History(); h.add_confirmation([3, 7], [[10.0, 12.0], [11.0, 0.0]])
        >>> h.confirmed["medians"], h.confirmed_gflops
        ([12.0, 11.0], 12.0)
        """
        import statistics
        if len(configs) != len(gflops):
            raise ValueError(f"History.add_confirmation: {len(configs)} configs but {len(gflops)} lists of GFLOPS; "
                             "give one list of per-round GFLOPS per config")
        gflops = [[float(g) for g in gs] for gs in gflops]
        medians = [statistics.median_high(ok) if (ok := [g for g in gs if g > 0]) else 0.0 for gs in gflops]
        self.confirmed = {"configs": list(configs), "gflops": gflops, "medians": medians}

    @property
    def confirmed_gflops(self) -> float | None:
        """The confirmed winner's median GFLOPS (None when the run was not confirmed)."""
        return max(self.confirmed["medians"], default=0.0) if self.confirmed else None

    @property
    def n_trials(self) -> int:
        """Trials recorded so far."""
        return sum(len(b["trials"]) for b in self.batches)

    @property
    def best_gflops(self) -> float:
        """The best GFLOPS measured so far (0 before any success)."""
        return self.batches[-1]["best_gflops"] if self.batches else 0.0

    def best_curve(self) -> list:
        """Best-so-far GFLOPS after each trial (for plotting against trial number)."""
        out, best = [], 0.0
        for b in self.batches:
            for g in b["gflops"]:
                best = max(best, g)
                out.append(best)
        return out

    def to_json(self) -> dict:
        """Plain JSON data."""
        out = {"version": 1, "batches": [dict(b) for b in self.batches]}
        if self.confirmed:
            out["confirmed"] = {k: list(v) for k, v in self.confirmed.items()}
        return out

    @staticmethod
    def from_json(d: dict) -> "History":
        """The inverse of ``to_json``."""
        if not isinstance(d, dict) or d.get("version") != 1 or not isinstance(d.get("batches"), list):
            raise ValueError("History.from_json: expected {'version': 1, 'batches': [...]}")
        h = History()
        for b in d["batches"]:
            h.add_batch(b["configs"], b["gflops"], b["errors"], b.get("predicted"))
        if isinstance(d.get("confirmed"), dict):
            h.add_confirmation(d["confirmed"]["configs"], d["confirmed"]["gflops"])
        return h

    @staticmethod
    def from_records(path, key: str | None = None, flop: float | None = None) -> "History":
        """Rebuild the history of one task from a records file (predictions are not recorded).

        Rows measured together share a timestamp, so each run of equal timestamps is a batch.
        ``key`` defaults to the first task in the file; ``flop`` to the count an Ansor row carries, else
        the AutoTVM task's count.

        >>> h = History.from_records("mm.jsonl", flop=2 * 64**3)   # doctest: +SKIP
        """
        rows = list(records.load(path))
        if key is None and rows:
            key = rows[0]["task"]["key"]
        rows = [r for r in rows if r["task"]["key"] == key]
        confirmations = [r for r in rows if records.is_confirmation(r)]
        rows = records.trials(rows)
        if flop is None and rows:
            flop = rows[0]["task"].get("flop", rows[0]["config"].get("flop"))  # rows written by log_to_file carry it
        if flop is None and rows:
            from .. import autotvm  # only to count the task's flops; tune does not otherwise need autotvm
            flop = autotvm.task(rows[0]["task"]["name"], tuple(rows[0]["task"]["args"])).flop
        h, batch, stamp = History(), [], None
        for row in rows + [None]:
            r = records.result_of(row) if row is not None else None
            if batch and (r is None or r.timestamp != stamp):
                h.add_batch([b[0] for b in batch], [b[1] for b in batch], [b[2] for b in batch], None)
                batch = []
            if r is not None:
                stamp = r.timestamp
                batch.append((row["config"].get("index"), _gflops_of(flop, r), r.error.value))
        by_config: dict = {}
        for row in confirmations:
            g = _gflops_of(flop, records.result_of(row))
            by_config.setdefault(records.config_key(row), (row["config"].get("index"), []))[1].append(g)
        if by_config:
            h.add_confirmation([c for c, _ in by_config.values()], [gs for _, gs in by_config.values()])
        return h

    def __repr__(self):
        confirmed = "" if self.confirmed is None else f", confirmed {self.confirmed_gflops:.2f}"
        return (f"<History {len(self.batches)} batches, {self.n_trials} trials, best {self.best_gflops:.2f} "
                f"GFLOPS{confirmed}>")

    def _repr_mimebundle_(self, include=None, exclude=None):
        """Notebook display: the trials as static SVG and a plotly figure; viz is imported only here."""
        from ..viz.display import display_bundle
        return display_bundle(self)


def with_history(callbacks) -> tuple:
    """``(callbacks as a list, its History)``: the History given among ``callbacks``, or a new one appended,
    so a tuner always has one to return.

    >>> cbs, h = with_history([])
    >>> cbs == [h]
    True
    """
    callbacks = list(callbacks)
    history = next((cb for cb in callbacks if isinstance(cb, History)), None)
    if history is None:
        history = History()
        callbacks.append(history)
    return callbacks, history
