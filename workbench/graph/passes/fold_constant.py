"""Evaluate at compile time every operator whose inputs are all constants."""
from __future__ import annotations

import numpy as np

from ..expr import Constant, Function, Module, Tuple
from ..functor import ExprMutator
from .context import module_pass

MAX_FOLD_BYTES = 64 << 20  # do not materialize huge tensors (e.g. a broadcast of a scalar)


class _Fold(ExprMutator):
    def visit_Call(self, e):
        e = self.rebuild(e)
        if isinstance(e.op, Function) or not all(isinstance(a, Constant) for a in e.args):
            return e
        t = e.type
        if hasattr(t, "size") and t.size * np.dtype(t.dtype).itemsize > MAX_FOLD_BYTES:
            return e
        with np.errstate(all="ignore"):
            out = e.op.reference(*[a.data for a in e.args], **dict(e.attrs))
        if isinstance(out, (tuple, list)):
            return Tuple(tuple(Constant(np.require(o, requirements='C')) for o in out))
        name = e.name or next((a.name for a in e.args if a.name), "")
        return Constant(np.require(np.asarray(out, dtype=t.dtype).reshape(t.shape), requirements='C'), name)

    def visit_TupleGetItem(self, e):
        e = self.rebuild(e)
        if isinstance(e.tuple_value, Tuple):
            return e.tuple_value.fields[e.index]
        return e


@module_pass("fold_constant")
def fold_constant(mod: Module, ctx) -> Module:
    """Replace calls on constants by their values (shape sub-graphs, weight transforms)."""
    return Module({k: _Fold().visit(f) for k, f in mod.functions.items()})
