"""What every ONNX converter shares: the import error, the node view and the conversion context.

A converter is a small function ``convert(ctx, node) -> Expr | list[Expr]``. ``node`` gives
the ONNX node's converted inputs (``None`` for an omitted optional input) and its attributes
as plain Python values; ``ctx`` builds graph calls (folding them when every argument is a
constant) and reads constant inputs (``ctx.value``) that must be known at import time, such as
the target shape of a Reshape.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import WorkbenchError
from ..graph.expr import Call, Constant, Expr, Tuple, TupleGetItem, call
from ..graph.op import OPS
from ..graph.types import TensorType
from ..tir import dtype as dt


class OnnxImportError(WorkbenchError, ValueError):
    """An ONNX model could not be turned into a graph module (bad file, unsupported ops, unknown shapes).

    When operators are unsupported, ``.unsupported`` maps each reason (the op type, with the
    attribute at fault if any) to the names of the nodes it affects.
    """

    unsupported: dict = {}


class Unsupported(Exception):
    """Raised by a converter for an attribute combination it does not handle (collected, not fatal at once)."""


# ONNX TensorProto element types -> our dtype names (None: not supported by Workbench).
ONNX_DTYPES = {1: "float32", 2: "uint8", 3: "int8", 5: "int16", 6: "int32", 7: "int64", 9: "bool",
               11: "float64"}
ONNX_DTYPE_NAMES = {1: "float", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32", 7: "int64",
                    8: "string", 9: "bool", 10: "float16", 11: "double", 12: "uint32", 13: "uint64",
                    14: "complex64", 15: "complex128", 16: "bfloat16"}


def onnx_dtype(code: int, where: str) -> str:
    """Our dtype for an ONNX element type, or Unsupported naming it."""
    name = ONNX_DTYPES.get(int(code))
    if name is None:
        raise Unsupported(f"{where}: element type {ONNX_DTYPE_NAMES.get(int(code), code)} is not supported "
                          f"(Workbench has {', '.join(dt.DTYPES)})")
    return name


@dataclass
class Node:
    """One ONNX node as converters see it."""
    op_type: str
    name: str
    inputs: list                 # Expr, or None for an omitted optional input
    attrs: dict                  # attribute name -> Python value (str, int, float, list, ndarray, GraphProto)
    num_outputs: int
    opset: int
    proto: object = field(default=None, repr=False)

    def attr(self, key, default=None):
        return self.attrs.get(key, default)

    def input(self, k):
        """Input ``k``, or None when it is omitted or beyond the inputs given."""
        return self.inputs[k] if k < len(self.inputs) else None

    @property
    def label(self) -> str:
        return f"{self.op_type} node {self.name!r}"


class Context:
    """Builds graph values for one node at a time; folds calls whose arguments are all constants."""

    def __init__(self):
        self.node: Node | None = None

    # -- building values -------------------------------------------------------------------
    def call(self, op: str, *args, **attrs) -> Expr:
        """``op(*args, **attrs)``, named after the current node, folded if every arg is a constant."""
        name = self.node.name if self.node is not None else ""
        c = call(op, *args, name=name, **attrs)
        return fold_call(c)

    def const(self, value, dtype: str | None = None, name: str = "") -> Constant:
        arr = np.asarray(value, dtype=dtype)
        if arr.dtype == np.float64 and dtype is None and not isinstance(value, np.ndarray):
            arr = arr.astype("float32")
        return Constant(arr, name)

    def scalar(self, value, like: Expr) -> Constant:
        """A 0-d constant with ``like``'s dtype."""
        return Constant(np.asarray(value, dtype=like.type.dtype))

    def item(self, tup: Expr, index: int) -> Expr:
        if isinstance(tup, Tuple):
            return tup.fields[index]
        return TupleGetItem(tup, index)

    def cast(self, x: Expr, dtype: str) -> Expr:
        return x if x.type.dtype == dtype else self.call("cast", x, dtype=dtype)

    # -- reading values -------------------------------------------------------------------
    def value(self, x: Expr | None, what: str, default=None) -> np.ndarray | None:
        """The array of a constant input; an error when it depends on the model's inputs."""
        if x is None:
            return default
        if isinstance(x, Constant):
            return x.data
        node = self.node.label if self.node is not None else "node"
        raise OnnxImportError(f"{node}: input {what!r} must be known at import time, but it depends on the "
                              f"model's inputs; give static shapes (from_onnx(..., shapes=...)) or "
                              f"simplify the model (e.g. onnxsim)")

    def ints(self, x: Expr | None, what: str, default=None) -> list | None:
        v = self.value(x, what)
        return default if v is None else [int(i) for i in np.asarray(v).reshape(-1)]

    @staticmethod
    def shape(x: Expr) -> tuple:
        return x.type.shape

    @staticmethod
    def dtype(x: Expr) -> str:
        return x.type.dtype

    @staticmethod
    def ndim(x: Expr) -> int:
        return len(x.type.shape)


def fold_call(c: Call) -> Expr:
    """``c`` evaluated to a Constant when all its arguments are constants and its op has a reference."""
    if not all(isinstance(a, Constant) for a in c.args):
        return c
    ref = getattr(c.op, "reference", None)
    if ref is None:
        return c
    try:
        with np.errstate(all="ignore"):
            out = ref(*[a.data for a in c.args], **dict(c.attrs))
    except Exception:  # a reference that cannot evaluate these values: keep the call
        return c
    if isinstance(c.type, TensorType):
        return _as_const(out, c.type, c.name) or c
    fields = [_as_const(o, t, c.name) for o, t in zip(out, c.type.fields)]
    if any(f is None for f in fields):
        return c
    return Tuple(tuple(fields))


def _as_const(out, ty: TensorType, name: str):
    arr = np.asarray(out)
    if arr.shape != ty.shape:
        return None
    return Constant(np.require(arr.astype(ty.dtype, copy=False), requirements="C"), name)


def has_op(name: str) -> bool:
    return name in OPS
