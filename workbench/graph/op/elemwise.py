"""Unary elementwise operators: the output has the input's shape, each element a function of one input element.

Float functions (``exp``, ``sigmoid``, ``round``...) take float tensors only, so
the output dtype is always the input's (``cast`` first for integers); ``cast``
is the one op that changes the dtype.
"""
from __future__ import annotations

import math

import numpy as np

from ... import te, topi
from ...tir import dtype as dt
from ..types import TensorType
from .registry import Op, OpPattern
from .rules import (check_attr_names, choice_attr, fail, float_attr, require_bool, require_float, require_numeric,
                    same_as_first, tensors)

_erf = np.vectorize(math.erf, otypes=["float64"])


def _rule(name, require=None, check_attrs=None):
    base = same_as_first(name)

    def infer(types, attrs):
        t = base(types, attrs)
        if require is not None:
            require(name, t)
        if check_attrs is not None:
            check_attrs(name, attrs)
        return t
    return infer


def _unary(name, ref, compute, doc, require=require_float, check_attrs=None, defaults=None):
    def reference(x, **attrs):
        return np.asarray(ref(x, **attrs)).astype(x.dtype, copy=False)
    return Op(name, _rule(name, require, check_attrs), OpPattern.ELEMWISE, reference, compute, doc=doc,
              attr_defaults=defaults or {})


def _gelu_ref(x, approximate):
    x64 = x.astype("float64")
    if approximate == "tanh":
        return 0.5 * x64 * (1 + np.tanh(math.sqrt(2 / math.pi) * (x64 + 0.044715 * x64 ** 3)))
    return 0.5 * x64 * (1 + _erf(x64 / math.sqrt(2)))


def _gelu(x, approximate):
    if approximate == "none":
        return topi.gelu(x)
    c = math.sqrt(2 / math.pi)
    return topi.unary(x, lambda v: 0.5 * v * (1.0 + te.tanh(c * (v + 0.044715 * v * v * v))), "gelu")


def _check_gelu(name, attrs):
    choice_attr(name, attrs, "approximate", ("none", "tanh"))


def _clip_bounds(dtype, a_min, a_max):
    """The bounds as numbers of ``dtype``, ``None`` where a bound cuts nothing (infinite or beyond the range)."""
    lo, hi = float(a_min), float(a_max)
    if dt.is_float(dtype):
        return (None if lo == -math.inf else lo), (None if hi == math.inf else hi)
    lo = None if lo <= dt.min_value(dtype) else math.ceil(lo)
    hi = None if hi >= dt.max_value(dtype) else math.floor(hi)
    return lo, hi


def _clip(x, a_min, a_max):
    lo, hi = _clip_bounds(x.dtype, a_min, a_max)

    def f(v):
        if lo is not None:
            v = te.max(v, te.const(lo, x.dtype))
        if hi is not None:
            v = te.min(v, te.const(hi, x.dtype))
        return v
    return topi.unary(x, f, "clip")


def _clip_ref(x, a_min, a_max):
    lo, hi = _clip_bounds(x.dtype.name, a_min, a_max)
    return np.clip(x, lo, hi) if (lo, hi) != (None, None) else x.copy()


def _check_clip(name, attrs):
    lo, hi = float_attr(name, attrs, "a_min"), float_attr(name, attrs, "a_max")
    if math.isnan(lo) or math.isnan(hi):
        fail(name, f"a_min {lo} and a_max {hi} must not be NaN")


def _check_dropout(name, attrs):
    rate = float_attr(name, attrs, "rate")
    if not 0 <= rate < 1:
        fail(name, f"rate must be in [0, 1), got {rate}")


def _cast_infer(types, attrs):
    (t,) = tensors("cast", types, 1)
    if "dtype" not in attrs:
        fail("cast", "needs the attribute dtype (e.g. dtype='float32')")
    try:
        dtype = dt.check(attrs["dtype"])
    except Exception as e:
        fail("cast", f"cannot cast {t}: {e}")
    return TensorType(t.shape, dtype)


def _cast_ref(x, dtype):
    return x.astype(dt.check(dtype))


def _copy(x, name):
    return te.compute(x.shape, lambda *i: x[i], name=name)


