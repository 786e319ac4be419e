"""The matmul template ``A[M, K] x B[K, N]``: blocked, with a register block inside each block.

The output is cut into ``bm x bn`` blocks run in parallel (``tile_i``'s two inner
factors times ``tile_j``'s inner factor). Each block is accumulated in a local
buffer, rows of ``bn`` lanes::

    parallel for (i.outer, j.outer):              # blocks
        for <order of ko, xo, ki, xi>:            # "order": k outside the rows, or rows outside k
            acc[xo*xi_n + xi, :] += A[.., k] * B[k, j:j+bn]    # xi rows, bn-lane vectors
        C[block] = acc                            # plus the group's epilogue

With ``xo`` outside ``ko`` the ``xi x bn`` register block stays in registers over
the whole reduction. ``schedule_matmul`` also schedules batch matmul (batch axes
join the parallel block loop) and any group anchored by a matmul.
"""
from __future__ import annotations

from ... import te, topi
from ...graph.op.schedules.generic import best_divisor
from ..task import GROUP_TEMPLATES, template
from .common import column_contiguous, finish_group, is_float32_reduction, parallel_block, prepare_group


def schedule_matmul(cfg, outs: list, anchor):
    """Schedule a group anchored by ``matmul`` or ``batch_matmul`` (``B[.., k, j]`` layout) with ``cfg``."""
    s, out, acc, _ = prepare_group(outs, anchor)
    so, sa = s[out], s[acc]
    *batch, i, j = so.op.axis
    k = sa.op.reduce_axis[0]
    M, N, K = i.extent, j.extent, k.extent
    cfg.define_split("tile_i", M, num_outputs=3, filter=lambda e: e.size[2] <= 16,
                     default=[-1, best_divisor(M, 8, 32) or 1, 1])
    cfg.define_split("tile_j", N, num_outputs=2, max_factor=64, default=[-1, best_divisor(N, 16, 64) or N])
    cfg.define_split("tile_k", K, num_outputs=2, max_factor=16, default=[-1, 4])
    io, im, ii = cfg["tile_i"].apply(so, i)
    jo, ji = cfg["tile_j"].apply(so, j)
    so.reorder(*batch, io, jo, im, ii, ji)
    block = so.fuse(*batch, io, jo) if batch else so.fuse(io, jo)
    if cfg["tile_j"].size[-1] > 1:
        so.vectorize(ji)
    parallel_block(s, out, acc, block)

    sa.compute_at(so, block)
    *abatch, x, y = sa.op.axis
    xo, xi = sa.split(x, factor=cfg["tile_i"].size[2])
    ko, ki = cfg["tile_k"].apply(sa, k)
    cfg.define_reorder("order", [ko, xo, ki, xi], policy="candidate",
                       candidate=[[ko, xo, ki, xi], [xo, ko, ki, xi], [ko, ki, xo, xi]])
    order = cfg["order"].apply(sa, [ko, xo, ki, xi])
    sa.reorder(*abatch, *order, y)
    cfg.define_annotate("unroll", [ki, xi], policy="unroll", default=["unroll", "none"])
    cfg["unroll"].apply(sa, [ki, xi])
    if cfg["tile_j"].size[-1] > 1:
        sa.vectorize(y)
    finish_group(s, out, acc)
    return s


@template("matmul")
def matmul(cfg, M: int, N: int, K: int):
    """``C[M, N] = A[M, K] x B[K, N]`` (float32)."""
    A = te.placeholder((M, K), name="A")
    B = te.placeholder((K, N), name="B")
    C = topi.matmul(A, B)
    return schedule_matmul(cfg, [C], C), [A, B, C]


def args_of_matmul(anchor):
    """``(M, N, K)`` of a 2-D float32 matmul anchor, else None."""
    if not is_float32_reduction(anchor, 2, 1) or not column_contiguous(anchor):
        return None
    M, N = anchor.shape
    return (M, N, anchor.op.reduce_axis[0].extent)


GROUP_TEMPLATES["nn.matmul"] = ("matmul", args_of_matmul, schedule_matmul)
