"""2-D pooling over NCHW tensors: max, average and their global forms.

Max pooling pads with the dtype's lowest value and takes ``te.max`` over a
window; average pooling pads with zero, sums (stage ``{name}_sum``) and divides
by the window size. The divisor is a constant when every window has the same
count, else an index expression: the number of window taps inside the input
(``count_include_pad=False``) or inside the padded input (``True``).
``ceil_mode`` rounds the output size up, as ONNX and PyTorch do.

>>> from workbench import te, topi
>>> x = te.placeholder((1, 4, 8, 8), name="x")
>>> y = topi.max_pool2d(x, kernel=2, stride=2)                      # [1, 4, 4, 4]
>>> z = topi.avg_pool2d(x, kernel=3, stride=1, padding=1)           # [1, 4, 8, 8]
"""
from __future__ import annotations

from .. import te
from ..te.tensor import Tensor
from ..tir import dtype as dt
from ._util import check_rank, check_tensor, fail, int_tuple, padding_2d, positive
from .padding import pad


def _pool_size(op, size, k, s, d, lo, hi, ceil_mode):
    span = d * (k - 1) + 1
    if span > size + lo + hi:
        fail(op, f"dilated window extent {span} is larger than the padded input extent {size + lo + hi}")
    if not ceil_mode:
        return (size + lo + hi - span) // s + 1
    out = -(-(size + lo + hi - span) // s) + 1
    if (out - 1) * s >= size + lo:  # the last window would start in the trailing padding: drop it
        out -= 1
    return out


def _check_nchw_or_blocked(op, data):
    """Pools run on ``NCHW`` data or channel-blocked ``NCHW16c`` data (``[N, C/16, H, W, 16]``): ``H, W``
    are axes 2 and 3 either way, and the trailing lanes axis is carried through."""
    check_tensor(op, data, "data")
    if data.ndim != 5:
        check_rank(op, data, 4, "data", "NCHW, or NCHW16c of rank 5")


def _pool_args(op, data, kernel, stride, padding, dilation, ceil_mode):
    _check_nchw_or_blocked(op, data)
    kernel = positive(op, int_tuple(op, kernel, 2, "kernel"), "kernel")
    stride = positive(op, int_tuple(op, stride, 2, "stride"), "stride")
    dilation = positive(op, int_tuple(op, dilation, 2, "dilation"), "dilation")
    pads = padding_2d(op, padding)
    extent = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    if any(p >= extent[i % 2] for i, p in enumerate(pads)):
        fail(op, f"padding {list(pads)} must be smaller than the window extent {extent} "
                 "(else some windows read only padding)")
    H, W = data.shape[2:4]
    out_h = _pool_size(op, H, kernel[0], stride[0], dilation[0], pads[0], pads[2], ceil_mode)
    out_w = _pool_size(op, W, kernel[1], stride[1], dilation[1], pads[1], pads[3], ceil_mode)
    return kernel, stride, dilation, pads, out_h, out_w


def _padded(data, pads, out_h, out_w, kernel, stride, dilation, value, name):
    """``data`` padded so every window of the (possibly ceil-mode) output is in range."""
    H, W = data.shape[2:4]
    need_h = (out_h - 1) * stride[0] + dilation[0] * (kernel[0] - 1) + 1
    need_w = (out_w - 1) * stride[1] + dilation[1] * (kernel[1] - 1) + 1
    pb, pr = need_h - H - pads[0], need_w - W - pads[1]  # may exceed the requested trailing pad (ceil mode)
    pb, pr = max(pb, 0), max(pr, 0)
    if not any((pads[0], pads[1], pb, pr)):
        return data
    return pad(data, (0, 0, pads[0], pads[1]), (0, 0, pb, pr), value, name=name)


def max_pool2d(data: Tensor, kernel, stride=1, padding=0, dilation=1, ceil_mode: bool = False,
               name: str = "max_pool2d") -> Tensor:
    """The maximum over each ``kernel`` window of ``data[N, C, H, W]`` (ONNX MaxPool), or of
    channel-blocked ``data[N, C/16, H, W, 16]`` (the result is then blocked too).

    ``kernel``, ``stride``, ``dilation``: an int or ``(h, w)``; ``padding``: an int,
    ``(ph, pw)`` or ``(top, left, bottom, right)``. Padding never wins the maximum.

    >>> y = max_pool2d(te.placeholder((1, 2, 7, 7), name="x"), kernel=3, stride=2, padding=1)   # [1, 2, 4, 4]
    """
    (kh, kw), (sh, sw), (dh, dw), pads, out_h, out_w = _pool_args(name, data, kernel, stride, padding, dilation,
                                                                  ceil_mode)
    padded = _padded(data, pads, out_h, out_w, (kh, kw), (sh, sw), (dh, dw), dt.min_value(data.dtype), f"{name}_pad")
    ry = te.reduce_axis((0, kh), name="ry")
    rx = te.reduce_axis((0, kw), name="rx")
    return te.compute((data.shape[0], data.shape[1], out_h, out_w) + tuple(data.shape[4:]),
                      lambda *i: te.max(padded[(i[0], i[1], i[2] * sh + ry * dh, i[3] * sw + rx * dw) + i[4:]],
                                        axis=[ry, rx]),
                      name=name)


def _window_count(start, k, d, lo, hi):
    """How many taps ``start + j*d`` (``0 <= j < k``) fall in ``[lo, hi)``; ``start`` may be an expression."""
    if d == 1:
        first, last = te.max(lo - start, 0), te.min(hi - 1 - start, k - 1)
    else:  # first = ceil((lo - start) / d), written with floor division
        first, last = te.max(-((start - lo) // d), 0), te.min((hi - 1 - start) // d, k - 1)
    return te.max(last - first + 1, 0)


def _counts(k, s, d, lo, hi, n_out):
    """The window counts along one axis, in Python, for every output position."""
    return [sum(1 for j in range(k) if lo <= o * s + j * d < hi) for o in range(n_out)]


def avg_pool2d(data: Tensor, kernel, stride=1, padding=0, dilation=1, ceil_mode: bool = False,
               count_include_pad: bool = False, name: str = "avg_pool2d") -> Tensor:
    """The mean over each ``kernel`` window of ``data[N, C, H, W]`` (ONNX AveragePool).

    With ``count_include_pad=False`` (ONNX's default) padded taps are left out of
    the divisor; with ``True`` they count (but taps beyond the padding that
    ``ceil_mode`` adds never do). Other arguments as in ``max_pool2d``.

    >>> y = avg_pool2d(te.placeholder((1, 2, 7, 7), name="x"), kernel=3, padding=1)   # [1, 2, 7, 7]
    """
    check_tensor(name, data, "data")
    check_rank(name, data, 4, "data", "NCHW")
    (kh, kw), (sh, sw), (dh, dw), pads, out_h, out_w = _pool_args(name, data, kernel, stride, padding, dilation,
                                                                  ceil_mode)
    pt, pl, pb, pr = pads
    _, _, H, W = data.shape
    padded = _padded(data, pads, out_h, out_w, (kh, kw), (sh, sw), (dh, dw), 0, f"{name}_pad")
    acc = data.dtype if dt.is_float(data.dtype) else "float32"  # integer inputs average in float32
    ry = te.reduce_axis((0, kh), name="ry")
    rx = te.reduce_axis((0, kw), name="rx")
    total = te.compute((data.shape[0], data.shape[1], out_h, out_w),
                       lambda n, c, oh, ow: te.sum(te.cast(padded[n, c, oh * sh + ry * dh, ow * sw + rx * dw], acc),
                                                 axis=[ry, rx]),
                       name=f"{name}_sum")
    # in padded coordinates, the taps that count lie in [lo, hi) along each axis
    h_lo, h_hi = (0, H + pt + pb) if count_include_pad else (pt, pt + H)
    w_lo, w_hi = (0, W + pl + pr) if count_include_pad else (pl, pl + W)
    ch = _counts(kh, sh, dh, h_lo, h_hi, out_h)
    cw = _counts(kw, sw, dw, w_lo, w_hi, out_w)

    if len(set(ch)) == 1 and len(set(cw)) == 1:  # every window has the same count: divide by a constant
        return te.compute(total.shape, lambda n, c, oh, ow: total[n, c, oh, ow] / te.const(ch[0] * cw[0], acc),
                          name=name)

    def divisor(o, counts, s, k, d, lo, hi):
        return te.const(counts[0]) if len(set(counts)) == 1 else _window_count(o * s, k, d, lo, hi)

    def body(n, c, oh, ow):
        count = divisor(oh, ch, sh, kh, dh, h_lo, h_hi) * divisor(ow, cw, sw, kw, dw, w_lo, w_hi)
        return total[n, c, oh, ow] / te.cast(count, acc)

    return te.compute(total.shape, body, name=name)


def global_avg_pool2d(data: Tensor, name: str = "global_avg_pool2d") -> Tensor:
    """The mean over ``H`` and ``W`` of ``data[N, C, H, W]`` -> ``[N, C, 1, 1]`` (or of blocked
    ``data[N, C/16, H, W, 16]`` -> ``[N, C/16, 1, 1, 16]``).

    >>> y = global_avg_pool2d(te.placeholder((1, 8, 7, 7), name="x"))   # [1, 8, 1, 1]
    """
    _check_nchw_or_blocked(name, data)
    (N, C, H, W), lanes = data.shape[:4], tuple(data.shape[4:])
    ry = te.reduce_axis((0, H), name="ry")
    rx = te.reduce_axis((0, W), name="rx")
    acc = data.dtype if dt.is_float(data.dtype) else "float32"
    total = te.compute((N, C, 1, 1) + lanes,
                       lambda *i: te.sum(te.cast(data[(i[0], i[1], ry, rx) + i[4:]], acc), axis=[ry, rx]),
                       name=f"{name}_sum")
    return te.compute(total.shape, lambda *i: total[i] / te.const(H * W, acc), name=name)


def global_max_pool2d(data: Tensor, name: str = "global_max_pool2d") -> Tensor:
    """The maximum over ``H`` and ``W`` of ``data[N, C, H, W]`` -> ``[N, C, 1, 1]``.

    >>> y = global_max_pool2d(te.placeholder((1, 8, 7, 7), name="x"))   # [1, 8, 1, 1]
    """
    check_tensor(name, data, "data")
    check_rank(name, data, 4, "data", "NCHW")
    N, C, H, W = data.shape
    ry = te.reduce_axis((0, H), name="ry")
    rx = te.reduce_axis((0, W), name="rx")
    return te.compute((N, C, 1, 1), lambda n, c, i, j: te.max(data[n, c, ry, rx], axis=[ry, rx]), name=name)

