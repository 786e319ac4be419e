"""Stand-ins for catalog ops the operator table does not register yet (frontend development only).

The ONNX frontend is written against the op catalog (names, attributes, ONNX semantics). While
``workbench.graph.op`` is incomplete, ``install()`` adds a plain numpy reference for each missing
catalog op, with a type rule that evaluates the reference on zeros. Real ops always win: a stub
is only added under a name the table lacks. Used when WB_FRONTEND_STUB_OPS=1 (tests) or with
``tools/onnx_node_suite.py --stub-ops``; never by the library itself.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import special

from workbench.errors import TypeCheckError
from workbench.graph import op as op_table
from workbench.graph.op.registry import Op, OpPattern
from workbench.graph.types import TensorType, TupleType
from workbench.topi import numpy_ref


def _infer_by_eval(name, ref):
    def infer(types, attrs):
        zeros = []
        for t in types:
            if not isinstance(t, TensorType):
                raise TypeCheckError(f"{name}: expected tensors, got {t}")
            zeros.append(np.zeros(t.shape, t.dtype))
        try:
            with np.errstate(all="ignore"):
                out = ref(*zeros, **dict(attrs))
        except TypeCheckError:
            raise
        except Exception as e:
            raise TypeCheckError(f"{name}: {type(e).__name__}: {e} (stub type rule)") from None
        if isinstance(out, tuple):
            return TupleType(tuple(TensorType(np.shape(o), np.asarray(o).dtype.name) for o in out))
        out = np.asarray(out)
        return TensorType(out.shape, out.dtype.name)
    return infer


def _same(dtype_of=0):
    def wrap(fn):
        def ref(*xs, **kw):
            return np.asarray(fn(*xs, **kw)).astype(xs[dtype_of].dtype)
        return ref
    return wrap


def _binary_same_dtype(name, fn, out_bool=False):
    def ref(a, b):
        if a.dtype != b.dtype:
            raise TypeCheckError(f"{name}: inputs have different dtypes {a.dtype} and {b.dtype}")
        r = fn(a, b)
        return np.asarray(r, bool if out_bool else a.dtype)
    return ref


def _conv2d(x, w, strides=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1), groups=1):
    if x.shape[1] != w.shape[1] * groups:
        raise TypeCheckError("conv2d: channel mismatch")
    return numpy_ref.conv2d_nchw(x, w, strides, padding, dilation, groups).astype(x.dtype)


def _conv2d_transpose(x, w, strides=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1), groups=1,
                      output_padding=(0, 0)):
    # weight layout as ONNX ConvTranspose: (C_in, C_out / groups, KH, KW)
    n, cin, h, wd = x.shape
    _, cog, kh, kw = w.shape
    (sh, sw), (dh, dw) = strides, dilation
    pt, pl, pb, pr = padding
    full_h = (h - 1) * sh + (kh - 1) * dh + 1 + output_padding[0]
    full_w = (wd - 1) * sw + (kw - 1) * dw + 1 + output_padding[1]
    out = np.zeros((n, cog * groups, full_h, full_w))
    cig = cin // groups
    for g in range(groups):
        xs = x[:, g * cig:(g + 1) * cig].astype("float64")
        ws = w[g * cig:(g + 1) * cig].astype("float64")
        for i in range(kh):
            for j in range(kw):
                contrib = np.einsum("nchw,co->nohw", xs, ws[:, :, i, j])
                out[:, g * cog:(g + 1) * cog, i * dh:i * dh + (h - 1) * sh + 1:sh,
                    j * dw:j * dw + (wd - 1) * sw + 1:sw] += contrib
    return out[:, :, pt:full_h - pb, pl:full_w - pr].astype(x.dtype)


def _pool(kind):
    def ref(x, pool_size=(1, 1), strides=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1), ceil_mode=False,
            count_include_pad=False):
        if x.size == 0 or min(x.shape[2:]) == 0:
            raise TypeCheckError("pool: empty input")
        return numpy_ref.pool2d(x, kind, pool_size, strides, padding, dilation, ceil_mode,
                                count_include_pad).astype(x.dtype)
    return ref


def _resize2d(x, size=(1, 1), method="nearest", coordinate_transformation_mode="half_pixel",
              nearest_mode="round_prefer_floor"):
    from onnx import helper
    from onnx.reference import ReferenceEvaluator
    node = helper.make_node("Resize", ["x", "", "", "sizes"], ["y"], mode=method,
                            coordinate_transformation_mode=coordinate_transformation_mode,
                            nearest_mode=nearest_mode)
    sizes = np.array([x.shape[0], x.shape[1], *size], "int64")
    return ReferenceEvaluator(node).run(None, {"x": x, "sizes": sizes})[0].astype(x.dtype)


def _layer_norm(x, gamma, beta, axis=-1, epsilon=1e-5):
    return numpy_ref.layer_norm(x, gamma, beta, (axis,), epsilon).astype(x.dtype)


def _instance_norm(x, gamma, beta, epsilon=1e-5):
    axes = tuple(range(2, x.ndim))
    xf = x.astype("float64")
    m = xf.mean(axis=axes, keepdims=True)
    v = ((xf - m) ** 2).mean(axis=axes, keepdims=True)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return ((xf - m) / np.sqrt(v + epsilon) * gamma.reshape(shape) + beta.reshape(shape)).astype(x.dtype)


def _split(x, indices=(), axis=0):
    return tuple(np.split(x, list(indices), axis=axis))


def _strided_slice(x, begin=(), end=(), strides=(), axes=()):
    sl = [slice(None)] * x.ndim
    for b, e, s, a in zip(begin, end, strides, axes):
        sl[a] = slice(b, e, s)
    return x[tuple(sl)]


def _take(x, idx, axis=0):
    d = x.shape[axis]
    idx = np.where(idx < 0, idx + d, idx)
    if idx.size and (idx.min() < 0 or idx.max() >= d):
        raise IndexError("take: index out of range")
    return np.take(x, idx, axis=axis)


def _gather_elements(x, idx, axis=0):
    d = x.shape[axis]
    idx = np.where(idx < 0, idx + d, idx)
    return np.take_along_axis(x, idx, axis=axis)


def _reduce(fn):
    def ref(x, axis=None, keepdims=False):
        return np.asarray(fn(x, axis=axis, keepdims=keepdims)).astype(x.dtype)
    return ref


def _arg(fn):
    def ref(x, axis=0, keepdims=True, select_last_index=False):
        if select_last_index:
            flipped = np.flip(x, axis=axis)
            r = x.shape[axis] - 1 - fn(flipped, axis=axis)
        else:
            r = fn(x, axis=axis)
        r = np.asarray(r, "int64")
        return np.expand_dims(r, axis) if keepdims else r
    return ref


def _gelu(x, approximate="none"):
    xf = x.astype("float64")
    if approximate == "tanh":
        return (0.5 * xf * (1 + np.tanh(math.sqrt(2 / math.pi) * (xf + 0.044715 * xf ** 3)))).astype(x.dtype)
    return (0.5 * xf * (1 + special.erf(xf / math.sqrt(2)))).astype(x.dtype)


def _softmax(x, axis=-1):
    return numpy_ref.softmax(x, axis).astype(x.dtype)


def _log_softmax(x, axis=-1):
    return numpy_ref.log_softmax(x, axis).astype(x.dtype)


def _batch_norm(x, g, b, m, v, axis=1, epsilon=1e-5):
    return numpy_ref.batch_norm(x, g, b, m, v, epsilon, axis).astype(x.dtype)


def _bias_add(x, b, axis=1):
    shape = [1] * x.ndim
    shape[axis] = -1
    return (x + b.reshape(shape)).astype(x.dtype)


def _reshape(x, newshape=()):
    if math.prod(newshape) != x.size:
        raise TypeCheckError(f"reshape: cannot reshape {list(x.shape)} to {list(newshape)}")
    return x.reshape(newshape)


def _where(c, a, b):
    if a.dtype != b.dtype:
        raise TypeCheckError("where: branches have different dtypes")
    return np.where(c.astype(bool), a, b)


def _concat(*xs, axis=0):
    if len({x.dtype for x in xs}) > 1:
        raise TypeCheckError("concatenate: different dtypes")
    return np.concatenate(xs, axis=axis)


def _dense(x, w):
    return np.matmul(x, w.T).astype(x.dtype)


def _matmul(a, b):
    return np.matmul(a, b).astype(a.dtype)


u = _same()
STUBS = {
    "rsqrt": u(lambda x: 1 / np.sqrt(x)), "log": u(np.log), "sqrt": u(np.sqrt), "abs": u(np.abs),
    "negative": u(np.negative), "erf": u(special.erf), "floor": u(np.floor), "ceil": u(np.ceil),
    "round": u(np.round), "reciprocal": u(lambda x: 1 / x), "sin": u(np.sin), "cos": u(np.cos),
    "logical_not": lambda x: np.logical_not(x),
    "nn.leaky_relu": u(lambda x, alpha=0.01: np.where(x > 0, x, x * alpha)),
    "nn.hard_sigmoid": u(lambda x, alpha=0.2, beta=0.5: np.clip(alpha * x + beta, 0, 1)),
    "nn.hard_swish": u(lambda x: x * np.clip(x / 6 + 0.5, 0, 1)),
    "nn.gelu": _gelu, "clip": u(lambda x, a_min=None, a_max=None: np.clip(x, a_min, a_max)),
    "cast": lambda x, dtype="float32": x.astype(dtype), "copy": lambda x: x.copy(),
    "nn.dropout": lambda x, rate=0.5: x,
    "power": _binary_same_dtype("power", np.power), "maximum": _binary_same_dtype("maximum", np.maximum),
    "minimum": _binary_same_dtype("minimum", np.minimum),
    "floor_divide": _binary_same_dtype("floor_divide", np.floor_divide),
    "floor_mod": _binary_same_dtype("floor_mod", np.mod),
    "equal": _binary_same_dtype("equal", np.equal, True), "not_equal": _binary_same_dtype("ne", np.not_equal, True),
    "less": _binary_same_dtype("less", np.less, True), "less_equal": _binary_same_dtype("le", np.less_equal, True),
    "greater": _binary_same_dtype("greater", np.greater, True),
    "greater_equal": _binary_same_dtype("ge", np.greater_equal, True),
    "logical_and": _binary_same_dtype("and", np.logical_and, True),
    "logical_or": _binary_same_dtype("or", np.logical_or, True),
    "logical_xor": _binary_same_dtype("xor", np.logical_xor, True),
    "where": _where,
    "nn.conv2d": _conv2d, "nn.conv2d_transpose": _conv2d_transpose, "nn.dense": _dense, "nn.matmul": _matmul,
    "nn.bias_add": _bias_add, "nn.batch_norm": _batch_norm, "nn.layer_norm": _layer_norm,
    "nn.instance_norm": _instance_norm, "nn.max_pool2d": _pool("max"), "nn.avg_pool2d": _pool("avg"),
    "nn.global_avg_pool2d": u(lambda x: x.mean(axis=(2, 3), keepdims=True)),
    "nn.global_max_pool2d": u(lambda x: x.max(axis=(2, 3), keepdims=True)),
    "nn.softmax": _softmax, "nn.log_softmax": _log_softmax,
    "nn.pad": u(lambda x, pad_width=(), pad_value=0.0: np.pad(x, pad_width, constant_values=pad_value)),
    "reshape": _reshape, "transpose": lambda x, axes=None: np.transpose(x, axes),
    "squeeze": lambda x, axes=None: np.squeeze(x, axis=axes),
    "expand_dims": lambda x, axis=0, num_newaxis=1: x.reshape(x.shape[:axis % (x.ndim + 1)] + (1,) * num_newaxis
                                                              + x.shape[axis % (x.ndim + 1):]),
    "concatenate": _concat, "split": _split, "strided_slice": _strided_slice, "take": _take,
    "gather_elements": _gather_elements, "broadcast_to": lambda x, shape=(): np.broadcast_to(x, shape).copy(),
    "tile": lambda x, reps=(): np.tile(x, reps), "image.resize2d": _resize2d,
    "sum": _reduce(np.sum), "mean": _reduce(np.mean), "max": _reduce(np.max), "min": _reduce(np.min),
    "prod": _reduce(np.prod), "argmax": _arg(np.argmax), "argmin": _arg(np.argmin),
}


def install() -> list:
    """Add a stub for every catalog op the table lacks; returns the names added."""
    added = []
    for name, ref in STUBS.items():
        if name not in op_table.OPS:
            op_table.OPS[name] = Op(name, _infer_by_eval(name, ref), OpPattern.OPAQUE, ref,
                                    doc="frontend test stub")
            added.append(name)
    return added
