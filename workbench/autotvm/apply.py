"""Use the best configs of a records file when compiling: ``apply_history_best``.

``best = apply_history_best("tuning.jsonl")`` reads the file once and keeps the
best successful AutoTVM row of each task. ``best.schedule_group(group_te)``
schedules a fused group with its task's best config (the group's epilogue
included), or returns None when the group's task was not tuned, so the caller
falls back to the default schedule.

>>> best = apply_history_best("mm.jsonl")                  # doctest: +SKIP
>>> s = best.schedule_group(group_to_te(fn)) or default_schedule(g)   # doctest: +SKIP
"""
from __future__ import annotations

import os
import warnings

from ..errors import WorkbenchError
from .extract import group_match
from .space import ConfigEntity
from .task import Task


class ApplyHistoryBest:
    """The best config of every task in some records (a path or a list of rows)."""

    def __init__(self, records):
        from ..tune import records as rec
        rows = rec.load(records) if isinstance(records, (str, os.PathLike)) else records
        self.rows = rec.best([r for r in rows if r.get("tool", "autotvm") == "autotvm"])  # key -> row
        self._tasks: dict = {}

    def __contains__(self, key: str) -> bool:
        return key in self.rows

    def __len__(self):
        return len(self.rows)

    def _task(self, name: str, args) -> Task:
        t = Task(name, args)
        return self._tasks.setdefault(t.key, t)

    def best_config(self, task: Task) -> ConfigEntity | None:
        """The best recorded config of ``task`` (checked against its space), or None."""
        row = self.rows.get(task.key)
        return None if row is None else ConfigEntity.from_json(task.space, row["config"])

    def row_for_group(self, group_te):
        """The best records row of the task a fused group maps to, or None."""
        match = group_match(group_te)
        return None if match is None else self.rows.get(self._task(match[0], match[1]).key)

    def schedule_group(self, group_te):
        """A schedule of the fused group ``group_te`` (``graph.to_te.GroupTE``) with its task's best
        config, or None when its anchor has no template or its task has no record."""
        match = group_match(group_te)
        if match is None:
            return None
        name, args, schedule_fn = match
        task = self._task(name, args)
        if task.key not in self.rows:
            return None
        try:
            cfg = self.best_config(task)
            return schedule_fn(cfg, group_te.outputs, group_te.anchor)
        except WorkbenchError as e:  # a stale or foreign record must not stop a compile
            warnings.warn(f"apply_history_best: the best config of {task.key} does not apply to group "
                          f"({', '.join(group_te.ops)}): {e}; using the default schedule", stacklevel=2)
            return None

    def __repr__(self):
        return f"ApplyHistoryBest({len(self.rows)} tasks: {', '.join(self.rows)})"


def apply_history_best(records) -> ApplyHistoryBest:
    """The best AutoTVM config of each task in ``records`` (a records path or rows), for compiling.

    >>> best = apply_history_best([])
    >>> len(best)
    0
    """
    return ApplyHistoryBest(records)
