"""Small named operator cases with numpy references, for testing the compiler end to end.

``OPERATOR_CASES`` lists ``OperatorCase``s. Calling one builds a fresh copy::

    outputs, inputs, make_inputs, numpy_ref = case()

``outputs`` and ``inputs`` are te Tensors (schedule ``outputs``, pass
``inputs + outputs`` to ``build``); ``make_inputs(rng)`` returns
``{placeholder: ndarray}``; ``numpy_ref(feeds)`` returns the expected output
arrays, computed with numpy alone. Compare with ``case.rtol``/``case.atol``.
Shapes are small (every output <= 4096 elements, every reduction <= 256
long), so each case compiles and runs in milliseconds under any schedule.

>>> import numpy as np
>>> from workbench.te.reference import evaluate
>>> case = OPERATOR_CASES[0]
>>> outputs, inputs, make_inputs, numpy_ref = case()
>>> feeds = make_inputs(np.random.default_rng(0))
>>> np.allclose(evaluate(outputs, feeds)[0], numpy_ref(feeds)[0], case.rtol, case.atol)
True
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .. import te
from . import broadcast, conv, elemwise, linalg, norm, numpy_ref, padding, pool, reduction, transform

F32, F64 = "float32", "float64"


@dataclass(frozen=True)
class OperatorCase:
    """A named case: ``build()`` -> ``(outputs, inputs, make_inputs, numpy_ref)``, and its tolerances."""
    name: str
    build: Callable
    rtol: float = 1e-5
    atol: float = 1e-5

    def __call__(self):
        return self.build()


OPERATOR_CASES: list = []


def _case(name: str, rtol: float = 1e-5, atol: float = 1e-5):
    def register(build):
        OPERATOR_CASES.append(OperatorCase(name, build, rtol, atol))
        return build
    return register


def _normal(*tensors, scale: float = 1.0):
    """``make_inputs`` drawing standard normal values (times ``scale``) for float placeholders."""
    return lambda rng: {t: (rng.standard_normal(t.shape) * scale).astype(t.dtype) for t in tensors}


def _f64(a):
    return np.asarray(a, F64)


# ------------------------------------------------------------------ matrix products

@_case("matmul")
def _matmul():
    A, B = te.placeholder((16, 24), name="A"), te.placeholder((24, 20), name="B")
    return [linalg.matmul(A, B)], [A, B], _normal(A, B), lambda d: [(_f64(d[A]) @ d[B]).astype(F32)]


@_case("matmul_transposed")
def _matmul_t():
    A, B = te.placeholder((24, 12), name="A"), te.placeholder((10, 24), name="B")
    C = linalg.matmul(A, B, transpose_a=True, transpose_b=True)
    return [C], [A, B], _normal(A, B), lambda d: [(_f64(d[A]).T @ d[B].T).astype(F32)]


@_case("batch_matmul_broadcast")
def _batch_matmul():
    A, B = te.placeholder((3, 8, 16), name="A"), te.placeholder((1, 16, 12), name="B")
    return [linalg.batch_matmul(A, B)], [A, B], _normal(A, B), lambda d: [np.matmul(_f64(d[A]), d[B]).astype(F32)]


@_case("dense_bias")
def _dense_bias():
    X, W, b = te.placeholder((8, 32), name="X"), te.placeholder((16, 32), name="W"), te.placeholder((16,), name="b")
    Y = linalg.dense(X, W, b)
    return [Y], [X, W, b], _normal(X, W, b), lambda d: [(_f64(d[X]) @ d[W].T + d[b]).astype(F32)]


@_case("flatten_dense_relu")
def _flatten_dense():
    x, W = te.placeholder((2, 4, 3, 3), name="x"), te.placeholder((10, 36), name="W")
    y = elemwise.relu(linalg.dense(transform.flatten(x), W))
    return [y], [x, W], _normal(x, W), lambda d: [np.maximum(_f64(d[x]).reshape(2, 36) @ d[W].T, 0).astype(F32)]


@_case("int8_matmul_int32")
def _int8_matmul():
    A, B = te.placeholder((8, 64), "int8", name="A"), te.placeholder((64, 12), "int8", name="B")
    C = linalg.matmul(A, B, out_dtype="int32")

    def make(rng):
        return {A: rng.integers(-128, 128, A.shape).astype("int8"), B: rng.integers(-128, 128, B.shape).astype("int8")}
    return [C], [A, B], make, lambda d: [d[A].astype("int32") @ d[B].astype("int32")]


# ------------------------------------------------------------------ convolution

def _conv_case(data_shape, kernel_shape, stride, padding, dilation, groups, nhwc=False, fn=None):
    x, w = te.placeholder(data_shape, name="x"), te.placeholder(kernel_shape, name="w")
    if nhwc:
        y = conv.conv2d_nhwc(x, w, stride, padding, dilation, groups)
        ref = numpy_ref.conv2d_nhwc
    else:
        y = (fn or conv.conv2d_nchw)(x, w, stride, padding, dilation, groups)
        ref = numpy_ref.conv2d_nchw
    return [y], [x, w], _normal(x, w), lambda d: [ref(d[x], d[w], stride, padding, dilation, groups).astype(F32)]


_case("conv2d_nchw")(lambda: _conv_case((1, 3, 10, 10), (8, 3, 3, 3), 1, 1, 1, 1))
_case("conv2d_stride_dilation_pad")(lambda: _conv_case((1, 4, 13, 11), (6, 4, 3, 2), (2, 1), (1, 0, 2, 1), (2, 1), 1))
_case("conv2d_nhwc")(lambda: _conv_case((1, 9, 9, 3), (3, 3, 3, 8), 2, 1, 1, 1, nhwc=True))
_case("grouped_conv2d")(lambda: _conv_case((1, 8, 7, 7), (6, 4, 3, 3), 1, 0, 1, 2))


@_case("depthwise_conv2d")
def _depthwise():
    x, w = te.placeholder((1, 6, 8, 8), name="x"), te.placeholder((12, 1, 3, 3), name="w")
    y = conv.depthwise_conv2d_nchw(x, w, stride=1, padding=1)
    return [y], [x, w], _normal(x, w), lambda d: [numpy_ref.conv2d_nchw(d[x], d[w], 1, 1, 1, 6).astype(F32)]


@_case("conv2d_bias_relu")
def _conv_bias_relu():
    x, w, b = te.placeholder((1, 3, 8, 8), name="x"), te.placeholder((4, 3, 3, 3), name="w"), \
        te.placeholder((4, 1, 1), name="b")
    y = elemwise.relu(broadcast.add(conv.conv2d_nchw(x, w, stride=2, padding=1), b))
    return [y], [x, w, b], _normal(x, w, b), \
        lambda d: [np.maximum(numpy_ref.conv2d_nchw(d[x], d[w], 2, 1) + d[b], 0).astype(F32)]


# ------------------------------------------------------------------ pooling

@_case("max_pool2d")
def _max_pool():
    x = te.placeholder((1, 4, 9, 9), name="x")
    y = pool.max_pool2d(x, kernel=3, stride=2, padding=1)
    return [y], [x], _normal(x), lambda d: [numpy_ref.pool2d(d[x], "max", 3, 2, 1).astype(F32)]


@_case("avg_pool2d")
def _avg_pool():
    x = te.placeholder((1, 4, 9, 9), name="x")
    y = pool.avg_pool2d(x, kernel=3, stride=2, padding=1)
    return [y], [x], _normal(x), lambda d: [numpy_ref.pool2d(d[x], "avg", 3, 2, 1).astype(F32)]


@_case("avg_pool2d_ceil_include_pad")
def _avg_pool_ceil():
    x = te.placeholder((1, 3, 8, 8), name="x")
    y = pool.avg_pool2d(x, kernel=3, stride=2, padding=1, ceil_mode=True, count_include_pad=True)
    return [y], [x], _normal(x), \
        lambda d: [numpy_ref.pool2d(d[x], "avg", 3, 2, 1, ceil_mode=True, count_include_pad=True).astype(F32)]


@_case("global_avg_pool2d")
def _global_avg():
    x = te.placeholder((2, 16, 6, 6), name="x")
    return [pool.global_avg_pool2d(x)], [x], _normal(x), lambda d: [_f64(d[x]).mean(axis=(2, 3), keepdims=True)
                                                                     .astype(F32)]


@_case("uint8_max_pool2d")
def _uint8_pool():
    x = te.placeholder((1, 2, 8, 8), "uint8", name="x")
    y = pool.max_pool2d(x, kernel=2, stride=2)
    return [y], [x], lambda rng: {x: rng.integers(0, 256, x.shape).astype("uint8")}, \
        lambda d: [d[x].reshape(1, 2, 4, 2, 4, 2).max(axis=(3, 5))]


# ------------------------------------------------------------------ softmax and normalization

@_case("softmax", atol=1e-6)
def _softmax():
    x = te.placeholder((8, 32), name="x")
    return [norm.softmax(x)], [x], _normal(x, scale=3), lambda d: [numpy_ref.softmax(d[x]).astype(F32)]


@_case("log_softmax")
def _log_softmax():
    x = te.placeholder((12, 10), name="x")
    return [norm.log_softmax(x, axis=0)], [x], _normal(x, scale=3), \
        lambda d: [numpy_ref.log_softmax(d[x], axis=0).astype(F32)]


@_case("float64_softmax", rtol=1e-10, atol=1e-12)
def _softmax64():
    x = te.placeholder((6, 10), F64, name="x")
    return [norm.softmax(x, axis=1)], [x], _normal(x), lambda d: [numpy_ref.softmax(d[x], axis=1)]


@_case("layer_norm", rtol=1e-4, atol=1e-4)
def _layer_norm():
    x, g, b = te.placeholder((4, 6, 16), name="x"), te.placeholder((16,), name="g"), te.placeholder((16,), name="b")
    y = norm.layer_norm(x, g, b, axis=-1, epsilon=1e-5)
    return [y], [x, g, b], _normal(x, g, b), lambda d: [numpy_ref.layer_norm(d[x], d[g], d[b], (-1,)).astype(F32)]


@_case("layer_norm_two_axes", rtol=1e-4, atol=1e-4)
def _layer_norm2():
    x, g = te.placeholder((4, 6, 8), name="x"), te.placeholder((6, 8), name="g")
    y = norm.layer_norm(x, g, None, axis=(-2, -1))
    return [y], [x, g], _normal(x, g), lambda d: [numpy_ref.layer_norm(d[x], d[g], None, (1, 2)).astype(F32)]


@_case("batch_norm_inference")
def _batch_norm():
    x = te.placeholder((2, 4, 6, 6), name="x")
    g, b, m, v = (te.placeholder((4,), name=n) for n in ("gamma", "beta", "mean", "var"))
    y = norm.batch_norm_inference(x, g, b, m, v, epsilon=1e-5)

    def make(rng):
        feeds = _normal(x, g, b, m)(rng)
        feeds[v] = rng.uniform(0.5, 2.0, v.shape).astype(F32)
        return feeds
    return [y], [x, g, b, m, v], make, lambda d: [numpy_ref.batch_norm(d[x], d[g], d[b], d[m], d[v]).astype(F32)]


# ------------------------------------------------------------------ layout and indexing

@_case("transpose")
def _transpose():
    x = te.placeholder((2, 3, 4, 5), name="x")
    return [transform.transpose(x, (2, 0, 3, 1))], [x], _normal(x), lambda d: [np.transpose(d[x], (2, 0, 3, 1))]


@_case("reshape")
def _reshape():
    x = te.placeholder((4, 6, 5), name="x")
    return [transform.reshape(x, (10, -1))], [x], _normal(x), lambda d: [d[x].reshape(10, 12)]


@_case("concatenate")
def _concat():
    ts = [te.placeholder((2, n, 4), name=f"t{k}") for k, n in enumerate((3, 5, 1))]
    return [transform.concatenate(ts, axis=1)], ts, _normal(*ts), lambda d: [np.concatenate([d[t] for t in ts], 1)]


@_case("pad")
def _pad():
    x = te.placeholder((3, 5, 4), name="x")
    y = padding.pad(x, (1, 0, 2), (2, 1, 0), pad_value=-1.0)
    return [y], [x], _normal(x), lambda d: [np.pad(d[x], ((1, 2), (0, 1), (2, 0)), constant_values=-1.0)]


@_case("strided_slice")
def _slice():
    x = te.placeholder((6, 8, 5), name="x")
    y = transform.strided_slice(x, [5, 1], [0, 8], [-2, 3])
    return [y], [x], _normal(x), lambda d: [d[x][5:0:-2, 1:8:3]]


@_case("take")
def _take():
    x, ind = te.placeholder((10, 8), name="x"), te.placeholder((3, 4), "int32", name="ind")

    def make(rng):
        return {x: rng.standard_normal(x.shape).astype(F32), ind: rng.integers(-10, 10, ind.shape).astype("int32")}
    return [transform.take(x, ind, axis=0)], [x, ind], make, lambda d: [np.take(d[x], d[ind], axis=0)]


# ------------------------------------------------------------------ reductions

@_case("reduce_sum_axes")
def _sum_axes():
    x = te.placeholder((4, 5, 6), name="x")
    y = reduction.sum(x, axis=(0, 2), keepdims=True)
    return [y], [x], _normal(x), lambda d: [_f64(d[x]).sum(axis=(0, 2), keepdims=True).astype(F32)]


@_case("reduce_max_last_axis")
def _max_axis():
    x = te.placeholder((6, 7, 8), name="x")
    return [reduction.max(x, axis=-1)], [x], _normal(x), lambda d: [d[x].max(axis=-1)]


@_case("reduce_min_prod")
def _min_prod():
    x = te.placeholder((5, 4, 3), name="x")
    y = reduction.prod(reduction.min(x, axis=0), axis=1)  # [4]
    return [y], [x], lambda rng: {x: rng.uniform(0.5, 1.5, x.shape).astype(F32)}, \
        lambda d: [d[x].min(axis=0).astype(F64).prod(axis=1).astype(F32)]


@_case("mean_axes")
def _mean():
    x = te.placeholder((3, 8, 9), name="x")
    return [reduction.mean(x, axis=(1, 2))], [x], _normal(x), lambda d: [_f64(d[x]).mean(axis=(1, 2)).astype(F32)]


# ------------------------------------------------------------------ elementwise and broadcasting

@_case("elementwise_chain")
def _chain():
    x, w, b = te.placeholder((8, 16), name="x"), te.placeholder((16,), name="w"), te.placeholder((8, 1), name="b")
    y = elemwise.sigmoid(elemwise.relu(broadcast.add(broadcast.multiply(x, w), b)))
    return [y], [x, w, b], _normal(x, w, b), \
        lambda d: [numpy_ref.sigmoid(np.maximum(_f64(d[x]) * d[w] + d[b], 0)).astype(F32)]


@_case("activations")
def _activations():
    x = te.placeholder((4, 32), name="x")
    y = elemwise.hard_swish(elemwise.leaky_relu(elemwise.tanh(elemwise.clip(x, -2.0, 2.5)), 0.1))

    def ref(d):
        v = np.tanh(np.clip(_f64(d[x]), -2.0, 2.5))
        v = np.where(v > 0, v, 0.1 * v)
        return [(v * np.clip(v / 6 + 0.5, 0, 1)).astype(F32)]
    return [y], [x], _normal(x, scale=2), ref


@_case("gelu")
def _gelu():
    x = te.placeholder((8, 32), name="x")
    return [elemwise.gelu(x)], [x], _normal(x, scale=2), lambda d: [numpy_ref.gelu(d[x]).astype(F32)]


@_case("broadcast_add")
def _badd():
    a, b = te.placeholder((4, 1, 6), name="a"), te.placeholder((3, 1), name="b")
    return [broadcast.add(a, b)], [a, b], _normal(a, b), lambda d: [d[a] + d[b]]


@_case("less_bool")
def _less():
    a, b = te.placeholder((4, 6), name="a"), te.placeholder((6,), name="b")
    return [broadcast.less(a, b)], [a, b], _normal(a, b), lambda d: [d[a] < d[b]]


@_case("where_select")
def _where():
    c, x, y = te.placeholder((4, 1), "bool", name="c"), te.placeholder((4, 6), name="x"), te.placeholder((6,), name="y")

    def make(rng):
        return {c: rng.random(c.shape) > 0.5, **_normal(x, y)(rng)}
    return [broadcast.where(c, x, y)], [c, x, y], make, lambda d: [np.where(d[c], d[x], d[y])]


@_case("uint8_normalize")
def _uint8_norm():
    x = te.placeholder((3, 16, 16), "uint8", name="x")
    y = broadcast.subtract(broadcast.multiply(elemwise.cast(x, F32), 1.0 / 255.0), 0.5)
    return [y], [x], lambda rng: {x: rng.integers(0, 256, x.shape).astype("uint8")}, \
        lambda d: [(d[x].astype(F64) / 255.0 - 0.5).astype(F32)]


@_case("int32_floor_div_mod")
def _int_div():
    a = te.placeholder((8, 16), "int32", name="a")
    y = broadcast.add(broadcast.floor_divide(a, 7), broadcast.floor_mod(a, 5))
    return [y], [a], lambda rng: {a: rng.integers(-1000, 1000, a.shape).astype("int32")}, \
        lambda d: [(d[a] // 7 + d[a] % 5).astype("int32")]
