"""conv2d_transpose_nchw, resize2d and argmax/argmin against plain numpy, evaluated and compiled."""
import doctest

import numpy as np
import pytest

import workbench as wb
from workbench import te, topi
from workbench.errors import TypeCheckError
from workbench.te.reference import evaluate
from workbench.topi import image


def _run(out, inputs, feeds):
    got = evaluate([out], dict(zip(inputs, feeds)))[0]
    kernel = wb.build(te.create_schedule([out.op]), inputs + [out])
    res = np.zeros(out.shape, out.dtype)
    kernel(*feeds, res)
    return got, res


def _conv_t_numpy(x, w, s, p, d, op):
    n, c, h, wd = x.shape
    _, f, kh, kw = w.shape
    full = np.zeros((n, f, (h - 1) * s + d * (kh - 1) + 1 + op, (wd - 1) * s + d * (kw - 1) + 1 + op))
    for i in range(h):
        for j in range(wd):
            for ry in range(kh):
                for rx in range(kw):
                    full[:, :, i * s + ry * d, j * s + rx * d] += x[:, :, i, j] @ w[:, :, ry, rx]
    return full[:, :, p:full.shape[2] - p, p:full.shape[3] - p]


@pytest.mark.parametrize("s,p,d,op", [(1, 0, 1, 0), (2, 1, 1, 1), (3, 2, 2, 0)])
def test_conv2d_transpose(s, p, d, op, rng):
    X, W = te.placeholder((1, 3, 4, 5), name="x"), te.placeholder((3, 2, 3, 3), name="w")
    Y = topi.conv2d_transpose_nchw(X, W, stride=s, padding=p, dilation=d, output_padding=op)
    x, w = rng.standard_normal(X.shape).astype("float32"), rng.standard_normal(W.shape).astype("float32")
    want = _conv_t_numpy(x.astype("float64"), w.astype("float64"), s, p, d, op)
    for got in _run(Y, [X, W], [x, w]):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_conv2d_transpose_errors():
    X = te.placeholder((1, 3, 4, 4), name="x")
    with pytest.raises(TypeCheckError, match="conv2d_transpose: channel mismatch"):
        topi.conv2d_transpose_nchw(X, te.placeholder((2, 2, 3, 3), name="w"))
    with pytest.raises(TypeCheckError, match="output_padding"):
        topi.conv2d_transpose_nchw(X, te.placeholder((3, 2, 3, 3), name="w"), output_padding=1)


def test_resize2d_nearest_asymmetric_doubles_pixels(rng):
    X = te.placeholder((1, 2, 3, 4), name="x")
    x = rng.standard_normal(X.shape).astype("float32")
    for got in _run(topi.resize2d(X, (6, 8), coordinate_transformation_mode="asymmetric", nearest_mode="floor"),
                    [X], [x]):
        np.testing.assert_array_equal(got, x.repeat(2, axis=2).repeat(2, axis=3))


def test_resize2d_linear_align_corners_keeps_corners(rng):
    X = te.placeholder((1, 1, 3, 3), name="x")
    x = rng.standard_normal(X.shape).astype("float32")
    for got in _run(topi.resize2d(X, (5, 5), "linear", "align_corners"), [X], [x]):
        np.testing.assert_allclose(got[0, 0, ::2, ::2], x[0, 0], rtol=1e-6)
        np.testing.assert_allclose(got[0, 0, 1, 0], (x[0, 0, 0, 0] + x[0, 0, 1, 0]) / 2, rtol=1e-5)


def test_resize2d_errors():
    with pytest.raises(TypeCheckError, match="resize2d: method"):
        topi.resize2d(te.placeholder((1, 1, 3, 3), name="x"), (4, 4), method="cubic")
    with pytest.raises(TypeCheckError, match="resize2d: linear"):
        topi.resize2d(te.placeholder((1, 1, 3, 3), "int32", name="x"), (4, 4), method="linear")


@pytest.mark.parametrize("fn", ["argmax", "argmin"])
@pytest.mark.parametrize("axis,keepdims,last", [(0, True, False), (1, False, True), (-1, False, False)])
def test_arg_reduce(fn, axis, keepdims, last, rng):
    X = te.placeholder((3, 4, 5), name="x")
    x = rng.integers(-2, 3, X.shape).astype("float32")
    Y = getattr(topi, fn)(X, axis, keepdims, last)
    npf = getattr(np, fn)
    want = (x.shape[axis] - 1 - npf(np.flip(x, axis), axis=axis)) if last else npf(x, axis=axis)
    want = np.expand_dims(want, axis) if keepdims else want
    assert Y.dtype == "int64"
    for got in _run(Y, [X], [x]):
        np.testing.assert_array_equal(got, want)


def test_image_docstrings():
    assert doctest.testmod(image, optionflags=doctest.ELLIPSIS).failed == 0
