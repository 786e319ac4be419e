"""The depthwise conv2d NCHW template: the conv2d tiling without input channels to reduce.

Each output channel reads one input channel, so a block of ``fb`` channels
(``tile_c``) shares no data loads; blocking rows (``tile_oh``) and columns
(``tile_ow``, the vector lanes) gives the reuse across the kernel window::

    parallel for (n, c.outer, oh.outer, ow.outer):
        for <order of ry, rx, c, oh>:                       # "order"
            acc[c, oh, :] += data[c, oh*s + ry, ow*s + rx : +owb] * w[c, 0, ry, rx]
        out[block] = epilogue(acc)
"""
from __future__ import annotations

from ... import te, topi
from ..task import GROUP_TEMPLATES, template
from .common import prepare_group
from .conv2d import conv_geometry, finish_conv, tile_output


def schedule_depthwise_conv2d(cfg, outs: list, anchor):
    """Schedule a group anchored by a depthwise NCHW conv (multiplier 1) with ``cfg``."""
    s, out, acc, prologue = prepare_group(outs, anchor)
    block = tile_output(cfg, s, out, acc, max_rows=8)   # knobs tile_f (channels), tile_oh, tile_ow
    sa = s[acc]
    n, c, oh, ow = sa.op.axis
    rc, ry, rx = sa.op.reduce_axis          # rc has extent 1
    cfg.define_reorder("order", [ry, rx, c, oh], policy="candidate",
                       candidate=[[ry, rx, c, oh], [c, ry, rx, oh], [c, oh, ry, rx], [ry, c, rx, oh]])
    order = cfg["order"].apply(sa, [ry, rx, c, oh])
    sa.reorder(n, rc, *order, ow)
    return finish_conv(cfg, s, sa, (c, oh), (ry, rx), ow, out, acc, block, prologue)


@template("depthwise_conv2d_nchw")
def depthwise_conv2d_nchw(cfg, N: int, C: int, H: int, W: int, KH: int, KW: int, stride: int, pad: int):
    """``depthwise_conv2d_nchw(data[N, C, H, W], kernel[C, 1, KH, KW], stride, pad)`` (float32)."""
    data = te.placeholder((N, C, H, W), name="data")
    kernel = te.placeholder((C, 1, KH, KW), name="kernel")
    out = topi.depthwise_conv2d_nchw(data, kernel, stride=stride, padding=pad)
    return schedule_depthwise_conv2d(cfg, [out], out), [data, kernel, out]


def args_of_depthwise_conv2d(anchor):
    """``(N, C, H, W, KH, KW, stride, pad)`` of a float32 depthwise conv (one output channel per input
    channel, square stride, equal padding, no dilation); else None."""
    g = conv_geometry(anchor)
    if g is None or g["CG"] != 1 or g["F"] != g["C"] or g["C"] == 1 or g["dilation"] != (1, 1) \
            or len(set(g["stride"])) != 1 or len(set(g["pad"])) != 1:
        return None
    return (g["N"], g["C"], g["H"], g["W"], g["KH"], g["KW"], g["stride"][0], g["pad"][0])


GROUP_TEMPLATES["nn.conv2d#depthwise"] = ("depthwise_conv2d_nchw", args_of_depthwise_conv2d,
                                         schedule_depthwise_conv2d)
