"""Layout and indexing operators: every output element is a copy of one input element.

transpose, reshape, flatten, expand_dims, squeeze, concatenate, strided_slice,
split, take and gather compute *where to read*, with plain index arithmetic
(``//`` and ``%`` on the flat index for reshape, a ``te.if_then_else`` chain for
concatenate), so a schedule can inline them into their consumers.

>>> from workbench import te, topi
>>> x = te.placeholder((2, 3, 4), name="x")
>>> y = topi.reshape(topi.transpose(x, (0, 2, 1)), (8, 3))
"""
from __future__ import annotations

import builtins

from .. import te
from ..te.tensor import Tensor
from ..tir import dtype as dt
from ._util import check_tensor, fail, normalize_axis, normalize_axes, prod


def transpose(x: Tensor, axes=None, name: str = "transpose") -> Tensor:
    """``x`` with its dimensions permuted: output dimension ``d`` is input dimension ``axes[d]``.

    ``axes=None`` reverses the dimensions; negative entries count from the end.

    >>> y = transpose(te.placeholder((2, 3, 4), name="x"), (2, 0, 1))   # [4, 2, 3]
    """
    check_tensor("transpose", x)
    axes = tuple(reversed(range(x.ndim))) if axes is None else tuple(axes)
    perm = tuple(normalize_axis("transpose", a, x.ndim, x.shape) for a in axes)
    if sorted(perm) != list(range(x.ndim)):
        fail("transpose", f"axes {list(axes)} are not a permutation of the {x.ndim} dimensions "
                          f"of shape {list(x.shape)}")
    inverse = [perm.index(d) for d in range(x.ndim)]
    return te.compute(tuple(x.shape[a] for a in perm), lambda *idx: x[tuple(idx[inverse[d]] for d in range(x.ndim))],
                      name=name)


def _strides(shape) -> list:
    out, step = [], 1
    for n in reversed(shape):
        out.append(step)
        step *= n
    return out[::-1]


def _resolve_shape(x: Tensor, newshape) -> tuple:
    newshape = [newshape] if isinstance(newshape, int) else list(newshape)
    if newshape.count(-1) > 1 or any(not isinstance(n, int) or (n <= 0 and n != -1) for n in newshape):
        fail("reshape", f"new shape {newshape} must be positive ints with at most one -1")
    size, known = prod(x.shape), prod(n for n in newshape if n != -1)
    if -1 in newshape:
        if size % known:
            fail("reshape", f"cannot reshape {list(x.shape)} ({size} elements) to {newshape}")
        newshape[newshape.index(-1)] = size // known
    if prod(newshape) != size:
        fail("reshape", f"cannot reshape {list(x.shape)} ({size} elements) to {newshape} ({prod(newshape)} elements)")
    return tuple(newshape)


def reshape(x: Tensor, newshape, name: str = "reshape") -> Tensor:
    """``x``'s elements in row-major order, in a new shape (one entry may be -1: inferred).

    >>> y = reshape(te.placeholder((2, 3, 4), name="x"), (4, -1))   # [4, 6]
    """
    check_tensor("reshape", x)
    shape = _resolve_shape(x, newshape)
    out_strides, in_strides = _strides(shape), _strides(x.shape)

    def body(*idx):
        # the row-major position of the output element, then that position's index in x
        # (size-1 dimensions contribute nothing and are left out, to keep the expression small)
        flat = None
        for i, s, n in zip(idx, out_strides, shape):
            if n == 1:
                continue
            term = i * s if s != 1 else i
            flat = term if flat is None else flat + term
        flat = te.const(0) if flat is None else flat
        index = []
        for d, (s, n) in enumerate(zip(in_strides, x.shape)):
            if n == 1:
                index.append(0)
                continue
            v = flat // s if s != 1 else flat
            outermost = all(m == 1 for m in x.shape[:d])  # flat // s is already below n there
            index.append(v if outermost else v % n)
        return x[tuple(index)]

    return te.compute(shape, body, name=name)


def flatten(x: Tensor, axis: int = 1, name: str = "flatten") -> Tensor:
    """``x`` as a 2-D tensor ``[prod(shape[:axis]), prod(shape[axis:])]`` (ONNX Flatten).

    >>> y = flatten(te.placeholder((2, 3, 4), name="x"))   # [2, 12]
    """
    check_tensor("flatten", x)
    if not isinstance(axis, int) or not -x.ndim <= axis <= x.ndim:
        fail("flatten", f"axis {axis!r} is out of range for shape {list(x.shape)}; use {-x.ndim}..{x.ndim}")
    axis = axis + x.ndim if axis < 0 else axis
    return reshape(x, (prod(x.shape[:axis]), prod(x.shape[axis:])), name=name)


