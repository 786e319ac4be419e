"""Converters for shape and data-movement ops: constants, shapes, reshapes, slicing, gathering, padding.

Shape-valued inputs (Reshape's shape, Slice's starts, Pad's pads ...) must be constants by
the time a converter sees them; the driver folds shape arithmetic before that.
"""
from __future__ import annotations

import math

import numpy as np

from ..graph.expr import Constant
from .onnx_common import ONNX_DTYPES, Unsupported, onnx_dtype

# -- constants and shapes ---------------------------------------------------------------------


def convert_constant(ctx, node):
    a = node.attrs
    if "value" in a:
        arr = np.asarray(a["value"])
    elif "value_float" in a:
        arr = np.asarray(a["value_float"], "float32")
    elif "value_floats" in a:
        arr = np.asarray(a["value_floats"], "float32")
    elif "value_int" in a:
        arr = np.asarray(a["value_int"], "int64")
    elif "value_ints" in a:
        arr = np.asarray(a["value_ints"], "int64")
    else:
        raise Unsupported(f"attribute {next(iter(a), 'none')!r} (sparse or string constants)")
    if arr.dtype.name not in ONNX_DTYPES.values():
        raise Unsupported(f"a {arr.dtype.name} constant")
    return Constant(np.require(arr, requirements="C"), node.proto.output[0])


def convert_constant_of_shape(ctx, node):
    shape = ctx.ints(node.inputs[0], "shape")
    value = node.attr("value")
    fill = np.zeros((1,), "float32") if value is None else np.asarray(value).reshape(-1)
    if fill.dtype.name not in ONNX_DTYPES.values():
        raise Unsupported(f"a {fill.dtype.name} value")
    return ctx.const(np.full(shape, fill[0], dtype=fill.dtype))


def convert_shape(ctx, node):
    shape = list(node.inputs[0].type.shape)
    start, end = node.attr("start", 0), node.attr("end", None)
    return ctx.const(np.asarray(shape[slice(start, end)], "int64"), name=node.proto.output[0])


def convert_size(ctx, node):
    return ctx.const(np.asarray(math.prod(node.inputs[0].type.shape), "int64"))


def convert_range(ctx, node):
    start, limit, delta = (ctx.value(x, w) for x, w in zip(node.inputs, ("start", "limit", "delta")))
    return ctx.const(np.arange(start, limit, delta).astype(np.asarray(start).dtype))


def convert_eye_like(ctx, node):
    x = node.inputs[0]
    dtype = onnx_dtype(node.attr("dtype"), "EyeLike dtype") if node.attr("dtype") is not None else x.type.dtype
    n, m = x.type.shape
    return ctx.const(np.eye(n, m, k=int(node.attr("k", 0)), dtype=dtype))


# -- reshaping --------------------------------------------------------------------------------

def reshape_target(shape, target, allowzero: bool):
    out = [int(t) for t in target]
    if not allowzero:
        out = [shape[i] if t == 0 else t for i, t in enumerate(out)]
    if out.count(-1) > 1:
        raise Unsupported("more than one -1 in the target shape")
    if -1 in out:
        known = math.prod(t for t in out if t != -1)
        out[out.index(-1)] = math.prod(shape) // known if known else 0
    return tuple(out)


def reshape(ctx, x, shape):
    shape = tuple(int(s) for s in shape)
    return x if x.type.shape == shape else ctx.call("reshape", x, newshape=shape)


def convert_reshape(ctx, node):
    x = node.inputs[0]
    if node.opset < 5:
        target = node.attr("shape")
    else:
        target = ctx.ints(node.inputs[1], "shape")
    return reshape(ctx, x, reshape_target(x.type.shape, target, bool(node.attr("allowzero", 0))))


def convert_flatten(ctx, node):
    x = node.inputs[0]
    shape = x.type.shape
    axis = int(node.attr("axis", 1))
    axis = axis + len(shape) if axis < 0 else axis
    return reshape(ctx, x, (math.prod(shape[:axis]), math.prod(shape[axis:])))


def convert_transpose(ctx, node):
    x = node.inputs[0]
    nd = len(x.type.shape)
    perm = node.attr("perm") or list(reversed(range(nd)))
    if list(perm) == list(range(nd)):
        return x
    return ctx.call("transpose", x, axes=tuple(int(p) for p in perm))


def _axes(ctx, node, since_input):
    if node.opset >= since_input:
        return ctx.ints(node.input(1), "axes")
    return node.attr("axes")


