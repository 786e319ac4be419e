"""3x3 convolution by Winograd's minimal filtering, F(m x m, 3 x 3), on channel-blocked data.

An output tile of ``m x m`` pixels needs the ``a x a`` input tile around it (``a = m + 2``).
Winograd's algorithm computes the tile with ``a^2`` multiplications per input/output
channel pair instead of ``9 m^2``: 2.25 times fewer for ``m = 2``, 4 times for ``m = 4``::

    V[tile, e, u, c]  = (B^T d_tile,c B)[e, u]           input transform: sums of a few taps
    M[tile, e, u, k]  = sum_c V[tile, e, u, c] * U[e, u, c, k]    a^2 matrix products
    out[tile, k]      = A^T M[tile, :, :, k] A            output transform: sums again

with ``U = G g G^T`` the transformed kernel, computed once at compile time
(``transform_conv_kernel``). The matrices are Lavin and Gray's (points 0, +-1, +-2 for
``m = 4``); every transform coefficient is a small constant, so the transforms are written
out as sums of the taps they need (``-1`` as a subtraction, ``0`` left out), and pick the
sum of a tile position with a select that folds away once the position loops are unrolled.

Data and result are NCHW16c (``[N, C/16, H, W, 16]``); the kernel is ``U[a, a, C, F/16, 16]``.
Stride 1, dilation 1, one group. In float32, ``m = 4`` loses about 4 bits against the direct
conv (relative error ~1e-6 on ResNet-18's layers, against ~1e-7).

>>> import numpy as np
>>> from workbench import te
>>> x = te.placeholder((1, 1, 8, 8, 16), name="x"); u = te.placeholder((6, 6, 16, 2, 16), name="u")
>>> conv2d_winograd_nchw16c(x, u, tile=4, padding=1).shape
(1, 2, 8, 8, 16)
>>> transform_conv_kernel(np.zeros((32, 16, 3, 3), "float32"), tile=4).shape
(6, 6, 16, 2, 16)
"""
from __future__ import annotations

import numpy as np

from .. import te
from ..te.tensor import Tensor
from ._util import check_rank, check_tensor, fail
from .conv import _conv_args
from .padding import pad

LANES = 16
TILES = (2, 4)


def winograd_matrices(tile: int) -> tuple:
    """``(B^T, G, A^T)`` of F(tile x tile, 3 x 3), as float64 arrays (``tile`` 2 or 4).

    >>> bt, g, at = winograd_matrices(2)
    >>> d, w = np.arange(4.0), np.array([1.0, 2.0, 3.0])
    >>> (at @ ((g @ w) * (bt @ d))).tolist()   # the 1-D correlation of d with w
    [8.0, 14.0]
    """
    if tile == 2:
        bt = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]]
        g = [[1, 0, 0], [.5, .5, .5], [.5, -.5, .5], [0, 0, 1]]
        at = [[1, 1, 1, 0], [0, 1, -1, -1]]
    elif tile == 4:
        bt = [[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0], [0, -2, -1, 2, 1, 0],
              [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]]
        g = [[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6], [1 / 24, 1 / 12, 1 / 6],
             [1 / 24, -1 / 12, 1 / 6], [0, 0, 1]]
        at = [[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]]
    else:
        raise ValueError(f"winograd: tile must be one of {TILES} (output pixels per tile side), got {tile}")
    return np.array(bt, float), np.array(g, float), np.array(at, float)


