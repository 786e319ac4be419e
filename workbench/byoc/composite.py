"""``merge_composite``: each match of a backend's composite pattern becomes one composite call.

A match (conv2d + bias + relu) is cut out as a ``Function`` with attribute
``Composite="c.conv2d_bias_relu"`` whose parameters are the values the pattern's
leaves bound, and the root is replaced by a call of it. Backends are tried in
priority order, then their rules in table order; a node belongs to at most one
composite. A match is skipped when an inner node is also used outside it
(cutting it out would compute that value twice) or a check fails.

>>> mod2 = merge_composite([CBackend()])(mod)   # doctest: +SKIP
"""
from __future__ import annotations

from ..graph.expr import Attrs, Call, Function, Module, Var
from ..graph.functor import ExprMutator, post_order, users
from ..graph.passes.context import Pass


def _find(body, backends) -> list:
    """(backend, rule, match) for every accepted match, no two sharing a node."""
    use = users(body)
    taken: set = set()
    found = []
    nodes = [n for n in post_order(body) if isinstance(n, Call) and not isinstance(n.op, Function)]
    for be in backends:
        for rule in be.table.composites:
            for n in reversed(nodes):  # outputs first: the largest match at each root
                if id(n) in taken:
                    continue
                m = rule.try_match(n)
                if not m:
                    continue
                inner = {id(c) for c in m.calls}
                if inner & taken:
                    continue
                if any(c is not n and (c is body or any(id(u) not in inner for u in use.get(id(c), ())))
                       for c in m.calls):
                    continue
                taken |= inner
                found.append((be, rule, m))
    return found


def _composite_function(be, rule, m) -> Function:
    params = {id(x): Var(f"p{k}", x.type) for k, x in enumerate(m.inputs)}
    inner = {id(c) for c in m.calls}
    memo: dict = {}

    def copy(e):
        if id(e) in params:
            return params[id(e)]
        if id(e) in memo:
            return memo[id(e)]
        assert id(e) in inner, "a composite's body holds only the matched calls and its parameters"
        r = Call(e.op, tuple(copy(a) for a in e.args), e.attrs, e.type, e.name)
        memo[id(e)] = r
        return r
    body = copy(m.root)
    return Function(tuple(params[id(x)] for x in m.inputs), body,
                    Attrs(Composite=f"{be.name}.{rule.name}", backend=be.name, rule=rule.name),
                    f"{be.name}.{rule.name}")


class _Rewrite(ExprMutator):
    def __init__(self, found):
        super().__init__()
        self.at_root = {id(m.root): (be, rule, m) for be, rule, m in found}

    def visit_Call(self, e):
        hit = self.at_root.get(id(e))
        if hit is None:
            return self.rebuild(e)
        fn = _composite_function(*hit)
        args = tuple(self.visit(x) for x in hit[2].inputs)
        return Call(fn, args, Attrs(), fn.ret_type, e.name)


def merge_composite_function(fn: Function, backends) -> Function:
    """``fn`` with every accepted composite match replaced by a composite call."""
    found = _find(fn.body, backends)
    if not found:
        return fn
    body = _Rewrite(found).visit(fn.body)
    return Function(fn.params, body, fn.attrs, fn.name)


def merge_composite(backends) -> Pass:
    """The pass that merges the composite patterns of ``backends`` (in priority order)."""
    backends = list(backends)

    def run(mod: Module, ctx) -> Module:
        return mod.with_function("main", merge_composite_function(mod.main, backends))
    return Pass("merge_composite", run, "cut composite patterns (conv2d+bias+relu...) out as composite functions")
