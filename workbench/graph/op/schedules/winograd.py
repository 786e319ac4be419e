"""The default schedule of groups anchored by a Winograd conv (``nn.conv2d_winograd``).

All three steps of a tile run inside one parallel block of ``T`` tiles along a row of tiles,
so the transformed tiles never leave the core's caches::

    parallel for (n, tile row y, block of T tiles):
        v[T, a, a, C] = B^T d B               each tile's input transform, 16 channels per vector
        for f (16 output channels):
            for e, u (a x a positions):
                for c:  m[f, :, e, u, :] += v[:, e, u, c] * U[e, u, c, f, :]     T accumulators
            for tile, i, j (unrolled):  out[n, f, y*m + i, x*m + j, :] = epilogue(A^T m A)

``T`` is the largest divisor of the tiles per row up to ``TILE_BLOCK``. ResNet-18's
3x3 convs of layer 1 (64 channels, 56x56, F(4x4)) in 7-tile blocks took 0.23 ms against
0.47 ms for the direct packed conv, both alone with warm caches (``/root/exp/wino/wexp.py``);
in blocks of 14 tiles, 0.43 ms (the accumulators no longer fit).

>>> from workbench import te, topi
>>> x = te.placeholder((1, 1, 8, 8, 16), name="x"); u = te.placeholder((6, 6, 16, 1, 16), name="u")
>>> y = topi.conv2d_winograd_nchw16c(x, u, tile=4, padding=1)
>>> s = schedule_conv2d_winograd([topi.relu(y)], y)
"""
from __future__ import annotations

from ....schedule import Schedule, create_schedule
from ....te.tensor import ComputeOp, Tensor
from .conv2d_packed import _divisor
from .generic import inline_injective, schedule_rest

TILE_BLOCK = 7   # tiles per block: one accumulator vector each


def schedule_conv2d_winograd(outs: list, anchor: Tensor) -> Schedule:
    """Schedule a group whose anchor is ``topi.conv2d_winograd_nchw16c``'s result (``anchor``)."""
    s = create_schedule([o.op for o in outs])
    m = anchor.op.input_tensors[0]           # the products [N, F/16, TH, TW, a, a, 16]
    v = m.op.input_tensors[0]                # the transformed input tiles [N, TH, TW, a, a, C]
    prologue = [t for t in v.op.input_tensors if isinstance(t.op, ComputeOp)]   # the pad, if any
    readers = [o for o in outs if o.op is not anchor.op and o.shape == anchor.shape]
    if anchor.op in [o.op for o in outs] or len(outs) != 1 or len(readers) != 1:
        inline_injective(s, keep=[v, m, anchor] + prologue)   # the result itself is the tiled stage
        out = anchor
    else:
        inline_injective(s, keep=[v, m] + prologue)           # the output transform goes into the epilogue
        out = readers[0]
    tile = int(anchor.shape[2]) // int(m.shape[2])
    tiles_per_row = int(m.shape[3])
    block_tiles = _divisor(tiles_per_row, TILE_BLOCK)

    so = s[out]
    n, f, h, w, k = so.op.axis
    y, i = so.split(h, factor=tile)
    x, j = so.split(w, factor=tile)
    xo, xi = so.split(x, factor=block_tiles)
    so.reorder(n, y, xo, f, xi, i, j, k)
    block = so.fuse(n, y, xo)
    if (so.extent_of(block) or 1) > 1:
        so.parallel(block)
    so.unroll(i)
    so.unroll(j)
    so.vectorize(k)

    sm = s[m]
    sm.compute_at(so, f)
    mn, mf, my, mx, me, mu, mk = sm.op.axis
    (rc,) = sm.op.reduce_axis
    sm.reorder(mn, mf, my, me, mu, rc, mx, mk)
    sm.unroll(mx)
    sm.vectorize(mk)

    sv = s[v]
    sv.compute_at(so, block)
    vn, vy, vx, ve, vu, vc = sv.op.axis
    co, ci = sv.split(vc, factor=int(anchor.shape[4]))
    sv.reorder(vn, vy, vx, co, ve, vu, ci)
    sv.unroll(ve)
    sv.unroll(vu)
    sv.vectorize(ci)
    schedule_rest(s, done=[out, m, v])
    return s
