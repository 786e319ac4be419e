"""The default optimization pipeline, traceable pass by pass through a PassContext's instruments."""
from __future__ import annotations

from ..expr import Module
from .block_layout import CONFIG_KEY as BLOCK_KEY
from .block_layout import block_layout
from .context import PassContext
from .cse import eliminate_common_subexpr
from .dce import dead_code_elimination
from .fold_constant import fold_constant
from .fold_scale_axis import fold_scale_axis
from .fuse_ops import fuse_ops
from .pack_conv_kernels import CONFIG_KEY as PACK_KEY
from .pack_conv_kernels import pack_conv_kernels
from .simplify_inference import simplify_inference
from .store_padded import CONFIG_KEY as PADDED_KEY
from .store_padded import store_padded
from .winograd import CONFIG_KEY as WINOGRAD_KEY
from .winograd import winograd

DEFAULT_PIPELINE = (simplify_inference, fold_constant, fold_scale_axis, fold_constant,
                    eliminate_common_subexpr, dead_code_elimination, fuse_ops)


def pipeline_of(ctx: PassContext) -> tuple:
    """The default pipeline, with ``pack_conv_kernels`` before fusion when the context's config asks
    for it (``PassContext(config={"pack_conv_kernels": True})``), followed by ``block_layout`` when
    the config also has ``"block_layout": True`` and by ``winograd`` (unless the config has
    ``"winograd": False``); the blocked pipeline ends with ``store_padded`` (after fusion) unless the
    config has ``"store_padded": False``.

    >>> [p.name for p in pipeline_of(PassContext(config={"pack_conv_kernels": True}))][4:6]
    ['pack_conv_kernels', 'eliminate_common_subexpr']
    >>> [p.name for p in pipeline_of(PassContext(config={"pack_conv_kernels": True, "block_layout": True}))][4:7]
    ['pack_conv_kernels', 'block_layout', 'winograd']
    """
    if not ctx.config.get(PACK_KEY):
        if ctx.config.get(BLOCK_KEY):
            raise ValueError('PassContext config "block_layout" needs "pack_conv_kernels": True as well '
                             '(the blocked layout flows out of packed convs)')
        return DEFAULT_PIPELINE
    blocked = bool(ctx.config.get(BLOCK_KEY))
    extra = (pack_conv_kernels, block_layout) if blocked else (pack_conv_kernels,)
    if blocked and ctx.config.get(WINOGRAD_KEY, True):
        extra += (winograd,)
    at = DEFAULT_PIPELINE.index(eliminate_common_subexpr)
    after = (store_padded,) if blocked and ctx.config.get(PADDED_KEY, True) else ()
    return DEFAULT_PIPELINE[:at] + extra + DEFAULT_PIPELINE[at:] + after


def optimize(mod: Module, ctx: PassContext | None = None, pipeline=None) -> Module:
    """Run the default pipeline (inference simplification, constant folding, scale folding, CSE,
    DCE, operator fusion; kernel packing when the context's config asks for it). Give a
    ``PassContext`` with a ``Recorder`` to see every step.

    >>> from workbench.graph.passes import PassContext, Recorder   # doctest: +SKIP
    >>> rec = Recorder(); fused = optimize(mod, PassContext(instruments=[rec])); print(rec)   # doctest: +SKIP
    """
    ctx = ctx or PassContext()
    for p in pipeline or pipeline_of(ctx):
        mod = ctx.run(p, mod)
    return mod
