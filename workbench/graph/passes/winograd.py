"""Run the 3x3 convs of channel-blocked layers by Winograd's algorithm (``nn.conv2d_winograd``).

A packed 3x3 conv of stride 1 between NCHW16c values, with constant weights, becomes a
Winograd conv F(m x m, 3x3) whose weights are transformed here, once, at compile time
(``topi.transform_conv_kernel``)::

    conv2d_packed(x, Wp, padding=1, out_layout="NCHW16c")  ->  conv2d_winograd(x, U, padding=1, tile=m)

Winograd needs fewer multiplications (2.25x for ``m = 2``, 4x for ``m = 4``) but its weights are
larger (``(m + 2)^2`` values per channel pair instead of 9), and every block of tiles reads all of
them: the pass takes ``m = 4`` while they stay within ``TILE4_BYTES`` (a core's L2 is 1 MB here),
``m = 2`` within ``TILE2_BYTES``, and leaves the conv direct otherwise. On ResNet-18 that is
``m = 4`` for layer 1 (64 channels: 0.59 MB), ``m = 2`` for layer 2 (128: 1 MB), layers 3-4 direct.
The output's height and width must be multiples of ``m``.

``optimize`` runs the pass after ``block_layout`` in the blocked pipeline
(``PassContext(config={"pack_conv_kernels": True, "block_layout": True})``); ``"winograd": False``
in the config leaves it out. Results differ from the direct conv by float rounding (relative
error about 1e-6 for ``m = 4``).

>>> import numpy as np
>>> from workbench.graph import Function, Module, ops
>>> from workbench.graph.passes import block_layout, pack_conv_kernels
>>> x = ops.var("x", (1, 16, 8, 8))
>>> w = ops.const(np.ones((16, 16, 3, 3), "float32"))
>>> y = ops.nn.conv2d(ops.nn.relu(ops.nn.conv2d(x, w, padding=(1, 1, 1, 1))), w, padding=(1, 1, 1, 1))
>>> body = winograd(block_layout(pack_conv_kernels(Module(Function((x,), y))))).main.body
>>> conv = body.args[0]    # the second conv; the first reads the NCHW input and stays direct
>>> conv.op.name, conv.attrs["tile"], conv.args[1].data.shape
('nn.conv2d_winograd', 4, (6, 6, 16, 1, 16))
"""
from __future__ import annotations

from ...topi.conv_packed import unpack_conv_kernel
from ...topi.conv_winograd import transform_conv_kernel
from ..expr import Call, Constant, Module, call, const
from ..functor import ExprMutator
from ..op.layout import BLOCKED
from .context import module_pass

CONFIG_KEY = "winograd"
TILE4_BYTES = 640 << 10    # F(4x4) weights of at most this many bytes (ResNet-18 layer 1: 0.59 MB)
TILE2_BYTES = 1100 << 10   # F(2x2) weights of at most this many bytes (layer 2: 1 MB)


def winograd_tile(channels: int, filters: int, oh: int, ow: int, itemsize: int = 4) -> int | None:
    """The tile size ``m`` the pass uses for a 3x3 conv of ``channels -> filters`` with an ``oh x ow``
    output (None: stay direct).

    >>> winograd_tile(64, 64, 56, 56), winograd_tile(128, 128, 28, 28), winograd_tile(256, 256, 14, 14)
    (4, 2, None)
    """
    for m, limit in ((4, TILE4_BYTES), (2, TILE2_BYTES)):
        if oh % m == 0 and ow % m == 0 and (m + 2) ** 2 * channels * filters * itemsize <= limit:
            return m
    return None


def _tile_of(e: Call) -> int | None:
    """The tile of the Winograd conv ``e`` (a ``nn.conv2d_packed`` call) becomes, or None."""
    if getattr(e.op, "name", "") != "nn.conv2d_packed":
        return None
    data, w = e.args
    attrs = dict(e.attrs)
    if not (isinstance(w, Constant) and w.data.dtype.name == "float32" and attrs.get("out_layout") == BLOCKED
            and data.type.ndim == 5 and w.data.shape[2:4] == (3, 3)
            and tuple(attrs["strides"]) == (1, 1) and tuple(attrs["dilation"]) == (1, 1)):
        return None
    _, fb, oh, ow, lanes = e.type.shape
    return winograd_tile(w.data.shape[1], fb * lanes, oh, ow, w.data.dtype.itemsize)


class _Winograd(ExprMutator):
    def visit_Call(self, e):
        e = self.rebuild(e)
        tile = _tile_of(e) if isinstance(e, Call) else None
        if tile is None:
            return e
        w = e.args[1]
        u = transform_conv_kernel(unpack_conv_kernel(w.data), tile)
        return call("nn.conv2d_winograd", e.args[0], const(u, name=(w.name or "weight") + f"_winograd{tile}"),
                    name=e.name, padding=tuple(e.attrs["padding"]), tile=tile)


@module_pass("winograd")
def winograd(mod: Module, ctx) -> Module:
    """Run blocked 3x3 stride-1 convs with constant weights by Winograd's algorithm (weights transformed now)."""
    return Module({k: _Winograd().visit(f) for k, f in mod.functions.items()})
