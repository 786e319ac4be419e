"""Operator fusion: group operators into kernels by their pattern kinds, as TVM's FuseOps does.

The dataflow graph gets a post-dominator tree (where every path from a node to
the output must pass). A node is merged into the group of its immediate
post-dominator when every node on the paths between them allows it:

- phase 0: a heavy op (``OUT_ELEWISE_FUSABLE``: conv2d, dense...) absorbs the
  elementwise/broadcast ops after it (conv2d + bias + relu);
- phase 1: elementwise/broadcast ops fuse forward into injective ops or
  reductions, injective ops into injective ops (elementwise chains, reductions
  with their prologues);
- phase 2: what is left of injective ops fuses into tuples (concatenate inputs).

Each group becomes a ``Function`` with attribute ``Primitive=1``, called from
main; its ``reason`` attribute says why it formed. Constants that are not
scalars become parameters of the group, so kernels take weights as arguments.
"""
from __future__ import annotations

from ..expr import Attrs, Call, Constant, Function, Module, Tuple, TupleGetItem, Var, call_function
from ..functor import children, post_order
from ..op import OpPattern
from .context import module_pass

MAX_GROUP = 256


def _pattern(n) -> OpPattern:
    if isinstance(n, Call) and not isinstance(n.op, Function):
        return n.op.pattern
    if isinstance(n, Tuple):
        return OpPattern.TUPLE
    return OpPattern.OPAQUE  # vars, constants, tuple-get-item and calls of functions stay out


class _Graph:
    """Nodes in post order with users, groups (union-find) and the post-dominator tree."""

    def __init__(self, body):
        self.nodes = [n for n in post_order(body) if not isinstance(n, Function)]
        self.index = {id(n): k for k, n in enumerate(self.nodes)}
        self.users: list = [[] for _ in self.nodes]
        for k, n in enumerate(self.nodes):
            for c in children(n):
                self.users[self.index[id(c)]].append(k)
        self.out = self.index[id(body)]
        self.parent = list(range(len(self.nodes)))
        self.gpattern = [_pattern(n) for n in self.nodes]
        self.size = [1] * len(self.nodes)
        self.reason: dict = {}
        self.ipdom = self._post_dominators()

    def find(self, k: int) -> int:
        while self.parent[k] != k:
            self.parent[k] = self.parent[self.parent[k]]
            k = self.parent[k]
        return k

    def _post_dominators(self) -> list:
        n = len(self.nodes)
        ipdom: list = [None] * n
        depth = [0] * n
        for k in range(n - 1, -1, -1):  # users come after their inputs in post order
            us = self.users[k]
            if k == self.out or not us:
                ipdom[k], depth[k] = None, 0
                continue
            lca = us[0]
            for u in us[1:]:
                lca = self._lca(lca, u, ipdom, depth)
                if lca is None:
                    break
            ipdom[k] = lca
            depth[k] = depth[lca] + 1 if lca is not None else 0
        return ipdom

    @staticmethod
    def _lca(a, b, ipdom, depth):
        while a is not None and b is not None and a != b:
            if depth[a] >= depth[b]:
                a = ipdom[a]
            else:
                b = ipdom[b]
        return a if a == b else None

    def check_path(self, src: int, sink: int, ok) -> bool:
        seen: set = set()

        def visit(k):
            if k in seen:
                return True
            seen.add(k)
            if not ok(self.gpattern[self.find(k)], k == sink):
                return False
            if k == sink:
                return True
            return all(visit(u) for u in self.users[k])
        return all(visit(u) for u in self.users[src])

    def commit(self, src: int, sink: int, reason: str) -> None:
        target = self.find(sink)
        seen: set = set()

        def merge(k):
            if k in seen:
                return
            seen.add(k)
            g = self.find(k)
            if g != target:
                self.parent[g] = target
                self.gpattern[target] = max(self.gpattern[target], self.gpattern[g])
                self.size[target] += self.size[g]
                if g in self.reason:
                    self.reason.setdefault(target, self.reason[g])
            if k != sink:
                for u in self.users[k]:
                    merge(u)
        merge(src)
        self.reason.setdefault(target, reason)


def _describe(n) -> str:
    return n.op.name if isinstance(n, Call) and not isinstance(n.op, Function) else type(n).__name__