def convert_squeeze(ctx, node):
    x = node.inputs[0]
    shape = x.type.shape
    axes = _axes(ctx, node, 13)
    if axes is None:
        axes = [i for i, d in enumerate(shape) if d == 1]
    axes = {a % len(shape) for a in axes}
    bad = [a for a in axes if shape[a] != 1]
    if bad:
        raise Unsupported(f"squeezing axes {bad} whose size is not 1 (shape {list(shape)})")
    return reshape(ctx, x, [d for i, d in enumerate(shape) if i not in axes])


def convert_unsqueeze(ctx, node):
    x = node.inputs[0]
    axes = _axes(ctx, node, 13)
    rank = len(x.type.shape) + len(axes)
    axes = sorted(a % rank for a in axes)
    out = list(x.type.shape)
    for a in axes:
        out.insert(a, 1)
    return reshape(ctx, x, out)


def convert_expand(ctx, node):
    x = node.inputs[0]
    target = ctx.ints(node.inputs[1], "shape")
    shape = x.type.shape
    nd = max(len(shape), len(target))
    a = (1,) * (nd - len(shape)) + tuple(shape)
    b = (1,) * (nd - len(target)) + tuple(target)
    out = tuple(max(p, q) if min(p, q) == 1 else p for p, q in zip(a, b))
    if any(p != q and 1 not in (p, q) for p, q in zip(a, b)):
        raise Unsupported(f"shape {list(shape)} does not broadcast to {target}")
    if out == shape:
        return x
    return ctx.call("broadcast_to", x, shape=out)


def convert_tile(ctx, node):
    reps = ctx.ints(node.inputs[1], "repeats")
    if all(r == 1 for r in reps):
        return node.inputs[0]
    return ctx.call("tile", node.inputs[0], reps=tuple(reps))


def convert_concat(ctx, node):
    xs = [x for x in node.inputs if x is not None]
    axis = int(node.attr("axis"))
    if len(xs) == 1:
        return xs[0]
    return ctx.call("concatenate", *xs, axis=axis)