def expand_dims(x: Tensor, axis: int, num_newaxis: int = 1, name: str = "expand_dims") -> Tensor:
    """``x`` with ``num_newaxis`` dimensions of size 1 inserted at ``axis`` (of the result).

    >>> y = expand_dims(te.placeholder((3, 4), name="x"), 1)   # [3, 1, 4]
    """
    check_tensor("expand_dims", x)
    axis = normalize_axis("expand_dims", axis, x.ndim + 1)
    shape = x.shape[:axis] + (1,) * num_newaxis + x.shape[axis:]
    return te.compute(shape, lambda *idx: x[idx[:axis] + idx[axis + num_newaxis:]], name=name)


def squeeze(x: Tensor, axis=None, name: str = "squeeze") -> Tensor:
    """``x`` without the given size-1 dimensions (``None``: all of them).

    >>> y = squeeze(te.placeholder((3, 1, 4, 1), name="x"), axis=1)   # [3, 4, 1]
    """
    check_tensor("squeeze", x)
    if axis is None:
        axes = tuple(d for d, n in enumerate(x.shape) if n == 1)
    else:
        axes = normalize_axes("squeeze", axis, x.ndim, x.shape)
        bad = [d for d in axes if x.shape[d] != 1]
        if bad:
            fail("squeeze", f"axis {bad[0]} of shape {list(x.shape)} has size {x.shape[bad[0]]}, not 1")
    keep = [d for d in range(x.ndim) if d not in axes]

    def body(*idx):
        where = dict(zip(keep, idx))
        return x[tuple(where.get(d, 0) for d in range(x.ndim))]

    return te.compute(tuple(x.shape[d] for d in keep), body, name=name)


def concatenate(tensors, axis: int = 0, name: str = "concatenate") -> Tensor:
    """The tensors joined along ``axis``; the other dimensions and the dtypes must agree.

    >>> a = te.placeholder((2, 3), name="a"); b = te.placeholder((2, 5), name="b")
    >>> c = concatenate([a, b], axis=1)   # [2, 8]
    """
    tensors = list(tensors)
    if not tensors:
        fail("concatenate", "needs at least one tensor")
    for t in tensors:
        check_tensor("concatenate", t)
    first = tensors[0]
    axis = normalize_axis("concatenate", axis, first.ndim, first.shape)
    shapes = [list(t.shape) for t in tensors]
    for t in tensors[1:]:
        if t.ndim != first.ndim or any(a != b for d, (a, b) in enumerate(zip(t.shape, first.shape)) if d != axis):
            fail("concatenate", f"shapes {shapes} differ outside axis {axis}")
        if t.dtype != first.dtype:
            fail("concatenate", f"dtypes {[u.dtype for u in tensors]} differ; cast the inputs to one dtype first")
    offsets = [0]
    for t in tensors:
        offsets.append(offsets[-1] + t.shape[axis])
    shape = first.shape[:axis] + (offsets[-1],) + first.shape[axis + 1:]

    def body(*idx):
        def read(k):
            i = idx[axis] - offsets[k] if offsets[k] else idx[axis]
            return tensors[k][idx[:axis] + (i,) + idx[axis + 1:]]
        value = read(len(tensors) - 1)
        for k in range(len(tensors) - 2, -1, -1):
            value = te.if_then_else(idx[axis] < offsets[k + 1], read(k), value)
        return value

    return te.compute(shape, body, name=name)


def strided_slice(x: Tensor, begin, end, strides=None, axes=None, name: str = "strided_slice") -> Tensor:
    """``x[begin:end:strides]`` along ``axes`` (default: the leading ``len(begin)`` axes).

    Python slice rules: negative positions count from the end, out-of-range
    positions are clamped, negative strides walk backwards.

    >>> y = strided_slice(te.placeholder((6, 8), name="x"), [1, 0], [5, 8], [2, 3])   # [2, 3]
    """
    check_tensor("strided_slice", x)
    begin, end = list(begin), list(end)
    strides = [1] * len(begin) if strides is None else list(strides)
    if axes is None:
        axes = list(range(len(begin)))
    else:
        axes = [normalize_axis("strided_slice", a, x.ndim, x.shape) for a in axes]
    if not len(begin) == len(end) == len(strides) == len(axes) or len(set(axes)) != len(axes):
        fail("strided_slice", f"begin {begin}, end {end}, strides {strides} and axes {axes} must have equal "
                              f"lengths and distinct axes (shape {list(x.shape)})")
    if len(axes) > x.ndim:
        fail("strided_slice", f"{len(axes)} slice positions for a tensor of shape {list(x.shape)}")
    start, step = [0] * x.ndim, [1] * x.ndim
    shape = list(x.shape)
    for a, b, e, s in zip(axes, begin, end, strides):
        if s == 0:
            fail("strided_slice", f"stride 0 along axis {a}")
        r = range(*builtins.slice(b, e, s).indices(x.shape[a]))
        if len(r) == 0:
            fail("strided_slice", f"slice {b}:{e}:{s} of axis {a} (size {x.shape[a]}) is empty; "
                                  "tensors must have positive static shapes")
        start[a], step[a], shape[a] = r.start, r.step, len(r)

    def body(*idx):
        return x[tuple(i if (b, s) == (0, 1) else b + i * s if s != 1 else b + i
                       for i, b, s in zip(idx, start, step))]

    return te.compute(tuple(shape), body, name=name)


