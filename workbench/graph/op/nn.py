"""Neural-network operators: matrix products, normalizations, pooling, softmax, pad (convolutions: ``conv``).

Layouts are NCHW for data; 2-D padding is ``(top, left, bottom, right)``. Type rules check every shape the compute
relies on, so an op that type-checks always has a compute of the inferred type.
"""
from __future__ import annotations

import math

import numpy as np

from ... import te, topi
from ...topi import numpy_ref
from ..types import TensorType
from .layout import nchw_or_blocked, nchw_ref
from .registry import Op, OpPattern
from .rules import (broadcast_shapes, check_attr_names, fail, float_attr, int_tuple, normalize_axis,
                    require_float, require_numeric, require_rank, same_dtype, tensors)

# ------------------------------------------------------------------ matrix products

def _dense_infer(types, attrs):
    name = "nn.dense"
    data, weight = tensors(name, types, 2)
    same_dtype(name, [data, weight], ["data", "weight"])
    require_numeric(name, data, "data")
    if data.ndim < 1 or weight.ndim != 2:
        fail(name, f"data {data} must be [..., K] and weight {weight} [N, K]")
    if data.shape[-1] != weight.shape[1]:
        fail(name, f"data {data} has K={data.shape[-1]} but weight {weight} ([N, K]) has K={weight.shape[1]}")
    return TensorType(data.shape[:-1] + (weight.shape[0],), data.dtype)


def _dense_ref(data, weight):
    return np.matmul(data.astype("float64"), weight.astype("float64").T).astype(data.dtype)


def _dense(data, weight):
    if data.ndim == 2:
        return topi.dense(data, weight)
    k = te.reduce_axis((0, data.shape[-1]), name="k")
    return te.compute(data.shape[:-1] + (weight.shape[0],),
                      lambda *i: te.sum(data[i[:-1] + (k,)] * weight[i[-1], k], axis=k), name="dense")


def _matmul_infer(types, attrs):
    name = "nn.matmul"
    a, b = tensors(name, types, 2)
    same_dtype(name, [a, b], ["a", "b"])
    require_numeric(name, a, "a")
    if a.ndim == 0 or b.ndim == 0:
        fail(name, f"a {a} and b {b} must have at least one dimension")
    ka = a.shape[-1]
    kb = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if ka != kb:
        fail(name, f"inner dimensions differ: a {a} has {ka}, b {b} has {kb}")
    batch = broadcast_shapes(name, a.shape[:-2], b.shape[:-2])
    out = batch + (a.shape[-2:-1] if a.ndim > 1 else ()) + (b.shape[-1:] if b.ndim > 1 else ())
    return TensorType(out, a.dtype)


def _matmul_ref(a, b):
    return np.matmul(a.astype("float64"), b.astype("float64")).astype(a.dtype)


def _matmul(a, b):
    if a.ndim == 2 and b.ndim == 2:
        return topi.matmul(a, b)
    if a.ndim >= 2 and b.ndim >= 2:
        return topi.batch_matmul(a, b)
    # a vector on either side: a batch of matrix-vector (or vector-matrix) products, without reshape stages
    k = te.reduce_axis((0, a.shape[-1]), name="k")
    out = _matmul_infer([TensorType(a.shape, a.dtype), TensorType(b.shape, b.dtype)], {}).shape
    from ...topi.broadcast import broadcast_index
    batch = out[:len(out) - (a.ndim > 1) - (b.ndim > 1)]

    def body(*idx):
        bi, rest = idx[:len(batch)], list(idx[len(batch):])
        ai = broadcast_index(a.shape[:-2], batch, bi) + ((rest.pop(0),) if a.ndim > 1 else ()) + (k,)
        bj = (k,) if b.ndim == 1 else broadcast_index(b.shape[:-2], batch, bi) + (k, rest.pop(0))
        return te.sum(a[ai] * b[bj], axis=k)

    return te.compute(out, body, name="matmul")


# ------------------------------------------------------------------ normalization

def _bias_add_infer(types, attrs):
    name = "nn.bias_add"
    data, bias = tensors(name, types, 2)
    same_dtype(name, [data, bias], ["data", "bias"])
    axis = normalize_axis(name, attrs["axis"], data.ndim)
    if bias.shape != (data.shape[axis],):
        fail(name, f"bias {bias} must be [{data.shape[axis]}] (axis {axis} of data {data})")
    return data


