"""Scalar expressions shared by tensor expressions (``te``) and the loop-nest IR.

Every node is an immutable dataclass with a ``dtype``. Nodes compare by
identity (two ``Var("i")`` are different loops); ``a == b`` on expressions
builds an ``EQ`` node, as in TVM, and structural comparison lives in
``tir.analysis.structural_equal``. Python operators build nodes, converting
Python numbers to constants of the other operand's dtype.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import TypeCheckError
from . import dtype as dt


class PrimExpr:
    """Base of every scalar expression: carries operator overloading."""

    __slots__ = ()
    dtype: str

    __hash__ = object.__hash__

    def __add__(self, other): return binary(Add, self, other)
    def __radd__(self, other): return binary(Add, other, self)
    def __sub__(self, other): return binary(Sub, self, other)
    def __rsub__(self, other): return binary(Sub, other, self)
    def __mul__(self, other): return binary(Mul, self, other)
    def __rmul__(self, other): return binary(Mul, other, self)
    def __truediv__(self, other): return binary(Div, self, other)
    def __rtruediv__(self, other): return binary(Div, other, self)
    def __floordiv__(self, other): return floordiv(self, other)
    def __rfloordiv__(self, other): return floordiv(other, self)
    def __mod__(self, other): return floormod(self, other)
    def __rmod__(self, other): return floormod(other, self)
    def __neg__(self): return binary(Sub, const(0, self.dtype), self)
    def __pow__(self, other): return call("pow", self, other)
    def __abs__(self): return call("abs", self)
    def __lt__(self, other): return compare(LT, self, other)
    def __le__(self, other): return compare(LE, self, other)
    def __gt__(self, other): return compare(GT, self, other)
    def __ge__(self, other): return compare(GE, self, other)
    def __eq__(self, other): return compare(EQ, self, other)  # type: ignore[override]
    def __ne__(self, other): return compare(NE, self, other)  # type: ignore[override]
    def __and__(self, other): return logical(And, self, other)
    def __rand__(self, other): return logical(And, other, self)
    def __or__(self, other): return logical(Or, self, other)
    def __ror__(self, other): return logical(Or, other, self)
    def __invert__(self): return Not(as_bool(self), "bool")

    def __bool__(self):
        raise TypeCheckError(
            f"expression {self} has no Python truth value; use te.if_then_else / te.select, "
            "te.min / te.max, or & | ~ instead of and / or / not")

    def astype(self, dtype: str) -> PrimExpr:
        """This expression converted to ``dtype``."""
        return cast(dtype, self)

    def __repr__(self):
        from .printer import expr_str
        return expr_str(self)

    __str__ = __repr__


def node(cls):
    """Make an IR node class: frozen, slotted, compared by identity."""
    return dataclass(frozen=True, slots=True, eq=False, repr=False)(cls)


@node
class IntImm(PrimExpr):
    """An integer (or bool) constant."""
    value: int
    dtype: str = dt.INDEX


@node
class FloatImm(PrimExpr):
    """A floating-point constant."""
    value: float
    dtype: str = "float32"


@node
class Var(PrimExpr):
    """A named scalar variable: a loop index or a parameter."""
    name: str
    dtype: str = dt.INDEX


@node
class Add(PrimExpr):
    """The sum of two expressions."""
    a: PrimExpr
    b: PrimExpr
    dtype: str


@node
class Sub(PrimExpr):
    """The difference of two expressions."""
    a: PrimExpr
    b: PrimExpr
    dtype: str


@node
class Mul(PrimExpr):
    """The product of two expressions."""
    a: PrimExpr
    b: PrimExpr
    dtype: str


@node
class Div(PrimExpr):
    """Division: true division for floats, division rounding toward zero for integers."""
    a: PrimExpr
    b: PrimExpr
    dtype: str


@node
class FloorDiv(PrimExpr):
    """Integer division rounding toward minus infinity."""
    a: PrimExpr
    b: PrimExpr
    dtype: str


@node
class FloorMod(PrimExpr):
    """The remainder of ``FloorDiv``: has the sign of the divisor."""
    a: PrimExpr
    b: PrimExpr
    dtype: str


@node
class Min(PrimExpr):
    """The smaller of two expressions."""
    a: PrimExpr
    b: PrimExpr
    dtype: str


@node
class Max(PrimExpr):
    """The larger of two expressions."""
    a: PrimExpr
    b: PrimExpr
    dtype: str


@node
class EQ(PrimExpr):
    """``a == b``. As a Python bool it means "the same node" (so Vars work as dict keys)."""
    a: PrimExpr
    b: PrimExpr
    dtype: str = "bool"

    def __bool__(self):
        return self.a is self.b


@node
class NE(PrimExpr):
    """``a != b``. As a Python bool it means "not the same node"."""
    a: PrimExpr
    b: PrimExpr
    dtype: str = "bool"

    def __bool__(self):
        return self.a is not self.b


@node
class LT(PrimExpr):
    """``a < b``."""
    a: PrimExpr
    b: PrimExpr
    dtype: str = "bool"


@node
class LE(PrimExpr):
    """``a <= b``."""
    a: PrimExpr
    b: PrimExpr
    dtype: str = "bool"


@node
class GT(PrimExpr):
    """``a > b``."""
    a: PrimExpr
    b: PrimExpr
    dtype: str = "bool"


@node
class GE(PrimExpr):
    """``a >= b``."""
    a: PrimExpr
    b: PrimExpr
    dtype: str = "bool"


@node
class And(PrimExpr):
    """Logical and of two booleans."""
    a: PrimExpr
    b: PrimExpr
    dtype: str = "bool"


@node
class Or(PrimExpr):
    """Logical or of two booleans."""
    a: PrimExpr
    b: PrimExpr
    dtype: str = "bool"


@node
class Not(PrimExpr):
    """Logical negation of a boolean."""
    a: PrimExpr
    dtype: str = "bool"


@node
class Cast(PrimExpr):
    """``value`` converted to ``dtype`` (C semantics: floats truncate toward zero)."""
    value: PrimExpr
    dtype: str


@node
class Select(PrimExpr):
    """``true_value`` where ``cond`` holds, else ``false_value``; only the chosen side is read."""
    cond: PrimExpr
    true_value: PrimExpr
    false_value: PrimExpr
    dtype: str


@node
class Call(PrimExpr):
    """A math intrinsic (``exp``, ``sqrt``, ``pow``...) applied to arguments."""
    op: str
    args: tuple
    dtype: str


@node
class Load(PrimExpr):
    """Read ``buffer`` at multi-dimensional ``indices`` (loop-nest IR)."""
    buffer: "Buffer"
    indices: tuple
    dtype: str


def row_major_strides(shape) -> tuple:
    """The element stride of each dimension of a dense row-major array of ``shape``.

    >>> row_major_strides((2, 3, 4))
    (12, 4, 1)
    """
    out, step = [], 1
    for extent in reversed(shape):
        out.append(step)
        step *= int(extent)
    return tuple(reversed(out))


@node
class Buffer:
    """A named, typed array in memory: row-major, or with ``strides`` (in elements, one per dimension),
    e.g. the interior of a zero-bordered array that a kernel writes without touching the border."""
    name: str
    shape: tuple
    dtype: str
    scope: str = "global"  # "global" (argument or heap) or "local" (temporary)
    strides: tuple = ()    # () means dense row-major

    def __getitem__(self, indices):
        return Load(self, tuple(convert(i) for i in _as_tuple(indices)), self.dtype)

    @property
    def size(self) -> int:
        """Number of elements."""
        return math.prod(self.shape)

    @property
    def row_strides(self) -> tuple:
        """The element stride of each dimension (``strides``, or the dense row-major ones).

        >>> Buffer("x", (2, 3), "float32").row_strides, Buffer("x", (2, 3), "float32", strides=(5, 1)).row_strides
        ((3, 1), (5, 1))
        """
        return tuple(self.strides) if self.strides else row_major_strides(self.shape)

    @property
    def span(self) -> int:
        """Elements from the first to one past the last that the buffer addresses (``size`` when dense).

        >>> Buffer("x", (2, 3), "float32", strides=(5, 1)).span
        8
        """
        if 0 in self.shape:
            return 0
        return 1 + sum((int(n) - 1) * s for n, s in zip(self.shape, self.row_strides))

    def __repr__(self):
        st = f", strides={list(self.strides)}" if self.strides else ""
        return f"Buffer({self.name}, {list(self.shape)}, {self.dtype}{st})"


# ---------------------------------------------------------------- construction

BINARY = (Add, Sub, Mul, Div, FloorDiv, FloorMod, Min, Max)
COMPARE = (EQ, NE, LT, LE, GT, GE)
LOGICAL = (And, Or)


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def const(value, dtype: str | None = None) -> PrimExpr:
    """A constant; the dtype defaults to int64 for ints, float32 for floats, bool for bools."""
    if dtype is None:
        dtype = "bool" if isinstance(value, bool) else dt.INDEX if isinstance(value, int) else "float32"
    dtype = dt.check(dtype)
    if dt.is_float(dtype):
        return FloatImm(float(value), dtype)
    if dt.is_bool(dtype):
        return IntImm(int(bool(value)), "bool")
    return IntImm(int(value), dtype)


def convert(value, dtype: str | None = None) -> PrimExpr:
    """Turn a Python number (or an expression) into an expression."""
    if isinstance(value, PrimExpr):
        return value
    if hasattr(value, "as_expr"):  # IterVar
        return value.as_expr()
    if isinstance(value, (bool, int, float)) or type(value).__module__ == "numpy":
        return const(value.item() if hasattr(value, "item") else value, dtype)
    raise TypeCheckError(f"cannot use {value!r} ({type(value).__name__}) as an expression")


def _pair(a, b):
    """Convert both operands; a Python number takes the dtype of the other side."""
    a_py, b_py = not isinstance(a, PrimExpr) and not hasattr(a, "as_expr"), not isinstance(b, PrimExpr) and not hasattr(b, "as_expr")
    if a_py and not b_py:
        b = convert(b)
        a = const(a, b.dtype if not (dt.is_int(b.dtype) and isinstance(a, float)) else "float32")
    elif b_py and not a_py:
        a = convert(a)
        b = const(b, a.dtype if not (dt.is_int(a.dtype) and isinstance(b, float)) else "float32")
    else:
        a, b = convert(a), convert(b)
    t = dt.promote(a.dtype, b.dtype)
    return cast(t, a), cast(t, b), t


def binary(cls, a, b) -> PrimExpr:
    """An arithmetic node ``cls(a, b)``; Python numbers take the other side's dtype, e.g. ``binary(Add, i, 1)``."""
    a, b, t = _pair(a, b)
    if dt.is_bool(t) and cls not in (Min, Max):
        a, b, t = cast("int32", a), cast("int32", b), "int32"
    return cls(a, b, t)


