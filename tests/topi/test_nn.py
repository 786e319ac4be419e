"""Neural-network operators against plain-numpy references: matmul family, conv, pool, softmax, norms."""
import numpy as np
import pytest

from workbench import te, topi
from workbench.te.reference import evaluate, topo_order
from workbench.topi import numpy_ref

TOL = dict(rtol=1e-5, atol=1e-5)


def rand(rng, shape, dtype="float32"):
    return rng.standard_normal(shape).astype(dtype)


def feed(rng, *tensors):
    return {t: rand(rng, t.shape, t.dtype) for t in tensors}


# ------------------------------------------------------------------ matmul family

@pytest.mark.parametrize("ta,tb", [(False, False), (True, False), (False, True), (True, True)])
def test_matmul(ta, tb, rng):
    n, k, m = 5, 7, 3
    A = te.placeholder((k, n) if ta else (n, k), name="A")
    B = te.placeholder((m, k) if tb else (k, m), name="B")
    d = feed(rng, A, B)
    a, b = d[A].T if ta else d[A], d[B].T if tb else d[B]
    C = topi.matmul(A, B, transpose_a=ta, transpose_b=tb)
    assert C.shape == (n, m) and C.name == "matmul"
    np.testing.assert_allclose(evaluate([C], d)[0], a.astype("float64") @ b, **TOL)


def test_matmul_int8_accumulates_in_int32(rng):
    A, B = te.placeholder((4, 64), "int8", name="A"), te.placeholder((64, 3), "int8", name="B")
    a, b = (rng.integers(-128, 128, t.shape).astype("int8") for t in (A, B))
    C = topi.matmul(A, B, out_dtype="int32")
    assert C.dtype == "int32"
    np.testing.assert_array_equal(evaluate([C], {A: a, B: b})[0], a.astype("int32") @ b.astype("int32"))


def test_dense_with_and_without_bias(rng):
    X, W, b = te.placeholder((6, 10), name="X"), te.placeholder((4, 10), name="W"), te.placeholder((4,), name="b")
    d = feed(rng, X, W, b)
    Y, Yb = topi.dense(X, W), topi.dense(X, W, b)
    assert Yb.name == "bias_add" and Yb.op.input_tensors[0].name == "dense"
    got = evaluate([Y, Yb], d)
    ref = d[X].astype("float64") @ d[W].T
    np.testing.assert_allclose(got[0], ref, **TOL)
    np.testing.assert_allclose(got[1], ref + d[b], **TOL)


@pytest.mark.parametrize("sa,sb", [((3, 4, 5), (3, 5, 2)), ((1, 4, 5), (3, 5, 2)), ((3, 4, 5), (1, 5, 2)),
                                   ((3, 4, 5), (5, 2)), ((4, 5), (2, 5, 2)), ((2, 1, 4, 5), (3, 5, 2))], ids=str)
def test_batch_matmul_broadcast(sa, sb, rng):
    A, B = te.placeholder(sa, name="A"), te.placeholder(sb, name="B")
    d = feed(rng, A, B)
    C = topi.batch_matmul(A, B)
    expected = np.matmul(d[A].astype("float64"), d[B])
    assert C.shape == expected.shape
    np.testing.assert_allclose(evaluate([C], d)[0], expected, **TOL)


def test_batch_matmul_transposed(rng):
    A, B = te.placeholder((2, 5, 4), name="A"), te.placeholder((2, 3, 5), name="B")
    d = feed(rng, A, B)
    C = topi.batch_matmul(A, B, transpose_a=True, transpose_b=True)
    expected = np.matmul(np.swapaxes(d[A], 1, 2).astype("float64"), np.swapaxes(d[B], 1, 2))
    np.testing.assert_allclose(evaluate([C], d)[0], expected, **TOL)
    assert [iv.name for iv in C.op.axis] == ["b", "i", "j"]


# ------------------------------------------------------------------ convolution

