"""The default schedule of matrix products: dense, matmul and batch_matmul, with their epilogue.

Two layouts, two loop structures (chosen from which operand the output column ``j`` walks):

- ``B[k, j]`` (matmul, batch_matmul): the classic blocked schedule. A ``bm x bn``
  block of the output is accumulated in a local buffer; ``k`` is split by 4 and
  unrolled, and each row of the block is one ``bn``-lane vector update
  ``acc[x, :] += A[x, k] * B[k, j:j+bn]``.
- ``W[j, k]`` (dense, ``transpose_b``): only ``k`` is contiguous in both operands,
  so ``k`` is split into 16 lanes and factored out (``rfactor``): a block of
  ``bi x bj`` dot products is accumulated as 16-lane partial sums
  ``acc[i, j, :] += X[i, k:k+16] * W[j, k:k+16]``, then each is summed across lanes.

The block loops (batch, rows, columns) are fused and run in parallel, when there are at least
``MIN_PARALLEL_MACS`` multiply-adds or an operand of ``STREAMED_BYTES`` or more: ResNet-18's
classifier (1 x 512 by 1000 x 512, 2 MB of weights read from memory in the model) took
0.054 ms on two threads against 0.064 on one.

>>> from workbench import te, topi
>>> X = te.placeholder((8, 64), name="X"); W = te.placeholder((32, 64), name="W")
>>> Y = topi.dense(X, W); s = schedule_dense([topi.relu(Y)], Y)
"""
from __future__ import annotations

from ....schedule import Schedule, create_schedule
from ....te.tensor import ComputeOp, ProducerLoad, Tensor
from ....tir import dtype as dt
from ....tir.analysis import linear
from ....tir.functor import free_vars, post_order_visit
from .generic import (MIN_PARALLEL_MACS, VECTOR, best_divisor, inline_injective, numel, place_anchor,
                      schedule_loop_nest, schedule_rest)


def _column_contiguous(anchor: Tensor) -> bool:
    """True when some operand is read with the output column ``j`` as its contiguous (last) index."""
    j = anchor.op.axis[-1].var
    loads = []
    post_order_visit(anchor.op.body.source, lambda n: loads.append(n) if isinstance(n, ProducerLoad) else None)
    for ld in loads:
        if j in free_vars(ld.indices[-1]) and linear(ld.indices[-1]).coef(j) == 1:
            return True
    return False


def schedule_dense(outs: list, anchor: Tensor) -> Schedule:
    """Schedule a group anchored by ``dense``, ``matmul`` or ``batch_matmul`` (any batch rank).

    >>> from workbench import te, topi
    >>> A = te.placeholder((2, 16, 32), name="A"); B = te.placeholder((2, 32, 8), name="B")
    >>> C = topi.batch_matmul(A, B); s = schedule_dense([C], C)
    """
    s = create_schedule([o.op for o in outs])
    prologue = [t for t in anchor.op.input_tensors if isinstance(t.op, ComputeOp)]
    inline_injective(s, keep=prologue + [anchor])
    out, acc = place_anchor(s, outs, anchor)
    if anchor.ndim < 2 or len(anchor.op.reduce_axis) != 1:
        schedule_rest(s)  # not a matrix product after all: a plain loop nest
        return s
    if _column_contiguous(anchor):
        _blocked(s, out, acc)
    else:
        _dot_products(s, out, acc)
    for t in prologue:
        schedule_loop_nest(s, t)
    schedule_rest(s, done=[out, acc])
    return s


STREAMED_BYTES = 1 << 20  # an operand this big is read from L3 or memory in a model: two cores fetch it faster


def _outer_block(s, out, acc, bm: int, bn: int):
    """Tile the last two axes of ``out``, fuse batch and block loops and run them in parallel."""
    so = s[out]
    *batch, i, j = so.op.axis
    io, jo, ii, ji = so.tile(i, j, x_factor=bm, y_factor=bn)
    block = so.fuse(*batch, io, jo)
    if bn > 1:
        so.vectorize(ji)
    work = numel(out.shape) * s[acc].op.reduce_axis[0].extent
    streamed = max((numel(t.shape) * dt.itemsize(t.dtype) for t in s[acc].op.input_tensors), default=0) \
        >= STREAMED_BYTES
    if (s[out].extent_of(block) or 1) > 1 and (work >= MIN_PARALLEL_MACS or streamed):
        so.parallel(block)
    return block


def _blocked(s, out, acc):
    M, N = out.shape[-2], out.shape[-1]
    K = acc.op.reduce_axis[0].extent
    bn = N if N <= 64 else best_divisor(N, VECTOR, 64) or 64
    bm = min(M, best_divisor(M, 8, 32) or 32)
    block = _outer_block(s, out, acc, bm, bn)
    sa = s[acc]
    sa.compute_at(s[out], block)
    *batch, x, y = sa.op.axis
    kf = best_divisor(K, 1, 4) or 1
    ko, ki = sa.split(sa.op.reduce_axis[0], factor=kf)
    sa.reorder(*batch, ko, x, ki, y)
    if kf > 1:
        sa.unroll(ki)
    if bn > 1:
        sa.vectorize(y)


def _dot_products(s, out, acc):
    M, N = out.shape[-2], out.shape[-1]
    K = acc.op.reduce_axis[0].extent
    lanes = K if K <= VECTOR else best_divisor(K, 8, VECTOR) or VECTOR
    bi = best_divisor(M, 1, 4) or 1
    bj = best_divisor(N, 1, 16 // bi) or 1
    block = _outer_block(s, out, acc, bi, max(bj, min(N, 16)))
    sa = s[acc]
    ko, ki = sa.split(sa.op.reduce_axis[0], factor=lanes)
    rf = s.rfactor(acc, ki, factor_axis=acc.ndim)
    sa.compute_at(s[out], block)
    sr = s[rf]
    sr.compute_at(s[out], block)
    *batch, x, y, lane = sr.op.axis
    jo, ji = sr.split(y, factor=bj)
    sr.reorder(*batch, jo, sr.op.reduce_axis[0], x, ji, lane)
    sr.unroll(x)
    sr.unroll(ji)
    if lanes > 1:
        sr.vectorize(lane)