def _bias_add_ref(data, bias, axis):
    axis = axis % data.ndim
    return data + bias.reshape((-1,) + (1,) * (data.ndim - axis - 1))


def _bias_add(data, bias, axis):
    axis = axis % data.ndim
    return te.compute(data.shape, lambda *i: data[i] + bias[i[axis]], name="bias_add")


def _batch_norm_infer(types, attrs):
    name = "nn.batch_norm"
    ts = tensors(name, types, 5)
    data = ts[0]
    whats = ["data", "gamma", "beta", "mean", "var"]
    same_dtype(name, ts, whats)
    require_float(name, data, "data")
    axis = normalize_axis(name, attrs["axis"], data.ndim)
    float_attr(name, attrs, "epsilon")
    for what, t in zip(whats[1:], ts[1:]):
        if t.shape != (data.shape[axis],):
            fail(name, f"{what} {t} must be [{data.shape[axis]}] (axis {axis} of data {data})")
    return data


def _batch_norm_ref(data, gamma, beta, mean, var, axis, epsilon):
    return numpy_ref.batch_norm(data, gamma, beta, mean, var, epsilon, axis % data.ndim).astype(data.dtype)


def _batch_norm(data, gamma, beta, mean, var, axis, epsilon):
    return topi.batch_norm_inference(data, gamma, beta, mean, var, epsilon, axis)


def _layer_norm_infer(types, attrs):
    name = "nn.layer_norm"
    data, gamma, beta = tensors(name, types, 3)
    same_dtype(name, [data, gamma, beta], ["data", "gamma", "beta"])
    require_float(name, data, "data")
    float_attr(name, attrs, "epsilon")
    axis = normalize_axis(name, attrs["axis"], data.ndim)
    norm = data.shape[axis:]
    for what, t in (("gamma", gamma), ("beta", beta)):
        if t.shape != norm:
            fail(name, f"{what} {t} must have the normalized shape {list(norm)} (axes {axis}.. of data {data})")
    return data


def _layer_norm_ref(data, gamma, beta, axis, epsilon):
    axes = tuple(range(axis % data.ndim, data.ndim))
    return numpy_ref.layer_norm(data, gamma, beta, axes, epsilon).astype(data.dtype)


def _layer_norm(data, gamma, beta, axis, epsilon):
    return topi.layer_norm(data, gamma, beta, tuple(range(axis % data.ndim, data.ndim)), epsilon)


def _instance_norm_infer(types, attrs):
    name = "nn.instance_norm"
    data, gamma, beta = tensors(name, types, 3)
    same_dtype(name, [data, gamma, beta], ["data", "gamma", "beta"])
    require_float(name, data, "data")
    float_attr(name, attrs, "epsilon")
    if data.ndim < 3:
        fail(name, f"data {data} must be [N, C, D1, ...] with at least one spatial dimension")
    for what, t in (("gamma", gamma), ("beta", beta)):
        if t.shape != (data.shape[1],):
            fail(name, f"{what} {t} must be [{data.shape[1]}] (the channels of data {data})")
    return data


