"""Converters for Resize and Upsample: ``image.resize2d`` where it is exact, else one matrix
product per resized axis (cubic, antialias, fractional scales, N-d inputs)."""
from __future__ import annotations

import math

import numpy as np

from .onnx_common import Unsupported


# -- padding ----------------------------------------------------------------------------------



# -- resize -----------------------------------------------------------------------------------

def _resize(ctx, node, x, sizes, mode, coord, nearest_mode):
    if len(x.type.shape) != 4:
        raise Unsupported(f"resizing a {len(x.type.shape)}-d tensor; only 4-d NCHW is supported")
    sizes = [int(s) for s in sizes]
    if sizes[:2] != list(x.type.shape[:2]):
        raise Unsupported("resizing the batch or channel axis")
    if mode not in ("nearest", "linear"):
        raise Unsupported(f"mode={mode!r}")
    if coord == "tf_crop_and_resize":
        raise Unsupported("coordinate_transformation_mode='tf_crop_and_resize'")
    if tuple(sizes) == tuple(x.type.shape):
        return x
    return ctx.call("image.resize2d", x, size=(sizes[2], sizes[3]), method=mode,
                    coordinate_transformation_mode=coord, nearest_mode=nearest_mode)


def convert_resize(ctx, node):
    x = node.inputs[0]
    shape = list(x.type.shape)
    nd = len(shape)
    if node.opset < 11:
        scales, sizes = ctx.value(node.input(1), "scales"), None
    else:
        scales, sizes = ctx.value(node.input(2), "scales"), ctx.value(node.input(3), "sizes")
    axes = [a % nd for a in (node.attr("axes") or range(nd))]
    out = list(shape)
    exact_scale = {}
    if sizes is not None and sizes.size:
        sizes = [int(s) for s in sizes]
        policy = node.attr("keep_aspect_ratio_policy", "stretch")
        if policy == "stretch":
            for a, s in zip(axes, sizes):
                out[a] = s
        else:
            ratios = [s / shape[a] for a, s in zip(axes, sizes)]
            r = min(ratios) if policy == "not_larger" else max(ratios)
            for a in axes:
                out[a] = int(math.floor(shape[a] * r + 0.5))
    elif scales is not None and scales.size:
        for a, s in zip(axes, scales.tolist()):
            out[a] = int(math.floor(shape[a] * s))
            exact_scale[a] = out[a] == shape[a] * s
    else:
        raise Unsupported("neither scales nor sizes given")
    mode = node.attr("mode", "nearest")
    coord = node.attr("coordinate_transformation_mode", "asymmetric" if node.opset < 11 else "half_pixel")
    nearest = node.attr("nearest_mode", "floor" if node.opset < 11 else "round_prefer_floor")
    changed = [a for a in range(nd) if out[a] != shape[a] or (a in axes and not exact_scale.get(a, True))]
    if not changed:
        return x
    simple = (nd == 4 and all(a in (2, 3) for a in changed) and mode in ("nearest", "linear")
              and not node.attr("antialias", 0) and coord != "tf_crop_and_resize"
              and all(exact_scale.get(a, True) for a in (2, 3)) and node.opset >= 11)
    if simple:
        return _resize(ctx, node, x, out, mode, coord, nearest)
    return resize_by_matrices(ctx, node, x, out, scales, sizes, axes)


def resize_by_matrices(ctx, node, x, out, scales, sizes, axes):
    """Resize as one matrix product per resized axis (every ONNX mode is separable and linear).

    The matrix of an axis is ONNX's own Resize applied to an identity matrix, so coordinate
    modes, cubic kernels, antialiasing and scales that do not divide sizes come out exact;
    ``tf_crop_and_resize``'s extrapolation value is added as a constant term.
    """
    from onnx import helper
    from onnx.reference import ReferenceEvaluator
    if not x.type.dtype.startswith("float"):
        raise Unsupported(f"resizing a {x.type.dtype} tensor this way (only float)")
    shape = x.type.shape
    nd = len(shape)
    roi = ctx.value(node.input(1), "roi") if node.opset >= 11 else None
    attrs = {a.name: a for a in node.proto.attribute if a.name != "axes"}
    y = x
    for a in range(nd):
        scale = None
        if scales is not None and scales.size and a in axes:
            scale = float(scales.tolist()[axes.index(a)])
        if out[a] == shape[a] and (scale is None or scale == 1.0):
            continue
        n = shape[a]
        feeds = {"x": np.eye(n, dtype="float64").reshape(1, 1, n, n), "z": np.zeros((1, 1, 1, n))}
        names = ["x", "roi", "scales", "sizes"]
        if roi is not None and roi.size:
            r = np.asarray(roi, "float64").reshape(2, -1)
            k = axes.index(a)
            feeds["roi"] = np.array([0, 0, 0, r[0, k], 1, 1, 1, r[1, k]], "float64")
        else:
            names[1] = ""
        if scale is not None:
            feeds["scales"] = np.array([1, 1, 1, scale], "float32")
            names[3] = ""
        else:
            feeds["sizes"] = np.array([1, 1, n, out[a]], "int64")
            names[2] = ""
        rnode = helper.make_node("Resize", names, ["y"])
        rnode.attribute.extend(attrs.values())
        try:
            ev = ReferenceEvaluator(rnode, opsets={"": max(node.opset, 11)})
            w = ev.run(None, {k: v for k, v in feeds.items() if k != "z"})[0][0, 0]       # (n, out): W^T
            feeds["x"] = feeds["z"]
            bias = ev.run(None, {k: v for k, v in feeds.items() if k != "z"})[0][0, 0, 0]  # extrapolation
            w = w - bias
        except Exception as e:
            raise Unsupported(f"resize weights could not be computed ({type(e).__name__}: {e})") from None
        perm = [d for d in range(nd) if d != a] + [a]
        yt = ctx.call("transpose", y, axes=tuple(perm)) if a != nd - 1 else y
        yt = ctx.call("nn.matmul", yt, ctx.const(w.astype(x.type.dtype)))
        if np.any(bias):
            yt = ctx.call("add", yt, ctx.const(bias.astype(x.type.dtype)))
        y = ctx.call("transpose", yt, axes=tuple(int(k) for k in np.argsort(perm))) if a != nd - 1 else yt
    return y


def convert_upsample(ctx, node):
    x = node.inputs[0]
    scales = node.attr("scales") if node.opset < 9 else ctx.value(node.input(1), "scales")
    out = [int(math.floor(d * s)) for d, s in zip(x.type.shape, np.asarray(scales).tolist())]
    return _resize(ctx, node, x, out, node.attr("mode", "nearest"), "asymmetric", "floor")


CONVERTERS = {"Resize": convert_resize, "Upsample": convert_upsample}
