"""Layout and indexing operators (pattern INJECTIVE): each output element is a copy of one input element.

Shapes are static and fully specified: ``reshape`` takes no ``-1``/``0`` (the
frontend resolves them), ``strided_slice`` follows ONNX Slice (negative
positions, clamping, negative steps) but may not produce an empty tensor.
"""
from __future__ import annotations

import numpy as np

from ... import te, topi
from ...topi import image
from ..types import TensorType, TupleType
from .registry import Op, OpPattern
from .rules import (axes_attr, check_attr_names, choice_attr, fail, int_attr, int_tuple, is_int, normalize_axis,
                    require_float, require_int, tensors)

_INJ = OpPattern.INJECTIVE


def _prod(shape):
    n = 1
    for s in shape:
        n *= s
    return n


# ------------------------------------------------------------------ shapes

def _reshape_infer(types, attrs):
    name = "reshape"
    (x,) = tensors(name, types, 1)
    if "newshape" not in attrs:
        fail(name, "needs the attribute newshape")
    new = int_tuple(name, attrs, "newshape")
    if any(n < 0 for n in new):
        fail(name, f"newshape {list(new)} must be fully specified non-negative ints (resolve -1 and 0 first)")
    if _prod(new) != x.size:
        fail(name, f"cannot reshape {x} ({x.size} elements) to {list(new)} ({_prod(new)} elements)")
    return TensorType(new, x.dtype)


def _transpose_perm(name, axes, ndim):
    if axes is None:
        return tuple(reversed(range(ndim)))
    if not isinstance(axes, tuple) or not all(is_int(a) for a in axes):
        fail(name, f"axes must be None or a list of ints, got {axes!r}")
    perm = tuple(normalize_axis(name, a, ndim) for a in axes)
    if sorted(perm) != list(range(ndim)):
        fail(name, f"axes {list(axes)} are not a permutation of {ndim} dimensions")
    return perm


def _transpose_infer(types, attrs):
    (x,) = tensors("transpose", types, 1)
    perm = _transpose_perm("transpose", attrs["axes"], x.ndim)
    return TensorType(tuple(x.shape[a] for a in perm), x.dtype)


def _squeeze_axes(x, axes):
    if axes is None:
        return tuple(d for d, n in enumerate(x.shape) if n == 1)
    axes = axes_attr("squeeze", axes, x.ndim)
    bad = [d for d in axes if x.shape[d] != 1]
    if bad:
        fail("squeeze", f"axis {bad[0]} of {x} has size {x.shape[bad[0]]}, not 1")
    return axes


def _squeeze_infer(types, attrs):
    (x,) = tensors("squeeze", types, 1)
    axes = _squeeze_axes(x, attrs["axes"])
    return TensorType(tuple(n for d, n in enumerate(x.shape) if d not in axes), x.dtype)


def _squeeze(x, axes):
    axes = _squeeze_axes(TensorType(x.shape, x.dtype), axes)
    if not axes:
        return te.compute(x.shape, lambda *i: x[i], name="squeeze")
    return topi.squeeze(x, axes)


def _expand_dims_infer(types, attrs):
    name = "expand_dims"
    (x,) = tensors(name, types, 1)
    if "axis" not in attrs:
        fail(name, "needs the attribute axis")
    axis = normalize_axis(name, attrs["axis"], x.ndim + 1)
    k = int_attr(name, attrs, "num_newaxis", minimum=0)
    return TensorType(x.shape[:axis] + (1,) * k + x.shape[axis:], x.dtype)


def _expand_dims_ref(x, axis, num_newaxis):
    axis = axis % (x.ndim + 1)
    return x.reshape(x.shape[:axis] + (1,) * num_newaxis + x.shape[axis:])


def _expand_dims(x, axis, num_newaxis):
    if num_newaxis == 0:
        return te.compute(x.shape, lambda *i: x[i], name="expand_dims")
    return topi.expand_dims(x, axis, num_newaxis)


def _concatenate_infer(types, attrs):
    name = "concatenate"
    if not types:
        fail(name, "needs at least one input")
    ts = tensors(name, types, len(types))
    first = ts[0]
    axis = normalize_axis(name, attrs["axis"], first.ndim)
    for t in ts[1:]:
        if t.ndim != first.ndim or any(a != b for d, (a, b) in enumerate(zip(t.shape, first.shape)) if d != axis):
            fail(name, f"inputs {', '.join(map(str, ts))} differ outside axis {axis}")
        if t.dtype != first.dtype:
            fail(name, f"inputs {', '.join(map(str, ts))} have different dtypes; cast first")
    shape = list(first.shape)
    shape[axis] = sum(t.shape[axis] for t in ts)
    return TensorType(tuple(shape), first.dtype)


