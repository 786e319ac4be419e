"""Image operators: resizing NCHW tensors (ONNX Resize, nearest and linear).

Each output pixel maps back to a source coordinate (``coordinate_transformation_mode``).
``nearest`` rounds it to a source pixel (``nearest_mode``) in exact integer arithmetic
(the coordinate is a fraction, and ties such as 1.5 must not become 1.4999999);
``linear`` blends the two neighbours along each axis in float32, with the coordinate
clamped into the input.

>>> from workbench import te, topi
>>> x = te.placeholder((1, 3, 4, 4), name="x")
>>> y = topi.resize2d(x, (8, 8), method="linear")   # [1, 3, 8, 8]
"""
from __future__ import annotations

from .. import te
from ..te.tensor import Tensor
from ..tir import dtype as dt
from ._util import check_rank, check_tensor, fail, int_tuple, positive

METHODS = ("nearest", "linear")
COORDINATE_MODES = ("half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel")
NEAREST_MODES = ("round_prefer_floor", "round_prefer_ceil", "floor", "ceil")


def source_coordinate(out_index, in_size: int, out_size: int, mode: str):
    """The float32 source coordinate of output position ``out_index`` (an expression) along one axis."""
    x = te.cast(out_index, "float32")
    scale = te.const(out_size / in_size, "float32")
    if mode == "half_pixel":
        return (x + 0.5) / scale - 0.5
    if mode == "pytorch_half_pixel":
        return (x + 0.5) / scale - 0.5 if out_size > 1 else te.const(0.0, "float32")
    if mode == "asymmetric":
        return x / scale
    if out_size == 1:  # align_corners
        return te.const(0.0, "float32")
    return x * te.const((in_size - 1) / (out_size - 1), "float32")


def source_fraction(out_index, in_size: int, out_size: int, mode: str):
    """The source coordinate as an exact fraction ``(numerator expression, positive int denominator)``."""
    if mode == "asymmetric":
        return out_index * in_size, out_size
    if mode == "align_corners" or out_size == 1:
        if out_size == 1:
            return te.const(0), 1
        return out_index * (in_size - 1), out_size - 1
    return (2 * out_index + 1) * in_size - out_size, 2 * out_size  # half_pixel, pytorch_half_pixel


def _nearest(out_index, in_size: int, out_size: int, coordinate_mode: str, mode: str):
    # integer arithmetic: exact where float division (and fast-math reciprocals) could land beside a tie
    num, den = source_fraction(out_index, in_size, out_size, coordinate_mode)
    if mode == "floor":
        i = num // den
    elif mode == "ceil":
        i = -((-num) // den)
    elif mode == "round_prefer_floor":  # ceil(c - 1/2)
        i = -((den - 2 * num) // (2 * den))
    else:  # round_prefer_ceil: floor(c + 1/2)
        i = (2 * num + den) // (2 * den)
    return te.min(te.max(i, te.const(0)), te.const(in_size - 1))


def resize2d(data: Tensor, size, method: str = "nearest", coordinate_transformation_mode: str = "half_pixel",
             nearest_mode: str = "round_prefer_floor", name: str = "resize2d") -> Tensor:
    """``data[N, C, H, W]`` resized to ``[N, C, size[0], size[1]]``.

    >>> y = resize2d(te.placeholder((1, 1, 3, 3), name="x"), (6, 6), coordinate_transformation_mode="asymmetric",
    ...              nearest_mode="floor")
    """
    check_tensor(name, data, "data")
    check_rank(name, data, 4, "data", "NCHW")
    out_h, out_w = positive(name, int_tuple(name, size, 2, "size"), "size")
    for what, v, ok in (("method", method, METHODS), ("coordinate_transformation_mode",
                                                      coordinate_transformation_mode, COORDINATE_MODES),
                        ("nearest_mode", nearest_mode, NEAREST_MODES)):
        if v not in ok:
            fail(name, f"{what} must be one of {', '.join(ok)}, got {v!r}")
    N, C, H, W = data.shape
    mode = coordinate_transformation_mode
    if method == "nearest":
        def body(n, c, y, x):
            iy = _nearest(y, H, out_h, mode, nearest_mode)
            ix = _nearest(x, W, out_w, mode, nearest_mode)
            return data[n, c, iy, ix]
        return te.compute((N, C, out_h, out_w), body, name=name)

    if not dt.is_float(data.dtype):
        fail(name, f"linear resizing needs a float tensor, got {data.dtype}; cast it first")

    def neighbours(out_index, in_size, out_size):
        c = source_coordinate(out_index, in_size, out_size, mode)
        c = te.min(te.max(c, te.const(0.0, "float32")), te.const(float(in_size - 1), "float32"))
        lo = te.cast(te.floor(c), "int64")
        hi = te.min(lo + 1, te.const(in_size - 1))
        w = te.cast(c - te.floor(c), data.dtype)
        return lo, hi, w

    def body(n, c, y, x):
        y0, y1, wy = neighbours(y, H, out_h)
        x0, x1, wx = neighbours(x, W, out_w)
        top = data[n, c, y0, x0] + (data[n, c, y0, x1] - data[n, c, y0, x0]) * wx
        bottom = data[n, c, y1, x0] + (data[n, c, y1, x1] - data[n, c, y1, x0]) * wx
        return top + (bottom - top) * wy

    return te.compute((N, C, out_h, out_w), body, name=name)
