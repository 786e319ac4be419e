"""The ``byoc.target`` annotation: which backend takes a node, its region, and why.

``annotate_target`` wraps every operator call (and composite call) as
``byoc.target(node, compiler=..., region=..., reason=...)``. The annotation is
an identity op (it type-checks, prints and interprets like any op), so the
annotated module stays a valid module that the pass recorder shows and the
interpreter runs; ``partition_graph`` removes the annotations again.

- ``compiler``: the backend's name, or ``"workbench"`` for nodes Workbench keeps;
- ``region``: the region id after ``merge_compiler_regions`` (-1 before);
- ``reason``: for Workbench nodes, why no backend took them; for offloaded
  nodes, notes (e.g. a merge refused because it would create a cycle).
"""
from __future__ import annotations

from ..graph.expr import Attrs, Call, Function
from ..graph.op import Op, OpPattern

WORKBENCH = "workbench"


def _infer(types, attrs):
    return types[0]


def _reference(x, **attrs):
    return x


TARGET = Op("byoc.target", _infer, OpPattern.OPAQUE, _reference,
            doc="identity; marks the backend (compiler), region and reason of the node it wraps")


def annotate(node, compiler: str, reason: str = "", region: int = -1) -> Call:
    """``node`` wrapped in a ``byoc.target`` annotation."""
    return Call(TARGET, (node,), Attrs(compiler=compiler, region=region, reason=reason), node.type)


def is_target(e) -> bool:
    """True for a ``byoc.target`` annotation call."""
    return isinstance(e, Call) and e.op is TARGET


def unwrap(e):
    """The node inside an annotation (``e`` itself when it is not one)."""
    return e.args[0] if is_target(e) else e


def is_offloadable(e) -> bool:
    """Operator calls and composite calls can be offloaded; glue (tuples, variables, constants) cannot."""
    return isinstance(e, Call) and (not isinstance(e.op, Function) or "Composite" in e.op.attrs) and e.op is not TARGET
