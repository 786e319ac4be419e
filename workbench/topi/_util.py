"""Argument checking shared by the operators: axes, int-or-tuple arguments, errors.

Every operator checks its arguments before it builds a compute, so a bad call
fails at once with a message naming the op, the shapes and what to do, instead
of deep inside lowering.
"""
from __future__ import annotations

from ..errors import TypeCheckError
from ..te.api import cast
from ..te.tensor import Tensor


def fail(op: str, message: str):
    """Raise the error every operator raises for bad arguments: ``op: message``."""
    raise TypeCheckError(f"{op}: {message}")


def check_tensor(op: str, x, what: str = "input") -> Tensor:
    if not isinstance(x, Tensor):
        fail(op, f"{what} must be a te Tensor, got {type(x).__name__}")
    return x


def check_rank(op: str, x: Tensor, rank: int, what: str, layout: str = "") -> None:
    if x.ndim != rank:
        hint = f" ({layout})" if layout else ""
        fail(op, f"{what} must have rank {rank}{hint}, got shape {list(x.shape)}")


def normalize_axis(op: str, axis, ndim: int, shape: tuple | None = None) -> int:
    """``axis`` as a non-negative int; negative axes count from the end (numpy)."""
    if not isinstance(axis, int) or isinstance(axis, bool):
        fail(op, f"axis must be an int, got {axis!r}")
    if not -ndim <= axis < ndim:
        of = f"shape {list(shape)}" if shape is not None else f"a tensor of rank {ndim}"
        fail(op, f"axis {axis} is out of range for {of} (rank {ndim}); use {-ndim}..{ndim - 1}")
    return axis + ndim if axis < 0 else axis


def normalize_axes(op: str, axis, ndim: int, shape: tuple | None = None) -> tuple:
    """``None`` (all axes), an int or a sequence of ints as a sorted tuple of distinct axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = [axis] if isinstance(axis, int) else list(axis)
    norm = [normalize_axis(op, a, ndim, shape) for a in axes]
    if len(set(norm)) != len(norm):
        fail(op, f"axis {axis!r} names an axis twice")
    return tuple(sorted(norm))


def int_tuple(op: str, value, n: int, what: str) -> tuple:
    """An int (repeated ``n`` times) or a sequence of ``n`` ints, as a tuple."""
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,) * n
    if isinstance(value, (tuple, list)) and len(value) == n and all(
            isinstance(v, int) and not isinstance(v, bool) for v in value):
        return tuple(value)
    fail(op, f"{what} must be an int or {n} ints, got {value!r}")


def positive(op: str, values: tuple, what: str) -> tuple:
    if any(v <= 0 for v in values):
        fail(op, f"{what} must be positive, got {list(values)}")
    return values


def padding_2d(op: str, padding) -> tuple:
    """2-D padding as ``(top, left, bottom, right)``.

    Accepts an int (all sides), ``(ph, pw)`` (symmetric) or ``(top, left, bottom, right)``
    (TVM's order, which is also ONNX's ``pads`` order for 2-D).
    """
    if isinstance(padding, int) and not isinstance(padding, bool):
        pads = (padding,) * 4
    elif isinstance(padding, (tuple, list)) and len(padding) == 2:
        pads = tuple(int_tuple(op, padding, 2, "padding")) * 2
    elif isinstance(padding, (tuple, list)) and len(padding) == 4:
        pads = int_tuple(op, padding, 4, "padding")
    else:
        fail(op, f"padding must be an int, (pad_h, pad_w) or (top, left, bottom, right), got {padding!r}")
    if any(p < 0 for p in pads):
        fail(op, f"padding must be non-negative, got {list(pads)}")
    return pads


def prod(values) -> int:
    n = 1
    for v in values:
        n *= v
    return n


def multiply_as(a, b, out_dtype: str | None):
    """``a * b``, both cast to ``out_dtype`` first when given (int8 inputs, int32 accumulation)."""
    if out_dtype is None:
        return a * b
    return cast(a, out_dtype) * cast(b, out_dtype)
