"""Reductions over chosen axes: sum, prod, max, min, mean (numpy's ``axis``/``keepdims``).

One compute per reduction: its data axes are the kept dimensions and one
reduction axis (``te.reduce_axis``) stands for each reduced dimension.
``mean`` is a sum stage followed by a divide stage. An ``axis`` of ``None``
reduces everything; with ``keepdims=False`` that gives a 0-d tensor.

>>> from workbench import te, topi
>>> x = te.placeholder((4, 5, 6), name="x")
>>> s = topi.sum(x, axis=(0, 2))                  # [5]
>>> m = topi.mean(x, axis=-1, keepdims=True)      # [4, 5, 1]
"""
from __future__ import annotations

from .. import te
from ..te.tensor import Tensor
from ..tir import dtype as dt
from ._util import check_tensor, normalize_axes, prod as _prod

_REDUCERS = {"sum": te.sum, "prod": te.prod, "max": te.max, "min": te.min}


def reduce(op: str, x: Tensor, axis=None, keepdims: bool = False, dtype: str | None = None,
           name: str | None = None) -> Tensor:
    """Fold ``x`` over ``axis`` with the reducer called ``op`` ("sum", "prod", "max" or "min").

    ``dtype`` is the accumulation (and output) dtype; by default ``x``'s own.

    >>> s = reduce("max", te.placeholder((4, 5), name="x"), axis=1)   # [4]
    """
    check_tensor(op, x)
    axes = normalize_axes(op, axis, x.ndim, x.shape)
    reducer = _REDUCERS[op]
    if not axes:  # nothing to fold: a copy (in the accumulation dtype)
        return te.compute(x.shape, lambda *idx: te.cast(x[idx], dtype or x.dtype), name=name or op)
    out_shape = tuple(1 if d in axes else n for d, n in enumerate(x.shape) if keepdims or d not in axes)
    rvs = [te.reduce_axis((0, x.shape[d]), name=f"k{i}" if len(axes) > 1 else "k") for i, d in enumerate(axes)]

    def body(*idx):
        out = iter(idx)
        index = []
        for d in range(x.ndim):
            if d in axes:
                if keepdims:
                    next(out)
                index.append(rvs[axes.index(d)])
            else:
                index.append(next(out))
        value = x[tuple(index)]
        return reducer(te.cast(value, dtype) if dtype else value, axis=rvs)

    return te.compute(out_shape, body, name=name or op)


def sum(x: Tensor, axis=None, keepdims: bool = False, dtype: str | None = None,  # noqa: A001
        name: str = "sum") -> Tensor:
    """The sum over ``axis`` (None: all axes), accumulated in ``dtype`` (default: ``x``'s).

    >>> s = sum(te.placeholder((4, 5), name="x"), axis=1)   # [4]
    """
    return reduce("sum", x, axis, keepdims, dtype, name)


def prod(x: Tensor, axis=None, keepdims: bool = False, dtype: str | None = None, name: str = "prod") -> Tensor:
    """The product over ``axis``.

    >>> p = prod(te.placeholder((4, 5), name="x"), axis=0)   # [5]
    """
    return reduce("prod", x, axis, keepdims, dtype, name)


def max(x: Tensor, axis=None, keepdims: bool = False, name: str = "max") -> Tensor:  # noqa: A001
    """The maximum over ``axis``.

    >>> m = max(te.placeholder((4, 5), name="x"), axis=-1, keepdims=True)   # [4, 1]
    """
    return reduce("max", x, axis, keepdims, None, name)


def min(x: Tensor, axis=None, keepdims: bool = False, name: str = "min") -> Tensor:  # noqa: A001
    """The minimum over ``axis``.

    >>> m = min(te.placeholder((4, 5), name="x"), axis=(0, 1), keepdims=True)   # [1, 1]
    """
    return reduce("min", x, axis, keepdims, None, name)


def mean(x: Tensor, axis=None, keepdims: bool = False, name: str = "mean") -> Tensor:
    """The average over ``axis``: a sum stage ``{name}_sum`` then a divide stage ``{name}``.

    Integer inputs are summed in float32 (float inputs in their own dtype).

    >>> m = mean(te.placeholder((4, 5), name="x"), axis=1)   # [4]
    """
    check_tensor("mean", x)
    acc = x.dtype if dt.is_float(x.dtype) else "float32"
    count = _prod(x.shape[d] for d in normalize_axes("mean", axis, x.ndim, x.shape))
    total = reduce("sum", x, axis, keepdims, acc, f"{name}_sum")
    return te.compute(total.shape, lambda *idx: total[idx] / te.const(count, acc), name=name)


def _arg_reduce(op: str, x: Tensor, axis: int, keepdims: bool, select_last_index: bool, name: str) -> Tensor:
    from ._util import normalize_axis
    check_tensor(op, x)
    axis = normalize_axis(op, axis, x.ndim, x.shape)
    n = x.shape[axis]
    best = reduce("max" if op == "argmax" else "min", x, axis, True, None, f"{name}_{op[3:]}")
    k = te.reduce_axis((0, n), name="k")
    out_shape = x.shape[:axis] + ((1,) if keepdims else ()) + x.shape[axis + 1:]

    def body(*idx):
        outer, inner = idx[:axis], idx[axis + 1:] if keepdims else idx[axis:]
        v = x[outer + (k,) + inner]
        hit = v == best[outer + (0,) + inner]
        if dt.is_float(x.dtype):
            hit = hit | (v != v)  # a NaN wins (the extreme is then NaN too), as in numpy
        if select_last_index:
            return te.max(te.if_then_else(hit, k, te.const(-1)), axis=k)
        return te.min(te.if_then_else(hit, k, te.const(n)), axis=k)

    return te.compute(out_shape, body, name=name)


def argmax(x: Tensor, axis: int = 0, keepdims: bool = True, select_last_index: bool = False,
           name: str = "argmax") -> Tensor:
    """The int64 position of the maximum along ``axis`` (the first one, or the last with ``select_last_index``).

    Two stages: the maximum ``{name}_max`` (kept dimensions), then the smallest index holding it.

    >>> i = argmax(te.placeholder((4, 5), name="x"), axis=1, keepdims=False)   # [4], int64
    """
    return _arg_reduce("argmax", x, axis, keepdims, select_last_index, name)


def argmin(x: Tensor, axis: int = 0, keepdims: bool = True, select_last_index: bool = False,
           name: str = "argmin") -> Tensor:
    """The int64 position of the minimum along ``axis`` (as ``argmax``).

    >>> i = argmin(te.placeholder((4, 5), name="x"), axis=0)   # [1, 5], int64
    """
    return _arg_reduce("argmin", x, axis, keepdims, select_last_index, name)
