"""The default schedule of groups anchored by a packed-kernel conv (``nn.conv2d_packed``).

The NCHW output is cut into blocks of ``fb`` kernel blocks (16 output channels each) x ``ohb``
rows x ``owb`` columns. Each block accumulates in registers, one vector of 16 output channels
per output pixel, with the reductions outside::

    parallel for (n, f.outer, oh.outer, ow.outer):
        acc[fb, ohb, owb, 16] = 0
        for rc, ry, rx:
            for f, oh, ow in unrolled(fb, ohb, owb):
                acc[f, oh, ow, :] += broadcast(pad[rc, oh*sh + ry*dh, ow*sw + rx*dw]) * wp[f, rc, ry, rx, :]
        out[block] = epilogue(acc)            # NCHW view, bias, relu, residual add... inlined

With channel-blocked activations (pass ``block_layout``) the conv reads ``pad[rc // 16, .., rc % 16]``
and the epilogue stores ``out[n, f, oh, ow, :]`` as whole vectors instead of a transposing NCHW store.

Every vector lane works whatever the width of the output rows, and strided convs load
their data as scalars (no gathers). About 14 accumulators per block measured fastest
(7x7 rows of 512 channels: 2 x 1 x 7 at 485 GFLOPS, against 200 for the best NCHW block).

>>> import numpy as np
>>> from workbench import te, topi
>>> x = te.placeholder((1, 16, 7, 7), name="x"); wp = te.placeholder((2, 16, 3, 3, 16), name="wp")
>>> conv = topi.conv2d_nchw_packed(x, wp, padding=1)
>>> s = schedule_conv2d_packed([topi.relu(conv)], conv)
>>> packed_blocking(32, 7, 7)
(2, 1, 7)
"""
from __future__ import annotations

from ....schedule import Schedule, create_schedule
from ....schedule.stage import AttachKind
from ....te.tensor import ComputeOp, Tensor
from .generic import MIN_PARALLEL_MACS, inline_injective, numel, reads_transitively, schedule_loop_nest, schedule_rest

ACCUMULATORS = 14  # vector accumulators per block (7x7, 14x14, 28x28 and 56x56 maps all measured best near 14)


def _divisor(extent: int, hi: int) -> int:
    """The largest divisor of ``extent`` that is at most ``hi`` (1 at least)."""
    return next(d for d in range(min(hi, extent), 0, -1) if extent % d == 0)


FEW_CHANNELS = 16  # below this many input channels (the stem's 3), more kernel blocks per register block


