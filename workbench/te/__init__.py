"""Tensor expressions: declare what to compute, element by element (TVM's ``te``).

>>> from workbench import te
>>> A = te.placeholder((1024, 1024), name="A"); B = te.placeholder((1024, 1024), name="B")
>>> k = te.reduce_axis((0, 1024), name="k")
>>> C = te.compute((1024, 1024), lambda i, j: te.sum(A[i, k] * B[k, j], axis=k), name="C")
>>> s = te.create_schedule(C.op)
"""
from ..tir.expr import Var
from .api import (abs, cast, ceil, comm_reducer, compute, const, cos, erf, exp, exp2, floor, if_then_else, log,
                  log1p, log2, max, min, placeholder, pow, prod, reduce_axis, round, rsqrt, select, sigmoid, sin, sqrt,
                  sum, tanh, trunc)
from .tensor import CommReducer, ComputeOp, IterKind, IterVar, Operation, PlaceholderOp, ProducerLoad, Reduce, Tensor


def create_schedule(ops):
    """A default schedule for the given output operation(s) and everything they read.

    >>> s = create_schedule(C.op)   # doctest: +SKIP
    """
    from ..schedule import create_schedule as _create
    return _create(ops)