def convert_split(ctx, node):
    x = node.inputs[0]
    shape = x.type.shape
    axis = int(node.attr("axis", 0)) % len(shape)
    dim = shape[axis]
    n = node.num_outputs
    sizes = ctx.ints(node.input(1), "split") if node.opset >= 13 else node.attr("split")
    if not sizes:
        n = int(node.attr("num_outputs", n))
        chunk = -(-dim // n)
        sizes = [min(chunk, dim - i * chunk) for i in range(n)]
    if sum(sizes) != dim:
        raise Unsupported(f"split sizes {sizes} do not add up to {dim}")
    if len(sizes) == 1:
        return [x]
    if 0 in sizes:  # the split op wants strictly increasing points: slice each piece
        starts = np.cumsum([0] + list(sizes))
        return [strided_slice(ctx, x, {axis: (int(b), int(b + k), 1)}) for b, k in zip(starts, sizes)]
    points = tuple(int(p) for p in np.cumsum(sizes)[:-1])
    tup = ctx.call("split", x, indices=points, axis=axis)
    return [ctx.item(tup, i) for i in range(len(sizes))]


def slice_ranges(shape, starts, ends, axes, steps):
    """Per axis (start, stop, step) with ONNX's clamping; an index list where the step is negative."""
    nd = len(shape)
    axes = list(range(len(starts))) if axes is None else [a % nd for a in axes]
    steps = [1] * len(starts) if steps is None else steps
    out = {}
    for s, e, a, st in zip(starts, ends, axes, steps):
        d = shape[a]
        if st == 0:
            raise Unsupported("a zero step")
        s = s + d if s < 0 else s
        e = e + d if e < 0 else e
        if st > 0:
            s, e = min(max(s, 0), d), min(max(e, 0), d)
        else:
            s, e = min(max(s, 0), d - 1), min(max(e, -1), d - 1)
        out[a] = (s, e, st)
    return out


def strided_slice(ctx, x, ranges):
    shape = x.type.shape
    out = list(shape)
    for a, (s, e, st) in ranges.items():
        out[a] = len(range(s, e, st))
    if 0 in out and 0 not in shape:  # empty result: a constant (the slicing ops want non-empty ones)
        return ctx.const(np.zeros(out, x.type.dtype))
    pos = {a: r for a, r in ranges.items() if r[2] > 0 and (r[0], max(r[1], r[0]), r[2]) != (0, shape[a], 1)}
    if pos:
        axes = tuple(sorted(pos))
        x = ctx.call("strided_slice", x, begin=tuple(pos[a][0] for a in axes),
                     end=tuple(max(pos[a][1], pos[a][0]) for a in axes),
                     strides=tuple(pos[a][2] for a in axes), axes=axes)
    for a, (s, e, st) in sorted(ranges.items()):
        if st < 0:  # reversed ranges as an explicit gather: no end-index ambiguity
            idx = np.arange(s, e, st, dtype="int64")
            x = ctx.call("take", x, ctx.const(idx), axis=a)
    return x


def convert_slice(ctx, node):
    x = node.inputs[0]
    if node.opset < 10:
        starts, ends, axes, steps = node.attr("starts"), node.attr("ends"), node.attr("axes"), None
    else:
        starts, ends = ctx.ints(node.inputs[1], "starts"), ctx.ints(node.inputs[2], "ends")
        axes, steps = ctx.ints(node.input(3), "axes"), ctx.ints(node.input(4), "steps")
    ranges = slice_ranges(x.type.shape, starts, ends, axes, steps)
    return strided_slice(ctx, x, ranges)


def _fix_indices(ctx, idx, dim):
    """Constant negative indices made non-negative (ONNX allows them)."""
    if isinstance(idx, Constant) and (idx.data < 0).any():
        return ctx.const(np.where(idx.data < 0, idx.data + dim, idx.data).astype(idx.data.dtype))
    return idx


def convert_gather(ctx, node):
    x, idx = node.inputs
    axis = int(node.attr("axis", 0)) % len(x.type.shape)
    return ctx.call("take", x, _fix_indices(ctx, idx, x.type.shape[axis]), axis=axis)


def convert_gather_elements(ctx, node):
    x, idx = node.inputs
    axis = int(node.attr("axis", 0)) % len(x.type.shape)
    return ctx.call("gather_elements", x, _fix_indices(ctx, idx, x.type.shape[axis]), axis=axis)


def _pad_indices(mode, d, before, after):
    i = np.arange(-before, d + after)
    if mode == "edge":
        return np.clip(i, 0, d - 1)
    if mode == "wrap":
        return np.mod(i, d)
    if d == 1:  # reflect
        return np.zeros_like(i)
    period = 2 * (d - 1)
    i = np.mod(i, period)
    return np.where(i >= d, period - i, i)


def convert_pad(ctx, node):
    x = node.inputs[0]
    shape = x.type.shape
    nd = len(shape)
    mode = node.attr("mode", "constant")
    if node.opset < 11:
        pads, value, axes = node.attr("pads") or node.attr("paddings"), node.attr("value", 0.0), None
    else:
        pads = ctx.ints(node.inputs[1], "pads")
        v = ctx.value(node.input(2), "constant_value")
        value = 0 if v is None or np.asarray(v).size == 0 else np.asarray(v).reshape(-1)[0].item()
        axes = ctx.ints(node.input(3), "axes")
    axes = list(range(nd)) if axes is None else [a % nd for a in axes]
    k = len(axes)
    before, after = [0] * nd, [0] * nd
    for j, a in enumerate(axes):
        before[a], after[a] = pads[j], pads[j + k]
    # negative pads crop
    if any(p < 0 for p in before + after):
        ranges = {a: (max(-before[a], 0), shape[a] - max(-after[a], 0), 1) for a in range(nd)
                  if before[a] < 0 or after[a] < 0}
        x = strided_slice(ctx, x, ranges)
        before, after = [max(p, 0) for p in before], [max(p, 0) for p in after]
        shape = x.type.shape
    if not any(before + after):
        return x
    if mode == "constant":
        return ctx.call("nn.pad", x, pad_width=tuple(zip(before, after)), pad_value=value)
    if mode not in ("edge", "reflect", "wrap"):
        raise Unsupported(f"mode={mode!r}")
    for a in range(nd):
        if before[a] or after[a]:
            if shape[a] == 0:
                raise Unsupported(f"{mode} padding of an empty axis")
            idx = _pad_indices(mode, shape[a], before[a], after[a]).astype("int64")
            x = ctx.call("take", x, ctx.const(idx), axis=a)
    return x


def convert_trilu(ctx, node):
    x = node.inputs[0]
    k = ctx.ints(node.input(1), "k", [0])[0]
    n, m = x.type.shape[-2:]
    mask = np.triu(np.ones((n, m), bool), k) if node.attr("upper", 1) else np.tril(np.ones((n, m), bool), k)
    return ctx.call("where", ctx.const(mask), x, ctx.scalar(0, x))


def convert_one_hot(ctx, node):
    idx, depth, values = node.inputs
    depth = int(np.asarray(ctx.value(depth, "depth")).reshape(-1)[0])
    vals = ctx.value(values, "values")
    nd = len(idx.type.shape) + 1
    axis = int(node.attr("axis", -1)) % nd
    idx = ctx.cast(idx, "int64")
    idx = ctx.call("where", ctx.call("less", idx, ctx.scalar(0, idx)),
                   ctx.call("add", idx, ctx.scalar(depth, idx)), idx)
    idx = reshape(ctx, idx, idx.type.shape[:axis] + (1,) + idx.type.shape[axis:])
    iota_shape = [1] * nd
    iota_shape[axis] = depth
    hot = ctx.call("equal", idx, ctx.const(np.arange(depth, dtype="int64").reshape(iota_shape)))
    return ctx.call("where", hot, ctx.const(vals[1]), ctx.const(vals[0]))


def convert_depth_to_space(ctx, node):
    x = node.inputs[0]
    n, c, h, w = x.type.shape
    b = int(node.attr("blocksize"))
    if node.attr("mode", "DCR") == "DCR":
        y = reshape(ctx, x, (n, b, b, c // (b * b), h, w))
        y = ctx.call("transpose", y, axes=(0, 3, 4, 1, 5, 2))
    else:
        y = reshape(ctx, x, (n, c // (b * b), b, b, h, w))
        y = ctx.call("transpose", y, axes=(0, 1, 4, 2, 5, 3))
    return reshape(ctx, y, (n, c // (b * b), h * b, w * b))


def convert_space_to_depth(ctx, node):
    x = node.inputs[0]
    n, c, h, w = x.type.shape
    b = int(node.attr("blocksize"))
    y = reshape(ctx, x, (n, c, h // b, b, w // b, b))
    crd = node.attr("mode", "DCR") == "CRD"
    y = ctx.call("transpose", y, axes=(0, 1, 3, 5, 2, 4) if crd else (0, 3, 5, 1, 2, 4))
    return reshape(ctx, y, (n, c * b * b, h // b, w // b))


def convert_compress(ctx, node):
    x, cond = node.inputs
    keep = np.nonzero(np.asarray(ctx.value(cond, "condition")).astype(bool))[0].astype("int64")
    axis = node.attr("axis")
    if axis is None:
        x = reshape(ctx, x, (math.prod(x.type.shape),))
        axis = 0
    return ctx.call("take", x, ctx.const(keep), axis=int(axis) % len(x.type.shape))


def convert_shrink(ctx, node):
    x = node.inputs[0]
    lambd, bias = node.attr("lambd", 0.5), node.attr("bias", 0.0)
    lo = ctx.call("less", x, ctx.scalar(-lambd, x))
    hi = ctx.call("greater", x, ctx.scalar(lambd, x))
    return ctx.call("where", lo, ctx.call("add", x, ctx.scalar(bias, x)),
                    ctx.call("where", hi, ctx.call("subtract", x, ctx.scalar(bias, x)), ctx.scalar(0, x)))


def convert_gather_nd(ctx, node):
    x, idx = node.inputs
    if node.attr("batch_dims", 0):
        raise Unsupported("batch_dims > 0")
    k = idx.type.shape[-1]
    shape = x.type.shape
    strides = np.array([math.prod(shape[j + 1:k]) for j in range(k)], "int64")
    idx = ctx.cast(idx, "int64")
    idx = ctx.call("where", ctx.call("less", idx, ctx.scalar(0, idx)),
                   ctx.call("add", idx, ctx.const(np.array(shape[:k], "int64"))), idx)
    flat = ctx.call("sum", ctx.call("multiply", idx, ctx.const(strides)), axis=(len(idx.type.shape) - 1,),
                    keepdims=False)
    data = reshape(ctx, x, (math.prod(shape[:k]),) + tuple(shape[k:]))
    return ctx.call("take", data, flat, axis=0)


CONVERTERS = {
    "GatherND": convert_gather_nd,
    "Constant": convert_constant, "ConstantOfShape": convert_constant_of_shape, "Shape": convert_shape,
    "Size": convert_size, "Range": convert_range, "EyeLike": convert_eye_like,
    "Reshape": convert_reshape, "Flatten": convert_flatten, "Transpose": convert_transpose,
    "Squeeze": convert_squeeze, "Unsqueeze": convert_unsqueeze, "Expand": convert_expand, "Tile": convert_tile,
    "Concat": convert_concat, "Split": convert_split, "Slice": convert_slice,
    "Gather": convert_gather, "GatherElements": convert_gather_elements, "Pad": convert_pad,
    "Trilu": convert_trilu, "OneHot": convert_one_hot, "DepthToSpace": convert_depth_to_space,
    "SpaceToDepth": convert_space_to_depth, "Compress": convert_compress, "Shrink": convert_shrink,
}
