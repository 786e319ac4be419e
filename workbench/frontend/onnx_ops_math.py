"""Converters for elementwise math, comparisons, logic, casts and reductions.

Each converter is ``convert(ctx, node) -> Expr``; ``CONVERTERS`` maps an ONNX op type to its
converter, or to ``{since_opset: converter}`` where the op's signature changed across opsets.
"""
from __future__ import annotations

import functools

import numpy as np

from ..tir import dtype as dt
from .onnx_common import Unsupported, onnx_dtype


def unary(op: str, **fixed):
    def convert(ctx, node):
        return ctx.call(op, node.inputs[0], **fixed)
    convert.__name__ = f"convert_{op.replace('.', '_')}"
    return convert


def binary(op: str):
    def convert(ctx, node):
        a, b = node.inputs[0], node.inputs[1]
        return ctx.call(op, a, b)
    convert.__name__ = f"convert_{op.replace('.', '_')}"
    return convert


def variadic(op: str):
    """Max/Min/Sum of any number of inputs, as a chain of binary ops."""
    def convert(ctx, node):
        xs = [x for x in node.inputs if x is not None]
        return functools.reduce(lambda a, b: ctx.call(op, a, b), xs)
    return convert


def convert_mean(ctx, node):
    xs = [x for x in node.inputs if x is not None]
    total = functools.reduce(lambda a, b: ctx.call("add", a, b), xs)
    return ctx.call("divide", total, ctx.scalar(len(xs), total))


def convert_identity(ctx, node):
    return node.inputs[0]


def convert_pow(ctx, node):
    base, exponent = node.inputs
    return ctx.call("power", base, ctx.cast(exponent, base.type.dtype))


def convert_mod(ctx, node):
    a, b = node.inputs
    r = ctx.call("floor_mod", a, b)
    if not node.attr("fmod", 0):
        return r
    # C fmod takes the dividend's sign: where the signs differ and r != 0, r - b.
    zero = ctx.scalar(0, a)
    signs_differ = ctx.call("logical_xor", ctx.call("less", a, zero), ctx.call("less", b, zero))
    fix = ctx.call("logical_and", signs_differ, ctx.call("not_equal", r, zero))
    return ctx.call("where", fix, ctx.call("subtract", r, b), r)


def convert_leaky_relu(ctx, node):
    return ctx.call("nn.leaky_relu", node.inputs[0], alpha=float(node.attr("alpha", 0.01)))


def convert_hard_sigmoid(ctx, node):
    return ctx.call("nn.hard_sigmoid", node.inputs[0], alpha=float(node.attr("alpha", 0.2)),
                    beta=float(node.attr("beta", 0.5)))


def convert_gelu(ctx, node):
    return ctx.call("nn.gelu", node.inputs[0], approximate=node.attr("approximate", "none"))


def convert_prelu(ctx, node):
    x, slope = node.inputs
    zero = ctx.scalar(0, x)
    return ctx.call("where", ctx.call("less", x, zero), ctx.call("multiply", x, slope), x)


def convert_elu(ctx, node):
    x = node.inputs[0]
    alpha = ctx.scalar(node.attr("alpha", 1.0), x)
    neg = ctx.call("multiply", alpha, ctx.call("subtract", ctx.call("exp", x), ctx.scalar(1, x)))
    return ctx.call("where", ctx.call("greater", x, ctx.scalar(0, x)), x, neg)


def convert_selu(ctx, node):
    x = node.inputs[0]
    alpha, gamma = node.attr("alpha", 1.67326319217681884765625), node.attr("gamma", 1.05070102214813232421875)
    neg = ctx.call("multiply", ctx.scalar(alpha, x), ctx.call("subtract", ctx.call("exp", x), ctx.scalar(1, x)))
    y = ctx.call("where", ctx.call("greater", x, ctx.scalar(0, x)), x, neg)
    return ctx.call("multiply", ctx.scalar(gamma, x), y)


def convert_celu(ctx, node):
    x = node.inputs[0]
    alpha = ctx.scalar(node.attr("alpha", 1.0), x)
    e = ctx.call("subtract", ctx.call("exp", ctx.call("divide", x, alpha)), ctx.scalar(1, x))
    neg = ctx.call("minimum", ctx.scalar(0, x), ctx.call("multiply", alpha, e))
    return ctx.call("add", ctx.call("maximum", ctx.scalar(0, x), x), neg)


