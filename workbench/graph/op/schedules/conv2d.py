"""The default schedule of NCHW conv2d groups (regular, grouped, depthwise), with pad and epilogue.

The output is cut into blocks of ``fb`` output channels x ``ohb`` rows x ``owb``
columns. Each block is accumulated in registers (a ``local`` stage attached
inside the block loop) with the reductions outside the block::

    parallel for (n, f.outer, oh.outer, ow.outer):
        acc[fb, ohb, owb] = 0
        for rc, ry, rx:                       # reduction outermost
            for f in unrolled(fb):            # weight: one broadcast scalar
                for oh in unrolled(ohb):
                    acc[f, oh, :] += data[rc, oh*sh + ry*dh, ow*sw + rx*dw : +owb] * w[f, rc, ry, rx]
        out[block] = epilogue(acc)            # bias, relu, residual add... inlined

Output width is contiguous in NCHW, so each ``owb`` row is one or two vector
registers and every data load feeds ``fb`` multiply-adds. The pad stage (and
any other stage the conv reads) is stored once, in parallel, before the conv,
so the inner loop reads it without per-lane bound checks.

>>> from workbench import te, topi
>>> x = te.placeholder((1, 16, 14, 14), name="x"); w = te.placeholder((32, 16, 3, 3), name="w")
>>> conv = topi.conv2d_nchw(x, w, padding=1)
>>> s = schedule_conv2d([topi.relu(conv)], conv)
"""
from __future__ import annotations

from ....schedule import Schedule, create_schedule
from ....schedule.stage import MAX_VECTOR_LANES
from ....te.tensor import ComputeOp, ProducerLoad, Tensor
from ....tir.analysis import linear
from ....tir.functor import free_vars, post_order_visit
from .generic import (MIN_PARALLEL_MACS, VECTOR, best_divisor, inline_injective, numel, place_anchor,
                      schedule_loop_nest, schedule_rest)

ACC_REGISTERS = 16   # vector accumulators per block: more and LLVM keeps them in memory (measured 5-8x slower)


