"""Pack the constant kernels of NCHW convolutions so their output channels can be vectorized.

``nn.conv2d(x, W)`` with a constant ``W[F, C, KH, KW]``, one group and ``F`` a multiple of 16
becomes ``nn.conv2d_packed(x, Wp)`` with ``Wp = topi.pack_conv_kernel(W)``, of shape
``[F/16, C, KH, KW, 16]``, computed once here at compile time. The conv then
accumulates 16 output channels per vector register, whatever the width of its output
rows (see ``topi.conv_packed``). The data and the result stay NCHW, so nothing around the
conv changes.

The pass is off by default (AutoTVM's conv2d template and the records tuned with it
expect the plain layout); turn it on with ``PassContext(config={"pack_conv_kernels": True})``,
or run it by hand after ``fold_scale_axis`` has put the batch-norm scales in the weights.

>>> import numpy as np
>>> from workbench.graph import Function, Module, ops
>>> x = ops.var("x", (1, 3, 8, 8))
>>> y = ops.nn.conv2d(x, ops.const(np.ones((32, 3, 3, 3), "float32"), name="w"), padding=(1, 1, 1, 1))
>>> packed = pack_conv_kernels(Module(Function((x,), y)))
>>> packed.main.body.op.name, packed.main.body.args[1].data.shape
('nn.conv2d_packed', (2, 3, 3, 3, 16))
"""
from __future__ import annotations

from ...topi.conv_packed import KERNEL_LANES, pack_conv_kernel
from ..expr import Call, Constant, Module, call, const
from ..functor import ExprMutator
from .context import module_pass

CONFIG_KEY = "pack_conv_kernels"


def packable(e: Call) -> bool:
    """Whether the call ``e`` is a conv2d the pass rewrites."""
    if getattr(e.op, "name", "") != "nn.conv2d" or dict(e.attrs).get("groups", 1) != 1:
        return False
    w = e.args[1]
    return isinstance(w, Constant) and w.data.ndim == 4 and w.data.shape[0] % KERNEL_LANES == 0 \
        and w.data.dtype.name == "float32"


class _Pack(ExprMutator):
    def visit_Call(self, e):
        e = self.rebuild(e)
        if not (isinstance(e, Call) and packable(e)):
            return e
        w = e.args[1]
        attrs = {k: v for k, v in dict(e.attrs).items() if k != "groups"}
        packed = const(pack_conv_kernel(w.data), name=(w.name or "weight") + "_packed")
        return call("nn.conv2d_packed", e.args[0], packed, name=e.name, **attrs)


@module_pass("pack_conv_kernels")
def pack_conv_kernels(mod: Module, ctx) -> Module:
    """Pack the constant kernels of conv2d ops (16 output channels per vector)."""
    return Module({k: _Pack().visit(f) for k, f in mod.functions.items()})