def packed_blocking(FO: int, OH: int, OW: int, channels: int | None = None) -> tuple:
    """``(fb, ohb, owb)``: kernel blocks x rows x columns of the register block of a packed conv.

    A conv of few input ``channels`` (an RGB stem) runs 4 kernel blocks x 4 columns instead of
    1 x 14: each step then loads 4 kernel vectors and 4 data scalars for 16 multiply-adds, not 1 + 14
    for 14. ResNet-18's stem (3 -> 64 channels, 7x7/2, blocked result, caches flushed): 450 GFLOPS
    against 340-390.

    >>> packed_blocking(4, 112, 112, channels=3)
    (4, 1, 4)
    """
    if channels is not None and channels < FEW_CHANNELS and FO > 1:
        fb = _divisor(FO, 4)
        owb = _divisor(OW, max(1, 16 // fb))
        return fb, 1, owb
    owb = _divisor(OW, ACCUMULATORS)
    if owb < 4 < OW:  # a prime-ish width: a guarded tail beats many tiny blocks
        owb = min(OW, ACCUMULATORS)
    fb = _divisor(FO, max(1, ACCUMULATORS // owb))
    ohb = _divisor(OH, max(1, ACCUMULATORS // (owb * fb)))
    return fb, ohb, owb


def tile_blocked(s: Schedule, out: Tensor, acc: Tensor, fb: int, ohb: int, owb: int, parallel: bool,
                 rows_first: bool = False):
    """Cut the blocked ``out[N, FO, OH, OW, L]`` into ``fb x ohb x owb`` blocks of ``L``-lane vectors (run in
    parallel when ``parallel``), and accumulate each block of ``acc`` (the same index space, or ``out``
    itself) in registers inside it, reductions outermost. Returns the (fused) block axis.

    The blocks run channel blocks, then rows, then columns; with ``rows_first``, rows then channel
    blocks, so the threads share the rows out instead of the channels (``split_rows``).

    >>> from workbench import te, topi
    >>> x = te.placeholder((1, 2, 6, 6, 16), name="x")
    >>> y = topi.max_pool2d(x, kernel=2, stride=2); s = create_schedule([y.op])
    >>> block = tile_blocked(s, y, y, 1, 1, 3, parallel=True)   # 1 x 3 pixels of 16 lanes per block
    """
    so = s[out]
    n, fo, oh, ow, fi = so.op.axis
    foo, foi = so.split(fo, factor=fb)
    oho, ohi = so.split(oh, factor=ohb)
    owo, owi = so.split(ow, factor=owb)
    outer = (n, oho, foo, owo) if rows_first else (n, foo, oho, owo)
    so.reorder(*outer, foi, ohi, owi, fi)
    block = so.fuse(*outer)
    so.vectorize(fi)
    if parallel and (so.extent_of(block) or 1) > 1:
        so.parallel(block)
    if acc is not out:
        accumulate_in_block(s, acc, so, block, fb, ohb, owb)
    return block


ROWS_WEIGHT_RATIO = 1.5  # split rows across the threads when the weights are at most this many times the input


def split_rows(weights: Tensor, data: Tensor) -> bool:
    """Whether the threads of a blocked conv share out its rows (rather than its output channels).

    A static parallel loop gives each thread a contiguous share of the blocks. Split by channels,
    each thread reads the whole input, half of it from the other core's cache (the kernel before
    wrote it there), and half the weights. Split by rows, each thread reads about its own rows
    (written by its own core when the kernel before split rows too) and all the weights. So rows
    win while the weights are small next to the input. ResNet-18, in the model, side by side:
    layers 1-2 (weights 0.03-0.6 MB, input 0.4-0.8 MB) split by rows: the 1x1 and stride-2 convs
    and the max pool 4-20% faster, the 3x3 convs even (up to 12% faster while the machine was busy);
    layers 3-4 (weights 1.2-9.4 MB, input 0.1-0.4 MB) split by rows: 10-45% slower.

    >>> from workbench import te
    >>> split_rows(te.placeholder((4, 64, 3, 3, 16)), te.placeholder((1, 4, 56, 56, 16)))
    True
    """
    return numel(weights.shape) <= ROWS_WEIGHT_RATIO * numel(data.shape)


def accumulate_in_block(s: Schedule, acc: Tensor, so, block, fb: int, ohb: int, owb: int) -> None:
    """Compute the blocked ``acc[N, FO, OH, OW, L]`` at ``block`` of stage ``so``: reductions outermost,
    then the ``fb x ohb x owb`` block unrolled, ``L`` lanes vectorized (the accumulators stay in registers)."""
    sa = s[acc]
    sa.compute_at(so, block)
    an, afo, aoh, aow, afi = sa.op.axis
    sa.reorder(*sa.op.reduce_axis, an, afo, aoh, aow, afi)
    sa.vectorize(afi)
    for ax, ext in ((afo, fb), (aoh, ohb), (aow, owb)):
        if ext > 1:
            sa.unroll(ax)


def schedule_conv2d_packed(outs: list, anchor: Tensor, blocking: tuple | None = None) -> Schedule:
    """Schedule a group whose anchor is ``topi.conv2d_nchw_packed``'s NCHW view (``anchor``), or its
    blocked stage itself (``out_blocked=True``: the pass ``block_layout``).

    ``blocking = (fb, ohb, owb)`` overrides the register block.
    """
    s = create_schedule([o.op for o in outs])
    blocked = anchor if anchor.op.reduce_axis else anchor.op.input_tensors[0]
    prologue = [t for t in blocked.op.input_tensors if isinstance(t.op, ComputeOp)]
    inline_injective(s, keep=prologue + [blocked])
    N, FO, OH, OW, L = blocked.shape
    fb, ohb, owb = blocking or packed_blocking(FO, OH, OW, channels=blocked.op.reduce_axis[0].extent)
    fb, ohb, owb = min(fb, FO), min(ohb, OH), min(owb, OW)
    readers = [o for o in outs if o.op is not blocked.op and reads_transitively(s, o, blocked)]
    stored = [st for st in s.readers(s[blocked]) if st.attach is not AttachKind.INLINE]
    out = readers[0] if len(readers) == 1 and blocked.op not in [o.op for o in outs] else None
    parallel = numel(blocked.shape) * numel(iv.extent for iv in blocked.op.reduce_axis) >= MIN_PARALLEL_MACS
    ins = blocked.op.input_tensors  # (data or its pad, packed weights)
    rows = len(ins) == 2 and ins[0].ndim == 5 and split_rows(ins[1], ins[0])
    if out is not None and tuple(out.shape) == tuple(anchor.shape) and all(st is s[out] for st in stored) \
            and anchor is not blocked:  # the NCHW view's reader: tile it, the blocked stage accumulates inside
        so = s[out]
        n, f, oh, ow = so.op.axis
        fo, fi = so.split(f, factor=fb * L)
        oho, ohi = so.split(oh, factor=ohb)
        owo, owi = so.split(ow, factor=owb)
        so.reorder(n, fo, oho, owo, fi, ohi, owi)
        block = so.fuse(n, fo, oho, owo)
        if parallel and (so.extent_of(block) or 1) > 1:
            so.parallel(block)
        accumulate_in_block(s, blocked, so, block, fb, ohb, owb)
        done = [out, blocked]
    elif out is not None and tuple(out.shape) == tuple(blocked.shape) and all(st is s[out] for st in stored):
        tile_blocked(s, out, blocked, fb, ohb, owb, parallel, rows)  # a blocked epilogue: vector stores
        done = [out, blocked]
    else:  # the blocked stage has several readers: store it whole, its blocks accumulated in registers
        s[blocked].compute_root()
        acc = s.cache_write(blocked, "local")
        tile_blocked(s, blocked, acc, fb, ohb, owb, parallel, rows)
        done = [blocked, acc]
    # NCHW data whose blocks hold every output channel (the stem): the conv's blocks split rows as well
    rows_pad = rows or (ins[0].ndim == 4 and FO == fb)
    for t in prologue:  # the pad: stored once, in parallel, before the conv (rows first when the conv is)
        schedule_loop_nest(s, t, rows_first=rows_pad and len(t.shape) in (4, 5))
    schedule_rest(s, done=done)
    return s
