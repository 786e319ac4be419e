"""Dead code elimination at module level: drop functions that main does not call.

Within a function a graph is a DAG built from its result, so an unused node is
not part of it (builders and importers may still leave unused inputs, which
stay as parameters: they are the model's interface). Dead code is whole module
functions nobody calls, e.g. after partitioning.
"""
from __future__ import annotations

from ..expr import Module
from .context import module_pass


@module_pass("dead_code_elimination")
def dead_code_elimination(mod: Module, ctx) -> Module:
    """Keep ``main`` and the module functions it names in its attributes; drop the rest."""
    keep = {"main"}
    for fn in mod.functions.values():
        for v in fn.attrs.values():
            if isinstance(v, str) and v in mod.functions:
                keep.add(v)
    if keep >= mod.functions.keys():
        return mod
    return Module({k: f for k, f in mod.functions.items() if k in keep})
