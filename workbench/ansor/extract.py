"""Search tasks of a model: one per distinct fused subgraph, weighted by how often it occurs.

Every fused group of the optimized module becomes a ``SearchTask`` over the group's
tensor expressions (no template needed, so every group is tunable: convolutions,
dense layers, pooling, softmax, elementwise chains). The exception: groups with a stage
that asks to stay stored (``attrs={"keep_stored": True}``: the input and output transforms
of a Winograd conv, 36 sums picked by tile position) keep their default schedule. As generic
programs, with the positions fused into loops instead of unrolled, every read computes all 36
sums, and one program took minutes to compile. Groups whose computations are
identical (same canonical text) share a task; the weight counts them, so the task
scheduler knows how much each task contributes to the model's latency.

>>> tasks = extract_tasks(mod)                   # doctest: +SKIP
>>> [(t.name, w) for t, w in tasks][:2]          # doctest: +SKIP
[('conv2d_add_relu', 1), ('max_pool2d', 1)]
"""
from __future__ import annotations

from ..graph.expr import Function, Module
from ..graph.groups import distinct_groups, is_fused
from ..graph.passes import PassContext, optimize
from ..graph.to_te import default_schedule, group_to_te
from .task import SearchTask


def group_name(group_te) -> str:
    """A readable task name for a fused group: its op names, e.g. ``conv2d_add_relu``."""
    names = [op.split(".")[-1] for op in group_te.ops] or ["copy"]
    short = []
    for n in names:
        if not short or short[-1] != n:
            short.append(n)
    return "_".join(short[:4]) + ("_etc" if len(short) > 4 else "")


def task_of_group(fn: Function) -> SearchTask:
    """The search task of one fused group (a ``Primitive`` function)."""
    g = group_to_te(fn)
    return SearchTask(group_name(g), g.inputs, g.outputs, baseline=lambda: default_schedule(g))


def extract_tasks(mod: Module, ctx: PassContext | None = None, min_flop: float = 0.0) -> list:
    """``[(SearchTask, weight)]`` for the fused groups of ``mod`` (optimized first unless fused), but those
    with a stage to keep stored (Winograd convs).

    ``min_flop`` drops tasks doing fewer float operations (e.g. pure data movement).
    """
    if not is_fused(mod):
        mod = optimize(mod, ctx)
    found: dict = {}  # task key -> [task, weight]
    for fn, count in distinct_groups(mod, skip_empty=True):
        task = task_of_group(fn)
        if any(info.keep_stored for info in task.dag.infos.values()):
            continue  # a Winograd conv: its default schedule, untuned (see above)
        if task.flop >= min_flop:
            found.setdefault(task.key, [task, 0])[1] += count
    return [(t, w) for t, w in found.values()]
