"""Keep the activations between packed convs channel-blocked (NCHW16c) instead of NCHW.

After ``pack_conv_kernels`` every ``nn.conv2d_packed`` accumulates 16 output channels per
vector, then writes them back to NCHW: sixteen scattered stores per vector, an epilogue
of scalars, and a next conv that reads the result back from sixteen planes. This pass
lets the blocked result flow on, the way onnxruntime runs ResNet-18::

    conv2d_packed(x)                 ->  conv2d_packed(x, out_layout="NCHW16c")    [N, C/16, H, W, 16]
    add(., bias[C, 1, 1]), relu      ->  add(., bias[C/16, 1, 1, 16]), relu         (constants re-laid out)
    max_pool2d, global_avg_pool2d    ->  the same op on blocked data
    conv2d_packed(.)                 ->  reads the blocked data directly
    anything else (reshape, dense)   ->  nn.layout_transform back to NCHW first

Elementwise ops, binary broadcasting ops whose other operand is blocked too or a
per-channel constant, the max and global average pools and packed convs keep the blocked
layout; every other user, and the function's outputs, get one shared
``nn.layout_transform`` back to NCHW. The results are unchanged.

Enable it with ``PassContext(config={"pack_conv_kernels": True, "block_layout": True})``:
``optimize`` then runs it right after ``pack_conv_kernels``.

>>> import numpy as np
>>> from workbench.graph import Function, Module, ops
>>> from workbench.graph.passes import pack_conv_kernels
>>> x = ops.var("x", (1, 3, 8, 8))
>>> y = ops.nn.relu(ops.nn.conv2d(x, ops.const(np.ones((32, 3, 3, 3), "float32")), padding=(1, 1, 1, 1)))
>>> out = block_layout(pack_conv_kernels(Module(Function((x,), y)))).main.body
>>> out.op.name, out.args[0].op.name, out.args[0].type.shape
('nn.layout_transform', 'nn.relu', (1, 2, 8, 8, 16))
"""
from __future__ import annotations

import numpy as np

from ..expr import Constant, Function, Module, Tuple, call, const
from ..functor import ExprMutator, rebuild_call
from ..op.layout import BLOCKED, LANES
from ..op.registry import OpPattern
from .context import module_pass

CONFIG_KEY = "block_layout"
_POOLS = ("nn.max_pool2d", "nn.global_avg_pool2d")


def _op_name(e) -> str:
    return getattr(getattr(e, "op", None), "name", "")


def per_channel_blocked(c: Constant, channels: int):
    """A constant that broadcasts against NCHW ``[N, channels, H, W]`` per channel (shapes ``(C, 1, 1)``,
    ``(1, C, 1, 1)``, a scalar...), re-laid out to broadcast against ``[N, C/16, H, W, 16]``;
    None when it varies along another axis.

    >>> per_channel_blocked(const(np.zeros((32, 1, 1), "float32")), 32).data.shape
    (2, 1, 1, 16)
    """
    d = c.data
    if d.ndim > 4:
        return None
    full = d.reshape((1,) * (4 - d.ndim) + d.shape)
    if full.shape[0] != 1 or full.shape[2:] != (1, 1) or full.shape[1] not in (1, channels):
        return None
    if full.shape[1] == 1:
        return const(full.reshape(()) if d.ndim else d, name=c.name)
    vec = full.reshape(channels)
    return const(np.ascontiguousarray(vec.reshape(channels // LANES, 1, 1, LANES)), name=c.name)


class _Block(ExprMutator):
    def __init__(self):
        super().__init__()
        self.blocked: dict = {}     # id -> the blocked expression (kept alive so ids stay unique)
        self.unblocked: dict = {}   # id of a blocked expression -> its shared layout_transform to NCHW

    def is_blocked(self, e) -> bool:
        return id(e) in self.blocked

    def mark(self, e):
        self.blocked[id(e)] = e
        return e

    def nchw(self, e):
        """``e`` in NCHW: a blocked value gets one layout_transform, shared by all its NCHW users."""
        if not self.is_blocked(e):
            return e
        if id(e) not in self.unblocked:
            self.unblocked[id(e)] = call("nn.layout_transform", e, src_layout=BLOCKED, dst_layout="NCHW")
        return self.unblocked[id(e)]

    def visit_Call(self, e):
        args = [self.visit(a) for a in e.args]
        name, attrs = _op_name(e), dict(e.attrs)
        blocked = [self.is_blocked(a) for a in args]
        if name == "nn.conv2d_packed":
            return self.mark(call(name, args[0], args[1], name=e.name, **{**attrs, "out_layout": BLOCKED}))
        if any(blocked) and name in _POOLS:
            return self.mark(call(name, args[0], name=e.name, **attrs))
        pattern = getattr(e.op, "pattern", None)
        if any(blocked) and pattern is OpPattern.ELEMWISE and len(args) == 1:
            return self.mark(call(name, args[0], name=e.name, **attrs))
        if any(blocked) and pattern is OpPattern.BROADCAST and len(args) == 2:
            channels = e.type.shape[1] if e.type.ndim == 4 else 0
            new = [a if b else per_channel_blocked(a, channels) if isinstance(a, Constant) and channels else None
                   for a, b in zip(args, blocked)]
            if all(a is not None for a in new):
                return self.mark(call(name, *new, name=e.name, **attrs))
        args = [self.nchw(a) for a in args]
        return e if all(a is b for a, b in zip(args, e.args)) else rebuild_call(e, args)

    def visit_Tuple(self, e):
        fields = tuple(self.nchw(self.visit(f)) for f in e.fields)
        return e if all(a is b for a, b in zip(fields, e.fields)) else Tuple(fields)

    def visit_Function(self, e):
        body = self.nchw(self.visit(e.body))
        return e if body is e.body else Function(e.params, body, e.attrs, e.name)


@module_pass("block_layout")
def block_layout(mod: Module, ctx) -> Module:
    """Keep the results of packed convs channel-blocked (NCHW16c) until an op needs NCHW."""
    return Module({k: _Block().visit(f) for k, f in mod.functions.items()})
