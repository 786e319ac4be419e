"""Small compute DAGs the Ansor tests share: the operator kinds the issue names."""
from __future__ import annotations

from workbench import te, topi


def matmul(n=64, m=48, k=32, relu=False):
    A = te.placeholder((n, k), name="A")
    B = te.placeholder((k, m), name="B")
    r = te.reduce_axis((0, k), name="k")
    C = te.compute((n, m), lambda i, j: te.sum(A[i, r] * B[r, j], axis=r), name="C")
    if relu:
        D = te.compute((n, m), lambda i, j: te.max(C[i, j], 0.0), name="D")
        return [A, B], [D]
    return [A, B], [C]


def conv2d(c=8, f=16, hw=10, relu=True):
    x = te.placeholder((1, c, hw, hw), name="x")
    w = te.placeholder((f, c, 3, 3), name="w")
    b = te.placeholder((1, f, 1, 1), name="b")
    y = topi.conv2d_nchw(x, w, padding=1)
    if not relu:
        return [x, w], [y]
    z = te.compute(y.shape, lambda n, o, h, q: y[n, o, h, q] + b[0, o, 0, 0], name="add")
    r = te.compute(y.shape, lambda *i: te.max(z[i], 0.0), name="relu")
    return [x, w, b], [r]


def conv2d_packed(c=4, f=32, hw=9, stride=1):
    """A packed-kernel conv (``pack_conv_kernels``) with bias and relu: read back through its NCHW view."""
    x = te.placeholder((1, c, hw, hw), name="x")
    wp = te.placeholder((f // 16, c, 3, 3, 16), name="wp")
    b = te.placeholder((f, 1, 1), name="b")
    y = topi.conv2d_nchw_packed(x, wp, stride=stride, padding=1)
    return [x, wp, b], [topi.relu(topi.add(y, b))]


def conv2d_blocked(c=16, f=32, hw=16):
    """A packed conv between NCHW16c activations (pass ``block_layout``) with bias and relu; its weights
    are small next to its input, so its threads split rows (``conv2d_packed.split_rows``)."""
    x = te.placeholder((1, c // 16, hw, hw, 16), name="x")
    wp = te.placeholder((f // 16, c, 3, 3, 16), name="wp")
    b = te.placeholder((f // 16, 1, 1, 16), name="b")
    y = topi.conv2d_nchw_packed(x, wp, padding=1, out_blocked=True)
    return [x, wp, b], [topi.relu(topi.add(y, b))]


def depthwise(c=16, hw=12):
    x = te.placeholder((1, c, hw, hw), name="x")
    w = te.placeholder((c, 1, 3, 3), name="w")
    return [x, w], [topi.conv2d_nchw(x, w, padding=1, groups=c)]


def softmax(n=8, m=64):
    x = te.placeholder((n, m), name="x")
    return [x], [topi.softmax(x, axis=-1)]


def layer_norm(n=8, m=64):
    x = te.placeholder((n, m), name="x")
    g = te.placeholder((m,), name="g")
    b = te.placeholder((m,), name="b")
    return [x, g, b], [topi.layer_norm(x, g, b, axis=-1)]


def elementwise_chain(n=16, m=40):
    x = te.placeholder((n, m), name="x")
    y = te.placeholder((n, m), name="y")
    a = te.compute((n, m), lambda i, j: x[i, j] * 2.0, name="a")
    b = te.compute((n, m), lambda i, j: a[i, j] + y[i, j], name="b")
    c = te.compute((n, m), lambda i, j: te.exp(b[i, j]), name="c")
    return [x, y], [c]


def norm(n=32, m=64):
    x = te.placeholder((n, m), name="x")
    i = te.reduce_axis((0, n), name="i")
    j = te.reduce_axis((0, m), name="j")
    s = te.compute((1,), lambda _: te.sum(x[i, j] * x[i, j], axis=[i, j]), name="sumsq")
    return [x], [s]


ALL = {"matmul": matmul, "matmul_relu": lambda: matmul(relu=True), "conv2d": conv2d, "depthwise": depthwise,
       "conv2d_packed": conv2d_packed, "conv2d_packed_s2": lambda: conv2d_packed(stride=2),
       "conv2d_blocked": conv2d_blocked,
       "softmax": softmax, "layer_norm": layer_norm, "elementwise_chain": elementwise_chain, "norm": norm}
