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

from ..graph.expr import Call, Function, Module
from ..graph.functor import post_order
from ..graph.passes import PassContext, optimize
from ..graph.printer import function_str
from ..graph.to_te import group_to_te
from .task import Task, match_group


def is_fused(mod: Module) -> bool:
    """True when the main function already calls fused (Primitive) groups."""
    return any(isinstance(n, Call) and isinstance(n.op, Function) and "Primitive" in n.op.attrs
               for n in post_order(mod.main.body))


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
    order: list = []
    weight: dict = {}
    seen_groups: dict = {}  # identical groups are matched once
    for n in post_order(mod.main.body):
        if not (isinstance(n, Call) and isinstance(n.op, Function) and "Primitive" in n.op.attrs):
            continue
        text = function_str(n.op, "@g")
        if text not in seen_groups:
            m = group_match(group_to_te(n.op))
            seen_groups[text] = None if m is None else Task(m[0], m[1])
        task = seen_groups[text]
        if task is None:
            continue
        if task.key not in weight:
            order.append(task)
            weight[task.key] = 0
        weight[task.key] += 1
    return [(t, weight[t.key]) for t in order]
