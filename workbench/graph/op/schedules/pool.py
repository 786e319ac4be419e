"""The default schedule of 2-D pooling groups: max/avg pool2d (with pad) and the global pools.

A windowed pool is a conv without channels to reduce: the output is cut into
rows of up to 16 columns (the vector) and a few rows, computed in parallel; the
window loops run outside the vector loop. The pad stage is stored once before
the pool. Global pools are reductions over ``H, W`` and use ``schedule_reduce``.

>>> from workbench import te, topi
>>> x = te.placeholder((1, 8, 56, 56), name="x")
>>> y = topi.max_pool2d(x, kernel=3, stride=2, padding=1)
>>> s = schedule_pool([y], y)
"""
from __future__ import annotations

from ....schedule import Schedule, create_schedule
from ....schedule.stage import MAX_VECTOR_LANES
from ....te.tensor import ComputeOp, ProducerLoad, Tensor
from ....tir.analysis import linear
from ....tir.functor import post_order_visit
from .conv2d import tile_nchw
from .generic import VECTOR, best_divisor, inline_injective, place_anchor, schedule_rest
from .reduce import find_reduction, schedule_reduce


def _window_width(red: Tensor, pad: Tensor, owb: int) -> int:
    """Columns of ``pad`` one block of ``owb`` output columns of the pool ``red`` reads (a large
    number when the read is not affine in the output column and the window column)."""
    ow, rx = red.op.axis[3].var, red.op.reduce_axis[-1]
    loads = []
    post_order_visit(red.op.body.source, lambda n: loads.append(n) if isinstance(n, ProducerLoad)
                     and n.tensor.op is pad.op and len(n.indices) == 4 else None)
    width = 0
    for ld in loads:
        lin = linear(ld.indices[3])
        sw, dw = abs(lin.coef(ow)), abs(lin.coef(rx.var))
        width = max(width, (owb - 1) * sw + (rx.extent - 1) * dw + 1)
    return width if loads else 1 << 30


def schedule_pool(outs: list, anchor: Tensor) -> Schedule:
    """Schedule a group anchored by ``max_pool2d``/``avg_pool2d`` (NCHW) or a global pool.

    >>> from workbench import te, topi
    >>> x = te.placeholder((2, 4, 9, 9), name="x")
    >>> y = topi.avg_pool2d(x, kernel=3, stride=2, padding=1)
    >>> s = schedule_pool([y], y)
    """
    red = find_reduction(anchor, outs)
    if red is None or red.ndim != 4 or red.shape[2:] == (1, 1) or len(red.op.reduce_axis) != 2:
        return schedule_reduce(outs, anchor)
    s = create_schedule([o.op for o in outs])
    prologue = [t for t in red.op.input_tensors if isinstance(t.op, ComputeOp)]
    inline_injective(s, keep=prologue + [red])
    out, acc = place_anchor(s, outs, red)
    _, _, OH, OW = red.shape
    owb = OW if OW <= VECTOR else best_divisor(OW, 8, VECTOR) or VECTOR
    ohb = best_divisor(OH, 1, 4) or 1
    block = tile_nchw(s, out, acc, 1, ohb, owb)
    for t in prologue:  # the pad: only the window one block reads, computed in that block
        st = s[t]
        st.compute_at(s[out], block)
        if _window_width(red, t, owb) <= MAX_VECTOR_LANES:
            st.vectorize(st.op.axis[-1])
    schedule_rest(s, done=[out, acc])
    return s
