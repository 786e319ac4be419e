"""A graph as a notebook object: the JupyterLab extension's interactive view, with a static
picture and a one-line summary for every other viewer.

``GraphView(mod)`` displays as a MIME bundle of three parts, one per kind of reader:

- ``GRAPH_MIME`` (``viz.mime.graph_payload``): the extension lays the graph out in the browser
  (pan, zoom, collapsible groups, a node's details, a group's loop nest; with ``before``, what a
  pass changed), live and in a saved notebook opened without a kernel;
- ``image/svg+xml``: the Graphviz drawing (``graph_dot``, a big model's fused groups folded into
  one box each; ``partition_dot`` for a BYOC ``Partitioned``; changes highlighted with
  ``before``), for GitHub, nbviewer and exports; ``static=False`` leaves it out where a saved
  notebook should stay small (a partitioned MobileNetV2 draws ~200 KB of SVG);
- ``text/plain``: what the graph holds, in one line.

Unlike a module's own display (``display_bundle``), it takes a title, a before-module and the
drawing options, and carries no HTML copy of the picture.

>>> from workbench.graph import Function, Module, ops
>>> x = ops.var("x", (1, 8))
>>> v = GraphView(Module(Function((x,), ops.nn.relu(x))), title="tiny", static=False)
>>> repr(v)
"<GraphView 'tiny': 1 operator>"
"""
from __future__ import annotations

import shutil

from ..errors import TypeCheckError
from ..graph.expr import Function, Module
from .mime import GRAPH_MIME, graph_payload


def _is_partitioned(x) -> bool:
    return hasattr(x, "annotated") and hasattr(x, "module") and hasattr(x, "report")


class GraphView:
    """``mod`` (a graph Module or Function, or a ``byoc.Partitioned``) for display in a notebook.

    ``before``: the module before a pass; the view then marks what the pass removed, added and
    merged. ``collapse`` is ``graph_dot``'s (repeated blocks drawn once in the static picture);
    ``loop_nests``: lower each fused group for the interactive view's details (``graph_payload``).
    """

    def __init__(self, mod, before=None, *, title: str = "", collapse="auto", loop_nests: bool = True,
                 static: bool = True):
        self.partitioned = mod if _is_partitioned(mod) else None
        self.mod = self.partitioned.module if self.partitioned is not None else mod
        if not isinstance(self.mod, (Module, Function)):
            raise TypeCheckError(f"GraphView: expected a graph Module or Function or a byoc.Partitioned, "
                                 f"got {type(mod).__name__}")
        self.before, self.title, self.collapse = before, title, collapse
        self.loop_nests, self.static = loop_nests, static

    def payload(self) -> dict:
        """The ``GRAPH_MIME`` payload."""
        return graph_payload(self.mod, self.before, title=self.title, loop_nests=self.loop_nests)

    def dot(self) -> str:
        """The static picture as DOT text."""
        if self.partitioned is not None:
            from .partition import partition_dot
            return partition_dot(self.partitioned, title=self.title or None)
        from .graph import graph_dot
        if self.before is None:  # a big model's picture is its summary: one box per fused group
            return graph_dot(self.mod, title=self.title or None, collapse=self.collapse, fold_groups="auto")
        from .graph_diff import highlights
        return graph_dot(self.mod, title=self.title or None, collapse=self.collapse,
                         highlight=highlights(self.before, self.mod)[1])

    def svg(self) -> str:
        """The static picture as SVG (no XML prolog, so it can sit inside HTML); needs Graphviz."""
        from .graph import render_svg
        svg = render_svg(self.dot())
        return svg[svg.find("<svg"):]

    def _summary(self, payload: dict) -> str:
        head = f"<GraphView {self.title!r}" if self.title else "<GraphView"
        ops = sum(1 for n in payload["nodes"] if n["kind"] == "op")
        kinds = [c["kind"] for c in payload["clusters"]]
        parts = [f"{ops} operator{'s' * (ops != 1)}"]
        for kind, word in (("fused", "fused group"), ("partition", "partition")):
            k = kinds.count(kind)
            if k:
                parts.append(f"{k} {word}{'s' * (k != 1)}")
        ch = payload.get("changes")
        if ch:
            parts.append(f"{len(ch['removed'])} removed, {len(ch['added'])} added by the pass")
        return f"{head}: {', '.join(parts)}>"

    def __repr__(self):
        return self._summary(graph_payload(self.mod, self.before, loop_nests=False))

    def _repr_mimebundle_(self, include=None, exclude=None):
        """The interactive view's payload, the static SVG (unless ``static=False``) and the summary."""
        payload = self.payload()
        text = self._summary(payload)
        out = {GRAPH_MIME: payload}
        if self.static and shutil.which("dot"):
            out["image/svg+xml"] = self.svg()
        elif self.static:
            text += "\n(no static picture: Graphviz's `dot` is not installed)"
        out["text/plain"] = text
        return out