def _split_bounds(x, indices, axis):
    name = "split"
    axis = normalize_axis(name, axis, x.ndim)
    n = x.shape[axis]
    if is_int(indices):
        if indices <= 0 or n % indices:
            fail(name, f"axis {axis} of {x} does not split into {indices} equal sections")
        cuts = list(range(n // indices, n, n // indices))
    elif isinstance(indices, tuple) and all(is_int(i) for i in indices):
        cuts = list(indices)
    else:
        fail(name, f"indices must be a list of split points (or a number of sections), got {indices!r}")
    bounds = [0] + cuts + [n]
    if any(lo >= hi for lo, hi in zip(bounds, bounds[1:])):
        fail(name, f"split points {cuts} must increase strictly within (0, {n}) (axis {axis} of {x})")
    return axis, bounds


def _split_infer(types, attrs):
    (x,) = tensors("split", types, 1)
    if "indices" not in attrs:
        fail("split", "needs the attribute indices (split points along axis)")
    axis, bounds = _split_bounds(x, attrs["indices"], attrs["axis"])
    return TupleType(tuple(TensorType(x.shape[:axis] + (hi - lo,) + x.shape[axis + 1:], x.dtype)
                           for lo, hi in zip(bounds, bounds[1:])))


def _split_ref(x, indices, axis):
    axis, bounds = _split_bounds(TensorType(x.shape, x.dtype.name), indices, axis)
    return tuple(np.split(x, bounds[1:-1], axis=axis))


def _split(x, indices, axis):
    axis, bounds = _split_bounds(TensorType(x.shape, x.dtype), indices, axis)
    if len(bounds) == 2:
        return [te.compute(x.shape, lambda *i: x[i], name="split_0")]
    return topi.split(x, bounds[1:-1], axis)


# ------------------------------------------------------------------ slicing and gathering

def _slice_ranges(x, begin, end, strides, axes):
    """``(axis, range)`` per sliced axis, with ONNX Slice's clamping; the output shape."""
    name = "strided_slice"
    begin, end = tuple(begin), tuple(end)
    strides = (1,) * len(begin) if strides is None else tuple(strides)
    axes = tuple(range(len(begin))) if axes is None else tuple(axes)
    for what, v in (("begin", begin), ("end", end), ("strides", strides), ("axes", axes)):
        if not all(is_int(i) for i in v):
            fail(name, f"{what} must be ints, got {list(v)}")
    if not len(begin) == len(end) == len(strides) == len(axes):
        fail(name, f"begin {list(begin)}, end {list(end)}, strides {list(strides)} and axes {list(axes)} "
                   "must have equal lengths")
    norm = [normalize_axis(name, a, x.ndim) for a in axes]
    if len(set(norm)) != len(norm):
        fail(name, f"axes {list(axes)} name an axis twice")
    shape = list(x.shape)
    out = []
    for a, b, e, s in zip(norm, begin, end, strides):
        if s == 0:
            fail(name, f"step 0 along axis {a}")
        r = range(*slice(b, e, s).indices(x.shape[a]))
        if len(r) == 0:
            fail(name, f"slice {b}:{e}:{s} of axis {a} of {x} is empty; empty tensors are not supported")
        shape[a] = len(r)
        out.append((a, r))
    return out, tuple(shape)


def _slice_args(attrs):
    return attrs["begin"], attrs["end"], attrs["strides"], attrs["axes"]


def _strided_slice_infer(types, attrs):
    (x,) = tensors("strided_slice", types, 1)
    for k in ("begin", "end"):
        if k not in attrs or not isinstance(attrs[k], tuple):
            fail("strided_slice", f"needs the attribute {k} (a list of ints)")
    _, shape = _slice_ranges(x, *_slice_args(attrs))
    return TensorType(shape, x.dtype)


def _strided_slice_ref(x, begin, end, strides, axes):
    ranges, _ = _slice_ranges(TensorType(x.shape, x.dtype.name), begin, end, strides, axes)
    index = [slice(None)] * x.ndim
    for a, r in ranges:
        index[a] = slice(r.start, r.stop if r.stop >= 0 else None, r.step)
    return x[tuple(index)].copy()


def _strided_slice(x, begin, end, strides, axes):
    ranges, _ = _slice_ranges(TensorType(x.shape, x.dtype), begin, end, strides, axes)
    return topi.strided_slice(x, [r.start for _, r in ranges], [r.stop if r.stop >= 0 else -x.shape[a] - 1
                                                                for a, r in ranges],
                              [r.step for _, r in ranges], [a for a, _ in ranges])


def _take_infer(types, attrs):
    name = "take"
    data, indices = tensors(name, types, 2)
    require_int(name, indices)
    axis = normalize_axis(name, attrs["axis"], data.ndim)
    return TensorType(data.shape[:axis] + indices.shape + data.shape[axis + 1:], data.dtype)


def _wrap(indices, n):
    i = indices.astype("int64")
    return np.clip(np.where(i < 0, i + n, i), 0, n - 1)


def _take_ref(data, indices, axis):
    axis = axis % data.ndim
    return np.take(data, _wrap(indices, data.shape[axis]), axis=axis)


def _gather_elements_infer(types, attrs):
    name = "gather_elements"
    data, indices = tensors(name, types, 2)
    require_int(name, indices)
    axis = normalize_axis(name, attrs["axis"], data.ndim)
    if indices.ndim != data.ndim or any(a > b for d, (a, b) in enumerate(zip(indices.shape, data.shape))
                                        if d != axis):
        fail(name, f"indices {indices} must have the rank of data {data} and be no larger outside axis {axis}")
    return TensorType(indices.shape, data.dtype)


def _gather_elements_ref(data, indices, axis):
    axis = axis % data.ndim
    grid = list(np.indices(indices.shape, sparse=True))
    grid[axis] = _wrap(indices, data.shape[axis])
    return data[tuple(grid)]


# ------------------------------------------------------------------ repetition and resizing

def _broadcast_to_infer(types, attrs):
    name = "broadcast_to"
    (x,) = tensors(name, types, 1)
    if "shape" not in attrs:
        fail(name, "needs the attribute shape")
    shape = int_tuple(name, attrs, "shape", minimum=1)
    lead = len(shape) - x.ndim
    if lead < 0 or any(n != 1 and n != shape[lead + d] for d, n in enumerate(x.shape)):
        fail(name, f"cannot broadcast {x} to {list(shape)}")
    return TensorType(shape, x.dtype)


def _tile_infer(types, attrs):
    name = "tile"
    (x,) = tensors(name, types, 1)
    if "reps" not in attrs:
        fail(name, "needs the attribute reps")
    reps = int_tuple(name, attrs, "reps", minimum=1)
    nd = max(len(reps), x.ndim)
    shape = (1,) * (nd - x.ndim) + x.shape
    reps = (1,) * (nd - len(reps)) + reps
    return TensorType(tuple(n * r for n, r in zip(shape, reps)), x.dtype)


def _tile(x, reps):
    out = _tile_infer([TensorType(x.shape, x.dtype)], {"reps": reps}).shape
    lead = len(out) - x.ndim

    def body(*idx):
        return x[tuple(i if n == m else (0 if n == 1 else i % n)
                       for i, n, m in zip(idx[lead:], x.shape, out[lead:]))]
    return te.compute(out, body, name="tile")


def _resize_infer(types, attrs):
    name = "image.resize2d"
    (x,) = tensors(name, types, 1)
    if x.ndim != 4:
        fail(name, f"data {x} must have rank 4 (NCHW)")
    if "size" not in attrs:
        fail(name, "needs the attribute size (out_h, out_w)")
    size = int_tuple(name, attrs, "size", 2, minimum=1)
    method = choice_attr(name, attrs, "method", image.METHODS)
    choice_attr(name, attrs, "coordinate_transformation_mode", image.COORDINATE_MODES)
    choice_attr(name, attrs, "nearest_mode", image.NEAREST_MODES)
    if method == "linear":
        require_float(name, x, "data")
    return TensorType(x.shape[:2] + size, x.dtype)


def _source(out_size, in_size, mode):
    """numpy float32 source coordinates of every output position (as ``topi.image.source_coordinate``)."""
    x = np.arange(out_size, dtype="float32")
    scale = np.float32(out_size / in_size)
    if mode == "half_pixel" or (mode == "pytorch_half_pixel" and out_size > 1):
        return (x + np.float32(0.5)) / scale - np.float32(0.5)
    if mode == "asymmetric":
        return x / scale
    if mode == "align_corners" and out_size > 1:
        return x * np.float32((in_size - 1) / (out_size - 1))
    return np.zeros(out_size, "float32")


def _nearest_index(out_size, in_size, mode, nearest_mode):
    """Source pixels of nearest resizing, in exact integer arithmetic (as ``topi.image``)."""
    x = np.arange(out_size, dtype="int64")
    if mode == "asymmetric":
        num, den = x * in_size, out_size
    elif out_size == 1 and mode != "asymmetric":
        num, den = x * 0, 1
    elif mode == "align_corners":
        num, den = x * (in_size - 1), out_size - 1
    else:
        num, den = (2 * x + 1) * in_size - out_size, 2 * out_size
    i = {"floor": lambda: num // den, "ceil": lambda: -((-num) // den),
         "round_prefer_floor": lambda: -((den - 2 * num) // (2 * den)),
         "round_prefer_ceil": lambda: (2 * num + den) // (2 * den)}[nearest_mode]()
    return np.clip(i, 0, in_size - 1)


def _resize_ref(x, size, method, coordinate_transformation_mode, nearest_mode):
    _, _, h, w = x.shape
    if method == "nearest":
        iy, ix = (_nearest_index(o, i, coordinate_transformation_mode, nearest_mode) for o, i in zip(size, (h, w)))
        return x[:, :, iy[:, None], ix[None, :]]
    cy, cx = (_source(o, i, coordinate_transformation_mode) for o, i in zip(size, (h, w)))

    def neighbours(c, n):
        c = np.clip(c, 0, n - 1)
        lo = np.floor(c).astype("int64")
        return lo, np.minimum(lo + 1, n - 1), (c - np.floor(c)).astype(x.dtype)

    y0, y1, wy = neighbours(cy, h)
    x0, x1, wx = neighbours(cx, w)
    wy, wx = wy[:, None], wx[None, :]
    a, b = x[:, :, y0[:, None], x0[None, :]], x[:, :, y0[:, None], x1[None, :]]
    c, d = x[:, :, y1[:, None], x0[None, :]], x[:, :, y1[:, None], x1[None, :]]
    top, bottom = a + (b - a) * wx, c + (d - c) * wx
    return (top + (bottom - top) * wy).astype(x.dtype)


def _resize(x, size, method, coordinate_transformation_mode, nearest_mode):
    return topi.resize2d(x, size, method, coordinate_transformation_mode, nearest_mode)


_RESIZE = {"method": "nearest", "coordinate_transformation_mode": "half_pixel", "nearest_mode": "round_prefer_floor"}

OPS = check_attr_names([
    Op("reshape", _reshape_infer, _INJ, lambda x, newshape: x.reshape(newshape),
       lambda x, newshape: topi.reshape(x, newshape), doc="the elements in row-major order, in a new shape"),
    Op("transpose", _transpose_infer, _INJ,
       lambda x, axes: np.ascontiguousarray(np.transpose(x, _transpose_perm("transpose", axes, x.ndim))),
       lambda x, axes: topi.transpose(x, axes), doc="permute the dimensions (axes=None reverses them)",
       attr_defaults={"axes": None}),
    Op("squeeze", _squeeze_infer, _INJ,
       lambda x, axes: x.reshape(tuple(n for d, n in enumerate(x.shape) if d not in _squeeze_axes(x, axes))),
       _squeeze, doc="drop size-1 dimensions (axes=None: all of them)", attr_defaults={"axes": None}),
    Op("expand_dims", _expand_dims_infer, _INJ, _expand_dims_ref, _expand_dims,
       doc="insert num_newaxis size-1 dimensions at axis", attr_defaults={"num_newaxis": 1}),
    Op("concatenate", _concatenate_infer, _INJ, lambda *xs, axis: np.concatenate(xs, axis=axis),
       lambda *xs, axis: topi.concatenate(list(xs), axis), doc="join the inputs along axis",
       attr_defaults={"axis": 0}),
    Op("split", _split_infer, _INJ, _split_ref, _split,
       doc="cut along axis at the split points indices; a tuple of tensors", attr_defaults={"axis": 0}),
    Op("strided_slice", _strided_slice_infer, _INJ, _strided_slice_ref, _strided_slice,
       doc="x[begin:end:strides] along axes (ONNX Slice)", attr_defaults={"strides": None, "axes": None}),
    Op("take", _take_infer, _INJ, _take_ref, lambda x, i, axis: topi.take(x, i, axis),
       doc="pick slices along axis by an integer tensor (ONNX Gather)", attr_defaults={"axis": 0}),
    Op("gather_elements", _gather_elements_infer, _INJ, _gather_elements_ref,
       lambda x, i, axis: topi.gather(x, axis, i), doc="pick elements along axis (ONNX GatherElements)",
       attr_defaults={"axis": 0}),
    Op("broadcast_to", _broadcast_to_infer, _INJ, lambda x, shape: np.broadcast_to(x, shape).copy(),
       lambda x, shape: topi.broadcast_to(x, shape), doc="repeat along stretched dimensions to shape"),
    Op("tile", _tile_infer, _INJ, lambda x, reps: np.tile(x, reps), _tile, doc="repeat the whole tensor reps times"),
    Op("image.resize2d", _resize_infer, _INJ, _resize_ref, _resize,
       doc="resize NCHW images to size (nearest or linear, ONNX Resize)", attr_defaults=dict(_RESIZE)),
])
