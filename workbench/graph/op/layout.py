"""Channel-blocked activations (NCHW16c, ``[N, C/16, H, W, 16]``): the layout attribute and rank checks
shared by the ops that accept it, numpy conversions for their references, and ``nn.layout_transform``.

The pass ``block_layout`` produces this layout; ``nn.conv2d_packed``, ``nn.max_pool2d`` and
``nn.global_avg_pool2d`` accept it.

>>> from workbench.graph import ops
>>> ops.nn.layout_transform(ops.var("x", (1, 32, 7, 7)), src_layout="NCHW", dst_layout="NCHW16c").type.shape
(1, 2, 7, 7, 16)
"""
from __future__ import annotations

import numpy as np

from ... import topi
from ...topi.conv_packed import KERNEL_LANES
from ..types import TensorType
from .registry import Op, OpPattern
from .rules import check_attr_names, fail, int_tuple, require_rank, tensors

BLOCKED = "NCHW16c"  # channel-blocked activations: [N, C/16, H, W, 16] (pass block_layout)
LANES = KERNEL_LANES  # 16 float32 channels per block: one zmm register
_LAYOUTS = ("NCHW", BLOCKED)


def layout_attr(name, attrs, key):
    """Attribute ``key``, one of ``"NCHW"`` and ``"NCHW16c"``; a type error naming both otherwise."""
    v = attrs[key]
    if v not in _LAYOUTS:
        fail(name, f"attribute {key} must be one of {list(_LAYOUTS)}, got {v!r}")
    return v


def nchw_or_blocked(name, data):
    """``(n, c, h, w)`` of NCHW data or of channel-blocked NCHW16c data (rank 5, its channels C/16 x 16)."""
    if data.ndim == 5:
        n, co, h, w, lanes = data.shape
        if lanes != LANES:
            fail(name, f"blocked data {data} must have {LANES} lanes ({BLOCKED})")
        return n, co * lanes, h, w
    require_rank(name, data, 4, "data", "NCHW, or NCHW16c of rank 5")
    return data.shape


def nchw_to_blocked(x: np.ndarray, lanes: int = LANES) -> np.ndarray:
    """numpy ``[N, C, H, W]`` -> ``[N, C/lanes, H, W, lanes]``.

    >>> nchw_to_blocked(np.arange(32, dtype="float32").reshape(1, 32, 1, 1))[0, 1, 0, 0, :3]
    array([16., 17., 18.], dtype=float32)
    """
    n, c, h, w = x.shape
    return np.ascontiguousarray(x.reshape(n, c // lanes, lanes, h, w).transpose(0, 1, 3, 4, 2))


def blocked_to_nchw(x: np.ndarray) -> np.ndarray:
    """numpy ``[N, C/L, H, W, L]`` -> ``[N, C, H, W]``: the inverse of ``nchw_to_blocked``.

    >>> x = np.random.rand(1, 32, 3, 2).astype("float32")
    >>> bool((blocked_to_nchw(nchw_to_blocked(x)) == x).all())
    True
    """
    n, co, h, w, lanes = x.shape
    return np.ascontiguousarray(x.transpose(0, 1, 4, 2, 3).reshape(n, co * lanes, h, w))


def nchw_ref(fn):
    """A numpy reference of NCHW data applied to blocked data too (converted there and back)."""
    def ref(data, *args, **kw):
        if data.ndim == 5:
            return nchw_to_blocked(fn(blocked_to_nchw(data), *args, **kw), data.shape[4])
        return fn(data, *args, **kw)
    return ref


def _layout_transform_infer(types, attrs):
    name = "nn.layout_transform"
    (data,) = tensors(name, types, 1)
    src, dst = layout_attr(name, attrs, "src_layout"), layout_attr(name, attrs, "dst_layout")
    if src == dst:
        fail(name, f"src_layout and dst_layout are both {src}: nothing to transform")
    if src == "NCHW":
        require_rank(name, data, 4, "data", "NCHW")
        n, c, h, w = data.shape
        if c % LANES:
            fail(name, f"data {data} has {c} channels, not a multiple of the {LANES} lanes of {BLOCKED}")
        return TensorType((n, c // LANES, h, w, LANES), data.dtype)
    require_rank(name, data, 5, "data", BLOCKED)
    return TensorType(nchw_or_blocked(name, data), data.dtype)


def _layout_transform_ref(data, src_layout, dst_layout):
    return nchw_to_blocked(data) if dst_layout == BLOCKED else blocked_to_nchw(data)


def _layout_transform(data, src_layout, dst_layout):
    return topi.to_blocked(data) if dst_layout == BLOCKED else topi.from_blocked(data)


def _padded_view_infer(types, attrs):
    name = "nn.padded_view"
    (data,) = tensors(name, types, 1)
    if data.ndim not in (4, 5):
        fail(name, f"data {data} must be NCHW (rank 4) or {BLOCKED} (rank 5): the border goes around H and W")
    top, left, bottom, right = int_tuple(name, attrs, "padding", 4, minimum=0)
    shape = list(data.shape)
    shape[2] += top + bottom
    shape[3] += left + right
    return TensorType(tuple(shape), data.dtype)


def _hw_pad_width(ndim, padding):
    top, left, bottom, right = padding
    return [(0, 0), (0, 0), (top, bottom), (left, right)] + [(0, 0)] * (ndim - 4)


def _padded_view_ref(data, padding):
    return np.pad(data, _hw_pad_width(data.ndim, padding))


def _padded_view(data, padding):
    pw = _hw_pad_width(len(data.shape), padding)
    return topi.pad(data, [b for b, _ in pw], [a for _, a in pw], 0.0)


OPS = check_attr_names([
    Op("nn.layout_transform", _layout_transform_infer, OpPattern.INJECTIVE, _layout_transform_ref,
       _layout_transform, doc="NCHW <-> NCHW16c (channels in blocks of 16, innermost)"),
    Op("nn.padded_view", _padded_view_infer, OpPattern.OPAQUE, _padded_view_ref, _padded_view,
       doc="data with a zero border around H and W (padding: top, left, bottom, right); compiled without "
           "a copy: the producer writes into the interior of a zero-bordered buffer (pass store_padded)",
       attr_defaults={"padding": (0, 0, 0, 0)}),
])