def _any(name, t):
    pass


OPS = check_attr_names([
    _unary("nn.relu", lambda x: np.maximum(x, 0), lambda x: topi.relu(x), "max(x, 0)", require_numeric),
    _unary("sigmoid", lambda x: 1 / (1 + np.exp(-x)), lambda x: topi.sigmoid(x), "1 / (1 + exp(-x))"),
    _unary("tanh", np.tanh, lambda x: topi.tanh(x), "hyperbolic tangent"),
    _unary("exp", np.exp, lambda x: topi.exp(x), "e ** x"),
    _unary("log", np.log, lambda x: topi.log(x), "natural logarithm"),
    _unary("sqrt", np.sqrt, lambda x: topi.sqrt(x), "square root"),
    _unary("rsqrt", lambda x: 1 / np.sqrt(x), lambda x: topi.rsqrt(x), "1 / sqrt(x)"),
    _unary("abs", np.abs, lambda x: topi.abs(x), "absolute value", require_numeric),
    _unary("negative", np.negative, lambda x: topi.negative(x), "-x", require_numeric),
    _unary("erf", _erf, lambda x: topi.unary(x, te.erf, "erf"), "the error function"),
    _unary("floor", np.floor, lambda x: topi.unary(x, te.floor, "floor"), "round down"),
    _unary("ceil", np.ceil, lambda x: topi.unary(x, te.ceil, "ceil"), "round up"),
    _unary("round", np.round, lambda x: topi.unary(x, te.round, "round"), "round to nearest, halves to even"),
    _unary("reciprocal", lambda x: 1 / x, lambda x: topi.reciprocal(x), "1 / x"),
    _unary("sin", np.sin, lambda x: topi.unary(x, te.sin, "sin"), "sine"),
    _unary("cos", np.cos, lambda x: topi.unary(x, te.cos, "cos"), "cosine"),
    _unary("logical_not", np.logical_not, lambda x: topi.logical_not(x), "not x (bool)", require_bool),
    _unary("nn.leaky_relu", lambda x, alpha: np.where(x > 0, x, x * np.asarray(alpha, x.dtype)),
           lambda x, alpha: topi.leaky_relu(x, alpha), "x if x > 0 else alpha * x",
           check_attrs=lambda n, a: float_attr(n, a, "alpha"), defaults={"alpha": 0.01}),
    _unary("nn.hard_sigmoid",
           lambda x, alpha, beta: np.clip(x * np.asarray(alpha, x.dtype) + np.asarray(beta, x.dtype), 0, 1),
           lambda x, alpha, beta: topi.hard_sigmoid(x, alpha, beta), "max(0, min(1, alpha * x + beta))",
           check_attrs=lambda n, a: (float_attr(n, a, "alpha"), float_attr(n, a, "beta")),
           defaults={"alpha": 0.2, "beta": 0.5}),
    _unary("nn.hard_swish", lambda x: x * np.clip(x * np.float32(1 / 6) + np.float32(0.5), 0, 1),
           lambda x: topi.hard_swish(x), "x * max(0, min(1, x / 6 + 1 / 2))"),
    _unary("nn.gelu", _gelu_ref, _gelu, "x * Phi(x), exactly (erf) or with the tanh approximation",
           check_attrs=_check_gelu, defaults={"approximate": "none"}),
    _unary("clip", _clip_ref, _clip, "x limited to [a_min, a_max] (either may be infinite)", require_numeric,
           check_attrs=_check_clip, defaults={"a_min": -math.inf, "a_max": math.inf}),
    Op("cast", _cast_infer, OpPattern.ELEMWISE, _cast_ref, lambda x, dtype: topi.cast(x, dt.check(dtype)),
       doc="x converted to dtype (floats to ints truncate toward zero, non-zero to bool is true)"),
    _unary("copy", np.copy, lambda x: _copy(x, "copy"), "the identity (a fresh tensor)", _any),
    _unary("nn.dropout", lambda x, rate: x.copy(), lambda x, rate: _copy(x, "dropout"),
           "the identity at inference (rate is kept for display)", _any, check_attrs=_check_dropout,
           defaults={"rate": 0.5}),
])