def _instance_norm_ref(data, gamma, beta, epsilon):
    x = data.astype("float64")
    axes = tuple(range(2, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    shape = (-1,) + (1,) * (x.ndim - 2)
    y = (x - mean) / np.sqrt(var + epsilon) * gamma.reshape(shape) + beta.reshape(shape)
    return y.astype(data.dtype)


def _instance_norm(data, gamma, beta, epsilon):
    # normalize over the spatial axes (layer_norm's stages), then scale and shift per channel
    norm = topi.layer_norm(data, None, None, tuple(range(2, data.ndim)), epsilon, name="instance_norm_core")
    return te.compute(data.shape, lambda *i: norm[i] * gamma[i[1]] + beta[i[1]], name="instance_norm")


# ------------------------------------------------------------------ pooling

def _pool_out(name, size, k, s, d, lo, hi, ceil_mode):
    span = d * (k - 1) + 1
    if span > size + lo + hi:
        fail(name, f"the dilated window {span} is larger than the padded input {size + lo + hi}")
    if not ceil_mode:
        return (size + lo + hi - span) // s + 1
    out = -(-(size + lo + hi - span) // s) + 1
    if (out - 1) * s >= size + lo:  # the last window would start in the trailing padding
        out -= 1
    return out


def _pool_infer(name, needs_float, blocked_ok=False):
    def infer(types, attrs):
        (data,) = tensors(name, types, 1)
        if not blocked_ok:
            require_rank(name, data, 4, "data", "NCHW")
        nchw_or_blocked(name, data)
        (require_float if needs_float else require_numeric)(name, data, "data")
        if "pool_size" not in attrs:
            fail(name, "needs the attribute pool_size (kh, kw)")
        kh, kw = int_tuple(name, attrs, "pool_size", 2, minimum=1)
        sh, sw = int_tuple(name, attrs, "strides", 2, minimum=1)
        pads = int_tuple(name, attrs, "padding", 4, minimum=0)
        dh, dw = int_tuple(name, attrs, "dilation", 2, minimum=1)
        ceil_mode = bool(attrs["ceil_mode"])
        extent = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)
        if any(p >= extent[i % 2] for i, p in enumerate(pads)):
            fail(name, f"padding {list(pads)} must be smaller than the window extent {list(extent)} of data {data}")
        n, c, h, w = data.shape[:4]
        oh = _pool_out(name, h, kh, sh, dh, pads[0], pads[2], ceil_mode)
        ow = _pool_out(name, w, kw, sw, dw, pads[1], pads[3], ceil_mode)
        return TensorType((n, c, oh, ow) + data.shape[4:], data.dtype)
    return infer


@nchw_ref
def _max_pool_ref(data, pool_size, strides, padding, dilation, ceil_mode):
    return numpy_ref.pool2d(data, "max", pool_size, strides, padding, dilation, ceil_mode).astype(data.dtype)


def _avg_pool_ref(data, pool_size, strides, padding, dilation, ceil_mode, count_include_pad):
    return numpy_ref.pool2d(data, "avg", pool_size, strides, padding, dilation, ceil_mode,
                            count_include_pad).astype(data.dtype)


def _max_pool(data, pool_size, strides, padding, dilation, ceil_mode):
    return topi.max_pool2d(data, pool_size, strides, padding, dilation, bool(ceil_mode))


def _avg_pool(data, pool_size, strides, padding, dilation, ceil_mode, count_include_pad):
    return topi.avg_pool2d(data, pool_size, strides, padding, dilation, bool(ceil_mode), bool(count_include_pad))


def _global_pool_infer(name, needs_float, blocked_ok=False):
    def infer(types, attrs):
        (data,) = tensors(name, types, 1)
        if not blocked_ok:
            require_rank(name, data, 4, "data", "NCHW")
        nchw_or_blocked(name, data)
        (require_float if needs_float else require_numeric)(name, data, "data")
        return TensorType(data.shape[:2] + (1, 1) + data.shape[4:], data.dtype)
    return infer


# ------------------------------------------------------------------ softmax, pad

def _softmax_infer(name):
    def infer(types, attrs):
        (data,) = tensors(name, types, 1)
        require_float(name, data, "data")
        normalize_axis(name, attrs["axis"], data.ndim)
        return data
    return infer


def _softmax_ref(x, axis):
    return numpy_ref.softmax(x, axis).astype(x.dtype)


def _log_softmax_ref(x, axis):
    return numpy_ref.log_softmax(x, axis).astype(x.dtype)


def _pad_width(name, attrs, ndim):
    pw = attrs["pad_width"]
    if (not isinstance(pw, tuple) or len(pw) != ndim
            or not all(isinstance(p, tuple) and len(p) == 2 and all(isinstance(v, int) and v >= 0 for v in p)
                       for p in pw)):
        fail(name, f"pad_width must be {ndim} pairs (before, after) of non-negative ints, got {pw!r}")
    return pw


def _pad_infer(types, attrs):
    name = "nn.pad"
    (data,) = tensors(name, types, 1)
    if "pad_width" not in attrs:
        fail(name, "needs the attribute pad_width: one (before, after) pair per dimension")
    pw = _pad_width(name, attrs, data.ndim)
    value = float_attr(name, attrs, "pad_value")
    if not math.isfinite(value) and data.dtype != "float32" and data.dtype != "float64":
        fail(name, f"pad_value {value} does not fit data {data}")
    return TensorType(tuple(n + b + a for n, (b, a) in zip(data.shape, pw)), data.dtype)


def _pad_ref(data, pad_width, pad_value):
    return np.pad(data, pad_width, constant_values=np.asarray(pad_value).astype(data.dtype))


def _pad(data, pad_width, pad_value):
    if not any(b or a for b, a in pad_width):
        return te.compute(data.shape, lambda *i: data[i], name="pad")
    return topi.pad(data, [b for b, _ in pad_width], [a for _, a in pad_width], pad_value)


_POOL = {"strides": (1, 1), "padding": (0, 0, 0, 0), "dilation": (1, 1), "ceil_mode": False}
_HEAVY = OpPattern.OUT_ELEWISE_FUSABLE

OPS = check_attr_names([
    Op("nn.dense", _dense_infer, _HEAVY, _dense_ref, _dense, doc="data[..., K] times weight[N, K] transposed"),
    Op("nn.matmul", _matmul_infer, _HEAVY, _matmul_ref, _matmul, doc="numpy matmul (batch dimensions broadcast)"),
    Op("nn.bias_add", _bias_add_infer, OpPattern.BROADCAST, _bias_add_ref, _bias_add,
       doc="data + bias along axis", attr_defaults={"axis": 1}),
    Op("nn.batch_norm", _batch_norm_infer, OpPattern.BROADCAST, _batch_norm_ref, _batch_norm,
       doc="(x - mean) / sqrt(var + epsilon) * gamma + beta per channel (inference)",
       attr_defaults={"axis": 1, "epsilon": 1e-5}),
    Op("nn.layer_norm", _layer_norm_infer, _HEAVY, _layer_norm_ref, _layer_norm,
       doc="normalize over axes [axis, ndim), then scale and shift", attr_defaults={"axis": -1, "epsilon": 1e-5}),
    Op("nn.instance_norm", _instance_norm_infer, _HEAVY, _instance_norm_ref, _instance_norm,
       doc="normalize each (n, c) over the spatial axes, then scale and shift per channel",
       attr_defaults={"epsilon": 1e-5}),
    Op("nn.max_pool2d", _pool_infer("nn.max_pool2d", False, blocked_ok=True), _HEAVY, _max_pool_ref, _max_pool,
       doc="the maximum over each window", attr_defaults=dict(_POOL)),
    Op("nn.avg_pool2d", _pool_infer("nn.avg_pool2d", True), _HEAVY, _avg_pool_ref, _avg_pool,
       doc="the mean over each window", attr_defaults={**_POOL, "count_include_pad": False}),
    Op("nn.global_avg_pool2d", _global_pool_infer("nn.global_avg_pool2d", True, blocked_ok=True), _HEAVY,
       nchw_ref(lambda x: x.mean(axis=(2, 3), keepdims=True, dtype="float64").astype(x.dtype)),
       lambda x: topi.global_avg_pool2d(x), doc="the mean over H and W"),
    Op("nn.global_max_pool2d", _global_pool_infer("nn.global_max_pool2d", False), _HEAVY,
       lambda x: x.max(axis=(2, 3), keepdims=True), lambda x: topi.global_max_pool2d(x),
       doc="the maximum over H and W"),
    Op("nn.softmax", _softmax_infer("nn.softmax"), _HEAVY, _softmax_ref, lambda x, axis: topi.softmax(x, axis),
       doc="exp(x) / sum(exp(x)) along axis", attr_defaults={"axis": -1}),
    Op("nn.log_softmax", _softmax_infer("nn.log_softmax"), _HEAVY, _log_softmax_ref,
       lambda x, axis: topi.log_softmax(x, axis), doc="x - log(sum(exp(x))) along axis",
       attr_defaults={"axis": -1}),
    Op("nn.pad", _pad_infer, OpPattern.INJECTIVE, _pad_ref, _pad,
       doc="constant padding: pad_width (before, after) per dimension", attr_defaults={"pad_value": 0.0}),
])
