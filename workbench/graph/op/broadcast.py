"""Binary (and ternary ``where``) operators with numpy broadcasting.

All inputs share one dtype (the frontend inserts casts). Arithmetic takes
numbers, comparisons give bool, logical ops take and give bool. Integer
``divide`` truncates toward zero and ``floor_mod`` takes the divisor's sign,
as ONNX Div and Mod (fmod=0) do.
"""
from __future__ import annotations

import numpy as np

from ... import te, topi
from ...tir import dtype as dt
from ..types import TensorType
from .registry import Op, OpPattern
from .rules import broadcast, broadcast_shapes, check_attr_names, fail, require_bool, require_numeric, tensors


def _rule(name, out_dtype=None, require=require_numeric):
    base = broadcast(name, out_dtype)

    def infer(types, attrs):
        out = base(types, attrs)
        for k, t in enumerate(types):
            require(name, t, f"input {k}")
        return out
    return infer


def _any(name, t, what):
    pass


def _binary(name, ref, compute, doc, out_dtype=None, require=require_numeric):
    def reference(a, b):
        with np.errstate(all="ignore"):
            return np.asarray(ref(a, b)).astype(out_dtype or a.dtype, copy=False)
    return Op(name, _rule(name, out_dtype, require), OpPattern.BROADCAST, reference, compute, doc=doc)


def _t(fn):
    """A topi binary op as a compute taking exactly two tensors."""
    return lambda a, b: fn(a, b)


def _map(name, fn):
    """A te compute of ``fn`` over broadcast elements."""
    return lambda a, b: topi.broadcast.broadcast_map(name, fn, [a, b], name)


def _divide_ref(a, b):
    if not dt.is_int(a.dtype.name):
        return np.divide(a, b)
    b = np.where(b == 0, 1, b)  # integer division by zero is undefined; numpy would warn
    q = np.abs(a.astype("int64")) // np.abs(b.astype("int64"))
    return np.where((a < 0) != (b < 0), -q, q)


def _power_ref(a, b):
    if dt.is_float(a.dtype.name):
        return np.power(a, b)
    return np.round(np.power(a.astype("float64"), b.astype("float64")))


def _power(a, b):
    if dt.is_float(a.dtype):
        return topi.power(a, b)
    return topi.broadcast.broadcast_map(
        "power", lambda x, y: te.cast(te.round(te.pow(te.cast(x, "float64"), te.cast(y, "float64"))), a.dtype),
        [a, b], "power")


def _floor_divide_ref(a, b):
    if dt.is_float(a.dtype.name):
        return np.floor(a / b)
    return np.floor_divide(a, np.where(b == 0, 1, b))


def _floor_mod_ref(a, b):
    if dt.is_float(a.dtype.name):
        return np.mod(a, b)
    return np.mod(a, np.where(b == 0, 1, b))


def _floor_mod(a, b):
    if not dt.is_float(a.dtype):
        return topi.floor_mod(a, b)

    def fn(x, y):
        # a - b * floor(a / b), then moved into b's sign when rounding of a / b put it just outside
        r = x - y * te.floor(x / y)
        return te.if_then_else((r != 0.0) & ((r < 0.0) != (y < 0.0)), r + y, r)
    return topi.broadcast.broadcast_map("floor_mod", fn, [a, b], "floor_mod")


def _where_infer(types, attrs):
    c, x, y = tensors("where", types, 3)
    require_bool("where", c, "condition")
    if x.dtype != y.dtype:
        fail("where", f"x {x} and y {y} must share one dtype; cast first")
    return TensorType(broadcast_shapes("where", c.shape, x.shape, y.shape), x.dtype)


_eq = dict(out_dtype="bool", require=_any)
_cmp = dict(out_dtype="bool")
_logic = dict(out_dtype="bool", require=require_bool)

OPS = check_attr_names([
    _binary("add", np.add, _t(topi.add), "a + b"),
    _binary("subtract", np.subtract, _t(topi.subtract), "a - b"),
    _binary("multiply", np.multiply, _t(topi.multiply), "a * b"),
    _binary("divide", _divide_ref, _t(topi.divide), "a / b (integers: truncated toward zero)"),
    _binary("power", _power_ref, _power, "a ** b"),
    _binary("maximum", np.maximum, _t(topi.maximum), "the larger of a and b (NaN wins)"),
    _binary("minimum", np.minimum, _t(topi.minimum), "the smaller of a and b (NaN wins)"),
    _binary("floor_divide", _floor_divide_ref, _t(topi.floor_divide), "floor(a / b)"),
    _binary("floor_mod", _floor_mod_ref, _floor_mod, "a - floor(a / b) * b (the sign of b)"),
    _binary("equal", np.equal, _t(topi.equal), "a == b", **_eq),
    _binary("not_equal", np.not_equal, _t(topi.not_equal), "a != b", **_eq),
    _binary("less", np.less, _t(topi.less), "a < b", **_cmp),
    _binary("less_equal", np.less_equal, _t(topi.less_equal), "a <= b", **_cmp),
    _binary("greater", np.greater, _t(topi.greater), "a > b", **_cmp),
    _binary("greater_equal", np.greater_equal, _t(topi.greater_equal), "a >= b", **_cmp),
    _binary("logical_and", np.logical_and, _t(topi.logical_and), "a and b (bool)", **_logic),
    _binary("logical_or", np.logical_or, _t(topi.logical_or), "a or b (bool)", **_logic),
    _binary("logical_xor", np.logical_xor, _map("logical_xor", lambda a, b: a != b), "a xor b (bool)", **_logic),
    Op("where", _where_infer, OpPattern.BROADCAST, lambda c, x, y: np.where(c, x, y).astype(x.dtype),
       lambda c, x, y: topi.where(c, x, y), doc="x where condition holds, else y (all three broadcast)"),
])
