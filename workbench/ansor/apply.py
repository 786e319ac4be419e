"""Use Ansor's records when compiling: replay the best program's schedule trace per group.

A records row of ``tool="ansor"`` carries the schedule trace of its program, so no search
state is needed: ``schedule_group`` finds the group's task by the hash of its computation
and replays the best trace onto a fresh schedule of the group. A trace that no longer
applies (the computation changed) is reported with a warning and the group falls back to
its default schedule.

>>> best = apply_history_best("model.jsonl")                    # doctest: +SKIP
>>> s = best.schedule_group(group_to_te(fn))                    # doctest: +SKIP
"""
from __future__ import annotations

import os
import warnings

from ..errors import WorkbenchError
from ..schedule import create_schedule
from .analysis import ComputeDAG


class AnsorHistoryBest:
    """The best Ansor program of every task in some records (a path or a list of rows)."""

    def __init__(self, records):
        from ..tune import records as rec
        rows = rec.load(records) if isinstance(records, (str, os.PathLike)) else records
        best = rec.best([r for r in rows if r.get("tool") == "ansor"])
        self.rows = {}  # computation hash -> row
        for row in best.values():
            args = row["task"].get("args") or [None]
            self.rows[str(args[0])] = row

    def __len__(self):
        return len(self.rows)

    def __contains__(self, dag_key: str) -> bool:
        return dag_key in self.rows

    def row(self, inputs: list, outputs: list):
        """The best records row of the computation ``outputs`` (None when it was not tuned)."""
        return self.rows.get(ComputeDAG(inputs, outputs).key) if self.rows else None

    def row_for_group(self, group_te):
        """The best records row of a fused group's computation, or None."""
        return self.row(group_te.inputs, group_te.outputs)

    def schedule(self, inputs: list, outputs: list):
        """The best recorded schedule of the computation ``outputs`` (None when it was not tuned)."""
        row = self.row(inputs, outputs)
        if row is None:
            return None
        s = create_schedule([t.op for t in outputs])
        try:
            return s.replay(row["config"]["trace"])
        except (WorkbenchError, KeyError, TypeError) as e:
            warnings.warn(f"ansor.apply_history_best: the best trace of {row['task']['key']} does not apply "
                          f"to this computation: {e}; using the default schedule", stacklevel=2)
            return None

    def schedule_group(self, group_te):
        """A schedule of a fused group (``graph.to_te.GroupTE``) from its best record, or None."""
        return self.schedule(group_te.inputs, group_te.outputs)

    def __repr__(self):
        return f"AnsorHistoryBest({len(self.rows)} tasks)"


def apply_history_best(records) -> AnsorHistoryBest:
    """The best Ansor program of each task in ``records`` (a path or rows), for compiling.

    >>> len(apply_history_best([]))
    0
    """
    return AnsorHistoryBest(records)