CONV = [  # data shape, kernel shape, stride, padding, dilation, groups
    ((1, 3, 7, 7), (4, 3, 3, 3), 1, 0, 1, 1),
    ((2, 3, 7, 6), (4, 3, 3, 3), 1, 1, 1, 1),
    ((1, 2, 9, 8), (3, 2, 3, 2), (2, 1), (1, 0), 1, 1),
    ((1, 2, 11, 9), (3, 2, 3, 2), (2, 1), (1, 0, 2, 1), (2, 1), 1),
    ((1, 3, 8, 10), (2, 3, 1, 1), 2, 0, 1, 1),
    ((1, 2, 10, 10), (2, 2, 3, 3), 3, 2, 2, 1),
    ((1, 4, 7, 7), (6, 2, 3, 3), 1, 1, 1, 2),
    ((1, 6, 6, 5), (6, 2, 3, 1), (1, 2), (0, 1, 1, 0), 1, 3),
    ((1, 4, 6, 6), (4, 1, 3, 3), 1, 1, 1, 4),
    ((1, 3, 5, 5), (6, 1, 3, 3), 2, 1, 1, 3),
]


@pytest.mark.parametrize("ds,ks,stride,padding,dilation,groups", CONV, ids=str)
def test_conv2d_nchw(ds, ks, stride, padding, dilation, groups, rng):
    x, w = te.placeholder(ds, name="x"), te.placeholder(ks, name="w")
    d = feed(rng, x, w)
    y = topi.conv2d_nchw(x, w, stride, padding, dilation, groups)
    expected = numpy_ref.conv2d_nchw(d[x], d[w], stride, padding, dilation, groups)
    assert y.shape == expected.shape and y.name == "conv2d"
    np.testing.assert_allclose(evaluate([y], d)[0], expected, **TOL)


def test_conv2d_pads_in_a_separate_stage():
    x, w = te.placeholder((1, 3, 7, 7), name="x"), te.placeholder((4, 3, 3, 3), name="w")
    assert [t.name for t in topi.conv2d_nchw(x, w, padding=1).op.input_tensors] == ["pad", "w"]
    assert [t.name for t in topi.conv2d_nchw(x, w, padding=0).op.input_tensors] == ["x", "w"]


@pytest.mark.parametrize("ds,ks,stride,padding,dilation,groups", CONV, ids=str)
def test_conv2d_nhwc(ds, ks, stride, padding, dilation, groups, rng):
    n, c, h, w_ = ds
    f, cg, kh, kw = ks
    x, w = te.placeholder((n, h, w_, c), name="x"), te.placeholder((kh, kw, cg, f), name="w")
    d = feed(rng, x, w)
    y = topi.conv2d_nhwc(x, w, stride, padding, dilation, groups)
    expected = numpy_ref.conv2d_nhwc(d[x], d[w], stride, padding, dilation, groups)
    np.testing.assert_allclose(evaluate([y], d)[0], expected, **TOL)


@pytest.mark.parametrize("mult,stride,padding", [(1, 1, 1), (2, 2, (1, 0)), (3, 1, (0, 1, 2, 1))], ids=str)
def test_depthwise_conv2d(mult, stride, padding, rng):
    x, w = te.placeholder((2, 3, 6, 7), name="x"), te.placeholder((3 * mult, 1, 3, 3), name="w")
    d = feed(rng, x, w)
    y = topi.depthwise_conv2d_nchw(x, w, stride, padding)
    assert y.name == "depthwise_conv2d"
    expected = numpy_ref.conv2d_nchw(d[x], d[w], stride, padding, 1, groups=3)
    np.testing.assert_allclose(evaluate([y], d)[0], expected, **TOL)