def transform_conv_kernel(w: np.ndarray, tile: int, lanes: int = LANES) -> np.ndarray:
    """``w[F, C, 3, 3]`` -> ``U[a, a, C, F/lanes, lanes]`` with ``U[:, :, c, f] = G w[f, c] G^T`` (float64
    arithmetic, stored in ``w``'s dtype)."""
    f, c, kh, kw = w.shape
    if (kh, kw) != (3, 3) or f % lanes:
        raise ValueError(f"winograd: kernel {list(w.shape)} must be 3x3 with a multiple of {lanes} output channels")
    _, g, _ = winograd_matrices(tile)
    u = np.einsum("ea,fcab,ub->eucf", g, w.astype(np.float64), g)
    a = tile + 2
    return np.ascontiguousarray(u.reshape(a, a, c, f // lanes, lanes).astype(w.dtype))


def winograd_conv_ref(x: np.ndarray, u: np.ndarray, tile: int) -> np.ndarray:
    """numpy reference, by the same transforms in float64: padded NCHW ``x[N, C, H + 2, W + 2]`` and
    ``U[a, a, C, F/L, L]`` -> NCHW ``[N, F, H, W]``.

    >>> w = np.random.default_rng(0).normal(size=(16, 2, 3, 3)); x = np.ones((1, 2, 6, 6))
    >>> y = winograd_conv_ref(x, transform_conv_kernel(w, 4), 4)
    >>> bool(np.allclose(y[0, :, 1, 1], w.sum(axis=(1, 2, 3))))   # an interior pixel sees every tap
    True
    """
    bt, _, at = winograd_matrices(tile)
    n, c, hp, wp = x.shape
    a = tile + 2
    th, tw = (hp - 2) // tile, (wp - 2) // tile
    rows = (np.arange(th) * tile)[:, None] + np.arange(a)[None, :]
    cols = (np.arange(tw) * tile)[:, None] + np.arange(a)[None, :]
    d = x.astype(np.float64)[:, :, rows[:, :, None, None], cols[None, None, :, :]]   # [n, c, th, a, tw, a]
    v = np.einsum("ea,ub,ncxayb->nxyeuc", bt, bt, d)
    m = np.einsum("nxyeuc,euck->nxyeuk", v, u.reshape(a, a, u.shape[2], -1).astype(np.float64))
    y = np.einsum("ie,ju,nxyeuk->nkxiyj", at, at, m)
    return y.reshape(n, y.shape[1], th * tile, tw * tile)


def _sparse_sum(terms: list):
    """``sum(coef * x)`` without the multiplications by 1 or -1 (``terms`` holds no zero coefficient)."""
    out = None
    for coef, x in terms:
        if coef == -1:
            out = -x if out is None else out - x
            continue
        t = x if coef == 1 else x * te.const(float(coef), x.dtype)
        out = t if out is None else out + t
    return out


def _by_position(i, j, exprs: dict):
    """The expression of tile position ``(i, j)``: ``exprs[(i, j)]`` for loop variables ``i, j`` (a select
    chain that constant-folds once the loops over ``i`` and ``j`` are unrolled)."""
    keys = list(exprs)
    out = exprs[keys[-1]]
    for ki, kj in reversed(keys[:-1]):
        out = te.select((i == ki) & (j == kj), exprs[(ki, kj)], out)
    return out


def winograd_output_shape(op: str, data_shape, kernel_shape, tile: int, padding) -> tuple:
    """The result shape ``[N, F/16, OH, OW, 16]`` of F(tile x tile, 3x3) on NCHW16c ``data_shape`` with a
    transformed ``kernel_shape`` and ``padding`` (top, left, bottom, right); a ``TypeCheckError`` naming
    ``op`` for a tile, kernel or output that does not fit (the graph op's type rule and the compute
    both ask here).

    >>> winograd_output_shape("conv", (1, 2, 8, 8, 16), (6, 6, 32, 1, 16), 4, (1, 1, 1, 1))
    (1, 1, 8, 8, 16)
    """
    if tile not in TILES:
        fail(op, f"tile {tile} is not one of {list(TILES)} (output pixels per tile side)")
    n, cb, h, w, lanes = data_shape
    a = tile + 2
    if tuple(kernel_shape[:3]) != (a, a, cb * lanes) or kernel_shape[4] != lanes:
        fail(op, f"kernel {list(kernel_shape)} does not match F({tile}x{tile}, 3x3) on data {list(data_shape)}: "
                 f"expected [{a}, {a}, {cb * lanes}, F/{lanes}, {lanes}]")
    pt, pl, pb, pr = padding
    oh, ow = h + pt + pb - 2, w + pl + pr - 2
    if oh < 1 or ow < 1 or oh % tile or ow % tile:
        fail(op, f"the {oh}x{ow} output of data {list(data_shape)} with padding {[pt, pl, pb, pr]} is not made "
                 f"of whole {tile}x{tile} tiles")
    return (n, kernel_shape[3], oh, ow, lanes)


def conv2d_winograd_nchw16c(data: Tensor, kernel: Tensor, tile: int = 4, padding=1,
                            name: str = "conv2d_winograd") -> Tensor:
    """3x3 convolution (stride 1) of NCHW16c ``data[N, C/16, H, W, 16]`` with a Winograd-transformed
    ``kernel[a, a, C, F/16, 16]`` (``transform_conv_kernel``, ``a = tile + 2``) -> ``[N, F/16, OH, OW, 16]``.

    The output height and width must be multiples of ``tile``. Stages: ``pad`` (when ``padding``),
    ``name + "_v"`` (input transform, ``[N, OH/tile, OW/tile, a, a, C]``), ``name + "_m"`` (the
    products, ``[N, F/16, OH/tile, OW/tile, a, a, 16]``), and the result ``name`` (output transform).
    """
    op = name
    check_tensor(op, data, "data")
    check_tensor(op, kernel, "kernel")
    check_rank(op, data, 5, "data", "NCHW16c: N, C/16, H, W, 16")
    check_rank(op, kernel, 5, "kernel", "a, a, C, F/16, 16 (transform_conv_kernel)")
    _, (pt, pl, pb, pr), _ = _conv_args(op, 1, padding, 1)
    N, FB, OH, OW, L = winograd_output_shape(op, data.shape, kernel.shape, tile, (pt, pl, pb, pr))
    bt, _, at = winograd_matrices(tile)
    a, C = tile + 2, kernel.shape[2]
    padded = pad(data, (0, 0, pt, pl), (0, 0, pb, pr), 0, name="pad") if any((pt, pl, pb, pr)) else data

    def transform_input(n, y, x, e, u, c):
        tap = lambda r, s: padded[n, c // L, y * tile + r, x * tile + s, c % L]
        return _by_position(e, u, {(i, j): _sparse_sum([(bt[i][r] * bt[j][s], tap(r, s)) for r in range(a)
                                                        for s in range(a) if bt[i][r] * bt[j][s] != 0])
                                   for i in range(a) for j in range(a)})
    keep = {"keep_stored": True}   # for Ansor: inlined, every read would pick one of a^2 sums by position
    v = te.compute((N, OH // tile, OW // tile, a, a, C), transform_input, name=name + "_v", attrs=keep)
    rc = te.reduce_axis((0, C), name="rc")
    m = te.compute((N, FB, OH // tile, OW // tile, a, a, L),
                   lambda n, f, y, x, e, u, k: te.sum(v[n, y, x, e, u, rc] * kernel[e, u, rc, f, k], axis=rc),
                   name=name + "_m")

    def transform_output(n, f, y, x, k):
        prod = lambda e, u: m[n, f, y // tile, x // tile, e, u, k]
        return _by_position(y % tile, x % tile, {
            (i, j): _sparse_sum([(at[i][e] * at[j][u], prod(e, u)) for e in range(a) for u in range(a)
                                 if at[i][e] * at[j][u] != 0]) for i in range(tile) for j in range(tile)})
    return te.compute((N, FB, OH, OW, L), transform_output, name=name, attrs=keep)
