"""The default schedule of 2-D pooling groups: max/avg pool2d (with pad) and the global pools.

A windowed pool is a conv without channels to reduce: the output is cut into
blocks of whole rows (up to 64 columns, as many rows as make about 64 outputs),
computed in parallel; the window loops run outside the vector loop, and each block
pads just the input rows it reads. ResNet-18's 3x3/2 max pool (64 x 112 x 112) took
0.10 ms in blocks of one 56-wide row, 0.16 ms in blocks of 4 x 8 (0.17 against 0.69 ms
with the caches flushed before each run: whole rows stream). Global pools are
reductions over ``H, W`` and use ``schedule_reduce``.

>>> from workbench import te, topi
>>> x = te.placeholder((1, 8, 56, 56), name="x")
>>> y = topi.max_pool2d(x, kernel=3, stride=2, padding=1)
>>> s = schedule_pool([y], y)
"""
from __future__ import annotations

from ....schedule import Schedule, create_schedule
from ....schedule.stage import MAX_VECTOR_LANES
from ....te.tensor import ComputeOp, Tensor
from .conv2d import pad_in_block, tile_nchw
from .conv2d_packed import ACCUMULATORS, tile_blocked
from .generic import VECTOR, best_divisor, inline_injective, place_anchor, schedule_rest
from .reduce import find_reduction, schedule_reduce


def schedule_pool(outs: list, anchor: Tensor) -> Schedule:
    """Schedule a group anchored by ``max_pool2d``/``avg_pool2d`` (NCHW) or a global pool.

    >>> from workbench import te, topi
    >>> x = te.placeholder((2, 4, 9, 9), name="x")
    >>> y = topi.avg_pool2d(x, kernel=3, stride=2, padding=1)
    >>> s = schedule_pool([y], y)
    """
    red = find_reduction(anchor, outs)
    if red is not None and red.ndim == 5 and red.shape[2:4] != (1, 1) and len(red.op.reduce_axis) == 2:
        return _schedule_blocked_pool(outs, red)
    if red is None or red.ndim != 4 or red.shape[2:] == (1, 1) or len(red.op.reduce_axis) != 2:
        return schedule_reduce(outs, anchor)
    s = create_schedule([o.op for o in outs])
    prologue = [t for t in red.op.input_tensors if isinstance(t.op, ComputeOp)]
    inline_injective(s, keep=prologue + [red])
    out, acc = place_anchor(s, outs, red)
    _, _, OH, OW = red.shape
    owb = OW if OW <= MAX_VECTOR_LANES else best_divisor(OW, 8, VECTOR) or VECTOR
    ohb = best_divisor(OH, 1, max(1, MAX_VECTOR_LANES // owb)) or 1
    block = tile_nchw(s, out, acc, 1, ohb, owb)
    for t in prologue:  # the pad: only the window one block reads, computed in that block
        pad_in_block(s, out, block, red, t, owb)
    schedule_rest(s, done=[out, acc])
    return s


def _schedule_blocked_pool(outs: list, red: Tensor) -> Schedule:
    """A windowed pool of channel-blocked data ``[N, C/16, H, W, 16]``: blocks of ``ohb x owb`` pixels, each
    a 16-lane vector accumulated in registers like a packed conv's block, the window loops outside; the
    padded window a block reads is computed inside it."""
    s = create_schedule([o.op for o in outs])
    prologue = [t for t in red.op.input_tensors if isinstance(t.op, ComputeOp)]
    inline_injective(s, keep=prologue + [red])
    out, acc = place_anchor(s, outs, red)
    _, _, OH, OW, _ = red.shape
    owb = best_divisor(OW, 1, ACCUMULATORS) or 1
    ohb = best_divisor(OH, 1, max(1, ACCUMULATORS // owb)) or 1
    block = tile_blocked(s, out, acc, 1, ohb, owb, parallel=True, rows_first=True)  # no weights: split rows
    for t in prologue:
        st = s[t]
        st.compute_at(s[out], block)
        st.vectorize(st.op.axis[-1])
    schedule_rest(s, done=[out, acc])
    return s
