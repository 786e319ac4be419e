"""2-D convolution with a packed kernel: NCHW data, output channels vectorized.

The kernel ``w[F, C, KH, KW]`` is stored as ``wp[F/L, C, KH, KW, L]`` (``pack_conv_kernel``):
the ``L`` output channels of a block lie next to each other, so one vector load of
the kernel feeds ``L`` output channels, and each data element is broadcast once
per block (an embedded-broadcast multiply-add on AVX-512). The rows of the output
no longer need to fill a vector register: a 7x7 feature map runs as fast as a
56x56 one. The reduction writes a blocked stage ``conv[N, F/L, OH, OW, L]``; the
returned tensor reads it back in NCHW, so whatever follows is unchanged::

    conv[n, fo, y, x, fi] = sum(pad[n, rc, y*sh + ry*dh, x*sw + rx*dw] * wp[fo, rc, ry, rx, fi])
    out[n, f, y, x]       = conv[n, f // L, y, x, f % L]

>>> import numpy as np
>>> from workbench import te
>>> x = te.placeholder((1, 3, 16, 16), name="x"); wp = te.placeholder((2, 3, 3, 3, 16), name="wp")
>>> y = conv2d_nchw_packed(x, wp, padding=1)          # [1, 32, 16, 16]
>>> pack_conv_kernel(np.zeros((32, 3, 3, 3), "float32")).shape
(2, 3, 3, 3, 16)
"""
from __future__ import annotations

import numpy as np

from .. import te
from ..te.tensor import Tensor
from ._util import check_rank, check_tensor, fail, multiply_as
from .conv import _conv_args, nchw_window

KERNEL_LANES = 16  # output channels per kernel block: one zmm register of float32


def pack_conv_kernel(w: np.ndarray, lanes: int = KERNEL_LANES) -> np.ndarray:
    """``w[F, C, KH, KW]`` -> ``wp[F/lanes, C, KH, KW, lanes]``, ``F`` a multiple of ``lanes``."""
    f, c, kh, kw = w.shape
    if f % lanes:
        raise ValueError(f"pack_conv_kernel: {f} output channels are not a multiple of {lanes} lanes")
    return np.ascontiguousarray(w.reshape(f // lanes, lanes, c, kh, kw).transpose(0, 2, 3, 4, 1))


def unpack_conv_kernel(wp: np.ndarray) -> np.ndarray:
    """The inverse of ``pack_conv_kernel``: ``wp[F/L, C, KH, KW, L]`` -> ``w[F, C, KH, KW]``.

    >>> w = np.arange(32 * 2, dtype="float32").reshape(32, 2, 1, 1)
    >>> bool((unpack_conv_kernel(pack_conv_kernel(w)) == w).all())
    True
    """
    fo, c, kh, kw, lanes = wp.shape
    return np.ascontiguousarray(wp.transpose(0, 4, 1, 2, 3).reshape(fo * lanes, c, kh, kw))


def to_blocked(data: Tensor, lanes: int = KERNEL_LANES, name: str = "to_blocked") -> Tensor:
    """``data[N, C, H, W]`` -> ``[N, C/lanes, H, W, lanes]`` (layout NCHW16c for 16 lanes).

    >>> to_blocked(te.placeholder((1, 32, 7, 7), name="x")).shape
    (1, 2, 7, 7, 16)
    """
    check_tensor(name, data, "data")
    check_rank(name, data, 4, "data", "NCHW")
    N, C, H, W = data.shape
    if C % lanes:
        fail(name, f"{C} channels of data {list(data.shape)} are not a multiple of {lanes} lanes")
    return te.compute((N, C // lanes, H, W, lanes), lambda n, co, y, x, ci: data[n, co * lanes + ci, y, x], name=name)


def from_blocked(data: Tensor, name: str = "from_blocked") -> Tensor:
    """``data[N, C/L, H, W, L]`` -> ``[N, C, H, W]``: the inverse of ``to_blocked``.

    >>> from_blocked(te.placeholder((1, 2, 7, 7, 16), name="x")).shape
    (1, 32, 7, 7)
    """
    check_tensor(name, data, "data")
    check_rank(name, data, 5, "data", "NCHW16c: N, C/L, H, W, L")
    N, CO, H, W, L = data.shape
    return te.compute((N, CO * L, H, W), lambda n, c, y, x: data[n, c // L, y, x, c % L], name=name)


def conv2d_nchw_packed(data: Tensor, kernel: Tensor, stride=1, padding=0, dilation=1,
                       out_dtype: str | None = None, name: str = "conv2d_packed",
                       out_blocked: bool = False) -> Tensor:
    """Convolution of ``data[N, C, H, W]`` with a packed ``kernel[F/L, C, KH, KW, L]`` -> ``[N, F, OH, OW]``.

    ``stride``, ``padding`` and ``dilation`` as in ``conv2d_nchw`` (no groups). The reduction is the
    stage ``name`` (``[N, F/L, OH, OW, L]``); the result is its NCHW view ``name + "_nchw"``, or the
    blocked stage itself with ``out_blocked=True``. ``data`` may also be channel-blocked,
    ``[N, C/L, H, W, L]`` (rank 5, as ``to_blocked`` makes it).
    """
    op = name
    check_tensor(op, data, "data")
    check_tensor(op, kernel, "kernel")
    if data.ndim != 5:
        check_rank(op, data, 4, "data", "NCHW, or NCHW16c of rank 5")
    check_rank(op, kernel, 5, "kernel", "F/L, C, KH, KW, L (pack_conv_kernel)")
    _conv_args(op, stride, padding, dilation)  # argument errors before shape errors
    blocked_in = data.ndim == 5
    N, C = data.shape[0], data.shape[1] * (data.shape[4] if blocked_in else 1)
    FO, CK, KH, KW, L = kernel.shape
    if CK != C:
        fail(op, f"channel mismatch: data {list(data.shape)} has {C} channels but the packed kernel "
                 f"{list(kernel.shape)} expects {CK}")
    padded, (sh, sw), (dh, dw), OH, OW = nchw_window(op, data, KH, KW, stride, padding, dilation)
    rc = te.reduce_axis((0, C), name="rc")
    ry = te.reduce_axis((0, KH), name="ry")
    rx = te.reduce_axis((0, KW), name="rx")
    if blocked_in:
        IL = data.shape[4]

        def tap(n, y, x):
            return padded[n, rc // IL, y * sh + ry * dh, x * sw + rx * dw, rc % IL]
    else:
        def tap(n, y, x):
            return padded[n, rc, y * sh + ry * dh, x * sw + rx * dw]
    blocked = te.compute(
        (N, FO, OH, OW, L),
        lambda n, fo, y, x, fi: te.sum(multiply_as(tap(n, y, x), kernel[fo, rc, ry, rx, fi], out_dtype),
                                       axis=[rc, ry, rx]),
        name=name)
    if out_blocked:
        return blocked
    return te.compute((N, FO * L, OH, OW), lambda n, f, y, x: blocked[n, f // L, y, x, f % L], name=name + "_nchw")
