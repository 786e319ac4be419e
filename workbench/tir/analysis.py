"""Arithmetic facts about integer index expressions.

- ``skey``: a hashable structural key (Vars by identity), for structural equality.
- ``linear``: an expression as ``sum(coef * atom) + const``, the canonical form the
  simplifier rebuilds from.
- ``Analyzer``: constant bounds of expressions given the ranges of loop variables,
  which prove guards away and size buffers.
"""
from __future__ import annotations

import math

from . import dtype as dt
from .expr import (Add, Cast, FloatImm, FloorDiv, FloorMod, IntImm, Max, Min, Mul, PrimExpr, Select,
                   Sub, Var, const)

INF = math.inf


def skey(x):
    """A hashable key equal for structurally equal trees (Vars and Buffers by identity)."""
    if isinstance(x, Var):
        return ("Var", id(x))
    if isinstance(x, (IntImm, FloatImm)):
        return (type(x).__name__, x.value, x.dtype)
    if isinstance(x, tuple):
        return tuple(skey(v) for v in x)
    fields = getattr(type(x), "__dataclass_fields__", None)
    if fields is None or not isinstance(x, PrimExpr):
        return ("obj", id(x)) if not isinstance(x, (str, int, float, bool, type(None))) else x
    return (type(x).__name__,) + tuple(skey(getattr(x, f)) for f in fields)


def structural_equal(a, b) -> bool:
    """True when two expression trees have the same shape, constants and variables."""
    return skey(a) == skey(b)


# ------------------------------------------------------------------ linear forms

class Linear:
    """``sum(coef * atom) + const`` over integer atoms (Vars or non-linear sub-trees)."""

    __slots__ = ("terms", "const", "dtype")

    def __init__(self, terms: dict, const_: int, dtype: str):
        self.terms = terms  # skey -> [atom, coef]
        self.const = const_
        self.dtype = dtype

    def is_const(self) -> bool:
        return not self.terms

    def coef(self, var) -> int:
        t = self.terms.get(skey(var))
        return t[1] if t else 0

    def scaled(self, k: int) -> "Linear":
        return Linear({key: [a, c * k] for key, (a, c) in self.terms.items()}, self.const * k, self.dtype)

    def plus(self, other: "Linear", sign: int = 1) -> "Linear":
        terms = {k: [a, c] for k, (a, c) in self.terms.items()}
        for k, (a, c) in other.terms.items():
            if k in terms:
                terms[k][1] += sign * c
                if terms[k][1] == 0:
                    del terms[k]
            else:
                terms[k] = [a, sign * c]
        return Linear(terms, self.const + sign * other.const, self.dtype)

    def to_expr(self) -> PrimExpr:
        """Rebuild an expression: bigger coefficients first, the constant last."""
        items = sorted(self.terms.values(), key=lambda ac: (-abs(ac[1]), _atom_name(ac[0])))
        out = None
        for atom, c in items:
            mag = atom if abs(c) == 1 else Mul(atom, const(abs(c), self.dtype), self.dtype)
            if out is None:
                out = mag if c > 0 else Mul(atom, const(c, self.dtype), self.dtype) if abs(c) != 1 else Sub(const(0, self.dtype), atom, self.dtype)
            else:
                out = Add(out, mag, self.dtype) if c > 0 else Sub(out, mag, self.dtype)
        if out is None:
            return const(self.const, self.dtype)
        if self.const > 0:
            out = Add(out, const(self.const, self.dtype), self.dtype)
        elif self.const < 0:
            out = Sub(out, const(-self.const, self.dtype), self.dtype)
        return out


def _atom_name(a) -> str:
    return a.name if isinstance(a, Var) else str(a)


def linear(x: PrimExpr) -> Linear:
    """Decompose an integer expression into a linear form (non-linear parts become atoms)."""
    if isinstance(x, IntImm):
        return Linear({}, x.value, x.dtype)
    if isinstance(x, Add):
        return linear(x.a).plus(linear(x.b))
    if isinstance(x, Sub):
        return linear(x.a).plus(linear(x.b), -1)
    if isinstance(x, Mul):
        la, lb = linear(x.a), linear(x.b)
        if lb.is_const():
            return la.scaled(lb.const)
        if la.is_const():
            return lb.scaled(la.const)
    return Linear({skey(x): [x, 1]}, 0, x.dtype)


# ------------------------------------------------------------------ constant bounds

def _mul_iv(a, b):
    vals = []
    for x in a:
        for y in b:
            if (x == 0 and math.isinf(y)) or (y == 0 and math.isinf(x)):
                vals.append(0)
            else:
                vals.append(x * y)
    return min(vals), max(vals)


class Analyzer:
    """Knows the ranges of some variables and bounds expressions built from them."""

    def __init__(self, ranges: dict | None = None):
        self.ranges: dict = dict(ranges or {})  # Var -> (lo, hi) inclusive

    def bind(self, var: Var, lo, hi) -> None:
        """Declare ``lo <= var <= hi``."""
        self.ranges[var] = (lo, hi)

    def bound(self, x: PrimExpr) -> tuple:
        """Inclusive ``(lo, hi)`` of ``x``; ``-inf``/``inf`` where unknown."""
        if isinstance(x, IntImm):
            return (x.value, x.value)
        if isinstance(x, Var):
            return self.ranges.get(x, (-INF, INF))
        if isinstance(x, (Add, Sub, Mul, Min, Max, FloorDiv, FloorMod)):
            a = self.bound(x.a)
            b = self.bound(x.b)
            if isinstance(x, Add):
                return (a[0] + b[0], a[1] + b[1])
            if isinstance(x, Sub):
                return (a[0] - b[1], a[1] - b[0])
            if isinstance(x, Mul):
                return _mul_iv(a, b)
            if isinstance(x, Min):
                return (min(a[0], b[0]), min(a[1], b[1]))
            if isinstance(x, Max):
                return (max(a[0], b[0]), max(a[1], b[1]))
            if b[0] == b[1] and b[0] > 0 and not math.isinf(b[0]):
                c = b[0]
                if isinstance(x, FloorDiv):
                    lo = -INF if math.isinf(a[0]) else a[0] // c
                    hi = INF if math.isinf(a[1]) else a[1] // c
                    return (lo, hi)
                if a[0] >= 0 and a[1] < c:
                    return a
                return (0, c - 1)
            return (-INF, INF)
        if isinstance(x, Select):
            a, b = self.bound(x.true_value), self.bound(x.false_value)
            return (min(a[0], b[0]), max(a[1], b[1]))
        if isinstance(x, Cast) and dt.is_int(x.dtype) and dt.is_int(x.value.dtype):
            return self.bound(x.value)
        if dt.is_int(x.dtype) or dt.is_bool(x.dtype):
            return (dt.min_value(x.dtype), dt.max_value(x.dtype))
        return (-INF, INF)

    def can_prove_lt(self, a: PrimExpr, b) -> bool:
        """True when ``a < b`` holds for every value of the known variables."""
        from .simplify import simplify
        d = simplify(convert_int(a) - b, self)
        return self.bound(d)[1] < 0

    def can_prove_ge(self, a: PrimExpr, b) -> bool:
        from .simplify import simplify
        d = simplify(convert_int(a) - b, self)
        return self.bound(d)[0] >= 0

    def const_upper(self, x: PrimExpr):
        """The least constant known to be >= ``x`` (inf when unbounded)."""
        return self.bound(x)[1]


def convert_int(x):
    from .expr import convert
    return convert(x)