def partition(body) -> _Graph:
    """Decide the fused groups of a function body."""
    g = _Graph(body)
    for phase in range(3):
        for k, n in enumerate(g.nodes):
            p = _pattern(n)
            if p is OpPattern.OPAQUE or g.ipdom[k] is None:
                continue
            if g.ipdom[k] == g.out and isinstance(g.nodes[g.out], Tuple):
                continue  # the function's result tuple is glue, not a kernel: its fields stay separate
            dom = g.ipdom[k]
            if g.find(k) == g.find(dom) or g.size[g.find(k)] + g.size[g.find(dom)] > MAX_GROUP:
                continue
            dom_p = g.gpattern[g.find(dom)]
            what = f"{_describe(n)} -> {_describe(g.nodes[dom])}"
            if p is OpPattern.OUT_ELEWISE_FUSABLE:
                if phase == 0 and dom_p <= OpPattern.BROADCAST and \
                        g.check_path(k, dom, lambda kind, is_sink: kind <= OpPattern.BROADCAST):
                    g.commit(k, dom, f"{what}: a heavy op absorbs the elementwise ops after it")
            elif p <= OpPattern.BROADCAST:
                if phase == 1 and (dom_p <= OpPattern.INJECTIVE or dom_p is OpPattern.COMM_REDUCE) and \
                        g.check_path(k, dom, lambda kind, is_sink: kind <= OpPattern.INJECTIVE or
                                     (is_sink and kind is OpPattern.COMM_REDUCE)):
                    g.commit(k, dom, f"{what}: elementwise ops fuse forward into injective ops and reductions")
            elif p is OpPattern.INJECTIVE or p is OpPattern.TUPLE:
                if phase == 2 and dom_p is OpPattern.TUPLE and p is OpPattern.INJECTIVE and \
                        g.check_path(k, dom, lambda kind, is_sink: kind <= OpPattern.INJECTIVE or kind is OpPattern.TUPLE):
                    g.commit(k, dom, f"{what}: injective ops fuse into the tuple that concatenates them")
                elif phase == 1 and p is OpPattern.INJECTIVE and dom_p <= OpPattern.INJECTIVE and \
                        g.check_path(k, dom, lambda kind, is_sink: kind <= OpPattern.INJECTIVE):
                    g.commit(k, dom, f"{what}: injective ops fuse with each other")
    return g


def _fusible(n) -> bool:
    return isinstance(n, Call) and not isinstance(n.op, Function)


def _build(body, g: _Graph):
    """Rewrite the body: each group's calls become one call of a Primitive function."""
    members: dict = {}
    for k, n in enumerate(g.nodes):
        members.setdefault(g.find(k), []).append(k)
    new: dict = {}  # node id -> rewritten value outside any group
    for root in sorted(members, key=lambda r: max(members[r])):
        ks = members[root]
        if not any(_fusible(g.nodes[k]) for k in ks):
            for k in ks:
                n = g.nodes[k]
                new[id(n)] = _rebuild_glue(n, new)
            continue
        inside = {id(g.nodes[k]) for k in ks}
        params, args, pmap = [], [], {}
        local: dict = {}

        def inner(x):
            if id(x) in local:
                return local[id(x)]
            if id(x) in inside:
                y = _copy_in(x, inner)
            elif isinstance(x, Constant) and x.data.size == 1:
                y = x  # scalars stay inside the kernel
            else:
                if id(x) not in pmap:
                    p = Var(f"p{len(params)}", x.type)
                    pmap[id(x)] = p
                    params.append(p)
                    args.append(new.get(id(x), x))
                y = pmap[id(x)]
            local[id(x)] = y
            return y

        out_node = g.nodes[max(ks)]
        fbody = inner(out_node)
        ops = [g.nodes[k].op.name for k in ks if _fusible(g.nodes[k])]
        name = "fused_" + "_".join(o.split(".")[-1] for o in ops[:4]) + ("_etc" if len(ops) > 4 else "")
        attrs = Attrs(Primitive=1, reason=g.reason.get(root, "a single operator"))
        fn = Function(tuple(params), fbody, attrs, name)
        new[id(out_node)] = call_function(fn, args, getattr(out_node, "name", ""))
    return new[id(body)]


def _copy_in(x, inner):
    if isinstance(x, Call):
        return Call(x.op, tuple(inner(a) for a in x.args), x.attrs, x.type, x.name)
    if isinstance(x, Tuple):
        return Tuple(tuple(inner(f) for f in x.fields))
    if isinstance(x, TupleGetItem):
        return TupleGetItem(inner(x.tuple_value), x.index)
    return x


def _rebuild_glue(n, new):
    """A node outside every group, pointing at the rewritten values of its inputs."""
    if isinstance(n, Call):  # a call of a function (e.g. an external BYOC partition) stays a call
        args = tuple(new.get(id(a), a) for a in n.args)
        return n if all(a is b for a, b in zip(args, n.args)) else Call(n.op, args, n.attrs, n.type, n.name)
    if isinstance(n, Tuple):
        return Tuple(tuple(new.get(id(f), f) for f in n.fields))
    if isinstance(n, TupleGetItem):
        return TupleGetItem(new.get(id(n.tuple_value), n.tuple_value), n.index)
    return n


def fuse_function(fn: Function) -> Function:
    """``fn`` with its operators grouped into Primitive functions."""
    if isinstance(fn.body, (Var, Constant)):
        return fn
    g = partition(fn.body)
    return Function(fn.params, _build(fn.body, g), fn.attrs, fn.name)


@module_pass("fuse_ops")
def fuse_ops(mod: Module, ctx) -> Module:
    """Group operators into fused kernels (conv2d+bias+relu, elementwise chains, reductions with prologues)."""
    return Module({k: (fuse_function(f) if "Primitive" not in f.attrs else f) for k, f in mod.functions.items()})
