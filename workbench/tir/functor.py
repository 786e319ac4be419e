"""Walk and rewrite IR trees.

Children are found from the dataclass fields, so a new node type needs no
boilerplate: a visitor walks it, a mutator rebuilds it. Override
``visit_<ClassName>`` only for the nodes you care about. A mutator returns the
*same object* when nothing below changed, so ``new is old`` answers "did this
pass do anything?".
"""
from __future__ import annotations

import dataclasses

from .expr import PrimExpr, Var
from .stmt import Stmt

_FIELDS: dict = {}


def _fields(cls):
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


def _is_ir(x) -> bool:
    return isinstance(x, (PrimExpr, Stmt))


class Visitor:
    """Calls ``visit_<Class>`` where defined, else walks the children."""

    def __init__(self):
        self._dispatch: dict = {}

    def visit(self, node):
        fn = self._dispatch.get(type(node))
        if fn is None:
            fn = self._dispatch[type(node)] = getattr(self, "visit_" + type(node).__name__, self.generic_visit)
        return fn(node)

    def generic_visit(self, node):
        for name in _fields(type(node)):
            v = getattr(node, name)
            if _is_ir(v):
                self.visit(v)
            elif isinstance(v, tuple):
                for x in v:
                    if _is_ir(x):
                        self.visit(x)


class Mutator(Visitor):
    """Rebuilds a node only where a child changed."""

    def generic_visit(self, node):
        changes = {}
        for name in _fields(type(node)):
            v = getattr(node, name)
            if _is_ir(v):
                nv = self.visit(v)
                if nv is not v:
                    changes[name] = nv
            elif isinstance(v, tuple) and any(_is_ir(x) for x in v):
                nv = tuple(self.visit(x) if _is_ir(x) else x for x in v)
                if any(a is not b for a, b in zip(nv, v)):
                    changes[name] = nv
        return dataclasses.replace(node, **changes) if changes else node


class _Substitute(Mutator):
    def __init__(self, vmap):
        super().__init__()
        self.vmap = vmap

    def visit_Var(self, v):
        return self.vmap.get(v, v)


def substitute(node, vmap: dict):
    """``node`` with each Var key of ``vmap`` replaced by its value."""
    if not vmap:
        return node
    return _Substitute(vmap).visit(node)


def post_order_visit(node, fn) -> None:
    """Call ``fn`` on every node of the tree, children first."""
    class _V(Visitor):
        def visit(self, n):
            super().visit(n)
            fn(n)
    _V().visit(node)


def free_vars(node) -> set:
    """The Vars a tree mentions."""
    out = set()
    post_order_visit(node, lambda n: out.add(n) if isinstance(n, Var) else None)
    return out
