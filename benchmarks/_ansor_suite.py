"""The single-operator suite of the Ansor paper, at sizes that fit a 2-core machine.

Each entry builds ``(inputs, outputs)`` te tensors; ``AUTOTVM`` names the AutoTVM task of
the same computation where a template exists (matmul, conv2d, depthwise).
"""
from __future__ import annotations

from workbench import te, topi


def conv1d(n=1, c=64, w=256, f=128, k=3, pad=1):
    x = te.placeholder((n, c, w), name="x")
    wt = te.placeholder((f, c, k), name="w")
    xp = te.compute((n, c, w + 2 * pad), lambda b, ci, i: te.select(
        (i >= pad) & (i < w + pad), x[b, ci, i - pad], 0.0), name="pad")
    rc, rk = te.reduce_axis((0, c), name="rc"), te.reduce_axis((0, k), name="rk")
    out = te.compute((n, f, w), lambda b, o, i: te.sum(xp[b, rc, i + rk] * wt[o, rc, rk], axis=[rc, rk]), name="conv1d")
    return [x, wt], [out]


def conv2d(n=1, c=64, hw=56, f=64, k=3, stride=1, pad=1, dilation=1, groups=1):
    x = te.placeholder((n, c, hw, hw), name="data")
    w = te.placeholder((f, c // groups, k, k), name="kernel")
    return [x, w], [topi.conv2d_nchw(x, w, stride=stride, padding=pad, dilation=dilation, groups=groups)]


def conv3d(n=1, c=16, d=16, hw=28, f=32, k=3, pad=1):
    x = te.placeholder((n, c, d, hw, hw), name="x")
    w = te.placeholder((f, c, k, k, k), name="w")
    xp = te.compute((n, c, d + 2 * pad, hw + 2 * pad, hw + 2 * pad), lambda b, ci, z, i, j: te.select(
        (z >= pad) & (z < d + pad) & (i >= pad) & (i < hw + pad) & (j >= pad) & (j < hw + pad),
        x[b, ci, z - pad, i - pad, j - pad], 0.0), name="pad")
    rc = te.reduce_axis((0, c), name="rc")
    rz, ry, rx = (te.reduce_axis((0, k), name=nm) for nm in ("rz", "ry", "rx"))
    out = te.compute((n, f, d, hw, hw), lambda b, o, z, i, j: te.sum(
        xp[b, rc, z + rz, i + ry, j + rx] * w[o, rc, rz, ry, rx], axis=[rc, rz, ry, rx]), name="conv3d")
    return [x, w], [out]


def matmul(n=512):
    A = te.placeholder((n, n), name="A")
    B = te.placeholder((n, n), name="B")
    k = te.reduce_axis((0, n), name="k")
    return [A, B], [te.compute((n, n), lambda i, j: te.sum(A[i, k] * B[k, j], axis=k), name="C")]


def conv2d_transpose(n=1, c=64, hw=14, f=32, k=4, stride=2, pad=1):
    x = te.placeholder((n, c, hw, hw), name="x")
    w = te.placeholder((c, f, k, k), name="w")
    return [x, w], [topi.conv2d_transpose_nchw(x, w, stride=stride, padding=pad)]


def capsule_conv(n=1, hw=16, ci=32, co=32, k=3, caps=4, pad=1):
    x = te.placeholder((n, hw, hw, ci, caps, caps), name="x")
    w = te.placeholder((k, k, ci, co, caps, caps), name="w")
    xp = te.compute((n, hw + 2 * pad, hw + 2 * pad, ci, caps, caps), lambda b, i, j, c, p, q: te.select(
        (i >= pad) & (i < hw + pad) & (j >= pad) & (j < hw + pad), x[b, i - pad, j - pad, c, p, q], 0.0), name="pad")
    ry, rx, rc, rk = (te.reduce_axis((0, e), name=nm) for e, nm in ((k, "ry"), (k, "rx"), (ci, "rc"), (caps, "rk")))
    out = te.compute((n, hw, hw, co, caps, caps), lambda b, i, j, o, p, q: te.sum(
        xp[b, i + ry, j + rx, rc, p, rk] * w[ry, rx, rc, o, rk, q], axis=[ry, rx, rc, rk]), name="capsule")
    return [x, w], [out]


def norm(n=1024):
    x = te.placeholder((n, n), name="x")
    i, j = te.reduce_axis((0, n), name="i"), te.reduce_axis((0, n), name="j")
    s = te.compute((1,), lambda _: te.sum(x[i, j] * x[i, j], axis=[i, j]), name="sumsq")
    return [x], [te.compute((1,), lambda z: te.sqrt(s[z]), name="norm")]


SUITE = {
    "C1D": conv1d,
    "C2D": conv2d,                                                     # ResNet-18's 3x3 conv, 64 ch, 56x56
    "C3D": conv3d,
    "GMM": matmul,
    "GRP": lambda: conv2d(c=64, hw=28, f=64, groups=4),
    "DIL": lambda: conv2d(c=64, hw=28, f=64, pad=2, dilation=2),
    "DEP": lambda: conv2d(c=128, hw=28, f=128, groups=128),
    "T2D": conv2d_transpose,
    "CAP": capsule_conv,
    "NRM": norm,
}
AUTOTVM = {
    "C2D": ("conv2d_nchw", (1, 64, 56, 56, 64, 3, 3, 1, 1)),
    "GMM": ("matmul", (512, 512, 512)),
    "DEP": ("depthwise_conv2d_nchw", (1, 128, 28, 28, 3, 3, 1, 1)),
}
