"""The arithmetic simplifier.

Integer index arithmetic is put in a canonical linear form (``analysis.linear``)
and rebuilt, which folds constants and cancels terms (``(i*32 + 31) - i*32 + 1``
becomes ``32``). Division, modulo, min/max and comparisons use the bounds the
``Analyzer`` knows about loop variables, so guards that always hold vanish.
Statements are walked with loop ranges bound, which removes dead branches.
"""
from __future__ import annotations

import math

import numpy as np

from . import dtype as dt
from .analysis import Analyzer, Linear, linear, skey
from .expr import (EQ, GE, GT, LE, LT, NE, Add, FloatImm, FloorDiv, FloorMod, IntImm,
                   Max, Min, Mul, Sub, const)
from .functor import Mutator, substitute
from .stmt import Evaluate, For, IfThenElse, seq


def _is_int(x) -> bool:
    return dt.is_int(x.dtype)


def _cval(x):
    return x.value if isinstance(x, (IntImm, FloatImm)) else None


_FOLD = {
    Add: lambda a, b: a + b, Sub: lambda a, b: a - b, Mul: lambda a, b: a * b,
    Min: min, Max: max,
    LT: lambda a, b: a < b, LE: lambda a, b: a <= b, GT: lambda a, b: a > b, GE: lambda a, b: a >= b,
    EQ: lambda a, b: a == b, NE: lambda a, b: a != b,
}


def _wrap_int(v: int, dtype: str) -> int:
    return int(np.array(v).astype(dtype)) if dtype != "bool" else int(bool(v))


