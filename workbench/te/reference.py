"""A numpy interpreter for tensor expressions: the ground truth compiled code is checked against.

Each compute is evaluated over its whole index space at once: every axis is an
``arange`` along its own array dimension and numpy broadcasting does the rest.
Both sides of a ``select`` are evaluated, so tensor reads clip their indices
into range (the clipped values are never selected in a correct program).

>>> import numpy as np
>>> from workbench import te
>>> A = te.placeholder((3,), name="A"); B = te.compute((3,), lambda i: A[i] * 2.0, name="B")
>>> evaluate([B], {A: np.ones(3, "float32")})[0]
array([2., 2., 2.], dtype=float32)
"""
from __future__ import annotations

import math

import numpy as np

from ..errors import TypeCheckError
from ..tir import expr as E
from ..tir import dtype as dt
from .tensor import ComputeOp, PlaceholderOp, ProducerLoad, Reduce, Tensor

_erf = np.frompyfunc(math.erf, 1, 1)

_CALLS = {
    "exp": np.exp, "log": np.log, "sqrt": np.sqrt, "rsqrt": lambda x: 1 / np.sqrt(x), "tanh": np.tanh,
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)), "erf": lambda x: _erf(x).astype(np.asarray(x).dtype),
    "pow": np.power, "floor": np.floor, "ceil": np.ceil, "round": np.round, "trunc": np.trunc, "sin": np.sin,
    "cos": np.cos, "exp2": np.exp2, "log2": np.log2, "log1p": np.log1p, "abs": np.abs,
}
_BIN = {
    E.Add: np.add, E.Sub: np.subtract, E.Mul: np.multiply, E.Min: np.minimum, E.Max: np.maximum,
    E.LT: np.less, E.LE: np.less_equal, E.GT: np.greater, E.GE: np.greater_equal, E.EQ: np.equal,
    E.NE: np.not_equal, E.And: np.logical_and, E.Or: np.logical_or,
}


def topo_order(outputs) -> list:
    """Operations reachable from ``outputs``, producers before consumers."""
    order, seen = [], set()

    def visit(op):
        if op in seen:
            return
        seen.add(op)
        for t in op.input_tensors:
            visit(t.op)
        order.append(op)

    for t in outputs:
        visit(t.op if isinstance(t, Tensor) else t)
    return order


class _Eval:
    def __init__(self, values: dict):
        self.values = values  # Tensor -> ndarray
        self.env: dict = {}

    def expr(self, x):
        t = type(x)
        if t in (E.IntImm, E.FloatImm):
            return np.array(x.value, dtype="bool" if x.dtype == "bool" else x.dtype)
        if t is E.Var:
            return self.env[x]
        if t in _BIN:
            out = _BIN[t](self.expr(x.a), self.expr(x.b))
            return out.astype(x.dtype, copy=False)
        if t in (E.Div, E.FloorDiv, E.FloorMod):
            a, b = self.expr(x.a), self.expr(x.b)
            if dt.is_int(x.dtype):
                b = np.where(b == 0, 1, b)  # only reached in unselected branches of a correct program
                if t is E.Div:
                    q = np.abs(a) // np.abs(b)
                    return (np.where((a < 0) != (b < 0), -q, q)).astype(x.dtype)
                return (np.floor_divide if t is E.FloorDiv else np.mod)(a, b).astype(x.dtype)
            return np.divide(a, b).astype(x.dtype)
        if t is E.Not:
            return np.logical_not(self.expr(x.a))
        if t is E.Cast:
            v = self.expr(x.value)
            return (v != 0) if x.dtype == "bool" else v.astype(x.dtype)
        if t is E.Select:
            return np.where(self.expr(x.cond), self.expr(x.true_value), self.expr(x.false_value)).astype(x.dtype)
        if t is E.Call:
            return np.asarray(_CALLS[x.op](*[self.expr(a) for a in x.args])).astype(x.dtype)
        if t is ProducerLoad:
            arr = self.values[x.tensor]
            idx = tuple(np.clip(self.expr(i), 0, n - 1) for i, n in zip(x.indices, arr.shape))
            return arr[idx]
        raise TypeCheckError(f"reference evaluator: cannot evaluate {type(x).__name__} {x}")

    def compute(self, op: ComputeOp) -> np.ndarray:
        nd = len(op.axis)
        body = op.body
        raxes = body.axis if isinstance(body, Reduce) else ()
        total = nd + len(raxes)
        for d, iv in enumerate(tuple(op.axis) + tuple(raxes)):
            shape = [1] * total
            shape[d] = iv.extent
            self.env[iv.var] = (np.arange(iv.extent, dtype="int64") + iv.min).reshape(shape)
        with np.errstate(all="ignore"):
            if not isinstance(body, Reduce):
                out = self.expr(body)
            else:
                out = self.reduce(body, nd, total)
        return np.array(np.broadcast_to(out, op.shape), dtype=op.dtype, order="C")  # keeps 0-d shapes

    def reduce(self, r: Reduce, nd: int, total: int) -> np.ndarray:
        full = tuple(iv.extent for iv in r.axis)
        src = self.expr(r.source)
        src = np.broadcast_to(src, np.broadcast_shapes(np.shape(src), (1,) * nd + full))
        ident = np.array(r.combiner.identity(r.dtype).value, dtype=r.dtype)
        if r.condition is not None:
            src = np.where(self.expr(r.condition), src, ident)
        axes = tuple(range(nd, total))
        fast = {"sum": np.sum, "prod": np.prod, "max": np.max, "min": np.min}.get(r.combiner.name)
        if fast is not None:
            return fast(src, axis=axes).astype(r.dtype)
        # a custom reducer: fold its combine expression along the flattened reduction axes
        x, y = E.Var("x", r.dtype), E.Var("y", r.dtype)
        comb = r.combiner.combine(x, y)
        flat = src.reshape(src.shape[:nd] + (-1,))
        acc = np.broadcast_to(ident, flat.shape[:nd]).copy()
        for k in range(flat.shape[-1]):
            self.env[x], self.env[y] = acc, flat[..., k]
            acc = self.expr(comb).astype(r.dtype)
        return acc


def evaluate(outputs, inputs: dict) -> list:
    """Evaluate ``outputs`` (tensors) given arrays for every placeholder they read.

    ``inputs`` maps placeholder Tensors to numpy arrays; returns one array per output.
    """
    values = {}
    for op in topo_order(outputs):
        t = op.output(0)
        if isinstance(op, PlaceholderOp):
            if t not in inputs:
                raise TypeCheckError(f"reference evaluator: no value given for placeholder {op.name!r}")
            a = np.asarray(inputs[t])
            if a.shape != t.shape:
                raise TypeCheckError(f"reference evaluator: {op.name!r} expects shape {t.shape}, got {a.shape}")
            values[t] = a.astype(t.dtype, copy=False)
        else:
            values[t] = _Eval(values).compute(op)
    return [values[t] for t in outputs]
