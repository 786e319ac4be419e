"""What a graph pass changed: the module before and after, drawn side by side with the
difference highlighted (removed nodes red and dashed, added ones green, operators that moved
into a fused group purple).

Nodes are matched by what they are, not by object identity (passes rebuild nodes): an
operator call's key is its op, its node name and its output shape, and a fused group's key is
the ops inside it. Keys are counted on both sides; what is left over on one side only was
removed or added.

>>> from workbench.graph import Function, Module, ops
>>> from workbench.graph.passes import fuse_ops
>>> x = ops.var("x", (1, 8)); mod = Module(Function((x,), ops.nn.relu(ops.exp(x))))
>>> diff = graph_diff(mod, fuse_ops(mod))
>>> diff.merged, diff.removed, diff.added
(2, 0, 1)
"""
from __future__ import annotations

import collections
import difflib
from dataclasses import dataclass

from ..graph.expr import Call, Function
from ..graph.functor import post_order
from .graph import _function_of, _units, graph_dot


def _key(n) -> tuple:
    if isinstance(n.op, Function):
        return ("group", tuple(m.op.name for m in post_order(n.op.body) if isinstance(m, Call)), str(n.type))
    return (n.op.name, n.name, str(n.type))


def _calls(fn: Function) -> list:
    """(node, key, inside_group) for every operator call and group call of ``fn``'s graph."""
    out = []
    for u in _units(fn):
        if not isinstance(u, Call):
            continue
        out.append((u, _key(u), False))
        if isinstance(u.op, Function):
            out += [(m, _key(m), True) for m in post_order(u.op.body) if isinstance(m, Call)]
    return out


@dataclass(frozen=True)
class GraphDiff:
    """A pass's effect: DOT of the module before and after, with highlights, and the counts."""
    before_dot: str
    after_dot: str
    removed: int
    added: int
    merged: int
    text_diff: str

    def summary(self) -> str:
        """One line: how many nodes were removed, added and merged into groups."""
        return f"{self.removed} removed, {self.added} added, {self.merged} merged into fused groups"


def _match(before: list, after: list) -> tuple:
    """Highlights for both sides: id(node) -> "removed" / "added" / "merged"."""
    hb: dict = {}
    ha: dict = {}
    pool = collections.defaultdict(list)  # key -> after entries not yet matched
    for n, k, inside in after:
        pool[k].append((n, inside))
    for n, k, inside in before:
        if pool[k]:
            m, m_inside = pool[k].pop(0)
            if m_inside and not inside:
                ha[id(m)] = "merged"
                hb[id(n)] = "merged"
        else:
            hb[id(n)] = "removed"
    for k, rest in pool.items():
        for m, _ in rest:
            ha[id(m)] = "added"
    return hb, ha


def highlights(before, after) -> tuple:
    """What a pass changed, as ``graph_dot``'s ``highlight`` maps for the module before and after:
    ``id(node) -> "removed" | "added" | "merged"``.

    >>> from workbench.graph import Function, Module, ops
    >>> x = ops.var("x", (1, 8))
    >>> hb, ha = highlights(Module(Function((x,), ops.nn.relu(x))), Module(Function((x,), ops.negative(x))))
    >>> sorted(hb.values()), sorted(ha.values())
    (['removed'], ['added'])
    """
    return _match(_calls(_function_of(before)), _calls(_function_of(after)))


def graph_diff(before, after, name: str = "pass", collapse="auto") -> GraphDiff:
    """Compare two modules (a pass's input and output): highlighted DOT for each and a text diff.

    >>> from workbench.graph.passes import PassContext, Recorder, optimize   # doctest: +SKIP
    >>> rec = Recorder(); optimize(mod, PassContext(instruments=[rec]))     # doctest: +SKIP
    >>> r = rec.records[-1]; d = graph_diff(r.before, r.after, r.name)        # doctest: +SKIP
    """
    fb, fa = _function_of(before), _function_of(after)
    cb, ca = _calls(fb), _calls(fa)
    hb, ha = _match(cb, ca)
    removed = sum(1 for n, _, _ in cb if hb.get(id(n)) == "removed" and not isinstance(n.op, Function))
    added = sum(1 for n, _, _ in ca if ha.get(id(n)) == "added")
    merged = sum(1 for n, _, _ in ca if ha.get(id(n)) == "merged")
    from ..graph.printer import function_str
    text = "\n".join(difflib.unified_diff(function_str(fb).splitlines(), function_str(fa).splitlines(),
                                          "before", f"after {name}", lineterm="", n=1))
    return GraphDiff(graph_dot(before, title=f"before {name}", collapse=collapse, highlight=hb),
                     graph_dot(after, title=f"after {name}", collapse=collapse, highlight=ha),
                     removed, added, merged, text)