def floordiv(a, b) -> PrimExpr:
    """``a // b`` rounding toward minus infinity (``floor(a / b)`` for floats)."""
    a, b, t = _pair(a, b)
    if dt.is_float(t):
        return call("floor", Div(a, b, t))
    return FloorDiv(a, b, t)


def floormod(a, b) -> PrimExpr:
    """``a % b`` with the sign of ``b``, as Python computes it."""
    a, b, t = _pair(a, b)
    if dt.is_float(t):
        return Sub(a, Mul(b, call("floor", Div(a, b, t)), t), t)
    return FloorMod(a, b, t)


def compare(cls, a, b) -> PrimExpr:
    """A comparison node ``cls(a, b)`` of dtype bool, e.g. ``compare(LT, i, 8)``."""
    a, b, _ = _pair(a, b)
    return cls(a, b, "bool")


def as_bool(x) -> PrimExpr:
    """``x`` as a boolean: itself if it is one, else ``x != 0``."""
    x = convert(x)
    return x if dt.is_bool(x.dtype) else NE(x, const(0, x.dtype), "bool")


def logical(cls, a, b) -> PrimExpr:
    """A logical ``And``/``Or`` of two values, each made boolean first."""
    return cls(as_bool(a), as_bool(b), "bool")


def cast(dtype: str, value) -> PrimExpr:
    """``value`` converted to ``dtype``; a no-op when it already has that dtype."""
    dtype = dt.check(dtype)
    value = convert(value, dtype if not isinstance(value, PrimExpr) else None)
    if value.dtype == dtype:
        return value
    if isinstance(value, IntImm) and not dt.is_float(dtype):
        return const(value.value, dtype)
    if isinstance(value, (IntImm, FloatImm)) and dt.is_float(dtype):
        return FloatImm(float(value.value), dtype)
    return Cast(value, dtype)


