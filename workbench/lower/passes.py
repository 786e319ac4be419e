"""Loop-nest passes run after the nest is built: auto-unroll and vector tail splitting.

- ``auto_unroll``: under a loop with the ``auto_unroll_max_step`` pragma, serial
  loops whose whole subtree runs at most that many steps become unrolled.
- ``split_vector_tails``: a vectorized loop whose body is guarded by a condition
  on the vector lane (a split that does not divide its extent) becomes
  ``if whole vector in range: vector loop without guard else: guarded scalar loop``,
  so the divisible part keeps its vector code.
"""
from __future__ import annotations

from ..tir.analysis import linear
from ..tir.expr import And, GE, GT, IntImm, LE, LT, PrimExpr, const
from ..tir.functor import Mutator, free_vars, substitute
from ..tir.stmt import Allocate, For, ForKind, IfThenElse, SeqStmt


def _steps(s) -> float:
    if isinstance(s, For):
        if not isinstance(s.extent, IntImm):
            return float("inf")
        return _steps(s.body) * (1 if s.kind is ForKind.VECTORIZED else s.extent.value)
    if isinstance(s, SeqStmt):
        return sum(_steps(x) for x in s.stmts)
    if isinstance(s, IfThenElse):
        return _steps(s.then_case) + (_steps(s.else_case) if s.else_case is not None else 0)
    if isinstance(s, Allocate):
        return _steps(s.body)
    return 1


class _Unroll(Mutator):
    def __init__(self):
        super().__init__()
        self.limit = 0

    def visit_For(self, s):
        saved = self.limit
        for k, v in s.annotations:
            if k == "auto_unroll_max_step":
                self.limit = v
        body = self.visit(s.body)
        self.limit = saved
        kind = s.kind
        if kind is ForKind.SERIAL and self.limit and _steps(For(s.var, s.min, s.extent, kind, body)) <= self.limit:
            kind = ForKind.UNROLLED
        if body is s.body and kind is s.kind:
            return s
        return For(s.var, s.min, s.extent, kind, body, s.annotations)


def auto_unroll(stmt):
    """Unroll small serial loops under loops annotated with ``auto_unroll_max_step``."""
    return _Unroll().visit(stmt)


def _conjuncts(c):
    return _conjuncts(c.a) + _conjuncts(c.b) if isinstance(c, And) else [c]


def _linear_in(c: PrimExpr, v) -> bool:
    """True when ``c`` is a comparison whose sides depend on ``v`` only linearly."""
    if not isinstance(c, (LT, LE, GT, GE)):
        return v not in free_vars(c)
    for side in (c.a, c.b):
        for atom, _ in linear(side).terms.values():
            if atom is not v and v in free_vars(atom):
                return False
    return True


class _VectorTails(Mutator):
    def visit_For(self, s):
        body = self.visit(s.body)
        if s.kind is ForKind.VECTORIZED and isinstance(body, IfThenElse) and body.else_case is None \
                and s.var in free_vars(body.cond) and isinstance(s.extent, IntImm):
            parts = _conjuncts(body.cond)
            lane = [p for p in parts if s.var in free_vars(p)]
            rest = [p for p in parts if s.var not in free_vars(p)]
            if all(_linear_in(p, s.var) for p in lane):
                # a conjunction of linear inequalities holds on the whole lane range iff it holds at both ends
                first = [substitute(p, {s.var: s.min}) for p in lane]
                last = [substitute(p, {s.var: s.min + (s.extent.value - 1)}) for p in lane]
                whole = _and(first + last)
                guarded = IfThenElse(_and(lane), body.then_case)
                fast = For(s.var, s.min, s.extent, ForKind.VECTORIZED, body.then_case, s.annotations)
                slow = For(s.var, s.min, s.extent, ForKind.SERIAL, guarded, s.annotations)
                out = IfThenElse(whole, fast, slow)
                return IfThenElse(_and(rest), out) if rest else out
        if body is s.body:
            return s
        return For(s.var, s.min, s.extent, s.kind, body, s.annotations)


def _and(cs):
    out = None
    for c in cs:
        out = c if out is None else And(out, c, "bool")
    return out if out is not None else const(True)


def split_vector_tails(stmt):
    """Keep vector code for the full vectors of a guarded vectorized loop; run the tail scalar."""
    return _VectorTails().visit(stmt)