def convert_thresholded_relu(ctx, node):
    x = node.inputs[0]
    alpha = ctx.scalar(node.attr("alpha", 1.0), x)
    return ctx.call("where", ctx.call("greater", x, alpha), x, ctx.scalar(0, x))


def _softplus(ctx, x):
    # log(1 + exp(x)) = max(x, 0) + log(1 + exp(-|x|)), which does not overflow
    tail = ctx.call("log", ctx.call("add", ctx.scalar(1, x), ctx.call("exp", ctx.call("negative", ctx.call("abs", x)))))
    return ctx.call("add", ctx.call("maximum", x, ctx.scalar(0, x)), tail)


def convert_softplus(ctx, node):
    return _softplus(ctx, node.inputs[0])


def convert_softsign(ctx, node):
    x = node.inputs[0]
    return ctx.call("divide", x, ctx.call("add", ctx.scalar(1, x), ctx.call("abs", x)))


def convert_mish(ctx, node):
    x = node.inputs[0]
    return ctx.call("multiply", x, ctx.call("tanh", _softplus(ctx, x)))


def convert_swish(ctx, node):
    x = node.inputs[0]
    alpha = node.attr("alpha", 1.0)
    ax = x if alpha == 1.0 else ctx.call("multiply", x, ctx.scalar(alpha, x))
    return ctx.call("multiply", x, ctx.call("sigmoid", ax))


def convert_sign(ctx, node):
    x = node.inputs[0]
    zero, one = ctx.scalar(0, x), ctx.scalar(1, x)
    neg = ctx.scalar(-1, x) if not dt.is_uint(x.type.dtype) else zero
    return ctx.call("where", ctx.call("greater", x, zero), one,
                    ctx.call("where", ctx.call("less", x, zero), neg, zero))


def convert_tan(ctx, node):
    x = node.inputs[0]
    return ctx.call("divide", ctx.call("sin", x), ctx.call("cos", x))


def convert_isnan(ctx, node):
    x = node.inputs[0]
    return ctx.call("not_equal", x, x)


def convert_isinf(ctx, node):
    x = node.inputs[0]
    pos, neg = node.attr("detect_positive", 1), node.attr("detect_negative", 1)
    inf = ctx.scalar(np.inf, x)
    if pos and neg:
        return ctx.call("equal", ctx.call("abs", x), inf)
    if pos:
        return ctx.call("equal", x, inf)
    if neg:
        return ctx.call("equal", x, ctx.call("negative", inf))
    return ctx.const(np.zeros(x.type.shape, "bool"))


def _bound(value, default=None):
    if value is None:
        return default
    arr = np.asarray(value).reshape(-1)
    return default if arr.size == 0 else arr[0].item()


def clip(ctx, x, lo, hi):
    if lo is None and hi is None:
        return x
    d = x.type.dtype
    lo = dt.min_value(d) if lo is None else lo
    hi = dt.max_value(d) if hi is None else hi
    return ctx.call("clip", x, a_min=lo, a_max=hi)


def convert_clip_v1(ctx, node):
    return clip(ctx, node.inputs[0], node.attr("min"), node.attr("max"))


def convert_clip_v11(ctx, node):
    from ..graph.expr import Constant
    x, lo, hi = node.inputs[0], node.input(1), node.input(2)
    if (lo is None or isinstance(lo, Constant)) and (hi is None or isinstance(hi, Constant)):
        return clip(ctx, x, _bound(None if lo is None else lo.data), _bound(None if hi is None else hi.data))
    if lo is not None:
        x = ctx.call("maximum", x, lo)
    if hi is not None:
        x = ctx.call("minimum", x, hi)
    return x


def convert_cast(ctx, node):
    return ctx.cast(node.inputs[0], onnx_dtype(node.attr("to"), "Cast 'to'"))


def convert_cast_like(ctx, node):
    return ctx.cast(node.inputs[0], node.inputs[1].type.dtype)


def convert_dropout(ctx, node):
    x = node.inputs[0]
    training = ctx.value(node.input(2), "training_mode") if node.opset >= 12 else None
    if (training is not None and bool(np.asarray(training).reshape(-1)[0])) or \
            (node.opset < 7 and not node.attr("is_test", 0)):
        rate = ctx.value(node.input(1), "ratio") if node.opset >= 12 else node.attr("ratio", 0.5)
        if rate is None or float(np.asarray(rate).reshape(-1)[0]) != 0.0:
            raise Unsupported("training_mode=1 (random masks)")
    outs = [x]
    if node.num_outputs > 1:
        outs.append(ctx.const(np.ones(x.type.shape, "bool")))
    return outs


