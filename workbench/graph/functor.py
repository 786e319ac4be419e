"""Walking and rewriting graphs: memoized, so shared nodes are visited once and stay shared.

``ExprMutator.visit`` returns the same node when nothing below it changed.
Override ``visit_<Class>`` for the node kinds you care about; the defaults
rebuild a node only if a child changed. Calls re-run type inference only
when their arguments changed.
"""
from __future__ import annotations

from .expr import Call, Expr, Function, Tuple, TupleGetItem, call_function


class ExprVisitor:
    """Visits each distinct node once, children first (post-order)."""

    def __init__(self):
        self.visited: set = set()

    def visit(self, e: Expr):
        if id(e) in self.visited:
            return
        self.visited.add(id(e))
        for c in children(e):
            self.visit(c)
        fn = getattr(self, "visit_" + type(e).__name__, None)
        if fn is not None:
            fn(e)


def children(e: Expr) -> tuple:
    """The direct inputs of a node (a Function's body; a Call's arguments, not its callee)."""
    if isinstance(e, Call):
        return e.args
    if isinstance(e, Tuple):
        return e.fields
    if isinstance(e, TupleGetItem):
        return (e.tuple_value,)
    if isinstance(e, Function):
        return (e.body,)
    return ()


class ExprMutator:
    """Rebuilds the graph bottom-up, memoized by node."""

    def __init__(self):
        self.memo: dict = {}

    def visit(self, e: Expr) -> Expr:
        r = self.memo.get(id(e))
        if r is None:
            fn = getattr(self, "visit_" + type(e).__name__, None)
            r = fn(e) if fn is not None else self.rebuild(e)
            self.memo[id(e)] = r  # ids are stable: the caller holds the input graph alive
        return r

    def rebuild(self, e: Expr) -> Expr:
        """``e`` with visited children (the same object if none changed)."""
        if isinstance(e, Call):
            args = tuple(self.visit(a) for a in e.args)
            if all(a is b for a, b in zip(args, e.args)):
                return e
            return rebuild_call(e, args)
        if isinstance(e, Tuple):
            fields = tuple(self.visit(f) for f in e.fields)
            return e if all(a is b for a, b in zip(fields, e.fields)) else Tuple(fields)
        if isinstance(e, TupleGetItem):
            t = self.visit(e.tuple_value)
            return e if t is e.tuple_value else TupleGetItem(t, e.index)
        if isinstance(e, Function):
            body = self.visit(e.body)
            return e if body is e.body else Function(e.params, body, e.attrs, e.name)
        return e


def rebuild_call(e: Call, args) -> Expr:
    """The same call on new arguments, with its type inferred again."""
    if isinstance(e.op, Function):
        return call_function(e.op, args, e.name)
    ty = e.op.infer([a.type for a in args], e.attrs)
    return Call(e.op, tuple(args), e.attrs, ty, e.name)


def post_order(e: Expr) -> list:
    """Every distinct node reachable from ``e``, inputs before their users."""
    out: list = []

    class _V(ExprVisitor):
        def visit(self, n):
            if id(n) in self.visited:
                return
            super().visit(n)
            out.append(n)
    _V().visit(e)
    return out


def users(e: Expr) -> dict:
    """node id -> list of nodes that take it as a direct input."""
    out: dict = {}
    for n in post_order(e):
        for c in children(n):
            out.setdefault(id(c), []).append(n)
    return out
