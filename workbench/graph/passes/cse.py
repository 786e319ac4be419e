"""Eliminate common subexpressions: one node for equal calls on equal inputs, and equal constants."""
from __future__ import annotations

import hashlib

from ..expr import Call, Constant, Function, Module, Tuple, TupleGetItem
from ..functor import ExprMutator
from .context import module_pass


class _CSE(ExprMutator):
    def __init__(self):
        super().__init__()
        self.seen: dict = {}

    def _key_of(self, e):
        if isinstance(e, Constant):
            d = e.data
            return ("const", d.dtype.str, d.shape, hashlib.sha1(d.tobytes()).hexdigest())
        if isinstance(e, Call):
            op = id(e.op) if isinstance(e.op, Function) else e.op.name
            return ("call", op, e.attrs, tuple(id(a) for a in e.args))
        if isinstance(e, Tuple):
            return ("tuple", tuple(id(f) for f in e.fields))
        if isinstance(e, TupleGetItem):
            return ("get", id(e.tuple_value), e.index)
        return None

    def visit(self, e):
        if id(e) in self.memo:
            return self.memo[id(e)]
        r = self.rebuild(e) if not isinstance(e, Function) else super().rebuild(e)
        key = self._key_of(r)
        if key is not None:
            r = self.seen.setdefault(key, r)
        self.memo[id(e)] = r
        return r


@module_pass("eliminate_common_subexpr")
def eliminate_common_subexpr(mod: Module, ctx) -> Module:
    """Merge calls of the same op with the same attributes on the same inputs, and equal constants."""
    return Module({k: _CSE().visit(f) for k, f in mod.functions.items()})
