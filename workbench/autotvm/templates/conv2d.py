"""The conv2d NCHW template: spatial-pack style tiling with blocked output channels.

The output ``[N, F, OH, OW]`` is cut into blocks of ``fb`` output channels x
``ohb`` rows x ``owb`` columns (``tile_f``, ``tile_oh``, ``tile_ow``), run in
parallel. Each block is accumulated in a local buffer (the packed output tile);
the padded input is either stored once for all blocks or packed per block
(``pad_at``)::

    parallel for (n, f.outer, oh.outer, ow.outer):
        [pad_at == "block": tile = pad[:, :, rows+halo, cols+halo]]
        for <order of rc.outer, rc.inner, ry, rx, f, oh>:      # "order", rc split by "tile_rc"
            acc[f, oh, :] += data[rc, oh*s + ry, ow*s + rx : +owb] * w[f, rc, ry, rx]
        out[block] = epilogue(acc)

``unroll_block`` unrolls the channel and row loops of the block (each data row
then feeds ``fb`` multiply-adds from registers), ``unroll_kernel`` the kernel
window. The columns are the vector lanes.
"""
from __future__ import annotations

from ... import te, topi
from ...graph.op.schedules.conv2d import conv_blocking
from ...te.tensor import ComputeOp
from ...tir.analysis import linear
from ...tir.expr import GE, IntImm, Var
from ...tir.functor import post_order_visit
from ..task import GROUP_TEMPLATES, template
from .common import finish_group, is_float32_reduction, loads, parallel_block, prepare_group


def tile_output(cfg, s, out, acc, max_rows: int = 4):
    """Define and apply the output tiling knobs; returns the block loop (acc attached in it)."""
    so = s[out]
    n, f, oh, ow = so.op.axis
    _, F, OH, OW = out.shape
    fb, ohb, owb = conv_blocking(F, OH, OW, 1, depthwise=s[acc].op.reduce_axis[0].extent == 1)
    cfg.define_split("tile_f", F, num_outputs=2, max_factor=16, default=[-1, fb])
    cfg.define_split("tile_oh", OH, num_outputs=2, max_factor=max_rows, default=[-1, ohb])
    cfg.define_split("tile_ow", OW, num_outputs=2, max_factor=64, default=[-1, owb])
    fo, fi = cfg["tile_f"].apply(so, f)
    oho, ohi = cfg["tile_oh"].apply(so, oh)
    owo, owi = cfg["tile_ow"].apply(so, ow)
    so.reorder(n, fo, oho, owo, fi, ohi, owi)
    block = so.fuse(n, fo, oho, owo)
    if cfg["tile_ow"].size[-1] > 1:
        so.vectorize(owi)
    parallel_block(s, out, acc, block)
    s[acc].compute_at(so, block)
    return block


def place_prologue(cfg, s, out, block, prologue) -> None:
    """``pad_at``: store the pad stage once (``"root"``, scheduled later) or per block (``"block"``)."""
    cfg.define_knob("pad_at", ["root", "block"])
    if cfg["pad_at"].val == "block":
        for t in prologue:
            s[t].compute_at(s[out], block)


def schedule_conv2d(cfg, outs: list, anchor):
    """Schedule a group anchored by an NCHW ``conv2d`` (groups=1) with ``cfg``."""
    s, out, acc, prologue = prepare_group(outs, anchor)
    block = tile_output(cfg, s, out, acc)
    sa = s[acc]
    n, f, oh, ow = sa.op.axis
    rc, ry, rx = sa.op.reduce_axis
    cfg.define_split("tile_rc", rc.extent, num_outputs=2, default=[-1, 1])
    rco, rci = cfg["tile_rc"].apply(sa, rc)
    cfg.define_reorder("order", [rco, rci, ry, rx, f, oh], policy="candidate",
                       candidate=[[rco, rci, ry, rx, f, oh], [rco, ry, rx, rci, f, oh],
                                  [rco, ry, rci, rx, f, oh], [rco, f, rci, ry, rx, oh]])
    order = cfg["order"].apply(sa, [rco, rci, ry, rx, f, oh])
    sa.reorder(n, *order, ow)
    return finish_conv(cfg, s, sa, (f, oh), (ry, rx), ow, out, acc, block, prologue)