def convert_where(ctx, node):
    c, a, b = node.inputs
    return ctx.call("where", ctx.cast(c, "bool"), a, b)


def convert_bitwise_not_bool(ctx, node):
    return ctx.call("logical_not", node.inputs[0])


# -- reductions -----------------------------------------------------------------------------

def reduce_axes(ctx, node, axes_from_input: bool):
    """(axes or None for all, keepdims); None axes with noop_with_empty_axes means identity ("noop")."""
    if axes_from_input:
        axes = ctx.ints(node.input(1), "axes")
    else:
        axes = node.attr("axes")
    keep = bool(node.attr("keepdims", 1))
    if not axes:
        if node.attr("noop_with_empty_axes", 0):
            return "noop", keep
        return None, keep
    nd = ctx.ndim(node.inputs[0])
    return tuple(sorted(a % nd for a in axes)), keep


def reduce(op: str, since_input: int, pre=None, post=None):
    """ReduceX: axes are an attribute before opset ``since_input`` and an input from it on."""
    def convert(ctx, node):
        x = node.inputs[0]
        axes, keep = reduce_axes(ctx, node, node.opset >= since_input)
        if pre is not None:
            x = pre(ctx, x)
        if axes == "noop":
            return post(ctx, x) if post is not None else x
        shape = x.type.shape
        if any(shape[a] == 0 for a in (range(len(shape)) if axes is None else axes)):
            return post(ctx, empty_reduction(ctx, op, x, axes, keep)) if post is not None else \
                empty_reduction(ctx, op, x, axes, keep)
        y = ctx.call(op, x, axis=axes, keepdims=keep)
        return post(ctx, y) if post is not None else y
    return convert


def empty_reduction(ctx, op, x, axes, keep):
    """A reduction over an empty axis: the reducer's identity (ONNX: -inf for max, +inf for min)."""
    d = x.type.dtype
    fill = {"sum": 0, "prod": 1, "mean": np.nan, "max": dt.min_value(d), "min": dt.max_value(d)}[op]
    axes = range(len(x.type.shape)) if axes is None else axes
    shape = tuple(1 if a in axes else n for a, n in enumerate(x.type.shape) if keep or a not in axes)
    return ctx.const(np.full(shape, fill, dtype=d))


def _square(ctx, x):
    return ctx.call("multiply", x, x)


def convert_reduce_log_sum_exp(ctx, node):
    x = node.inputs[0]
    axes, keep = reduce_axes(ctx, node, node.opset >= 18)
    if axes == "noop":
        return x
    if any(x.type.shape[a] == 0 for a in (range(len(x.type.shape)) if axes is None else axes)):
        return ctx.call("log", empty_reduction(ctx, "sum", x, axes, keep))
    m = ctx.call("max", x, axis=axes, keepdims=True)
    if not dt.is_float(x.type.dtype):
        s = ctx.call("sum", ctx.call("exp", x), axis=axes, keepdims=keep)
        return ctx.call("log", s)
    m = ctx.call("where", ctx.call("equal", ctx.call("abs", m), ctx.scalar(np.inf, m)), ctx.scalar(0, m), m)
    s = ctx.call("sum", ctx.call("exp", ctx.call("subtract", x, m)), axis=axes, keepdims=keep)
    mk = m if keep else ctx.call("reshape", m, newshape=s.type.shape)
    return ctx.call("add", ctx.call("log", s), mk)


def arg_reduce(op: str):
    def convert(ctx, node):
        return ctx.call(op, node.inputs[0], axis=int(node.attr("axis", 0)), keepdims=bool(node.attr("keepdims", 1)),
                        select_last_index=bool(node.attr("select_last_index", 0)))
    return convert


def _logsum_post(ctx, y):
    return ctx.call("log", y)


def _sqrt_post(ctx, y):
    return ctx.call("sqrt", y)


def _abs_pre(ctx, x):
    return ctx.call("abs", x)