class Simplifier(Mutator):
    """Rewrites expressions and statements to simpler equal ones."""

    def __init__(self, analyzer: Analyzer | None = None):
        super().__init__()
        self.an = analyzer or Analyzer()

    # -- arithmetic ---------------------------------------------------------
    def _linear_op(self, x):
        x = self.generic_visit(x)
        a, b = _cval(x.a), _cval(x.b)
        if a is not None and b is not None:
            if _is_int(x):
                return const(_wrap_int(_FOLD[type(x)](a, b), x.dtype), x.dtype)
            return const(_FOLD[type(x)](a, b), x.dtype)
        if _is_int(x):
            return linear(x).to_expr()
        # floats: only identities that hold for every value
        if isinstance(x, Add) and b == 0:
            return x.a
        if isinstance(x, Add) and a == 0:
            return x.b
        if isinstance(x, Sub) and b == 0:
            return x.a
        if isinstance(x, Mul) and b == 1:
            return x.a
        if isinstance(x, Mul) and a == 1:
            return x.b
        return x

    visit_Add = visit_Sub = visit_Mul = _linear_op

    def visit_Div(self, x):
        x = self.generic_visit(x)
        a, b = _cval(x.a), _cval(x.b)
        if b == 1:
            return x.a
        if a is not None and b is not None and b != 0:
            if _is_int(x):  # C division rounds toward zero; exact for any int64
                q = abs(a) // abs(b)
                return const(q if (a >= 0) == (b > 0) else -q, x.dtype)
            return const(a / b, x.dtype)
        if _is_int(x) and b is not None and b > 0 and self.an.bound(x.a)[0] >= 0:
            return self.visit_FloorDiv(FloorDiv(x.a, x.b, x.dtype))  # same for non-negative a
        return x

    def visit_FloorDiv(self, x):
        x = self.generic_visit(x)
        c = _cval(x.b)
        if c is None or c <= 0:
            return x
        if c == 1:
            return x.a
        if isinstance(x.a, FloorDiv) and _cval(x.a.b) is not None and _cval(x.a.b) > 0:
            return self.visit_FloorDiv(FloorDiv(x.a.a, const(_cval(x.a.b) * c, x.dtype), x.dtype))  # (a//b)//c -> a//(b*c)
        la = linear(x.a)
        q = Linear({}, 0, la.dtype)  # the part divisible by c moves out: (c*q + r) // c -> q + r // c
        r = Linear({}, 0, la.dtype)
        for key, (atom, k) in la.terms.items():
            (q if k % c == 0 else r).terms[key] = [atom, k // c if k % c == 0 else k]
        q.const, r.const = la.const // c, la.const % c
        rexpr = r.to_expr()
        lo, hi = self.an.bound(rexpr)
        if lo >= 0 and hi < c:
            rest = None
        elif not math.isinf(lo) and not math.isinf(hi) and lo // c == hi // c:
            q.const += int(lo // c)
            rest = None
        else:
            rest = FloorDiv(rexpr, x.b, x.dtype)
        if rest is None:
            return q.to_expr()
        if q.is_const() and q.const == 0:
            return rest
        return self.visit(Add(q.to_expr(), rest, x.dtype))

    def visit_FloorMod(self, x):
        x = self.generic_visit(x)
        c = _cval(x.b)
        if c is None or c <= 0:
            return x
        if c == 1:
            return const(0, x.dtype)
        la = linear(x.a)
        r = Linear({}, 0, la.dtype)
        for key, (atom, k) in la.terms.items():
            if k % c:
                r.terms[key] = [atom, k]
        r.const = la.const % c
        rexpr = r.to_expr()
        lo, hi = self.an.bound(rexpr)
        if lo >= 0 and hi < c:
            return rexpr
        if not math.isinf(lo) and not math.isinf(hi) and lo // c == hi // c:
            return self.visit(rexpr - int(lo // c) * c)
        if isinstance(rexpr, FloorMod) and _cval(rexpr.b) is not None and _cval(rexpr.b) % c == 0:
            return self.visit(FloorMod(rexpr.a, x.b, x.dtype))  # (a % (k*c)) % c -> a % c
        return FloorMod(rexpr, x.b, x.dtype)

    def _minmax(self, x):
        x = self.generic_visit(x)
        a, b = _cval(x.a), _cval(x.b)
        if a is not None and b is not None:
            return const(_FOLD[type(x)](a, b), x.dtype)
        if skey(x.a) == skey(x.b):
            return x.a
        if _is_int(x):
            lo, hi = self.an.bound(self.visit(x.a - x.b))
            a_smaller = hi <= 0
            b_smaller = lo >= 0
            if a_smaller or b_smaller:
                pick_a = a_smaller == isinstance(x, Min)
                return x.a if pick_a else x.b
        return x

    visit_Min = visit_Max = _minmax

    # -- comparisons and logic ----------------------------------------------
    def _compare(self, x):
        x = self.generic_visit(x)
        a, b = _cval(x.a), _cval(x.b)
        if a is not None and b is not None:
            return const(bool(_FOLD[type(x)](a, b)), "bool")
        if _is_int(x.a):
            diff = self.visit(x.a - x.b)
            lo, hi = self.an.bound(diff)
            verdict = {
                LT: (hi < 0, lo >= 0), LE: (hi <= 0, lo > 0), GT: (lo > 0, hi <= 0),
                GE: (lo >= 0, hi < 0), EQ: (lo == hi == 0, lo > 0 or hi < 0), NE: (lo > 0 or hi < 0, lo == hi == 0),
            }[type(x)]
            if verdict[0]:
                return const(True)
            if verdict[1]:
                return const(False)
        return x

    visit_LT = visit_LE = visit_GT = visit_GE = visit_EQ = visit_NE = _compare

    def visit_And(self, x):
        x = self.generic_visit(x)
        a, b = _cval(x.a), _cval(x.b)
        if a is not None:
            return x.b if a else const(False)
        if b is not None:
            return x.a if b else const(False)
        return x

    def visit_Or(self, x):
        x = self.generic_visit(x)
        a, b = _cval(x.a), _cval(x.b)
        if a is not None:
            return const(True) if a else x.b
        if b is not None:
            return const(True) if b else x.a
        return x

    def visit_Not(self, x):
        x = self.generic_visit(x)
        a = _cval(x.a)
        return const(not a) if a is not None else x

    def visit_Select(self, x):
        x = self.generic_visit(x)
        c = _cval(x.cond)
        if c is not None:
            return x.true_value if c else x.false_value
        return x

    def visit_Cast(self, x):
        x = self.generic_visit(x)
        v = _cval(x.value)
        if v is not None:
            if dt.is_float(x.dtype):
                return const(float(v), x.dtype)
            if dt.is_bool(x.dtype):
                return const(bool(v))
            if not math.isfinite(v):
                return x
            return const(_wrap_int(int(v), x.dtype), x.dtype)
        if x.value.dtype == x.dtype:
            return x.value
        return x

    # -- statements ---------------------------------------------------------
    def visit_For(self, s):
        mn, ext = self.visit(s.min), self.visit(s.extent)
        if _cval(ext) is not None and _cval(ext) <= 0:
            return Evaluate(const(0))
        if _cval(ext) == 1 and not s.annotations:  # a single iteration: no loop
            return self.visit(substitute(s.body, {s.var: mn}))
        lo, _ = self.an.bound(mn)
        _, hi = self.an.bound(mn + ext - 1) if _cval(ext) is None else self.an.bound(self.visit(mn + (_cval(ext) - 1)))
        old = self.an.ranges.get(s.var)
        self.an.bind(s.var, lo, hi)
        body = self.visit(s.body)
        if old is None:
            del self.an.ranges[s.var]
        else:
            self.an.ranges[s.var] = old
        if isinstance(body, Evaluate):
            return body
        if mn is s.min and ext is s.extent and body is s.body:
            return s
        return For(s.var, mn, ext, s.kind, body, s.annotations)

    def visit_IfThenElse(self, s):
        cond = self.visit(s.cond)
        c = _cval(cond)
        if c is not None:
            branch = s.then_case if c else s.else_case
            return self.visit(branch) if branch is not None else Evaluate(const(0))
        then = self.visit(s.then_case)
        other = self.visit(s.else_case) if s.else_case is not None else None
        if cond is s.cond and then is s.then_case and other is s.else_case:
            return s
        return IfThenElse(cond, then, other)

    def visit_SeqStmt(self, s):
        stmts = tuple(self.visit(x) for x in s.stmts)
        if all(a is b for a, b in zip(stmts, s.stmts)):
            return s
        return seq(*stmts)


def simplify(node, analyzer: Analyzer | None = None):
    """A simpler tree equal to ``node`` (an expression or a statement).

    >>> from workbench.tir.expr import Var
    >>> i = Var("i"); simplify((i * 32 + 31) - i * 32 + 1)
    32
    """
    return Simplifier(analyzer).visit(node)