def conv_blocking(F: int, OH: int, OW: int, stride: int, depthwise: bool) -> tuple:
    """``(fb, ohb, owb)``: the output block held in registers, chosen from the output shape.

    Rows are at most 16 lanes (one zmm register; wider rows measured slower) and
    divide the width when possible, since a guarded tail runs as scalar code.
    Strided convs read their rows with gathers, so they block more channels
    (each gather then feeds more multiply-adds).
    """
    owb = OW if OW <= VECTOR else best_divisor(OW, 8, VECTOR) or VECTOR
    if depthwise:
        return 1, best_divisor(OH, 1, 8) or 1, owb
    if stride > 1:
        return best_divisor(F, 1, 16) or 1, 1, owb
    fb = best_divisor(F, 1, 8) or 1
    rows = max(1, ACC_REGISTERS // fb)
    ohb = min(2, rows, OH) if OH % 2 else best_divisor(OH, 1, min(rows, 2)) or 1
    return fb, ohb, owb


def schedule_conv2d(outs: list, anchor: Tensor, blocking: tuple | None = None) -> Schedule:
    """Schedule a group whose anchor is an NCHW ``conv2d`` (``topi.conv2d_nchw`` and its grouped and
    depthwise forms). ``blocking = (fb, ohb, owb)`` overrides the register block.

    >>> from workbench import te, topi
    >>> x = te.placeholder((1, 4, 9, 9), name="x"); w = te.placeholder((4, 1, 3, 3), name="w")
    >>> conv = topi.depthwise_conv2d_nchw(x, w, stride=2, padding=1)
    >>> s = schedule_conv2d([conv], conv)
    """
    s = create_schedule([o.op for o in outs])
    conv = anchor
    prologue = [t for t in conv.op.input_tensors if isinstance(t.op, ComputeOp)]
    inline_injective(s, keep=prologue + [conv])
    out, acc = place_anchor(s, outs, conv)
    if conv.ndim != 4 or len(conv.op.reduce_axis) != 3:  # not an NCHW conv: plain loop nests
        schedule_rest(s)
        return s
    N, F, OH, OW = conv.shape
    rc, ry, rx = (iv.extent for iv in conv.op.reduce_axis)
    stride = _stride_w(conv)
    fb, ohb, owb = blocking or conv_blocking(F, OH, OW, stride, depthwise=rc == 1)
    fb, ohb, owb = min(fb, F), min(ohb, OH), min(owb, OW)

    block = tile_nchw(s, out, acc, fb, ohb, owb)
    for t in prologue:
        if rc == 1:  # depthwise: a block reads only its own channels' window: pad just that, in the block
            pad_in_block(s, out, block, conv, t, owb)
        else:  # a regular conv's block reads every input channel: pad once, up front
            schedule_loop_nest(s, t)
    schedule_rest(s, done=[out, acc])
    return s


def window_width(red: Tensor, src: Tensor, owb: int) -> int:
    """Columns of ``src`` that ``owb`` consecutive output columns of the windowed reduction ``red``
    (a conv or a pool) read; a huge number when the read is not affine in them."""
    ow, rx = red.op.axis[3].var, red.op.reduce_axis[-1]
    loads = []
    post_order_visit(red.op.body.source, lambda n: loads.append(n) if isinstance(n, ProducerLoad)
                     and n.tensor.op is src.op and len(n.indices) == 4 else None)
    width = 0
    for ld in loads:
        lin = linear(ld.indices[3])
        width = max(width, (owb - 1) * abs(lin.coef(ow)) + (rx.extent - 1) * abs(lin.coef(rx.var)) + 1)
    return width if loads else 1 << 30


def pad_in_block(s: Schedule, out: Tensor, block, red: Tensor, pad: Tensor, owb: int) -> None:
    """Compute the part of the prologue stage ``pad`` one output block reads inside that block,
    vectorized along its rows when they fit in a vector (instead of storing the whole padded input)."""
    st = s[pad]
    st.compute_at(s[out], block)
    if window_width(red, pad, owb) <= MAX_VECTOR_LANES:
        st.vectorize(st.op.axis[-1])


def tile_nchw(s: Schedule, out: Tensor, acc: Tensor, fb: int, ohb: int, owb: int):
    """Cut ``out[N, F, OH, OW]`` into ``fb x ohb x owb`` blocks run in parallel, and accumulate each
    block of ``acc`` (a reduction over the same index space) inside it, reductions outermost.
    Returns the (fused, parallel) block axis."""
    N, F, OH, OW = out.shape
    fb, ohb, owb = min(fb, F), min(ohb, OH), min(owb, OW)
    so = s[out]
    n, f, oh, ow = so.op.axis
    fo, fi = so.split(f, factor=fb)
    oho, ohi = so.split(oh, factor=ohb)
    owo, owi = so.split(ow, factor=owb)
    so.reorder(n, fo, oho, owo, fi, ohi, owi)
    block = so.fuse(n, fo, oho, owo)
    if owb > 1:
        so.vectorize(owi)
    work = numel(out.shape) * numel(iv.extent for iv in s[acc].op.reduce_axis)
    if work >= MIN_PARALLEL_MACS and (so.extent_of(block) or 1) > 1:
        so.parallel(block)
    sa = s[acc]
    sa.compute_at(so, block)
    an, af, aoh, aow = sa.op.axis
    sa.reorder(*sa.op.reduce_axis, an, af, aoh, aow)
    if fb > 1:
        sa.unroll(af)
    if ohb > 1:
        sa.unroll(aoh)
    if owb > 1:
        sa.vectorize(aow)
    return block


def _stride_w(conv: Tensor) -> int:
    """The coefficient of the output column in the data read of a conv body (its width stride)."""
    ow = conv.op.axis[3].var
    found = []
    post_order_visit(conv.op.body.source, lambda n: found.append(n) if isinstance(n, ProducerLoad)
                     and len(n.indices) == 4 and ow in free_vars(n.indices[3]) else None)
    return max((abs(linear(ld.indices[3]).coef(ow)) for ld in found), default=1)
