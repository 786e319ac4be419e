"""The default schedule of reductions (sum, mean, max, min, prod; global pools) with prologue and epilogue.

Which loop becomes the vector depends on the layout:

- the reduction walks the contiguous (last) input axis (``sum(x, axis=-1)``,
  global pooling over ``H, W``): the innermost reduction loop is split into
  16 lanes and factored out (``rfactor``), so each output is a vector of partial
  sums added across lanes at the end; outputs run in parallel;
- the last input axis is kept (``sum(x, axis=0)``): outputs along it are the
  vector, reduction loops go just outside it.

Tiny outputs of long reductions (full reductions) are also split over the
outermost reduction loop into ``PARTS`` partial results computed in parallel.

>>> from workbench import te, topi
>>> x = te.placeholder((64, 300), name="x")
>>> s = schedule_reduce([topi.sum(x, axis=1)], None)
"""
from __future__ import annotations

from ....schedule import Schedule, create_schedule
from ....schedule.stage import AttachKind
from ....te.tensor import ComputeOp, ProducerLoad, Tensor
from ....tir.analysis import linear
from ....tir.functor import free_vars, post_order_visit
from .generic import (MIN_PARALLEL, VECTOR, inline_injective, is_reduction, numel, schedule_loop_nest,
                      schedule_rest)

PARTS = 16   # partial results of a full reduction, shared among the threads


def find_reduction(anchor: Tensor | None, outs: list) -> Tensor | None:
    """The reduction an anchor stands for: itself, or the nearest reduction it reads (``mean`` is a
    sum then a divide); with no anchor, the first reduction reachable from ``outs``."""
    todo = [anchor] if anchor is not None else list(outs)
    seen = set()
    while todo:
        t = todo.pop(0)
        if t.op in seen or not isinstance(t.op, ComputeOp):
            continue
        seen.add(t.op)
        if is_reduction(t.op):
            return t
        todo.extend(t.op.input_tensors)
    return None


def reduces_contiguous(red: Tensor) -> bool:
    """True when the innermost reduction axis is the last index of some input read."""
    k = red.op.reduce_axis[-1].var
    loads = []
    post_order_visit(red.op.body.source, lambda n: loads.append(n) if isinstance(n, ProducerLoad) else None)
    return any(ld.indices and k in free_vars(ld.indices[-1]) and linear(ld.indices[-1]).coef(k) == 1
               for ld in loads)


def schedule_reduce(outs: list, anchor: Tensor | None) -> Schedule:
    """Schedule a group anchored by a reduction (``anchor`` may be the divide after a ``mean`` sum).

    >>> from workbench import te, topi
    >>> x = te.placeholder((2, 8, 7, 7), name="x")
    >>> s = schedule_reduce([topi.global_avg_pool2d(x)], None)
    """
    s = create_schedule([o.op for o in outs])
    red = find_reduction(anchor, outs)
    inline_injective(s)
    if red is None:
        schedule_rest(s)
        return s
    for st in list(s.stages):  # every reduction of the group, producers first
        if is_reduction(st.op) and st.attach is AttachKind.ROOT and not st.relations:
            schedule_one_reduction(s, st.op.output(0))
    schedule_rest(s)
    return s


def schedule_one_reduction(s: Schedule, red: Tensor) -> None:
    """Give the root reduction stage ``red`` a vectorized, parallel loop nest."""
    st = s[red]
    if not reduces_contiguous(red) or red.op.reduce_axis[-1].extent < 4:
        schedule_loop_nest(s, red)
        return
    k = red.op.reduce_axis[-1]
    lanes = min(VECTOR, k.extent)
    ko, ki = st.split(k, factor=lanes)
    rf = s.rfactor(red, ki, factor_axis=red.ndim)
    outputs = numel(red.shape)
    total = numel(iv.extent for iv in red.op.reduce_axis)  # the whole reduction, before rfactor
    srf = s[rf]
    if outputs < 64 and outputs * total >= MIN_PARALLEL:
        # few outputs, long reduction: PARTS partial vectors computed in parallel, then combined
        first = srf.op.reduce_axis[0]
        parts = min(PARTS, first.extent)
        po, _ = srf.split(first, nparts=parts)
        rf2 = s.rfactor(rf, po, factor_axis=0)
        s2 = s[rf2]
        p, *data, lane = s2.op.axis
        s2.reorder(p, *data, *s2.op.reduce_axis, lane)
        s2.vectorize(lane)
        s2.parallel(s2.fuse(p, *data) if data else p)
        _lanes_innermost(srf)
        return
    data = list(st.op.axis)
    if data:
        fused = st.fuse(*data) if len(data) > 1 else data[0]
        srf.compute_at(st, fused)
        if outputs * total >= MIN_PARALLEL and outputs > 1:
            st.parallel(fused)
    _lanes_innermost(srf)


def _lanes_innermost(srf) -> None:
    *data, lane = srf.op.axis
    srf.reorder(*data, *[iv for iv in srf.leaf_iter_vars if iv.kind.value == "reduce"], lane)
    srf.vectorize(lane)

