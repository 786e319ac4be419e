"""Plain-numpy implementations of the operators, written independently of te.

They are the expected values in tests: straightforward loops and ``einsum``
over explicitly padded arrays, computed in float64, with argument conventions
matching the topi functions (padding as ``(top, left, bottom, right)``). Nothing
here imports Workbench.

>>> import numpy as np
>>> y = conv2d_nchw(np.ones((1, 1, 4, 4)), np.ones((1, 1, 3, 3)), padding=(1, 1, 1, 1))
>>> float(y[0, 0, 0, 0])
4.0
"""
from __future__ import annotations

import math

import numpy as np


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _pads(p):
    if isinstance(p, int):
        return (p,) * 4
    return tuple(p) * 2 if len(p) == 2 else tuple(p)


def conv2d_nchw(x, w, stride=1, padding=0, dilation=1, groups=1):
    """Convolution of ``x[N, C, H, W]`` with ``w[F, C/groups, KH, KW]``, accumulated in float64."""
    (sh, sw), (dh, dw) = _pair(stride), _pair(dilation)
    pt, pl, pb, pr = _pads(padding)
    x = np.pad(np.asarray(x, "float64"), ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    w = np.asarray(w, "float64")
    n, c, h, wd = x.shape
    f, cg, kh, kw = w.shape
    oh, ow = (h - dh * (kh - 1) - 1) // sh + 1, (wd - dw * (kw - 1) - 1) // sw + 1
    fpg = f // groups
    out = np.zeros((n, f, oh, ow))
    for ry in range(kh):
        for rx in range(kw):
            win = x[:, :, ry * dh: ry * dh + sh * (oh - 1) + 1: sh, rx * dw: rx * dw + sw * (ow - 1) + 1: sw]
            for g in range(groups):
                out[:, g * fpg:(g + 1) * fpg] += np.einsum(
                    "nchw,fc->nfhw", win[:, g * cg:(g + 1) * cg], w[g * fpg:(g + 1) * fpg, :, ry, rx])
    return out


def conv2d_nhwc(x, w, stride=1, padding=0, dilation=1, groups=1):
    """Convolution of ``x[N, H, W, C]`` with ``w[KH, KW, C/groups, F]``."""
    y = conv2d_nchw(np.transpose(x, (0, 3, 1, 2)), np.transpose(w, (3, 2, 0, 1)), stride, padding, dilation, groups)
    return np.transpose(y, (0, 2, 3, 1))


def pool2d(x, kind, kernel, stride=1, padding=0, dilation=1, ceil_mode=False, count_include_pad=False):
    """Max or average pooling of ``x[N, C, H, W]`` by explicit loops over output positions."""
    (kh, kw), (sh, sw), (dh, dw) = _pair(kernel), _pair(stride), _pair(dilation)
    pt, pl, pb, pr = _pads(padding)
    n, c, h, w = x.shape

    def size(length, k, s, d, lo, hi):
        span = d * (k - 1) + 1
        o = (math.ceil if ceil_mode else math.floor)((length + lo + hi - span) / s) + 1
        if ceil_mode and (o - 1) * s >= length + lo:
            o -= 1
        return o

    oh, ow = size(h, kh, sh, dh, pt, pb), size(w, kw, sw, dw, pl, pr)
    out = np.zeros((n, c, oh, ow))
    for y in range(oh):
        for z in range(ow):
            rows = [y * sh - pt + j * dh for j in range(kh)]
            cols = [z * sw - pl + j * dw for j in range(kw)]
            taps = [(r, q) for r in rows for q in cols]
            inside = [(r, q) for r, q in taps if 0 <= r < h and 0 <= q < w]
            vals = np.stack([x[:, :, r, q] for r, q in inside], axis=-1).astype("float64")
            if kind == "max":
                out[:, :, y, z] = vals.max(axis=-1)
            else:
                padded = [(r, q) for r, q in taps if -pt <= r < h + pb and -pl <= q < w + pr]
                out[:, :, y, z] = vals.sum(axis=-1) / len(padded if count_include_pad else inside)
    return out


def softmax(x, axis=-1):
    x = np.asarray(x, "float64")
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    x = np.asarray(x, "float64")
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def layer_norm(x, gamma=None, beta=None, axes=(-1,), epsilon=1e-5):
    x = np.asarray(x, "float64")
    mean = x.mean(axis=tuple(axes), keepdims=True)
    var = ((x - mean) ** 2).mean(axis=tuple(axes), keepdims=True)
    y = (x - mean) / np.sqrt(var + epsilon)
    if gamma is not None:
        y = y * gamma
    if beta is not None:
        y = y + beta
    return y


def batch_norm(x, gamma, beta, mean, var, epsilon=1e-5, axis=1):
    shape = [1] * x.ndim
    shape[axis] = -1
    g, b, m, v = (np.asarray(a, "float64").reshape(shape) for a in (gamma, beta, mean, var))
    return (np.asarray(x, "float64") - m) / np.sqrt(v + epsilon) * g + b


_erf = np.vectorize(math.erf, otypes=["float64"])


def gelu(x):
    x = np.asarray(x, "float64")
    return 0.5 * x * (1 + _erf(x / math.sqrt(2)))


def sigmoid(x):
    return 1 / (1 + np.exp(-np.asarray(x, "float64")))
