"""Converters for neural-network ops: convolution, pooling, dense layers, normalization, softmax.

Layouts are NCHW/OIHW as in ONNX. 1-D convolution and pooling run as their 2-D forms with a
unit height; 3-D ones are reported as unsupported.
"""
from __future__ import annotations

import math

import numpy as np

from ..graph.types import TupleType
from .onnx_common import Unsupported


# -- padding ----------------------------------------------------------------------------------

def spatial_pads(node, in_sizes, kernel, strides, dilations):
    """ONNX ``pads``/``auto_pad`` as (begins, ends) per spatial axis."""
    n = len(in_sizes)
    auto = node.attr("auto_pad", "NOTSET")
    if auto in ("NOTSET", ""):
        pads = node.attr("pads") or [0] * (2 * n)
        return list(pads[:n]), list(pads[n:])
    if auto == "VALID":
        return [0] * n, [0] * n
    if auto not in ("SAME_UPPER", "SAME_LOWER"):
        raise Unsupported(f"auto_pad={auto!r}")
    begins, ends = [], []
    for size, k, s, d in zip(in_sizes, kernel, strides, dilations):
        out = -(-size // s)
        total = max(0, (out - 1) * s + (k - 1) * d + 1 - size)
        small, big = total // 2, total - total // 2
        begins.append(small if auto == "SAME_UPPER" else big)
        ends.append(big if auto == "SAME_UPPER" else small)
    return begins, ends


def _spatial_attrs(node, kernel):
    n = len(kernel)
    strides = list(node.attr("strides") or [1] * n)
    dilations = list(node.attr("dilations") or [1] * n)
    return strides, dilations


def _to_2d(ctx, x):
    """(N, C, W) -> (N, C, 1, W)."""
    return ctx.call("expand_dims", x, axis=2, num_newaxis=1)


def _from_2d(ctx, y):
    return ctx.call("squeeze", y, axes=(2,))


def _check_rank(node, x, what="input"):
    nd = len(x.type.shape)
    if nd not in (3, 4):
        raise Unsupported(f"{nd - 2}-d {what}; only 1-d and 2-d are supported")
    return nd == 3


# -- convolution ------------------------------------------------------------------------------

def convert_conv(ctx, node):
    x, w, b = node.inputs[0], node.inputs[1], node.input(2)
    one_d = _check_rank(node, x)
    kernel = list(w.type.shape[2:])
    strides, dilations = _spatial_attrs(node, kernel)
    begins, ends = spatial_pads(node, list(x.type.shape[2:]), kernel, strides, dilations)
    if one_d:
        x, w = _to_2d(ctx, x), _to_2d(ctx, w)
        strides, dilations, begins, ends = [1] + strides, [1] + dilations, [0] + begins, [0] + ends
    y = ctx.call("nn.conv2d", x, w, strides=tuple(strides), padding=(begins[0], begins[1], ends[0], ends[1]),
                 dilation=tuple(dilations), groups=int(node.attr("group", 1)))
    if b is not None:
        y = ctx.call("nn.bias_add", y, b, axis=1)
    return _from_2d(ctx, y) if one_d else y


def convert_conv_transpose(ctx, node):
    x, w, b = node.inputs[0], node.inputs[1], node.input(2)
    one_d = _check_rank(node, x)
    kernel = list(w.type.shape[2:])
    n = len(kernel)
    strides, dilations = _spatial_attrs(node, kernel)
    groups = int(node.attr("group", 1))
    out_pad = list(node.attr("output_padding") or [0] * n)
    in_sizes = list(x.type.shape[2:])
    auto = node.attr("auto_pad", "NOTSET")
    out_shape = node.attr("output_shape")
    if out_shape or auto in ("SAME_UPPER", "SAME_LOWER"):
        # total padding from the requested output size: out = s*(in-1) + op + (k-1)*d + 1 - pads
        target = list(out_shape[-n:]) if out_shape else [i * s for i, s in zip(in_sizes, strides)]
        begins, ends = [], []
        for i, k, s, d, op, t in zip(in_sizes, kernel, strides, dilations, out_pad, target):
            total = s * (i - 1) + op + (k - 1) * d + 1 - t
            if total < 0:
                op, total = op - total, 0
            small, big = total // 2, total - total // 2
            lower = auto == "SAME_LOWER"
            begins.append(big if lower else small)
            ends.append(small if lower else big)
        if any(s * (i - 1) + (k - 1) * d + 1 - bg - en > t for i, k, s, d, bg, en, t in
               zip(in_sizes, kernel, strides, dilations, begins, ends, target)):
            raise Unsupported("output_shape smaller than the minimal output")
        out_pad = [t - (s * (i - 1) + (k - 1) * d + 1 - bg - en) for i, k, s, d, bg, en, t in
                   zip(in_sizes, kernel, strides, dilations, begins, ends, target)]
    elif auto == "VALID":
        begins, ends = [0] * n, [0] * n
    else:
        pads = node.attr("pads") or [0] * (2 * n)
        begins, ends = list(pads[:n]), list(pads[n:])
    if one_d:
        x, w = _to_2d(ctx, x), _to_2d(ctx, w)
        strides, dilations, begins, ends, out_pad = [1] + strides, [1] + dilations, [0] + begins, [0] + ends, \
            [0] + out_pad
    y = ctx.call("nn.conv2d_transpose", x, w, strides=tuple(strides),
                 padding=(begins[0], begins[1], ends[0], ends[1]), dilation=tuple(dilations), groups=groups,
                 output_padding=tuple(out_pad))
    if b is not None:
        y = ctx.call("nn.bias_add", y, b, axis=1)
    return _from_2d(ctx, y) if one_d else y


# -- pooling ----------------------------------------------------------------------------------

def pool(op: str):
    def convert(ctx, node):
        x = node.inputs[0]
        one_d = _check_rank(node, x)
        if op == "nn.max_pool2d" and node.num_outputs > 1 and node.proto.output[1]:
            raise Unsupported("the Indices output")
        kernel = list(node.attr("kernel_shape"))
        strides, dilations = _spatial_attrs(node, kernel)
        begins, ends = spatial_pads(node, list(x.type.shape[2:]), kernel, strides, dilations)
        ceil_mode = bool(node.attr("ceil_mode", 0)) and node.attr("auto_pad", "NOTSET") in ("NOTSET", "")
        if one_d:
            x = _to_2d(ctx, x)
            kernel, strides, dilations, begins, ends = [1] + kernel, [1] + strides, [1] + dilations, \
                [0] + begins, [0] + ends
        attrs = dict(pool_size=tuple(kernel), strides=tuple(strides), dilation=tuple(dilations),
                     padding=(begins[0], begins[1], ends[0], ends[1]), ceil_mode=ceil_mode)
        if op == "nn.avg_pool2d":
            attrs["count_include_pad"] = bool(node.attr("count_include_pad", 0))
        y = ctx.call(op, x, **attrs)
        return _from_2d(ctx, y) if one_d else y
    return convert


def convert_lp_pool(ctx, node):
    """(sum over the window of |x|^p)^(1/p), as an average pool that counts padding, times the window size."""
    x = node.inputs[0]
    one_d = _check_rank(node, x)
    p = float(node.attr("p", 2))
    kernel = list(node.attr("kernel_shape"))
    strides, dilations = _spatial_attrs(node, kernel)
    begins, ends = spatial_pads(node, list(x.type.shape[2:]), kernel, strides, dilations)
    ceil_mode = bool(node.attr("ceil_mode", 0))
    xp = ctx.call("power", ctx.call("abs", x), ctx.scalar(p, x))
    if one_d:
        xp = _to_2d(ctx, xp)
        kernel, strides, dilations, begins, ends = [1] + kernel, [1] + strides, [1] + dilations, \
            [0] + begins, [0] + ends
    avg = ctx.call("nn.avg_pool2d", xp, pool_size=tuple(kernel), strides=tuple(strides), dilation=tuple(dilations),
                   padding=(begins[0], begins[1], ends[0], ends[1]), ceil_mode=ceil_mode, count_include_pad=True)
    total = ctx.call("multiply", avg, ctx.scalar(math.prod(kernel), avg))
    y = ctx.call("power", total, ctx.scalar(1.0 / p, avg))
    return _from_2d(ctx, y) if one_d else y


def global_pool(op: str, reduce_op: str):
    def convert(ctx, node):
        x = node.inputs[0]
        if len(x.type.shape) == 4:
            return ctx.call(op, x)
        return ctx.call(reduce_op, x, axis=tuple(range(2, len(x.type.shape))), keepdims=True)
    return convert


def convert_lrn(ctx, node):
    x = node.inputs[0]
    size = int(node.attr("size"))
    alpha, beta, bias = node.attr("alpha", 1e-4), node.attr("beta", 0.75), node.attr("bias", 1.0)
    nd, c = len(x.type.shape), x.type.shape[1]
    sq = ctx.call("multiply", x, x)
    before, after = (size - 1) // 2, size - 1 - (size - 1) // 2
    width = [(0, 0)] * nd
    width[1] = (before, after)
    padded = ctx.call("nn.pad", sq, pad_width=tuple(width), pad_value=0.0)
    total = None
    for k in range(size):
        part = ctx.call("strided_slice", padded, begin=(k,), end=(k + c,), strides=(1,), axes=(1,))
        total = part if total is None else ctx.call("add", total, part)
    scale = ctx.call("add", ctx.scalar(bias, x), ctx.call("multiply", ctx.scalar(alpha / size, x), total))
    return ctx.call("divide", x, ctx.call("power", scale, ctx.scalar(beta, x)))


# -- dense layers -----------------------------------------------------------------------------

def convert_gemm(ctx, node):
    a, b, c = node.inputs[0], node.inputs[1], node.input(2)
    alpha, beta = float(node.attr("alpha", 1.0)), float(node.attr("beta", 1.0))
    if node.attr("transA", 0):
        a = ctx.call("transpose", a, axes=(1, 0))
    if not node.attr("transB", 0):
        b = ctx.call("transpose", b, axes=(1, 0))   # dense takes the weight as [N, K]
    y = ctx.call("nn.dense", a, b)
    if alpha != 1.0:
        y = ctx.call("multiply", y, ctx.scalar(alpha, y))
    if c is not None and beta != 0.0:
        if beta != 1.0:
            c = ctx.call("multiply", c, ctx.scalar(beta, c))
        y = ctx.call("add", y, c)
    return y


def convert_matmul(ctx, node):
    return ctx.call("nn.matmul", node.inputs[0], node.inputs[1])


# -- normalization ----------------------------------------------------------------------------

def _first(ctx, y):
    return ctx.item(y, 0) if isinstance(y.type, TupleType) else y


def convert_batch_norm(ctx, node):
    if node.attr("training_mode", 0) or any(node.proto.output[1:]):
        raise Unsupported("training mode")
    x, gamma, beta, mean, var = node.inputs[:5]
    y = ctx.call("nn.batch_norm", x, gamma, beta, mean, var, axis=1, epsilon=float(node.attr("epsilon", 1e-5)))
    return _first(ctx, y)


def convert_instance_norm(ctx, node):
    x, gamma, beta = node.inputs
    return ctx.call("nn.instance_norm", x, gamma, beta, epsilon=float(node.attr("epsilon", 1e-5)))


def convert_layer_norm(ctx, node):
    if any(node.proto.output[1:]):
        raise Unsupported("the Mean/InvStdDev outputs")
    x, gamma, beta = node.inputs[0], node.inputs[1], node.input(2)
    shape = x.type.shape
    axis = int(node.attr("axis", -1)) % len(shape)
    eps = float(node.attr("epsilon", 1e-5))
    inner = shape[axis:]
    size = math.prod(inner)
    flat = (size,)
    gamma = ctx.call("broadcast_to", gamma, shape=inner) if gamma.type.shape != inner else gamma
    beta = ctx.const(np.zeros(inner, x.type.dtype)) if beta is None else \
        (ctx.call("broadcast_to", beta, shape=inner) if beta.type.shape != inner else beta)
    if axis == len(shape) - 1:
        return _first(ctx, ctx.call("nn.layer_norm", x, gamma, beta, axis=-1, epsilon=eps))
    x2 = ctx.call("reshape", x, newshape=(math.prod(shape[:axis]), size))
    y = ctx.call("nn.layer_norm", x2, ctx.call("reshape", gamma, newshape=flat),
                 ctx.call("reshape", beta, newshape=flat), axis=-1, epsilon=eps)
    return ctx.call("reshape", _first(ctx, y), newshape=shape)


# -- softmax ----------------------------------------------------------------------------------

def softmax(op: str, flatten: bool):
    """Softmax/LogSoftmax; before opset 13 the input is viewed as 2-D at ``axis``."""
    def convert(ctx, node):
        x = node.inputs[0]
        shape = x.type.shape
        nd = len(shape)
        axis = int(node.attr("axis", 1 if flatten else -1)) % max(nd, 1)
        if not flatten or axis == nd - 1:
            return ctx.call(op, x, axis=axis)
        x2 = ctx.call("reshape", x, newshape=(math.prod(shape[:axis]), math.prod(shape[axis:])))
        return ctx.call("reshape", ctx.call(op, x2, axis=1), newshape=shape)
    return convert


def hardmax(flatten: bool):
    def convert(ctx, node):
        x = node.inputs[0]
        shape = x.type.shape
        nd = len(shape)
        axis = int(node.attr("axis", 1 if flatten else -1)) % max(nd, 1)
        y = x
        if flatten and axis != nd - 1:
            y = ctx.call("reshape", x, newshape=(math.prod(shape[:axis]), math.prod(shape[axis:])))
            axis = 1
        idx = ctx.call("argmax", y, axis=axis, keepdims=True, select_last_index=False)
        iota_shape = [1] * len(y.type.shape)
        iota_shape[axis] = y.type.shape[axis]
        iota = ctx.const(np.arange(y.type.shape[axis], dtype=idx.type.dtype).reshape(iota_shape))
        out = ctx.cast(ctx.call("equal", iota, idx), x.type.dtype)
        if out.type.shape != shape:
            out = ctx.call("reshape", out, newshape=shape)
        return out
    return convert


CONVERTERS = {
    "Conv": convert_conv, "ConvTranspose": convert_conv_transpose,
    "MaxPool": pool("nn.max_pool2d"), "AveragePool": pool("nn.avg_pool2d"),
    "GlobalAveragePool": global_pool("nn.global_avg_pool2d", "mean"),
    "GlobalMaxPool": global_pool("nn.global_max_pool2d", "max"),
    "LRN": convert_lrn, "LpPool": convert_lp_pool,
    "Gemm": convert_gemm, "MatMul": convert_matmul,
    "BatchNormalization": convert_batch_norm, "InstanceNormalization": convert_instance_norm,
    "LayerNormalization": convert_layer_norm,
    "Softmax": {1: softmax("nn.softmax", True), 13: softmax("nn.softmax", False)},
    "LogSoftmax": {1: softmax("nn.log_softmax", True), 13: softmax("nn.log_softmax", False)},
    "Hardmax": {1: hardmax(True), 13: hardmax(False)},
}
