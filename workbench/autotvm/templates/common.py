"""What every template's group schedule shares: preparing a fused group and finishing it.

A fused group is a prologue (pad, casts), an anchor (the matmul or conv the
template tunes) and an epilogue (bias, relu...). ``prepare_group`` inlines the
cheap stages and decides where the anchor accumulates (see
``graph.op.schedules.generic.place_anchor``): ``out`` is the stage whose tiles the
template cuts, ``acc`` the accumulator computed inside them. The same code
schedules the bare template (where ``out`` is the anchor and ``acc`` a
``cache_write`` copy), so a config tuned on the template applies to every group
with that anchor.
"""
from __future__ import annotations

import math

from ...graph.op.schedules.generic import MIN_PARALLEL_MACS, inline_injective, place_anchor, schedule_rest
from ...schedule import create_schedule
from ...te.tensor import ComputeOp, ProducerLoad
from ...tir.analysis import linear
from ...tir.functor import post_order_visit


def prepare_group(outs: list, anchor):
    """``(schedule, out, acc, prologue)`` for a group anchored by ``anchor``."""
    s = create_schedule([o.op for o in outs])
    prologue = [t for t in anchor.op.input_tensors if isinstance(t.op, ComputeOp)]
    inline_injective(s, keep=prologue + [anchor])
    out, acc = place_anchor(s, outs, anchor)
    return s, out, acc, prologue


def finish_group(s, out, acc) -> None:
    """Give every stage the template did not place (prologue, other outputs) a default loop nest."""
    schedule_rest(s, done=[out, acc])


def parallel_block(s, out, acc, block) -> None:
    """Run the block loop on all cores when the work is worth waking them for."""
    work = math.prod(out.shape) * math.prod(iv.extent for iv in s[acc].op.reduce_axis)
    if work >= MIN_PARALLEL_MACS and (s[out].extent_of(block) or 1) > 1:
        s[out].parallel(block)


def loads(tensor) -> list:
    """The tensor reads in the body of ``tensor``'s compute."""
    found: list = []
    body = tensor.op.body
    post_order_visit(getattr(body, "source", body), lambda n: found.append(n) if isinstance(n, ProducerLoad) else None)
    return found


def is_float32_reduction(anchor, ndim: int, n_reduce: int) -> bool:
    """True for a float32 compute of rank ``ndim`` with ``n_reduce`` reduction axes."""
    op = anchor.op
    return (isinstance(op, ComputeOp) and anchor.ndim == ndim and len(op.reduce_axis) == n_reduce
            and anchor.dtype == "float32" and hasattr(op.body, "source")
            and all(t.dtype == "float32" for t in op.input_tensors))


def column_contiguous(anchor) -> bool:
    """True when an operand is read with the output's last index as its own last index
    (``B[k, j]``: matmul layout), False for ``W[j, k]`` (dense layout)."""
    j = anchor.op.axis[-1].var
    return any(ld.indices and linear(ld.indices[-1]).coef(j) == 1 for ld in loads(anchor))
