"""The default optimization pipeline, traceable pass by pass through a PassContext's instruments."""
from __future__ import annotations

from ..expr import Module
from .context import PassContext
from .cse import eliminate_common_subexpr
from .dce import dead_code_elimination
from .fold_constant import fold_constant
from .fold_scale_axis import fold_scale_axis
from .fuse_ops import fuse_ops
from .simplify_inference import simplify_inference

DEFAULT_PIPELINE = (simplify_inference, fold_constant, fold_scale_axis, fold_constant,
                    eliminate_common_subexpr, dead_code_elimination, fuse_ops)


def optimize(mod: Module, ctx: PassContext | None = None, pipeline=DEFAULT_PIPELINE) -> Module:
    """Run the default pipeline (inference simplification, constant folding, scale folding, CSE,
    DCE, operator fusion). Give a ``PassContext`` with a ``Recorder`` to see every step.

    >>> from workbench.graph.passes import PassContext, Recorder   # doctest: +SKIP
    >>> rec = Recorder(); fused = optimize(mod, PassContext(instruments=[rec])); print(rec)   # doctest: +SKIP
    """
    ctx = ctx or PassContext()
    for p in pipeline:
        mod = ctx.run(p, mod)
    return mod
