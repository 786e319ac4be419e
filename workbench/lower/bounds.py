"""Bound inference: which part of a stage attached with ``compute_at`` each loop iteration needs.

A producer computed inside loop ``x`` of a consumer must cover every element
that the code inside ``x`` reads in one iteration. Loops enclosing ``x`` stay
symbolic; loops inside it are relaxed over their ranges; each read index is
bounded from below and above. The region is ``[min, min + extent)`` with
``min`` an expression of the enclosing loops and ``extent`` a constant (its
upper bound), so the producer's buffer has a static size.
"""
from __future__ import annotations

import math

from ..errors import LoweringError
from ..tir.analysis import Analyzer, linear
from ..tir.expr import FloorDiv, FloorMod, IntImm, Max, Min, PrimExpr, Select, Var, const
from ..tir.functor import free_vars
from ..tir.simplify import simplify


def interval(x: PrimExpr, relax: dict, an: Analyzer) -> tuple:
    """Symbolic ``(lo, hi)`` of integer ``x`` when each Var in ``relax`` takes any value of its range."""
    if not free_vars(x) & relax.keys():
        return x, x
    lin = linear(x)
    lo = hi = const(lin.const, x.dtype)
    for atom, c in lin.terms.values():
        if isinstance(atom, Var):
            a_lo, a_hi = (const(v) for v in relax[atom]) if atom in relax else (atom, atom)
        else:
            a_lo, a_hi = _atom_interval(atom, relax, an)
        if c > 0:
            lo, hi = lo + a_lo * c, hi + a_hi * c
        else:
            lo, hi = lo + a_hi * c, hi + a_lo * c
    return simplify(lo, an), simplify(hi, an)


def _atom_interval(x, relax, an) -> tuple:
    if not free_vars(x) & relax.keys():
        return x, x
    if isinstance(x, FloorDiv) and isinstance(x.b, IntImm) and x.b.value > 0:
        lo, hi = interval(x.a, relax, an)
        return lo // x.b.value, hi // x.b.value
    if isinstance(x, FloorMod) and isinstance(x.b, IntImm) and x.b.value > 0:
        return const(0, x.dtype), const(x.b.value - 1, x.dtype)
    if isinstance(x, (Min, Max)):
        (al, ah), (bl, bh) = interval(x.a, relax, an), interval(x.b, relax, an)
        f = Min if isinstance(x, Min) else Max
        return f(al, bl, x.dtype), f(ah, bh, x.dtype)
    if isinstance(x, Select):
        (al, ah), (bl, bh) = interval(x.true_value, relax, an), interval(x.false_value, relax, an)
        return Min(al, bl, x.dtype), Max(ah, bh, x.dtype)
    wide = Analyzer({**an.ranges, **relax})
    lo, hi = wide.bound(x)
    if math.isinf(lo) or math.isinf(hi):
        raise LoweringError(f"bound inference: cannot bound the index expression {x}; "
                            "use affine indices (i*a + j + c, //, %) in tensors read by attached stages")
    return const(lo, x.dtype), const(hi, x.dtype)


def union(a: tuple | None, b: tuple, an: Analyzer) -> tuple:
    """The smallest interval covering two symbolic intervals."""
    if a is None:
        return b
    return _pick(a[0], b[0], Min, an), _pick(a[1], b[1], Max, an)


def _pick(a, b, f, an):
    d = simplify(a - b, an)
    if isinstance(d, IntImm):
        return (a if d.value <= 0 else b) if f is Min else (a if d.value >= 0 else b)
    return simplify(f(a, b, a.dtype), an)


def region(lo: PrimExpr, hi: PrimExpr, dom_extent: int, an: Analyzer, what: str) -> tuple:
    """``(min, extent)`` of a region from its inclusive bounds, the extent a constant upper bound."""
    ext = simplify(hi - lo + 1, an)
    if not isinstance(ext, IntImm):
        bound = an.bound(ext)[1]
        if math.isinf(bound):
            raise LoweringError(f"bound inference: the region of {what} has no constant size ({ext}); "
                                "attach it at a loop where the region it needs is bounded")
        ext = const(int(bound))
    return simplify(lo, an), max(1, min(int(ext.value), dom_extent) if isinstance(lo, IntImm) and lo.value == 0
                                 else int(ext.value))