def convert_cumsum(ctx, node):
    x = node.inputs[0]
    shape = x.type.shape
    nd = len(shape)
    axis = int(np.asarray(ctx.value(node.inputs[1], "axis")).reshape(-1)[0]) % nd
    n = shape[axis]
    # y[..., j] = sum_i x[..., i] * tri[i, j], along ``axis`` moved last
    i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    exclusive, reverse = node.attr("exclusive", 0), node.attr("reverse", 0)
    tri = (i >= j) if reverse else (i <= j)
    if exclusive:
        tri &= i != j
    perm = [a for a in range(nd) if a != axis] + [axis]
    xt = ctx.call("transpose", x, axes=tuple(perm)) if axis != nd - 1 else x
    y = ctx.call("nn.matmul", xt, ctx.const(tri.astype(x.type.dtype)))
    if axis != nd - 1:
        y = ctx.call("transpose", y, axes=tuple(int(k) for k in np.argsort(perm)))
    return y


def convert_lp_normalization(ctx, node):
    x = node.inputs[0]
    axis = int(node.attr("axis", -1)) % len(x.type.shape)
    p = int(node.attr("p", 2))
    if p == 1:
        norm = ctx.call("sum", ctx.call("abs", x), axis=(axis,), keepdims=True)
    elif p == 2:
        norm = ctx.call("sqrt", ctx.call("sum", ctx.call("multiply", x, x), axis=(axis,), keepdims=True))
    else:
        raise Unsupported(f"p={p}")
    zero = ctx.call("equal", norm, ctx.scalar(0, norm))
    return ctx.call("divide", x, ctx.call("where", zero, ctx.scalar(1, norm), norm))


CONVERTERS = {
    "CumSum": convert_cumsum, "LpNormalization": convert_lp_normalization,
    "Relu": unary("nn.relu"), "Sigmoid": unary("sigmoid"), "Tanh": unary("tanh"), "Exp": unary("exp"),
    "Log": unary("log"), "Sqrt": unary("sqrt"), "Abs": unary("abs"), "Neg": unary("negative"),
    "Erf": unary("erf"), "Floor": unary("floor"), "Ceil": unary("ceil"), "Round": unary("round"),
    "Reciprocal": unary("reciprocal"), "Sin": unary("sin"), "Cos": unary("cos"), "Not": unary("logical_not"),
    "HardSwish": unary("nn.hard_swish"), "LeakyRelu": convert_leaky_relu, "HardSigmoid": convert_hard_sigmoid,
    "Gelu": convert_gelu, "PRelu": convert_prelu, "Elu": convert_elu, "Selu": convert_selu, "Celu": convert_celu,
    "ThresholdedRelu": convert_thresholded_relu, "Softplus": convert_softplus, "Softsign": convert_softsign,
    "Mish": convert_mish, "Swish": convert_swish, "Sign": convert_sign, "Tan": convert_tan,
    "IsNaN": convert_isnan, "IsInf": convert_isinf,
    "Identity": convert_identity, "Dropout": convert_dropout,
    "Add": binary("add"), "Sub": binary("subtract"), "Mul": binary("multiply"), "Div": binary("divide"),
    "Pow": convert_pow, "Mod": convert_mod,
    "Equal": binary("equal"), "Less": binary("less"), "Greater": binary("greater"),
    "LessOrEqual": binary("less_equal"), "GreaterOrEqual": binary("greater_equal"),
    "And": binary("logical_and"), "Or": binary("logical_or"), "Xor": binary("logical_xor"),
    "Max": variadic("maximum"), "Min": variadic("minimum"), "Sum": variadic("add"), "Mean": convert_mean,
    "Where": convert_where, "Clip": {1: convert_clip_v1, 11: convert_clip_v11},
    "Cast": convert_cast, "CastLike": convert_cast_like,
    "ReduceSum": reduce("sum", 13), "ReduceMean": reduce("mean", 18), "ReduceMax": reduce("max", 18),
    "ReduceMin": reduce("min", 18), "ReduceProd": reduce("prod", 18),
    "ReduceL1": reduce("sum", 18, pre=_abs_pre), "ReduceL2": reduce("sum", 18, pre=_square, post=_sqrt_post),
    "ReduceSumSquare": reduce("sum", 18, pre=_square), "ReduceLogSum": reduce("sum", 18, post=_logsum_post),
    "ReduceLogSumExp": convert_reduce_log_sum_exp,
    "ArgMax": arg_reduce("argmax"), "ArgMin": arg_reduce("argmin"),
}
