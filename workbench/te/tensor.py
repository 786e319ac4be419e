"""Tensors, operations and iteration variables of the tensor-expression language.

A ``Tensor`` is the output of an ``Operation``: a ``PlaceholderOp`` (an input) or
a ``ComputeOp`` (every element given by an expression of its indices). Reading
a tensor inside a compute builds a ``ProducerLoad``, so computes chain into a
DAG. A ``Reduce`` at the top of a compute's body folds over reduction axes.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

from ..errors import TypeCheckError
from ..tir import dtype as dt
from ..tir.expr import PrimExpr, Var, convert, node


class IterKind(enum.Enum):
    """Whether an iteration variable spans output elements or folds a reduction."""
    DATA = "data"
    REDUCE = "reduce"


class IterVar:
    """A loop of a stage: a variable, its range ``[min, min+extent)`` and its kind.

    Axes of a compute (``C.op.axis``) and reduction axes (``te.reduce_axis``) are
    IterVars; schedule primitives create more (``split`` gives outer and inner).
    An IterVar can be used where an expression is expected.
    """

    __slots__ = ("var", "min", "extent", "kind")
    __hash__ = object.__hash__

    def __init__(self, var: Var, min_: int | None, extent: int | None, kind: IterKind):
        self.var, self.min, self.extent, self.kind = var, min_, extent, kind

    @property
    def name(self) -> str:
        return self.var.name

    def as_expr(self) -> Var:
        return self.var

    def __repr__(self):
        dom = "" if self.extent is None else f", range({self.min}, {self.min + self.extent})"
        return f"IterVar({self.name}{dom}, {self.kind.value})"

    def __eq__(self, other):
        return self is other


def _forward(name):
    def method(self, *args):
        return getattr(self.var, name)(*args)
    method.__name__ = name
    return method


for _name in ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__",
              "__rtruediv__", "__floordiv__", "__rfloordiv__", "__mod__", "__rmod__", "__neg__",
              "__lt__", "__le__", "__gt__", "__ge__", "astype"):
    setattr(IterVar, _name, _forward(_name))


class Operation:
    """Base of placeholder and compute operations; ``output(0)`` is its tensor."""

    name: str

    def output(self, index: int = 0) -> "Tensor":
        if index != 0:
            raise TypeCheckError(f"operation {self.name!r} has one output, asked for output {index}")
        return self._tensor

    @property
    def input_tensors(self) -> list:
        return []

    def __repr__(self):
        return f"{type(self).__name__}({self.name})"


class PlaceholderOp(Operation):
    """An input tensor of the given shape and dtype."""

    def __init__(self, name: str, shape: tuple, dtype: str):
        self.name, self.shape, self.dtype = name, shape, dtype
        self.axis = ()
        self.reduce_axis = ()
        self._tensor = Tensor(shape, dtype, self)


class ComputeOp(Operation):
    """A tensor whose element at ``axis`` is ``body`` (an expression of the axis variables)."""

    def __init__(self, name: str, axis: tuple, reduce_axis: tuple, body: PrimExpr, tag: str = "",
                 attrs: dict | None = None):
        self.name, self.axis, self.reduce_axis, self.body = name, tuple(axis), tuple(reduce_axis), body
        self.tag, self.attrs = tag, dict(attrs or {})
        self.shape = tuple(iv.extent for iv in self.axis)
        self.dtype = body.dtype
        self._tensor = Tensor(self.shape, self.dtype, self)

    @property
    def input_tensors(self) -> list:
        from ..tir.functor import post_order_visit
        found: dict = {}
        post_order_visit(self.body, lambda n: found.setdefault(n.tensor, None) if isinstance(n, ProducerLoad) else None)
        return list(found)

    def with_body(self, body: PrimExpr) -> "ComputeOp":
        """The same op (same axes, same name) computing a different body."""
        return ComputeOp(self.name, self.axis, self.reduce_axis, body, self.tag, self.attrs)


class Tensor:
    """A multi-dimensional array produced by an operation; index it to read it in a compute."""

    __slots__ = ("shape", "dtype", "op")
    __hash__ = object.__hash__

    def __init__(self, shape: tuple, dtype: str, op: Operation):
        self.shape, self.dtype, self.op = tuple(shape), dtype, op

    @property
    def name(self) -> str:
        return self.op.name

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __getitem__(self, indices) -> "ProducerLoad":
        indices = indices if isinstance(indices, tuple) else (indices,)
        if len(indices) != len(self.shape):
            raise TypeCheckError(
                f"tensor {self.name!r} has {len(self.shape)} dimensions {list(self.shape)}, "
                f"indexed with {len(indices)} indices")
        idx = []
        for k, i in enumerate(indices):
            e = convert(i)
            if not dt.is_int(e.dtype):
                raise TypeCheckError(f"tensor {self.name!r}: index {k} is {e} of dtype {e.dtype}; indices must be integers")
            idx.append(e)
        return ProducerLoad(self, tuple(idx), self.dtype)

    def __eq__(self, other):
        return self is other

    def __repr__(self):
        return f"Tensor({self.name}, {list(self.shape)}, {self.dtype})"


@node
class ProducerLoad(PrimExpr):
    """Read element ``indices`` of a tensor inside a compute."""
    tensor: Tensor
    indices: tuple
    dtype: str


@dataclass(frozen=True, eq=False)
class CommReducer:
    """A commutative, associative fold: ``combine(x, y)`` and its ``identity(dtype)``."""
    name: str
    combine: object  # (PrimExpr, PrimExpr) -> PrimExpr
    identity: object  # dtype -> PrimExpr

    def __call__(self, expr, axis, where=None) -> "Reduce":
        """Fold ``expr`` over ``axis`` (one or a list of reduce axes), only where ``where`` holds."""
        from ..tir.expr import as_bool
        axes = tuple(axis) if isinstance(axis, (list, tuple)) else (axis,)
        for a in axes:
            if not isinstance(a, IterVar) or a.kind is not IterKind.REDUCE:
                raise TypeCheckError(f"{self.name}: axis {a!r} is not a reduction axis; make it with te.reduce_axis")
        expr = convert(expr)
        return Reduce(self, expr, axes, None if where is None else as_bool(where), expr.dtype)


@node
class Reduce(PrimExpr):
    """The fold of ``source`` over ``axis`` with ``combiner`` (only where ``condition`` holds)."""
    combiner: CommReducer
    source: PrimExpr
    axis: tuple
    condition: PrimExpr | None
    dtype: str
