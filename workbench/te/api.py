"""The functions users write tensor expressions with: placeholder, compute, reduce_axis, reducers.

>>> from workbench import te
>>> A = te.placeholder((4, 8), name="A")
>>> k = te.reduce_axis((0, 8), name="k")
>>> rowsum = te.compute((4,), lambda i: te.sum(A[i, k], axis=k), name="rowsum")
"""
from __future__ import annotations

import inspect

from ..errors import TypeCheckError
from ..tir import dtype as dt
from ..tir import expr as E
from ..tir.functor import post_order_visit
from .tensor import CommReducer, ComputeOp, IterKind, IterVar, PlaceholderOp, Reduce, Tensor


def _shape(shape, what: str) -> tuple:
    shape = tuple(shape) if isinstance(shape, (list, tuple)) else (shape,)
    for s in shape:
        if not isinstance(s, int) or isinstance(s, bool) or s <= 0:
            raise TypeCheckError(f"{what}: shape {list(shape)} must be positive Python ints (static shapes)")
    return shape


def placeholder(shape, dtype: str = "float32", name: str = "placeholder") -> Tensor:
    """An input tensor.

    >>> A = placeholder((1024, 1024), name="A")
    """
    return PlaceholderOp(name, _shape(shape, f"placeholder {name!r}"), dt.check(dtype)).output(0)


def reduce_axis(dom, name: str = "rv") -> IterVar:
    """A reduction axis over ``dom`` = ``(min, max)``; use it in ``te.sum(..., axis=k)``.

    >>> k = reduce_axis((0, 1024), name="k")
    """
    if isinstance(dom, int):
        dom = (0, dom)
    lo, hi = dom
    if not all(isinstance(v, int) for v in (lo, hi)) or hi <= lo:
        raise TypeCheckError(f"reduce_axis {name!r}: range {dom} must be two ints with min < max")
    return IterVar(E.Var(name), lo, hi - lo, IterKind.REDUCE)


def _axis_names(fcompute, ndim: int) -> list:
    try:
        params = list(inspect.signature(fcompute).parameters.values())
    except (TypeError, ValueError):
        params = []
    if params and params[0].kind is inspect.Parameter.VAR_POSITIONAL:
        return [f"i{d}" for d in range(ndim)]
    params = [p for p in params if p.default is inspect.Parameter.empty]  # lambda i, r=r: ... closures
    if len(params) != ndim:
        raise TypeCheckError(f"compute: the function takes {len(params)} indices but the shape has {ndim} dimensions")
    return [p.name for p in params]


def compute(shape, fcompute, name: str = "compute", tag: str = "", attrs: dict | None = None) -> Tensor:
    """A tensor whose elements are ``fcompute(*indices)``; axis names come from its parameters.

    >>> A = placeholder((8, 8), name="A")
    >>> B = compute((8, 8), lambda i, j: A[j, i] * 2.0, name="B")
    >>> [iv.name for iv in B.op.axis]
    ['i', 'j']
    """
    shape = _shape(shape, f"compute {name!r}")
    names = _axis_names(fcompute, len(shape))
    axis = tuple(IterVar(E.Var(n), 0, s, IterKind.DATA) for n, s in zip(names, shape))
    body = E.convert(fcompute(*[iv.var for iv in axis]))
    reduce_axes: tuple = ()
    if isinstance(body, Reduce):
        reduce_axes = body.axis
        for rv in reduce_axes:
            if any(rv is a for a in axis):
                raise TypeCheckError(f"compute {name!r}: axis {rv.name!r} is both a data and a reduction axis")
    nested = []
    inner = body.source if isinstance(body, Reduce) else body
    post_order_visit(inner, lambda n: nested.append(n) if isinstance(n, Reduce) else None)
    if body.__class__ is not Reduce and isinstance(body, E.PrimExpr):
        post_order_visit(body, lambda n: nested.append(n) if isinstance(n, Reduce) else None)
    if nested:
        raise TypeCheckError(
            f"compute {name!r}: a reduction must be the whole body (e.g. te.sum(...)); "
            "to use its result in arithmetic, make it a separate compute and read that")
    return ComputeOp(name, axis, reduce_axes, body, tag, attrs).output(0)


def comm_reducer(fcombine, fidentity, name: str = "reduce") -> CommReducer:
    """Declare a commutative reducer from a combine function and an identity per dtype.

    >>> absmax = comm_reducer(lambda x, y: E.maximum(abs(x), abs(y)), lambda t: E.const(0, t), name="absmax")
    """
    def combine(x, y):
        return E.convert(fcombine(x, y))

    def identity(dtype):
        return E.convert(fidentity(dtype), dtype) if not isinstance(fidentity(dtype), E.PrimExpr) else fidentity(dtype)

    return CommReducer(name, combine, identity)


sum = comm_reducer(lambda x, y: x + y, lambda t: E.const(0, t), name="sum")  # noqa: A001
prod = comm_reducer(lambda x, y: x * y, lambda t: E.const(1, t), name="prod")
_max = comm_reducer(E.maximum, lambda t: E.const(dt.min_value(t), t), name="max")
_min = comm_reducer(E.minimum, lambda t: E.const(dt.max_value(t), t), name="min")


def _is_axis_arg(x) -> bool:
    return isinstance(x, IterVar) or (isinstance(x, (list, tuple)) and x and all(isinstance(a, IterVar) for a in x))


def max(a, b=None, axis=None, where=None):  # noqa: A001
    """``max(a, b)`` of two expressions, or the reduction ``max(expr, axis=k)``."""
    if axis is not None or _is_axis_arg(b):
        return _max(a, axis if axis is not None else b, where)
    return E.maximum(a, b)


def min(a, b=None, axis=None, where=None):  # noqa: A001
    """``min(a, b)`` of two expressions, or the reduction ``min(expr, axis=k)``."""
    if axis is not None or _is_axis_arg(b):
        return _min(a, axis if axis is not None else b, where)
    return E.minimum(a, b)


def if_then_else(cond, true_value, false_value):
    """``true_value`` where ``cond`` holds, else ``false_value``; only the chosen side is read."""
    return E.select(cond, true_value, false_value)


select = if_then_else


def cast(value, dtype: str):
    """``value`` converted to ``dtype``."""
    return E.cast(dtype, value)


def const(value, dtype: str | None = None):
    """A constant expression (int64 for ints, float32 for floats unless ``dtype`` says)."""
    return E.const(value, dtype)


def _intrinsic(op):
    def f(*args):
        return E.call(op, *args)
    f.__name__ = op
    f.__doc__ = f"The math intrinsic ``{op}``, elementwise on expressions."
    return f


exp, log, sqrt, rsqrt, tanh, sigmoid, erf, floor, ceil, round, trunc, sin, cos, exp2, log2, log1p = (  # noqa: A001
    _intrinsic(o) for o in ("exp", "log", "sqrt", "rsqrt", "tanh", "sigmoid", "erf", "floor", "ceil", "round",
                            "trunc", "sin", "cos", "exp2", "log2", "log1p"))


def pow(a, b):  # noqa: A001
    """``a`` to the power ``b``."""
    return E.call("pow", a, b)


def abs(x):  # noqa: A001
    """Absolute value."""
    return E.call("abs", x)