def test_depthwise_conv2d_channel_mapping(rng):
    """Independently of numpy_ref: output channel f reads input channel f // multiplier."""
    x, w = te.placeholder((1, 2, 5, 5), name="x"), te.placeholder((6, 1, 3, 3), name="w")
    d = feed(rng, x, w)
    xp = np.pad(d[x].astype("float64"), ((0, 0), (0, 0), (1, 1), (1, 1)))
    expected = np.zeros((1, 6, 5, 5))
    for f in range(6):
        for i in range(3):
            for j in range(3):
                expected[0, f] += xp[0, f // 3, i:i + 5, j:j + 5] * d[w][f, 0, i, j]
    np.testing.assert_allclose(evaluate([topi.depthwise_conv2d_nchw(x, w, padding=1)], d)[0], expected, **TOL)


def test_group_conv2d_alias(rng):
    x, w = te.placeholder((1, 4, 5, 5), name="x"), te.placeholder((4, 2, 3, 3), name="w")
    d = feed(rng, x, w)
    y = topi.group_conv2d_nchw(x, w, padding=1, groups=2)
    np.testing.assert_allclose(evaluate([y], d)[0], numpy_ref.conv2d_nchw(d[x], d[w], 1, 1, 1, 2), **TOL)


def test_conv2d_int8_out_dtype(rng):
    x, w = te.placeholder((1, 2, 5, 5), "int8", name="x"), te.placeholder((3, 2, 3, 3), "int8", name="w")
    d = {t: rng.integers(-128, 128, t.shape).astype("int8") for t in (x, w)}
    y = topi.conv2d_nchw(x, w, padding=1, out_dtype="int32")
    assert y.dtype == "int32"
    expected = numpy_ref.conv2d_nchw(d[x], d[w], 1, 1).astype("int64")
    np.testing.assert_array_equal(evaluate([y], d)[0], expected)


# ------------------------------------------------------------------ pooling

POOL = [  # shape, kernel, stride, padding, dilation, ceil_mode
    ((1, 2, 6, 6), 2, 2, 0, 1, False),
    ((2, 3, 7, 7), 3, 2, 1, 1, False),
    ((1, 2, 7, 9), (3, 2), (2, 1), (1, 0), 1, False),
    ((1, 2, 8, 8), 3, 1, (1, 1, 0, 2), 1, False),
    ((1, 2, 9, 9), 3, 2, 1, 2, False),
    ((1, 2, 6, 6), 3, 2, 0, 1, True),
    ((1, 2, 7, 8), 3, 2, 1, 1, True),
    ((1, 1, 5, 5), 2, 2, 0, 1, True),
    ((1, 2, 10, 7), (2, 3), (3, 2), (1, 1, 0, 1), (2, 1), True),
]


@pytest.mark.parametrize("shape,kernel,stride,padding,dilation,ceil_mode", POOL, ids=str)
def test_max_pool2d(shape, kernel, stride, padding, dilation, ceil_mode, rng):
    x = te.placeholder(shape, name="x")
    a = rand(rng, shape)
    y = topi.max_pool2d(x, kernel, stride, padding, dilation, ceil_mode)
    expected = numpy_ref.pool2d(a, "max", kernel, stride, padding, dilation, ceil_mode)
    assert y.shape == expected.shape
    np.testing.assert_array_equal(evaluate([y], {x: a})[0], expected.astype("float32"))


@pytest.mark.parametrize("count_include_pad", [False, True])
@pytest.mark.parametrize("shape,kernel,stride,padding,dilation,ceil_mode", POOL, ids=str)
def test_avg_pool2d(shape, kernel, stride, padding, dilation, ceil_mode, count_include_pad, rng):
    x = te.placeholder(shape, name="x")
    a = rand(rng, shape)
    y = topi.avg_pool2d(x, kernel, stride, padding, dilation, ceil_mode, count_include_pad)
    expected = numpy_ref.pool2d(a, "avg", kernel, stride, padding, dilation, ceil_mode, count_include_pad)
    assert y.shape == expected.shape
    np.testing.assert_allclose(evaluate([y], {x: a})[0], expected, **TOL)


def test_avg_pool2d_count_include_pad_differs_at_borders(rng):
    x = te.placeholder((1, 1, 4, 4), name="x")
    a = np.ones((1, 1, 4, 4), "float32")
    inc, exc = (topi.avg_pool2d(x, 3, 1, 1, count_include_pad=f) for f in (True, False))
    got_inc, got_exc = evaluate([inc, exc], {x: a})
    np.testing.assert_allclose(got_exc, 1.0)
    assert got_inc[0, 0, 0, 0] == pytest.approx(4 / 9) and got_inc[0, 0, 1, 1] == pytest.approx(1.0)


def test_pool_uint8(rng):
    x = te.placeholder((1, 2, 6, 6), "uint8", name="x")
    a = rng.integers(0, 256, x.shape).astype("uint8")
    mx, av = topi.max_pool2d(x, 3, 2, 1), topi.avg_pool2d(x, 2, 2)
    assert mx.dtype == "uint8" and av.dtype == "float32"
    got = evaluate([mx, av], {x: a})
    np.testing.assert_array_equal(got[0], numpy_ref.pool2d(a, "max", 3, 2, 1))
    np.testing.assert_allclose(got[1], numpy_ref.pool2d(a, "avg", 2, 2), **TOL)


def test_global_pools(rng):
    x = te.placeholder((2, 3, 5, 4), name="x")
    a = rand(rng, x.shape)
    gavg, gmax = topi.global_avg_pool2d(x), topi.global_max_pool2d(x)
    assert gavg.shape == gmax.shape == (2, 3, 1, 1)
    got = evaluate([gavg, gmax], {x: a})
    np.testing.assert_allclose(got[0], a.astype("float64").mean(axis=(2, 3), keepdims=True), **TOL)
    np.testing.assert_array_equal(got[1], a.max(axis=(2, 3), keepdims=True))


# ------------------------------------------------------------------ softmax and normalization

@pytest.mark.parametrize("shape,axis", [((4, 10), -1), ((4, 10), 0), ((2, 3, 5), 1), ((2, 3, 5), -3), ((7,), 0)],
                         ids=str)
def test_softmax_and_log_softmax(shape, axis, rng):
    x = te.placeholder(shape, name="x")
    a = rand(rng, shape) * 4
    sm, lsm = topi.softmax(x, axis), topi.log_softmax(x, axis)
    got = evaluate([sm, lsm], {x: a})
    np.testing.assert_allclose(got[0], numpy_ref.softmax(a, axis), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got[1], numpy_ref.log_softmax(a, axis), rtol=1e-5, atol=1e-5)


def test_softmax_stages_and_large_inputs():
    x = te.placeholder((2, 3), name="x")
    sm = topi.softmax(x)
    assert [op.name for op in topo_order([sm])] == ["x", "softmax_max", "softmax_exp", "softmax_sum", "softmax"]
    assert [u.name for u in sm.op.input_tensors] == ["softmax_exp", "softmax_sum"]
    a = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, 0.0, 1000.0]], "float32")
    np.testing.assert_allclose(evaluate([sm], {x: a})[0], numpy_ref.softmax(a), rtol=1e-5, atol=1e-6)