def split(x: Tensor, indices_or_sections, axis: int = 0, name: str = "split") -> list:
    """``x`` cut along ``axis`` into equal sections (an int) or at the given indices (a list).

    >>> a, b, c = split(te.placeholder((6, 4), name="x"), 3)            # three [2, 4]
    >>> p, q = split(te.placeholder((6, 4), name="x"), [1], axis=0)      # [1, 4], [5, 4]
    """
    check_tensor("split", x)
    axis = normalize_axis("split", axis, x.ndim, x.shape)
    n = x.shape[axis]
    if isinstance(indices_or_sections, int):
        if indices_or_sections <= 0 or n % indices_or_sections:
            fail("split", f"axis {axis} of shape {list(x.shape)} does not split into {indices_or_sections} "
                          "equal sections")
        step = n // indices_or_sections
        cuts = list(range(step, n, step))
    else:
        cuts = list(indices_or_sections)
    bounds = [0] + cuts + [n]
    if any(lo >= hi for lo, hi in zip(bounds, bounds[1:])):
        fail("split", f"split points {cuts} must increase strictly within (0, {n}) (shape {list(x.shape)})")
    return [strided_slice(x, [lo], [hi], [1], [axis], name=f"{name}_{k}")
            for k, (lo, hi) in enumerate(zip(bounds, bounds[1:]))]


def _wrap_index(value, n: int):
    """An integer index read from a tensor: negative counts from the end, then clamped into ``[0, n)``."""
    i = te.cast(value, "int64")
    i = te.if_then_else(i < 0, i + n, i)
    return te.min(te.max(i, te.const(0)), te.const(n - 1))


def _check_indices(op: str, indices: Tensor):
    check_tensor(op, indices, "indices")
    if not (dt.is_int(indices.dtype)):
        fail(op, f"indices must have an integer dtype, got {indices.dtype}")


def take(x: Tensor, indices: Tensor, axis: int | None = None, name: str = "take") -> Tensor:
    """Elements of ``x`` picked along ``axis`` by an integer tensor (numpy ``take``, ONNX Gather).

    Output shape: ``x.shape[:axis] + indices.shape + x.shape[axis+1:]``. ``axis=None``
    indexes the flattened ``x``. Negative indices count from the end; indices out of
    range are clamped (there is no runtime error in generated code).

    >>> x = te.placeholder((5, 3), name="x"); ind = te.placeholder((2, 4), "int64", name="ind")
    >>> y = take(x, ind, axis=0)   # [2, 4, 3]
    """
    check_tensor("take", x)
    _check_indices("take", indices)
    if axis is None:
        x, axis = reshape(x, (prod(x.shape),), name=f"{name}_flat"), 0
    axis = normalize_axis("take", axis, x.ndim, x.shape)
    k = indices.ndim
    shape = x.shape[:axis] + indices.shape + x.shape[axis + 1:]

    def body(*idx):
        i = _wrap_index(indices[idx[axis:axis + k]], x.shape[axis])
        return x[idx[:axis] + (i,) + idx[axis + k:]]

    return te.compute(shape, body, name=name)


def gather(x: Tensor, axis: int, indices: Tensor, name: str = "gather") -> Tensor:
    """``out[i..] = x[i.. with position axis replaced by indices[i..]]`` (ONNX GatherElements).

    ``indices`` has ``x``'s rank and is no larger along any other axis.

    >>> x = te.placeholder((3, 4), name="x"); ind = te.placeholder((3, 2), "int32", name="ind")
    >>> y = gather(x, 1, ind)   # [3, 2]
    """
    check_tensor("gather", x)
    _check_indices("gather", indices)
    axis = normalize_axis("gather", axis, x.ndim, x.shape)
    if indices.ndim != x.ndim or any(a > b for d, (a, b) in enumerate(zip(indices.shape, x.shape)) if d != axis):
        fail("gather", f"indices shape {list(indices.shape)} must have the rank of data shape {list(x.shape)} "
                       f"and be no larger outside axis {axis}")

    def body(*idx):
        i = _wrap_index(indices[idx], x.shape[axis])
        return x[idx[:axis] + (i,) + idx[axis + 1:]]

    return te.compute(indices.shape, body, name=name)


slice = strided_slice  # noqa: A001  (the name ONNX and the brief use; builtins.slice is used above)
