"""The dense template ``X[M, K] x W[N, K]^T``: blocks of dot products, ``k`` in vector lanes.

Only ``k`` is contiguous in both operands, so ``tile_k``'s inner factor becomes
vector lanes of partial sums (``rfactor``), added across lanes at the end::

    parallel for (i.outer, j.outer):                       # blocks of bi x bj outputs
        for <order of yo, ko, x, yi>:
            part[x, y, :] += X[x, k:k+lanes] * W[y, k:k+lanes]
        acc[x, y] = sum(part[x, y, :])
        Y[block] = acc                                     # plus the group's epilogue
"""
from __future__ import annotations

from ... import te, topi
from ...graph.op.schedules.generic import VECTOR, best_divisor
from ..task import GROUP_TEMPLATES, template
from .common import column_contiguous, finish_group, is_float32_reduction, parallel_block, prepare_group


def schedule_dense(cfg, outs: list, anchor):
    """Schedule a group anchored by ``dense`` (``W[j, k]`` layout) with ``cfg``."""
    s, out, acc, _ = prepare_group(outs, anchor)
    so = s[out]
    i, j = so.op.axis
    k = s[acc].op.reduce_axis[0]
    M, N, K = i.extent, j.extent, k.extent
    cfg.define_split("tile_i", M, num_outputs=2, max_factor=16, default=[-1, best_divisor(M, 1, 4) or 1])
    cfg.define_split("tile_j", N, num_outputs=3, filter=lambda e: e.size[2] <= 16, default=[-1, 4, 4])
    cfg.define_split("tile_k", K, num_outputs=2, max_factor=64, default=[-1, best_divisor(K, 8, VECTOR) or K])
    io, ii = cfg["tile_i"].apply(so, i)
    jo, jm, ji = cfg["tile_j"].apply(so, j)
    so.reorder(io, jo, ii, jm, ji)
    block = so.fuse(io, jo)
    parallel_block(s, out, acc, block)

    _, ki = cfg["tile_k"].apply(s[acc], k)
    part = s.rfactor(acc, ki, factor_axis=2)
    s[acc].compute_at(so, block)
    sp = s[part]
    sp.compute_at(so, block)
    x, y, lane = sp.op.axis
    yo, yi = sp.split(y, factor=cfg["tile_j"].size[2])
    rk = sp.op.reduce_axis[0]
    cfg.define_reorder("order", [yo, rk, x, yi], policy="candidate",
                       candidate=[[yo, rk, x, yi], [rk, yo, x, yi], [yo, x, rk, yi]])
    order = cfg["order"].apply(sp, [yo, rk, x, yi])
    sp.reorder(*order, lane)
    cfg.define_annotate("unroll", [x, yi], policy="unroll", default=["unroll", "unroll"])
    cfg["unroll"].apply(sp, [x, yi])
    if cfg["tile_k"].size[-1] > 1:
        sp.vectorize(lane)
    finish_group(s, out, acc)
    return s


@template("dense")
def dense(cfg, M: int, N: int, K: int):
    """``Y[M, N] = X[M, K] x W[N, K]^T`` (float32, no bias: a bias is the group's epilogue)."""
    X = te.placeholder((M, K), name="X")
    W = te.placeholder((N, K), name="W")
    Y = topi.dense(X, W)
    return schedule_dense(cfg, [Y], Y), [X, W, Y]


def args_of_dense(anchor):
    """``(M, N, K)`` of a 2-D float32 dense anchor, else None."""
    if not is_float32_reduction(anchor, 2, 1) or column_contiguous(anchor):
        return None
    M, N = anchor.shape
    return (M, N, anchor.op.reduce_axis[0].extent)


GROUP_TEMPLATES["nn.dense"] = ("dense", args_of_dense, schedule_dense)
