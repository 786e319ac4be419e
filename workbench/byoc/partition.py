"""``partition_graph``: each region becomes an external function, called from main; annotations go.

A region's function takes the values flowing into the region (constants stay
inside it, so a backend sees its weights) and returns the values used outside
it (a tuple when there are several). Its attributes say which backend compiles
it (``Compiler``) and its symbol (``global_symbol``, e.g. ``c_0``). What is
left in main is plain Workbench graph, which ``fuse_ops`` then fuses as usual
(calls of external functions are never fused into a group).

>>> partitioned = partition_graph()(merged)   # doctest: +SKIP
"""
from __future__ import annotations

import sys

from ..graph.expr import Attrs, Call, Constant, Function, Module, Tuple, TupleGetItem, Var, call_function
from ..graph.functor import post_order, users
from ..graph.passes.context import Pass
from .annotation import WORKBENCH, is_target, unwrap


class _Partitioner:
    def __init__(self, body):
        self.body = body
        self.users = users(body)
        self.regions: dict = {}  # region id -> [annotation nodes] in post order
        for n in post_order(body):
            if is_target(n) and n.attrs["compiler"] != WORKBENCH:
                self.regions.setdefault(n.attrs["region"], []).append(n)
        self.region_of = {id(a): r for r, anns in self.regions.items() for a in anns}
        self.wrapper = {id(n.args[0]): n for n in post_order(body) if is_target(n)}  # call id -> its annotation
        self.memo: dict = {}
        self.calls: dict = {}  # region id -> (call, [output annotations])

    def value(self, e):
        """The expression in the new main that computes annotated-graph node ``e``."""
        if id(e) in self.memo:
            return self.memo[id(e)]
        if id(e) in self.region_of:
            r = self.region_of[id(e)]
            call, outs = self.region_call(r)
            k = next(i for i, o in enumerate(outs) if o is e)
            v = TupleGetItem(call, k) if len(outs) > 1 else call
        elif is_target(e):
            v = self.value(e.args[0])
        elif isinstance(e, Call):
            args = tuple(self.value(a) for a in e.args)
            if isinstance(e.op, Function):
                v = call_function(e.op, args, e.name)
            else:
                v = e if all(a is b for a, b in zip(args, e.args)) else Call(e.op, args, e.attrs, e.type, e.name)
        elif isinstance(e, Tuple):
            v = Tuple(tuple(self.value(f) for f in e.fields))
        elif isinstance(e, TupleGetItem):
            v = TupleGetItem(self.value(e.tuple_value), e.index)
        else:
            v = e
        self.memo[id(e)] = v
        return v

    def region_call(self, r):
        if r in self.calls:
            return self.calls[r]
        anns = self.regions[r]
        compiler = anns[0].attrs["compiler"]
        member = {id(a) for a in anns}

        def outside(u):  # a user of a member lies outside the region unless its annotation is a member
            return id(self.wrapper.get(id(u), u)) not in member
        outs = [a for a in anns if a is self.body or any(outside(u) for u in self.users.get(id(a), ()))]
        params, args, local = [], [], {}

        def copy(x):
            if id(x) in local:
                return local[id(x)]
            if id(x) in member:
                inner = unwrap(x)
                y = Call(inner.op, tuple(copy(a) for a in inner.args), inner.attrs, inner.type, inner.name)
            elif isinstance(x, Constant):
                y = x
            else:
                y = Var(f"in{len(params)}", x.type)
                params.append(y)
                args.append(self.value(x))
            local[id(x)] = y
            return y
        results = [copy(a) for a in outs]  # every member reaches an output: its users are members or outside
        body = results[0] if len(results) == 1 else Tuple(tuple(results))
        name = f"{compiler}_{r}"
        fn = Function(tuple(params), body, Attrs(Compiler=compiler, global_symbol=name), name)
        call = call_function(fn, args, name)
        self.calls[r] = (call, outs)
        return self.calls[r]


def partition_function(fn: Function) -> Function:
    """``fn`` (annotated, regions assigned) with each region called as an external function."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, 20000))
    try:
        body = _Partitioner(fn.body).value(fn.body)
    finally:
        sys.setrecursionlimit(old)
    return Function(fn.params, body, fn.attrs, fn.name)


def partition_graph() -> Pass:
    """The pass that turns every region into an external function (``Compiler`` attribute) called from main."""
    def run(mod: Module, ctx) -> Module:
        return mod.with_function("main", partition_function(mod.main))
    return Pass("partition_graph", run, "cut every region out as an external function; drop the annotations")


def is_external(e) -> bool:
    """True for a call of an external (partitioned) function."""
    return isinstance(e, Call) and isinstance(e.op, Function) and "Compiler" in e.op.attrs
