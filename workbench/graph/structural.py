"""Structural equality of graphs: same operators, attributes, constants and wiring.

Parameters of functions are matched by position (alpha-equivalence), constants
by value. Pass tests build ``before()`` and ``expected()`` and compare them.
"""
from __future__ import annotations

import numpy as np

from .expr import Call, Constant, Function, Module, Tuple, TupleGetItem, Var


def structural_equal(a, b, map_free_vars: bool = True) -> bool:
    """True when two graphs (expressions, functions or modules) have the same structure."""
    if isinstance(a, Module) or isinstance(b, Module):
        if not (isinstance(a, Module) and isinstance(b, Module)) or a.functions.keys() != b.functions.keys():
            return False
        return all(_Eq(map_free_vars).eq(a.functions[k], b.functions[k]) for k in a.functions)
    return _Eq(map_free_vars).eq(a, b)


class _Eq:
    def __init__(self, map_free_vars: bool):
        self.vmap: dict = {}
        self.done: dict = {}
        self.map_free = map_free_vars

    def eq(self, a, b) -> bool:
        key = (id(a), id(b))
        if key in self.done:
            return self.done[key]
        r = self._eq(a, b)
        self.done[key] = r
        return r

    def _eq(self, a, b) -> bool:
        if type(a) is not type(b):
            return False
        if isinstance(a, Var):
            if a.type != b.type:
                return False
            if id(a) in self.vmap:
                return self.vmap[id(a)] is b
            if not self.map_free and a is not b:
                return False
            self.vmap[id(a)] = b
            return True
        if isinstance(a, Constant):
            return a.data.dtype == b.data.dtype and a.data.shape == b.data.shape and \
                np.array_equal(a.data, b.data, equal_nan=a.data.dtype.kind == "f")
        if isinstance(a, Call):
            if isinstance(a.op, Function) or isinstance(b.op, Function):
                if not (isinstance(a.op, Function) and isinstance(b.op, Function) and self.eq(a.op, b.op)):
                    return False
            elif a.op is not b.op:
                return False
            return a.attrs == b.attrs and len(a.args) == len(b.args) and \
                all(self.eq(x, y) for x, y in zip(a.args, b.args))
        if isinstance(a, Tuple):
            return len(a.fields) == len(b.fields) and all(self.eq(x, y) for x, y in zip(a.fields, b.fields))
        if isinstance(a, TupleGetItem):
            return a.index == b.index and self.eq(a.tuple_value, b.tuple_value)
        if isinstance(a, Function):
            if len(a.params) != len(b.params) or dict(a.attrs) != dict(b.attrs):
                return False
            for p, q in zip(a.params, b.params):
                if p.type != q.type:
                    return False
                self.vmap[id(p)] = q
            return self.eq(a.body, b.body)
        return a is b


def structural_hash(e) -> int:
    """A hash equal for structurally equal graphs (parameters by position, constants by value).

    >>> structural_hash(mod.main) == structural_hash(copy_of_mod.main)   # doctest: +SKIP
    True
    """
    import hashlib

    from .functor import post_order
    if isinstance(e, Module):
        return hash(tuple((k, structural_hash(f)) for k, f in sorted(e.functions.items())))
    key: dict = {}
    params: dict = {}

    def visit(n):
        if id(n) in key:
            return key[id(n)]
        if isinstance(n, Var):
            k = ("var", params.setdefault(id(n), len(params)), n.type)
        elif isinstance(n, Constant):
            k = ("const", n.data.dtype.str, n.data.shape, hashlib.sha1(n.data.tobytes()).hexdigest())
        elif isinstance(n, Call):
            op = ("fn", visit(n.op)) if isinstance(n.op, Function) else n.op.name
            k = ("call", op, n.attrs, tuple(visit(a) for a in n.args))
        elif isinstance(n, Tuple):
            k = ("tuple", tuple(visit(f) for f in n.fields))
        elif isinstance(n, TupleGetItem):
            k = ("get", visit(n.tuple_value), n.index)
        elif isinstance(n, Function):
            for p in n.params:
                params.setdefault(id(p), len(params))
            k = ("fn", tuple(p.type for p in n.params), tuple(sorted(n.attrs.items())), visit(n.body))
        else:
            k = ("other", id(n))
        key[id(n)] = hash(k)
        return key[id(n)]
    for n in post_order(e):  # iterative warm-up keeps recursion shallow on deep graphs
        visit(n)
    return visit(e)
