"""The default schedule of row-wise normalizations: softmax, log_softmax and layer_norm.

These groups are a few reductions over the trailing axes (max, sum, mean,
variance) and a final elementwise stage reading them. The output's leading
axes (the rows) are fused and run in parallel; inside one row, every
statistic is computed just before the row is written, so the row is read
from cache:

    parallel for row:
        max  = vector-max over the row (16 partial lanes, then across lanes)
        exp  = exp(x - max)     (stored for the row: it is read twice)
        sum  = vector-sum of exp
        out[row, :] = exp / sum (vectorized)

Intermediates read by several stages (``softmax_exp``) are stored per row
instead of inlined, so ``exp`` is not evaluated twice.

>>> from workbench import te, topi
>>> x = te.placeholder((12, 128, 128), name="x")
>>> y = topi.softmax(x)
>>> s = schedule_softmax([y], y)
"""
from __future__ import annotations

from ....schedule import Schedule, create_schedule
from ....schedule.stage import AttachKind
from ....te.tensor import ComputeOp, IterKind, Tensor
from .generic import MIN_PARALLEL, VECTOR, inline_injective, is_reduction, numel, schedule_rest
from .reduce import reduces_contiguous


def schedule_softmax(outs: list, anchor: Tensor | None) -> Schedule:
    """Schedule a ``softmax`` or ``log_softmax`` group (any axis; the last axis is the fast case).

    >>> from workbench import te, topi
    >>> s = schedule_softmax([topi.log_softmax(te.placeholder((4, 10), name="x"))], None)
    """
    return schedule_rowwise(outs, anchor)


def schedule_layer_norm(outs: list, anchor: Tensor | None) -> Schedule:
    """Schedule a ``layer_norm`` group (mean and variance per row, then the normalized row).

    >>> from workbench import te, topi
    >>> x = te.placeholder((128, 768), name="x"); g = te.placeholder((768,), name="g")
    >>> s = schedule_layer_norm([topi.layer_norm(x, g, g)], None)
    """
    return schedule_rowwise(outs, anchor)


def _shared(s: Schedule) -> list:
    """Non-reduction compute stages read by two or more stages: stored, not inlined."""
    out = []
    for st in s.stages:
        if isinstance(st.op, ComputeOp) and not st.is_output and not is_reduction(st.op):
            if len(s.readers(st)) > 1:
                out.append(st.op.output(0))
    return out


def schedule_rowwise(outs: list, anchor: Tensor | None) -> Schedule:
    """Rows of the first output in parallel; the group's reductions computed per row."""
    s = create_schedule([o.op for o in outs])
    shared = _shared(s)
    inline_injective(s, keep=shared)
    out = outs[0]
    inner = [st for st in s.stages if isinstance(st.op, ComputeOp) and not st.is_output
             and st.attach is AttachKind.ROOT and s._reads_transitively(s[out], st)]
    stats = [st for st in inner if is_reduction(st.op)]
    # rows: the leading axes along which every statistic has the output's extent
    lead = 0
    while lead < out.ndim - 1 and all(len(st.op.shape) == out.ndim and st.op.shape[lead] == out.shape[lead]
                                      for st in stats):
        lead += 1
    so = s[out]
    axes = list(so.op.axis)
    row_axes, tail = axes[:lead], axes[lead:]
    if not row_axes:
        schedule_rest(s)
        return s
    last = tail[-1]
    if last.extent > 1:
        lo, li = so.split(last, factor=min(VECTOR, last.extent))
        so.vectorize(li)
    row = so.fuse(*row_axes) if len(row_axes) > 1 else row_axes[0]
    if numel(out.shape) >= MIN_PARALLEL and numel(out.shape[:lead]) > 1:
        so.parallel(row)
    for st in inner:
        st.compute_at(so, row)
    for st in inner:
        t = st.op.output(0)
        if is_reduction(st.op):
            _row_reduction(s, t)
        else:
            _row_elementwise(s, t)
    schedule_rest(s, done=[out])
    return s


def _row_reduction(s: Schedule, red: Tensor) -> None:
    st = s[red]
    k = red.op.reduce_axis[-1]
    if not reduces_contiguous(red) or k.extent < 4:
        return
    ko, ki = st.split(k, factor=min(VECTOR, k.extent))
    rf = s.rfactor(red, ki, factor_axis=red.ndim)
    srf = s[rf]
    srf.compute_at(st.attach_stage, st.attach_ivar)
    *data, lane = srf.op.axis
    srf.reorder(*data, *[iv for iv in srf.leaf_iter_vars if iv.kind is IterKind.REDUCE], lane)
    srf.vectorize(lane)


def _row_elementwise(s: Schedule, t: Tensor) -> None:
    st = s[t]
    last = st.op.axis[-1]
    if last.extent > 1:
        _, li = st.split(last, factor=min(VECTOR, last.extent))
        st.vectorize(li)
