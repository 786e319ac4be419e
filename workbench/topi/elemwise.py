"""Unary elementwise operators: activations and math functions, one compute each.

Each returns a tensor of the input's shape whose element is a scalar function
of the input element, so a schedule can inline it into its consumer. Integer
inputs to float functions (``exp``, ``sigmoid``...) produce float32, as the te
intrinsics do.

>>> from workbench import te, topi
>>> x = te.placeholder((2, 8), name="x")
>>> y = topi.sigmoid(topi.relu(x))
"""
from __future__ import annotations

import math

from .. import te
from ..te.tensor import Tensor
from ..tir import dtype as dt
from ._util import check_tensor


def unary(x: Tensor, fn, name: str, op: str | None = None) -> Tensor:
    """A tensor of ``x``'s shape holding ``fn(element)``.

    >>> y = unary(te.placeholder((4,), name="x"), lambda v: v * 2.0, name="double")
    """
    check_tensor(op or name, x)
    return te.compute(x.shape, lambda *idx: fn(x[idx]), name=name)


def _zero(x: Tensor):
    return te.const(0, x.dtype)


def relu(x: Tensor, name: str = "relu") -> Tensor:
    """``max(x, 0)``.

    >>> y = relu(te.placeholder((4,), name="x"))
    """
    return unary(x, lambda v: te.max(v, _zero(x)), name)


def leaky_relu(x: Tensor, alpha: float = 0.01, name: str = "leaky_relu") -> Tensor:
    """``x`` where positive, else ``alpha * x`` (ONNX LeakyRelu).

    >>> y = leaky_relu(te.placeholder((4,), name="x"), alpha=0.1)
    """
    return unary(x, lambda v: te.if_then_else(v > _zero(x), v, v * alpha), name)


def sigmoid(x: Tensor, name: str = "sigmoid") -> Tensor:
    """``1 / (1 + exp(-x))``.

    >>> y = sigmoid(te.placeholder((4,), name="x"))
    """
    return unary(x, te.sigmoid, name)


def tanh(x: Tensor, name: str = "tanh") -> Tensor:
    """Hyperbolic tangent.

    >>> y = tanh(te.placeholder((4,), name="x"))
    """
    return unary(x, te.tanh, name)


def gelu(x: Tensor, name: str = "gelu") -> Tensor:
    """``0.5 * x * (1 + erf(x / sqrt(2)))``, the exact (erf) form of GELU.

    >>> y = gelu(te.placeholder((4,), name="x"))
    """
    return unary(x, lambda v: 0.5 * v * (1.0 + te.erf(v * (1.0 / math.sqrt(2.0)))), name)


def clip(x: Tensor, a_min, a_max, name: str = "clip") -> Tensor:
    """``x`` limited to ``[a_min, a_max]`` (Python numbers, in ``x``'s dtype).

    >>> y = clip(te.placeholder((4,), name="x"), 0.0, 6.0)   # relu6
    """
    lo, hi = te.const(a_min, x.dtype), te.const(a_max, x.dtype)
    return unary(x, lambda v: te.min(te.max(v, lo), hi), name, "clip")


def hard_sigmoid(x: Tensor, alpha: float = 0.2, beta: float = 0.5, name: str = "hard_sigmoid") -> Tensor:
    """``max(0, min(1, alpha * x + beta))`` (ONNX HardSigmoid defaults).

    >>> y = hard_sigmoid(te.placeholder((4,), name="x"))
    """
    return unary(x, lambda v: te.max(te.min(v * alpha + beta, 1.0), 0.0), name)


def hard_swish(x: Tensor, name: str = "hard_swish") -> Tensor:
    """``x * max(0, min(1, x / 6 + 1/2))`` (ONNX HardSwish).

    >>> y = hard_swish(te.placeholder((4,), name="x"))
    """
    return unary(x, lambda v: v * te.max(te.min(v * (1.0 / 6.0) + 0.5, 1.0), 0.0), name)


def exp(x: Tensor, name: str = "exp") -> Tensor:
    """``e ** x``.

    >>> y = exp(te.placeholder((4,), name="x"))
    """
    return unary(x, te.exp, name)


def log(x: Tensor, name: str = "log") -> Tensor:
    """Natural logarithm.

    >>> y = log(te.placeholder((4,), name="x"))
    """
    return unary(x, te.log, name)


def sqrt(x: Tensor, name: str = "sqrt") -> Tensor:
    """Square root.

    >>> y = sqrt(te.placeholder((4,), name="x"))
    """
    return unary(x, te.sqrt, name)


def rsqrt(x: Tensor, name: str = "rsqrt") -> Tensor:
    """``1 / sqrt(x)``.

    >>> y = rsqrt(te.placeholder((4,), name="x"))
    """
    return unary(x, te.rsqrt, name)


def abs(x: Tensor, name: str = "abs") -> Tensor:  # noqa: A001
    """Absolute value.

    >>> y = abs(te.placeholder((4,), name="x"))
    """
    return unary(x, te.abs, name)


def negative(x: Tensor, name: str = "negative") -> Tensor:
    """``-x``.

    >>> y = negative(te.placeholder((4,), name="x"))
    """
    return unary(x, lambda v: -v, name)


neg = negative


def reciprocal(x: Tensor, name: str = "reciprocal") -> Tensor:
    """``1 / x`` (true division; integer inputs give float32).

    >>> y = reciprocal(te.placeholder((4,), name="x"))
    """
    dtype = x.dtype if dt.is_float(x.dtype) else "float32"
    return unary(x, lambda v: te.const(1.0, dtype) / te.cast(v, dtype), name)


def cast(x: Tensor, dtype: str, name: str = "cast") -> Tensor:
    """``x`` converted to ``dtype`` (floats to ints truncate toward zero).

    >>> y = cast(te.placeholder((4,), "int8", name="x"), "float32")
    """
    return unary(x, lambda v: te.cast(v, dtype), name)


def logical_not(x: Tensor, name: str = "logical_not") -> Tensor:
    """``not x`` as bool (non-zero is true).

    >>> y = logical_not(te.placeholder((4,), "bool", name="x"))
    """
    return unary(x, lambda v: ~v, name)
