"""Tunable tasks of a model: one per distinct (template, shape) among its fused groups.

A fused group (a call of a ``Primitive`` function) is tunable when its anchor op
(the op with the heaviest pattern, as ``graph.to_te.group_to_te`` picks it) has
a template in ``GROUP_TEMPLATES`` that applies to the anchor's shapes. Groups
with the same task share it; the weight counts them, so a tuner can spend its
trials where the model spends its time.

>>> tasks = extract_tasks(mod)                         # doctest: +SKIP
>>> [(t.key, w) for t, w in tasks]                     # doctest: +SKIP
[('conv2d_nchw(1, 64, 56, 56, 64, 3, 3, 1, 1)', 4), ('dense(1, 512, 1000)', 1)]
"""
from __future__ import annotations

from ..graph.expr import Module
from ..graph.groups import distinct_groups, is_fused
from ..graph.passes import PassContext, optimize
from ..graph.to_te import group_to_te
from .task import Task, match_group


def group_match(group_te):
    """``(template name, args, schedule_fn)`` for a group's tensor expressions (``GroupTE``), or None."""
    if group_te.anchor_op is None or group_te.anchor is None:
        return None
    return match_group(group_te.anchor_op.name, group_te.anchor)


def extract_tasks(mod: Module, ctx: PassContext | None = None) -> list:
    """``[(Task, weight)]`` for the tunable fused groups of ``mod``, in order of first use.

    ``mod`` is optimized first (``graph.passes.optimize``, in ``ctx``) unless it is already fused.
    """
    if not is_fused(mod):
        mod = optimize(mod, ctx)
    found: dict = {}  # task key -> [task, weight]; groups with other epilogues can share a task
    for fn, count in distinct_groups(mod):
        m = group_match(group_to_te(fn))
        if m is not None:
            task = Task(m[0], m[1])
            found.setdefault(task.key, [task, 0])[1] += count
    return [(t, w) for t, w in found.values()]
