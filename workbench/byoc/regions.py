"""``merge_compiler_regions``: neighbouring nodes of one backend join one region, unless that makes a cycle.

Each offloaded node starts as its own region. Walking inputs before users, a
node joins the region of each input producer with the same backend, unless the
merged region would both feed and read some node outside it (a path leaving
the region and coming back): then the region could not run as one call, so the
merge is refused and the node's annotation notes the cycle and the node it
would go through. Region ids are numbered in the order regions first appear.

>>> merged = merge_compiler_regions()(annotated)   # doctest: +SKIP
"""
from __future__ import annotations

from ..graph.expr import Attrs, Call, Function, Module
from ..graph.functor import ExprMutator, post_order, users
from ..graph.passes.context import Pass
from .annotation import WORKBENCH, is_target, unwrap


class _Regions:
    """Union-find over annotation nodes, with the cycle test."""

    def __init__(self, body):
        self.nodes = post_order(body)
        self.users = users(body)
        self.parent: dict = {}
        self.members: dict = {}  # root id -> set of node ids (annotations and what they wrap)

    def add(self, ann):
        k = id(ann)
        self.parent[k] = k
        self.members[k] = {k, id(unwrap(ann))}

    def find(self, k):
        while self.parent[k] != k:
            self.parent[k] = self.parent[self.parent[k]]
            k = self.parent[k]
        return k

    def cycle_through(self, inside: set):
        """A node outside ``inside`` that is reachable from it and reaches back into it, else None."""
        start = [u for k in inside for u in self.users_of(k) if id(u) not in inside]
        seen: set = set()
        stack = [(u, u) for u in start]
        while stack:
            n, first = stack.pop()
            if id(n) in seen:
                continue
            seen.add(id(n))
            for u in self.users.get(id(n), ()):
                if id(u) in inside:
                    return first
                stack.append((u, first))
        return None

    def users_of(self, k):
        return self.users.get(k, ())

    def union(self, a, b):
        ra, rb = self.find(a), self.find(b)
        self.parent[rb] = ra
        self.members[ra] |= self.members.pop(rb)


def _label(e) -> str:
    inner = unwrap(e)
    if isinstance(inner, Call):
        name = inner.op.attrs.get("Composite") if isinstance(inner.op, Function) else inner.op.name
        return f"{name} ({inner.name})" if inner.name else name
    return type(inner).__name__


def assign_regions(body) -> tuple:
    """(annotation id -> region id, annotation id -> list of notes) for an annotated body."""
    r = _Regions(body)
    anns = [n for n in r.nodes if is_target(n) and n.attrs["compiler"] != WORKBENCH]
    for a in anns:
        r.add(a)
    notes: dict = {}
    for a in anns:
        target = a.attrs["compiler"]
        for arg in unwrap(a).args:
            if not (is_target(arg) and arg.attrs["compiler"] == target):
                continue
            ra, rb = r.find(id(arg)), r.find(id(a))
            if ra == rb:
                continue
            via = r.cycle_through(r.members[ra] | r.members[rb])
            if via is None:
                r.union(ra, rb)
            else:
                notes.setdefault(id(a), []).append(
                    f"kept out of the {target} region of {_label(arg)}: merging would create a cycle through "
                    f"{_label(via)}")
    ids: dict = {}
    region = {}
    for a in anns:
        root = r.find(id(a))
        region[id(a)] = ids.setdefault(root, len(ids))
    return region, notes


class _SetRegions(ExprMutator):
    def __init__(self, region, notes):
        super().__init__()
        self.region, self.notes = region, notes

    def visit_Call(self, e):
        new = self.rebuild(e)
        if not is_target(e) or id(e) not in self.region:
            return new
        reason = "; ".join(x for x in [e.attrs["reason"]] + self.notes.get(id(e), []) if x)
        attrs = Attrs(compiler=e.attrs["compiler"], region=self.region[id(e)], reason=reason)
        return Call(new.op, new.args, attrs, new.type, new.name)


def merge_compiler_regions() -> Pass:
    """The pass that groups annotated nodes into regions (one backend each, no cycles)."""
    def run(mod: Module, ctx) -> Module:
        fn = mod.main
        region, notes = assign_regions(fn.body)
        body = _SetRegions(region, notes).visit(fn.body)
        return mod.with_function("main", Function(fn.params, body, fn.attrs, fn.name))
    return Pass("merge_compiler_regions", run, "join neighbouring nodes of one backend into regions, never a cycle")

