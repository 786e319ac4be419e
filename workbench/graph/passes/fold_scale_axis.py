"""Fold per-output-channel scales into the weights of the conv2d or dense before them.

``multiply(conv2d(x, W), s)`` with a constant ``s`` of shape ``(C, 1, 1)`` (or
broadcast-equivalent) becomes ``conv2d(x, W * s[:, None, None, None])``: after
``simplify_inference`` this removes the batch-norm multiply entirely, leaving
the shift as the conv's bias epilogue. ``dense`` likewise with ``s`` of shape ``(N,)``.
The conv must have no other user. Constant folding then computes the new weight.
"""
from __future__ import annotations

import numpy as np

from ..expr import Call, Constant, Module, call, const
from ..functor import ExprMutator, users
from .context import module_pass


def _per_channel(s: Constant, out_shape: tuple, axis: int):
    """``s`` as a vector along ``axis`` of ``out_shape``, or None when it varies along another axis."""
    d = s.data
    if d.ndim > len(out_shape):
        return None
    full = d.reshape((1,) * (len(out_shape) - d.ndim) + d.shape)
    for k, n in enumerate(full.shape):
        if k != axis and n != 1:
            return None
    if full.shape[axis] not in (1, out_shape[axis]):
        return None
    return np.broadcast_to(full.reshape(-1) if full.shape[axis] != 1 else full.reshape(1),
                           (out_shape[axis],))


class _Fold(ExprMutator):
    def __init__(self, uses):
        super().__init__()
        self.uses = uses

    def visit_Call(self, e):
        orig = e
        e = self.rebuild(e)
        if not (isinstance(e, Call) and getattr(e.op, "name", "") == "multiply"):
            return e
        a, s = e.args
        if isinstance(a, Constant):
            a, s = s, a
        if not (isinstance(s, Constant) and isinstance(a, Call) and getattr(a.op, "name", "") in ("nn.conv2d", "nn.dense")):
            return e
        src = orig.args[0] if not isinstance(orig.args[0], Constant) else orig.args[1]
        if len(self.uses.get(id(src), [])) != 1 or not isinstance(a.args[1], Constant):
            return e
        conv = a.op.name == "nn.conv2d"
        vec = _per_channel(s, a.type.shape, 1 if conv else a.type.ndim - 1)
        if vec is None or s.data.dtype != a.type.dtype:
            return e
        w = a.args[1].data
        w2 = w * vec.reshape((-1,) + (1,) * (w.ndim - 1)).astype(w.dtype)
        new_w = const(np.require(w2, requirements='C'), name=a.args[1].name)
        return call(a.op.name, a.args[0], new_w, name=a.name, **dict(a.attrs))


@module_pass("fold_scale_axis")
def fold_scale_axis(mod: Module, ctx) -> Module:
    """Fold constant per-channel multiplies after conv2d/dense into their weights."""
    return Module({k: _Fold(users(f.body)).visit(f) for k, f in mod.functions.items()})
