"""Nodes of the graph IR: variables, constants, operator calls, tuples, functions, modules.

Nodes are immutable and compare by identity; a graph is a DAG in which a node
used twice is one object. Every node knows its type, inferred when it is built
(``call`` runs the op's type rule), so shape errors surface at the node that
causes them, with its name. Structural comparison lives in ``structural.py``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

from ..errors import TypeCheckError
from .types import TensorType, TupleType


class Expr:
    """Base of every graph node; ``.type`` is its TensorType or TupleType."""

    __slots__ = ()
    __hash__ = object.__hash__

    def __eq__(self, other):
        return self is other

    def __repr__(self):
        from .printer import expr_summary
        return expr_summary(self)


def gnode(cls):
    return dataclass(frozen=True, slots=True, eq=False, repr=False)(cls)


class Attrs(Mapping):
    """Immutable, hashable operator attributes (lists become tuples)."""

    __slots__ = ("_items",)

    def __init__(self, items=None, **kw):
        d = dict(items or {}, **kw)
        object.__setattr__(self, "_items", tuple(sorted((k, _freeze(v)) for k, v in d.items())))

    def __getitem__(self, k):
        for key, v in self._items:
            if key == k:
                return v
        raise KeyError(k)

    def __iter__(self):
        return (k for k, _ in self._items)

    def __len__(self):
        return len(self._items)

    def __hash__(self):
        return hash(self._items)

    def __eq__(self, other):
        return isinstance(other, Attrs) and self._items == other._items

    def __repr__(self):
        return "Attrs(" + ", ".join(f"{k}={v!r}" for k, v in self._items) + ")"


def _freeze(v):
    if isinstance(v, (list, tuple)):
        return tuple(_freeze(x) for x in v)
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, np.ndarray):
        return tuple(_freeze(x) for x in v.tolist())
    return v


@gnode
class Var(Expr):
    """A function parameter (a model input, or a fused group's input)."""
    name: str
    type: object


@gnode
class Constant(Expr):
    """A constant tensor (weights); ``name`` is for display only."""
    data: np.ndarray
    name: str = ""

    @property
    def type(self):
        return TensorType(self.data.shape, self.data.dtype.name)


@gnode
class Call(Expr):
    """``op`` (an Op, or a Function for a fused group) applied to ``args`` with ``attrs``."""
    op: object
    args: tuple
    attrs: Attrs
    type: object
    name: str = ""


@gnode
class Tuple(Expr):
    """A tuple of values."""
    fields: tuple

    @property
    def type(self):
        return TupleType(tuple(f.type for f in self.fields))


@gnode
class TupleGetItem(Expr):
    """Field ``index`` of a tuple value."""
    tuple_value: Expr
    index: int

    @property
    def type(self):
        return self.tuple_value.type.fields[self.index]


@gnode
class Function(Expr):
    """Parameters and a body. ``attrs`` mark fused groups ("Primitive") and offloaded parts."""
    params: tuple
    body: Expr
    attrs: Attrs = Attrs()
    name: str = ""

    @property
    def type(self):
        return self.body.type

    @property
    def ret_type(self):
        return self.body.type


class Module:
    """Named functions; ``mod["main"]`` is the model. Immutable: passes return new modules."""

    def __init__(self, functions: dict | Function):
        if isinstance(functions, Function):
            functions = {"main": functions}
        self.functions = dict(functions)

    def __getitem__(self, name: str) -> Function:
        try:
            return self.functions[name]
        except KeyError:
            raise KeyError(f"module has no function {name!r}; it has {', '.join(self.functions)}") from None

    @property
    def main(self) -> Function:
        return self["main"]

    def with_function(self, name: str, fn: Function) -> "Module":
        return Module({**self.functions, name: fn})

    def __repr__(self):
        from .printer import module_str
        return module_str(self)

    def _repr_pretty_(self, p, cycle):
        p.text(repr(self))

    def _repr_mimebundle_(self, include=None, exclude=None):
        """Notebook display: the graph as SVG, the text form as fall-back; viz is imported only here."""
        from ..viz.display import display_bundle
        return display_bundle(self)


def call(op, *args, name: str = "", **attrs) -> Call:
    """Apply an operator (by name or Op) to arguments, inferring the result type.

    >>> from workbench.graph.expr import Var, call
    >>> from workbench.graph.types import TensorType
    >>> x = Var("x", TensorType((1, 8)))
    >>> call("nn.relu", x).type
    TensorType(shape=(1, 8), dtype='float32')
    """
    from .op import get_op
    if isinstance(op, str):
        op = get_op(op)
    args = tuple(args)
    for k, a in enumerate(args):
        if not isinstance(a, Expr):
            raise TypeCheckError(f"{op.name}: argument {k} is {type(a).__name__}, not a graph value")
    full = dict(op.attr_defaults)
    full.update(attrs)
    frozen = Attrs(full)
    try:
        ty = op.infer([a.type for a in args], frozen)
    except TypeCheckError as e:
        where = f" (node {name!r})" if name else ""
        raise TypeCheckError(f"{e}{where}") from None
    return Call(op, args, frozen, ty, name)


def call_function(fn: Function, args, name: str = "") -> Call:
    """Call a function (e.g. a fused group) on arguments; checks their types."""
    args = tuple(args)
    if len(args) != len(fn.params):
        raise TypeCheckError(f"function {fn.name!r} takes {len(fn.params)} arguments, got {len(args)}")
    for p, a in zip(fn.params, args):
        if p.type != a.type:
            raise TypeCheckError(f"function {fn.name!r}: parameter {p.name} is {p.type}, argument is {a.type}")
    return Call(fn, args, Attrs(), fn.ret_type, name)


def const(value, dtype: str | None = None, name: str = "") -> Constant:
    """A Constant from a number or array."""
    arr = np.asarray(value, dtype=dtype)
    if arr.dtype == np.float64 and dtype is None and not isinstance(value, np.ndarray):
        arr = arr.astype("float32")
    return Constant(arr, name)
