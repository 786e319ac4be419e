"""The fused groups of a module: whether it is fused, and its distinct groups with their counts.

Both tuners extract their tasks from this: identical groups (same printed function) are
one task, and the count says how often the model runs it.

>>> from workbench.graph import Function, Module, ops
>>> from workbench.graph.passes import optimize
>>> x = ops.var("x", (4,))
>>> fused = optimize(Module(Function((x,), ops.nn.relu(ops.nn.relu(x)))))
>>> is_fused(fused), [count for _, count in distinct_groups(fused)]
(True, [1])
"""
from __future__ import annotations

from .expr import Call, Function, Module
from .functor import post_order
from .printer import function_str


def _group_calls(mod: Module):
    for n in post_order(mod.main.body):
        if isinstance(n, Call) and isinstance(n.op, Function) and "Primitive" in n.op.attrs:
            yield n


def is_fused(mod: Module) -> bool:
    """True when the main function already calls fused (``Primitive``) groups."""
    return next(_group_calls(mod), None) is not None


def distinct_groups(mod: Module, skip_empty: bool = False) -> list:
    """``[(group Function, count)]`` for the fused groups of ``mod``, identical ones once, in order of first use.

    ``skip_empty``: leave out calls whose outputs are all empty (nothing is computed there).
    """
    order: list = []
    count: dict = {}
    for n in _group_calls(mod):
        if skip_empty and all(getattr(t, "size", 1) == 0 for t in getattr(n.type, "fields", (n.type,))):
            continue
        text = function_str(n.op, "@g")
        if text not in count:
            order.append((text, n.op))
            count[text] = 0
        count[text] += 1
    return [(fn, count[text]) for text, fn in order]
