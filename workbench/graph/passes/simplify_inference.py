"""Rewrite training-time operators for inference.

``nn.batch_norm`` becomes ``x * scale + shift`` with per-channel constants
(scale = gamma / sqrt(var + eps), shift = beta - mean * scale) shaped to
broadcast along its axis; ``nn.dropout`` and ``copy`` become their input.
"""
from __future__ import annotations

import numpy as np

from ..expr import Call, Constant, Module, call, const
from ..functor import ExprMutator
from .context import module_pass


def _channel_shape(ndim: int, axis: int, c: int) -> tuple:
    shape = [1] * ndim
    shape[axis] = c
    return tuple(shape[axis:]) if axis >= 0 else tuple(shape)


class _Simplify(ExprMutator):
    def visit_Call(self, e):
        e = self.rebuild(e)
        if not isinstance(e, Call) or not hasattr(e.op, "name"):
            return e
        if e.op.name in ("nn.dropout", "copy"):
            return e.args[0]
        if e.op.name == "nn.batch_norm":
            x, gamma, beta, mean, var = e.args
            nd = x.type.ndim
            axis = e.attrs.get("axis", 1) % nd
            eps = float(e.attrs.get("epsilon", 1e-5))
            c = x.type.shape[axis]
            bshape = _channel_shape(nd, axis, c)  # trailing dims only: (C, 1, 1) for NCHW
            if all(isinstance(a, Constant) for a in (gamma, beta, mean, var)):
                scale = gamma.data.astype("float64") / np.sqrt(var.data.astype("float64") + eps)
                shift = beta.data.astype("float64") - mean.data.astype("float64") * scale
                dt = x.type.dtype
                s = const(scale.astype(dt).reshape(bshape), name=f"{e.name or 'bn'}.scale")
                b = const(shift.astype(dt).reshape(bshape), name=f"{e.name or 'bn'}.shift")
            else:
                denom = call("sqrt", call("add", var, const(np.asarray(eps, x.type.dtype))))
                sc = call("divide", gamma, denom)
                s = call("reshape", sc, newshape=bshape)
                b = call("reshape", call("subtract", beta, call("multiply", mean, sc)), newshape=bshape)
            return call("add", call("multiply", x, s, name=e.name), b, name=e.name)
        return e


@module_pass("simplify_inference")
def simplify_inference(mod: Module, ctx) -> Module:
    """Batch norm to a per-channel multiply-add; dropout and copies removed."""
    return Module({k: _Simplify().visit(f) for k, f in mod.functions.items()})