def select(cond, true_value, false_value) -> PrimExpr:
    """``true_value`` where ``cond`` holds, else ``false_value`` (the other side is not evaluated)."""
    a, b, t = _pair(true_value, false_value)
    return Select(as_bool(cond), a, b, t)


FLOAT_INTRINSICS = ("exp", "log", "sqrt", "rsqrt", "tanh", "sigmoid", "erf", "pow",
                    "floor", "ceil", "round", "trunc", "sin", "cos", "exp2", "log2", "log1p")
INTRINSICS = FLOAT_INTRINSICS + ("abs",)


def call(op: str, *args) -> PrimExpr:
    """Apply the math intrinsic ``op``; integer inputs to float-only intrinsics become float32."""
    if op not in INTRINSICS:
        raise TypeCheckError(f"unknown intrinsic {op!r}; known: {', '.join(INTRINSICS)}")
    if op == "pow":
        a, b, t = _pair(*args)
        args = (a, b)
    else:
        args = tuple(convert(x) for x in args)
        t = args[0].dtype
    if op in FLOAT_INTRINSICS and not dt.is_float(t):
        t = "float32"
        args = tuple(cast(t, x) for x in args)
    return Call(op, args, t)


def minimum(a, b) -> PrimExpr:
    """The smaller of two expressions (NaN propagates, as in numpy)."""
    return binary(Min, a, b)


def maximum(a, b) -> PrimExpr:
    """The larger of two expressions (NaN propagates, as in numpy)."""
    return binary(Max, a, b)


def is_const(x, value=None) -> bool:
    """True when ``x`` is a constant (equal to ``value`` if given)."""
    if not isinstance(x, (IntImm, FloatImm)):
        return False
    return value is None or x.value == value
