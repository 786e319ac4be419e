"""Tuned schedules from a records file, whichever tuner found them (AutoTVM or Ansor).

``wb.compile(mod, records=path)`` calls ``apply_records(path)``: each fused group gets the
schedule of the best measurement recorded for it. A group tuned by both tuners gets the
faster of the two recorded programs; a group tuned by neither keeps its default schedule.

>>> best = apply_records([])
>>> best.schedule_group(None) is None
True
"""
from __future__ import annotations

import os


class TunedSchedules:
    """AutoTVM's and Ansor's best records side by side; ``schedule_group`` picks the faster."""

    def __init__(self, records):
        from .ansor.apply import AnsorHistoryBest
        from .autotvm.apply import ApplyHistoryBest
        from .tune import records as rec
        rows = list(rec.load(records)) if isinstance(records, (str, os.PathLike)) else list(records)
        self.autotvm = ApplyHistoryBest(rows)
        self.ansor = AnsorHistoryBest(rows)

    def __len__(self):
        return len(self.autotvm) + len(self.ansor)

    def choose(self, group_te) -> tuple:
        """``(schedule, task key)`` of the best tuned schedule of a fused group (``graph.to_te.GroupTE``),
        or ``(None, None)`` when neither tuner has one that applies.

        >>> apply_records([]).choose(None)
        (None, None)
        """
        if group_te is None:
            return None, None
        from .tune.records import result_of
        candidates = [(result_of(row).mean, source, row) for source in (self.ansor, self.autotvm)
                      if (row := source.row_for_group(group_te)) is not None]
        for _, source, row in sorted(candidates, key=lambda c: c[0]):
            s = source.schedule_group(group_te)
            if s is not None:
                return s, row["task"]["key"]
        return None, None

    def schedule_group(self, group_te):
        """The best tuned schedule of a fused group (``graph.to_te.GroupTE``), or None."""
        return self.choose(group_te)[0]

    def __repr__(self):
        return f"TunedSchedules(autotvm: {len(self.autotvm)} tasks, ansor: {len(self.ansor)} tasks)"


def apply_records(records) -> TunedSchedules:
    """The tuned schedules of a records path (or rows, or an existing ``TunedSchedules``)."""
    if isinstance(records, TunedSchedules) or hasattr(records, "schedule_group"):
        return records
    return TunedSchedules(records)