def test_softmax_float64(rng):
    x = te.placeholder((3, 6), "float64", name="x")
    a = rng.standard_normal(x.shape)
    sm = topi.softmax(x)
    assert sm.dtype == "float64"
    np.testing.assert_allclose(evaluate([sm], {x: a})[0], numpy_ref.softmax(a), rtol=1e-12)


@pytest.mark.parametrize("shape,axis", [((4, 16), -1), ((2, 3, 8), (-2, -1)), ((2, 3, 8), [1, 2]), ((5,), -1),
                                        ((2, 3, 4), (0, 1, 2))], ids=str)
@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm(shape, axis, affine, rng):
    x = te.placeholder(shape, name="x")
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    nshape = tuple(shape[a] for a in axes)
    g, b = te.placeholder(nshape, name="g"), te.placeholder(nshape, name="b")
    d = feed(rng, x, g, b)
    y = topi.layer_norm(x, g if affine else None, b if affine else None, axis, epsilon=1e-5)
    expected = numpy_ref.layer_norm(d[x], d[g] if affine else None, d[b] if affine else None, axes)
    np.testing.assert_allclose(evaluate([y], d)[0], expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("shape,axis", [((2, 3, 4, 4), 1), ((5, 3), 1), ((2, 4, 3), -1)], ids=str)
def test_batch_norm_inference(shape, axis, rng):
    x = te.placeholder(shape, name="x")
    c = shape[axis]
    params = [te.placeholder((c,), name=n) for n in ("gamma", "beta", "mean", "var")]
    d = feed(rng, x, *params)
    d[params[3]] = rng.uniform(0.5, 2, c).astype("float32")
    y = topi.batch_norm_inference(x, *params, epsilon=1e-3, axis=axis)
    expected = numpy_ref.batch_norm(d[x], *(d[p] for p in params), epsilon=1e-3, axis=axis)
    np.testing.assert_allclose(evaluate([y], d)[0], expected, **TOL)