def finish_conv(cfg, s, sa, block_axes, kernel_axes, ow, out, acc, block, prologue):
    """The knobs both conv templates end with: unroll the register block and the kernel window,
    vectorize the output row, place the prologue (pad) and finish the group."""
    cfg.define_annotate("unroll_block", list(block_axes), policy="unroll", default=["unroll", "unroll"])
    cfg["unroll_block"].apply(sa, list(block_axes))
    cfg.define_annotate("unroll_kernel", list(kernel_axes), policy="unroll")
    cfg["unroll_kernel"].apply(sa, list(kernel_axes))
    if cfg["tile_ow"].size[-1] > 1:
        sa.vectorize(ow)
    place_prologue(cfg, s, out, block, prologue)
    finish_group(s, out, acc)
    return s


@template("conv2d_nchw")
def conv2d_nchw(cfg, N: int, C: int, H: int, W: int, F: int, KH: int, KW: int, stride: int, pad: int):
    """``conv2d_nchw(data[N, C, H, W], kernel[F, C, KH, KW], stride, pad)`` (float32)."""
    data = te.placeholder((N, C, H, W), name="data")
    kernel = te.placeholder((F, C, KH, KW), name="kernel")
    out = topi.conv2d_nchw(data, kernel, stride=stride, padding=pad)
    return schedule_conv2d(cfg, [out], out), [data, kernel, out]


def conv_geometry(anchor) -> dict | None:
    """The shapes and attributes of an NCHW conv anchor (``topi.conv2d_nchw``), read from its compute:
    ``N, C, H, W, F, CG, KH, KW, stride (h, w), pad (top, left, bottom, right), dilation (h, w)``."""
    if not is_float32_reduction(anchor, 4, 3):
        return None
    op = anchor.op
    _, _, oh, ow = (iv.var for iv in op.axis)
    _, ry, rx = (iv.var for iv in op.reduce_axis)
    reads = [ld for ld in loads(anchor) if len(ld.indices) == 4]
    kernel = [ld for ld in reads if ld.indices[2] is ry and ld.indices[3] is rx]
    data = [ld for ld in reads if ld is not kernel[0]] if len(kernel) == 1 else []
    if len(kernel) != 1 or len(data) != 1:
        return None
    (F, CG, KH, KW), ld = kernel[0].tensor.shape, data[0]
    hl, wl = linear(ld.indices[2]), linear(ld.indices[3])
    stride, dilation = (hl.coef(oh), wl.coef(ow)), (hl.coef(ry), wl.coef(rx))
    padded = ld.tensor
    before, after = [0, 0, 0, 0], [0, 0, 0, 0]
    source = padded
    if isinstance(padded.op, ComputeOp) and padded.op.name == "pad" and len(padded.op.input_tensors) == 1:
        source = padded.op.input_tensors[0]
        axes = [id(iv.var) for iv in padded.op.axis]

        def find(node):  # the pad body tests ``i >= before`` on each padded axis
            if isinstance(node, GE) and isinstance(node.a, Var) and isinstance(node.b, IntImm) and id(node.a) in axes:
                before[axes.index(id(node.a))] = node.b.value
        post_order_visit(padded.op.body, find)
        after = [p - s - b for p, s, b in zip(padded.shape, source.shape, before)]
    if source.ndim != 4 or before[:2] != [0, 0] or after[:2] != [0, 0] or min(after) < 0:
        return None
    N, C, H, W = source.shape
    return dict(N=N, C=C, H=H, W=W, F=F, CG=CG, KH=KH, KW=KW, stride=stride,
                pad=(before[2], before[3], after[2], after[3]), dilation=dilation)


def args_of_conv2d(anchor):
    """``(N, C, H, W, F, KH, KW, stride, pad)`` of a float32 NCHW conv with groups=1, square stride,
    equal padding on every side and no dilation; else None."""
    g = conv_geometry(anchor)
    if g is None or g["CG"] != g["C"] or g["dilation"] != (1, 1) or len(set(g["stride"])) != 1 \
            or len(set(g["pad"])) != 1:
        return None
    return (g["N"], g["C"], g["H"], g["W"], g["F"], g["KH"], g["KW"], g["stride"][0], g["pad"][0])


GROUP_TEMPLATES["nn.conv2d"] = ("conv2d_nchw", args_of_conv2d, schedule_conv2d)
