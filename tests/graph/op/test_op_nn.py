"""nn ops: conv, transposed conv, dense, matmul, norms, pooling, softmax, pad vs ONNX Runtime and te."""
import numpy as np
import pytest
from opcheck import check_op, infer, run_onnx

from workbench.errors import TypeCheckError
from workbench.graph.op import OPS, OpPattern
from workbench.graph.types import TensorType

RNG = np.random.default_rng(2)
TOL = dict(rtol=1e-4, atol=1e-5)


def rand(*shape):
    return RNG.standard_normal(shape).astype("float32")


# ------------------------------------------------------------------ convolution

CONV = [  # data shape, weight shape, strides, padding, dilation, groups
    ((1, 3, 8, 8), (4, 3, 3, 3), (1, 1), (0, 0, 0, 0), (1, 1), 1),
    ((2, 4, 7, 9), (6, 2, 3, 3), (2, 1), (1, 1, 1, 1), (1, 1), 2),
    ((1, 4, 9, 9), (4, 1, 3, 3), (1, 2), (1, 0, 2, 1), (2, 1), 4),
    ((1, 2, 6, 6), (3, 2, 1, 2), (3, 3), (0, 1, 0, 0), (1, 2), 1),
]


@pytest.mark.parametrize("ds,ws,strides,padding,dilation,groups", CONV)
def test_conv2d(ds, ws, strides, padding, dilation, groups):
    x, w = rand(*ds), rand(*ws)
    attrs = dict(strides=strides, padding=padding, dilation=dilation, groups=groups)
    ref = check_op("nn.conv2d", [x, w], attrs, **TOL)
    want = run_onnx("Conv", [x, w], dict(strides=strides, pads=padding, dilations=dilation, group=groups,
                                         kernel_shape=ws[2:]))[0]
    np.testing.assert_allclose(ref, want, **TOL)


CONV_T = [  # data shape, weight shape (IOHW), strides, padding, dilation, groups, output_padding
    ((1, 3, 4, 4), (3, 2, 3, 3), (1, 1), (0, 0, 0, 0), (1, 1), 1, (0, 0)),
    ((1, 4, 3, 5), (4, 3, 3, 3), (2, 2), (1, 1, 1, 1), (1, 1), 1, (1, 0)),
    ((2, 4, 4, 4), (4, 1, 2, 3), (2, 3), (0, 1, 1, 0), (1, 1), 2, (0, 2)),
    ((1, 2, 3, 3), (2, 2, 3, 2), (1, 2), (2, 0, 1, 1), (2, 1), 1, (0, 1)),
]


@pytest.mark.parametrize("ds,ws,strides,padding,dilation,groups,output_padding", CONV_T)
def test_conv2d_transpose(ds, ws, strides, padding, dilation, groups, output_padding):
    x, w = rand(*ds), rand(*ws)
    attrs = dict(strides=strides, padding=padding, dilation=dilation, groups=groups, output_padding=output_padding)
    ref = check_op("nn.conv2d_transpose", [x, w], attrs, **TOL)
    want = run_onnx("ConvTranspose", [x, w], dict(strides=strides, pads=padding, dilations=dilation, group=groups,
                                                  output_padding=output_padding, kernel_shape=ws[2:]))[0]
    np.testing.assert_allclose(ref, want, **TOL)


def test_conv_infer_and_errors():
    assert infer("nn.conv2d", (1, 3, 8, 8), (4, 3, 3, 3), padding=(1, 1, 1, 1), strides=(2, 2)) == \
        TensorType((1, 4, 4, 4))
    with pytest.raises(TypeCheckError, match=r"nn.conv2d: data float32\[1, 3, 8, 8\] has 3 channels but weight "
                                             r"float32\[4, 2, 3, 3\] expects 2 x groups 1"):
        infer("nn.conv2d", (1, 3, 8, 8), (4, 2, 3, 3))
    with pytest.raises(TypeCheckError, match="nn.conv2d: .*not a multiple of groups 2"):
        infer("nn.conv2d", (1, 4, 8, 8), (3, 2, 3, 3), groups=2)
    with pytest.raises(TypeCheckError, match="nn.conv2d: attribute padding must be 4 ints"):
        infer("nn.conv2d", (1, 3, 8, 8), (4, 3, 3, 3), padding=(1, 1, 1))
    with pytest.raises(TypeCheckError, match="nn.conv2d: attribute strides must be >= 1"):
        infer("nn.conv2d", (1, 3, 8, 8), (4, 3, 3, 3), strides=(0, 1))
    with pytest.raises(TypeCheckError, match="nn.conv2d: the dilated kernel"):
        infer("nn.conv2d", (1, 3, 4, 4), (4, 3, 3, 3), dilation=(2, 2))
    with pytest.raises(TypeCheckError, match="nn.conv2d: data .* must have rank 4"):
        infer("nn.conv2d", (3, 8, 8), (4, 3, 3, 3))
    with pytest.raises(TypeCheckError, match="nn.conv2d: data float32.*weight int8.*cast first"):
        infer("nn.conv2d", (1, 3, 8, 8), ((4, 3, 3, 3), "int8"))
    with pytest.raises(TypeCheckError, match="nn.conv2d_transpose: data .* has 3 channels but weight"):
        infer("nn.conv2d_transpose", (1, 3, 4, 4), (4, 3, 3, 3))
    with pytest.raises(TypeCheckError, match="nn.conv2d_transpose: output_padding"):
        infer("nn.conv2d_transpose", (1, 3, 4, 4), (3, 3, 3, 3), output_padding=(1, 1))
    assert infer("nn.conv2d_transpose", (1, 4, 4, 4), (4, 3, 3, 3), strides=(2, 2), groups=2) == \
        TensorType((1, 6, 9, 9))


# ------------------------------------------------------------------ dense and matmul

@pytest.mark.parametrize("ds", [(5, 8), (2, 3, 8), (8,)])
def test_dense(ds):
    x, w = rand(*ds), rand(4, 8)
    ref = check_op("nn.dense", [x, w], **TOL)
    want = run_onnx("MatMul", [x], constants=[w.T.copy()])[0]
    np.testing.assert_allclose(ref, want, **TOL)
    if len(ds) == 2:
        np.testing.assert_allclose(ref, run_onnx("Gemm", [x, w], dict(transB=1))[0], **TOL)


@pytest.mark.parametrize("sa,sb", [((3, 4), (4, 5)), ((2, 3, 4), (4, 5)), ((2, 1, 3, 4), (3, 4, 2)), ((4,), (4, 5)),
                                   ((2, 3, 4), (4,)), ((4,), (4,)), ((2, 3, 4), (1, 4, 2))])
def test_matmul(sa, sb):
    a, b = rand(*sa), rand(*sb)
    ref = check_op("nn.matmul", [a, b], **TOL)
    np.testing.assert_allclose(ref, run_onnx("MatMul", [a, b])[0], **TOL)


def test_matmul_and_dense_errors():
    with pytest.raises(TypeCheckError, match=r"nn.matmul: inner dimensions differ: a float32\[3, 4\] has 4"):
        infer("nn.matmul", (3, 4), (5, 2))
    with pytest.raises(TypeCheckError, match="nn.matmul: shapes .* do not broadcast"):
        infer("nn.matmul", (2, 3, 4), (3, 4, 2))
    with pytest.raises(TypeCheckError, match=r"nn.dense: data float32\[2, 8\] has K=8 but weight"):
        infer("nn.dense", (2, 8), (4, 7))
    assert infer("nn.matmul", (4,), (4,)) == TensorType(())


# ------------------------------------------------------------------ normalization

@pytest.mark.parametrize("shape,axis", [((2, 3, 4, 4), 1), ((2, 5), -1), ((3, 4, 2), 1)])
def test_bias_add(shape, axis):
    x, b = rand(*shape), rand(shape[axis])
    ref = check_op("nn.bias_add", [x, b], {"axis": axis})
    bshape = [1] * len(shape)
    bshape[axis] = -1
    np.testing.assert_allclose(ref, run_onnx("Add", [x, b.reshape(bshape)])[0])
    with pytest.raises(TypeCheckError, match="nn.bias_add: bias float32"):
        infer("nn.bias_add", shape, (shape[axis] + 1,), axis=axis)


@pytest.mark.parametrize("shape,eps", [((2, 3, 4, 4), 1e-5), ((2, 3), 1e-3), ((1, 4, 3, 2, 2), 1e-5)])
def test_batch_norm(shape, eps):
    c = shape[1]
    x, g, b, m = rand(*shape), rand(c), rand(c), rand(c)
    v = np.abs(rand(c)) + 0.5
    ref = check_op("nn.batch_norm", [x, g, b, m, v], {"epsilon": eps}, **TOL)
    np.testing.assert_allclose(ref, run_onnx("BatchNormalization", [x, g, b, m, v], {"epsilon": eps})[0], **TOL)
    with pytest.raises(TypeCheckError, match=r"nn.batch_norm: var float32\[2\] must be"):
        infer("nn.batch_norm", shape, (c,), (c,), (c,), (2,))
    assert OPS["nn.batch_norm"].pattern == OpPattern.BROADCAST


@pytest.mark.parametrize("shape,axis", [((2, 3, 8), -1), ((2, 3, 4), 1), ((4, 6), 0), ((2, 3, 4), -2)])
def test_layer_norm(shape, axis):
    x = rand(*shape)
    norm = shape[axis % len(shape):]
    g, b = rand(*norm), rand(*norm)
    ref = check_op("nn.layer_norm", [x, g, b], {"axis": axis, "epsilon": 1e-5}, **TOL)
    want = run_onnx("LayerNormalization", [x, g, b], {"axis": axis, "epsilon": 1e-5})[0]
    np.testing.assert_allclose(ref, want, **TOL)
    with pytest.raises(TypeCheckError, match="nn.layer_norm: gamma .* must have the normalized shape"):
        infer("nn.layer_norm", shape, norm[:-1] + (norm[-1] + 1,), norm, axis=axis)


@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (1, 2, 6)])
def test_instance_norm(shape):
    x, g, b = rand(*shape), rand(shape[1]), rand(shape[1])
    ref = check_op("nn.instance_norm", [x, g, b], {"epsilon": 1e-4}, **TOL)
    np.testing.assert_allclose(ref, run_onnx("InstanceNormalization", [x, g, b], {"epsilon": 1e-4})[0], **TOL)
    with pytest.raises(TypeCheckError, match="nn.instance_norm: gamma"):
        infer("nn.instance_norm", shape, (shape[1] + 1,), (shape[1],))
    with pytest.raises(TypeCheckError, match="nn.instance_norm: data .* must be a float"):
        infer("nn.instance_norm", (shape, "int32"), ((shape[1],), "int32"), ((shape[1],), "int32"))


# ------------------------------------------------------------------ pooling

POOL = [  # shape, pool_size, strides, padding, dilation, ceil_mode
    ((1, 2, 6, 6), (2, 2), (2, 2), (0, 0, 0, 0), (1, 1), False),
    ((1, 3, 7, 7), (3, 3), (2, 2), (1, 1, 1, 1), (1, 1), False),
    ((2, 2, 7, 8), (3, 2), (2, 3), (1, 0, 1, 1), (1, 1), True),
    ((1, 2, 9, 9), (2, 3), (2, 2), (0, 1, 1, 0), (2, 1), True),
    ((1, 1, 5, 6), (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), False),
]


@pytest.mark.parametrize("shape,pool,strides,padding,dilation,ceil_mode", POOL)
def test_max_pool2d(shape, pool, strides, padding, dilation, ceil_mode):
    x = rand(*shape)
    attrs = dict(pool_size=pool, strides=strides, padding=padding, dilation=dilation, ceil_mode=ceil_mode)
    ref = check_op("nn.max_pool2d", [x], attrs)
    want = run_onnx("MaxPool", [x], dict(kernel_shape=pool, strides=strides, pads=padding, dilations=dilation,
                                         ceil_mode=int(ceil_mode)))[0]
    np.testing.assert_allclose(ref, want)


@pytest.mark.parametrize("count_include_pad", [False, True])
@pytest.mark.parametrize("shape,pool,strides,padding,dilation,ceil_mode", POOL)
def test_avg_pool2d(shape, pool, strides, padding, dilation, ceil_mode, count_include_pad):
    x = rand(*shape)
    attrs = dict(pool_size=pool, strides=strides, padding=padding, dilation=dilation, ceil_mode=ceil_mode,
                 count_include_pad=count_include_pad)
    ref = check_op("nn.avg_pool2d", [x], attrs, **TOL)
    want = run_onnx("AveragePool", [x], dict(kernel_shape=pool, strides=strides, pads=padding, dilations=dilation,
                                             ceil_mode=int(ceil_mode), count_include_pad=int(count_include_pad)))[0]
    np.testing.assert_allclose(ref, want, **TOL)


def test_max_pool_on_ints_and_pool_errors():
    x = RNG.integers(-100, 100, (1, 2, 5, 5)).astype("int32")
    check_op("nn.max_pool2d", [x], dict(pool_size=(2, 2), padding=(1, 1, 0, 0)))
    with pytest.raises(TypeCheckError, match="nn.max_pool2d: needs the attribute pool_size"):
        infer("nn.max_pool2d", (1, 2, 5, 5))
    with pytest.raises(TypeCheckError, match="nn.max_pool2d: padding .* must be smaller than the window"):
        infer("nn.max_pool2d", (1, 2, 5, 5), pool_size=(2, 2), padding=(2, 0, 0, 0))
    with pytest.raises(TypeCheckError, match="nn.avg_pool2d: data int32.*must be a float"):
        infer("nn.avg_pool2d", ((1, 2, 5, 5), "int32"), pool_size=(2, 2))
    with pytest.raises(TypeCheckError, match="nn.avg_pool2d: the dilated window"):
        infer("nn.avg_pool2d", (1, 2, 2, 2), pool_size=(3, 3))


@pytest.mark.parametrize("name,onnx_op", [("nn.global_avg_pool2d", "GlobalAveragePool"),
                                          ("nn.global_max_pool2d", "GlobalMaxPool")])
def test_global_pool(name, onnx_op):
    x = rand(2, 3, 5, 4)
    np.testing.assert_allclose(check_op(name, [x], **TOL), run_onnx(onnx_op, [x])[0], **TOL)
    with pytest.raises(TypeCheckError, match=f"{name}: data float32\\[3, 5, 4\\] must have rank 4"):
        infer(name, (3, 5, 4))


# ------------------------------------------------------------------ softmax and pad

@pytest.mark.parametrize("shape,axis", [((2, 5), -1), ((2, 3, 4), 1), ((3, 4), 0)])
@pytest.mark.parametrize("name,onnx_op", [("nn.softmax", "Softmax"), ("nn.log_softmax", "LogSoftmax")])
def test_softmax(name, onnx_op, shape, axis):
    x = rand(*shape) * 3
    ref = check_op(name, [x], {"axis": axis}, **TOL)
    np.testing.assert_allclose(ref, run_onnx(onnx_op, [x], {"axis": axis})[0], **TOL)
    with pytest.raises(TypeCheckError, match=f"{name}: axis 3 is out of range"):
        infer(name, shape, axis=3)


@pytest.mark.parametrize("shape,pad_width,value,dtype", [
    ((2, 3), ((1, 0), (2, 1)), 0.0, "float32"),
    ((1, 2, 3, 3), ((0, 0), (0, 0), (1, 1), (2, 0)), -1.5, "float32"),
    ((3, 2), ((0, 0), (0, 0)), 0.0, "float32"),
    ((2, 4), ((1, 1), (0, 3)), 7.0, "int64"),
])
def test_pad(shape, pad_width, value, dtype):
    x = (rand(*shape) * 10).astype(dtype)
    ref = check_op("nn.pad", [x], {"pad_width": pad_width, "pad_value": value})
    pads = np.array([b for b, _ in pad_width] + [a for _, a in pad_width], "int64")
    want = run_onnx("Pad", [x], constants=[pads, np.array(value, dtype)])[0]
    np.testing.assert_array_equal(ref, want)
    assert OPS["nn.pad"].pattern == OpPattern.INJECTIVE


def test_pad_errors():
    with pytest.raises(TypeCheckError, match="nn.pad: pad_width must be 2 pairs"):
        infer("nn.pad", (2, 3), pad_width=((1, 1),))
    with pytest.raises(TypeCheckError, match="nn.pad: pad_width must be 2 pairs"):
        infer("nn.pad", (2, 3), pad_width=((1, 1), (-1, 0)))
    with pytest.raises(TypeCheckError, match="nn.pad: needs the attribute pad_width"):
        infer("nn.pad", (2, 3))


@pytest.mark.parametrize("tile, padding", [(2, (1, 1, 1, 1)), (4, (1, 1, 1, 1)), (4, (0, 1, 2, 1))])
def test_conv2d_winograd_is_the_direct_conv(tile, padding):
    from workbench import topi
    from workbench.graph.op.layout import nchw_to_blocked
    from workbench.topi import numpy_ref
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 16, 8, 8)).astype("float32")
    w = (rng.standard_normal((32, 16, 3, 3)) * 0.2).astype("float32")
    got = check_op("nn.conv2d_winograd", [nchw_to_blocked(x, 16), topi.transform_conv_kernel(w, tile)],
                   {"padding": padding, "tile": tile}, rtol=1e-4, atol=1e-4)
    want = nchw_to_blocked(numpy_ref.conv2d_nchw(x, w, 1, padding, 1), 16)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_conv2d_winograd_infer_and_errors():
    assert infer("nn.conv2d_winograd", (1, 2, 8, 8, 16), (6, 6, 32, 1, 16), tile=4).shape == (1, 1, 8, 8, 16)
    with pytest.raises(TypeCheckError, match="tile 3 is not one of"):
        infer("nn.conv2d_winograd", (1, 2, 8, 8, 16), (5, 5, 32, 1, 16), tile=3)
    with pytest.raises(TypeCheckError, match=r"expected \[4, 4, 32, F/16, 16\]"):
        infer("nn.conv2d_winograd", (1, 2, 8, 8, 16), (6, 6, 32, 1, 16), tile=2)
    with pytest.raises(TypeCheckError, match="whole 4x4 tiles"):
        infer("nn.conv2d_winograd", (1, 2, 6, 6, 16), (6, 6, 32, 1, 16), tile=4)
    with pytest.raises(TypeCheckError, match="NCHW16c"):
        infer("nn.conv2d_winograd", (1, 32, 8, 8), (6, 6, 32, 1, 16), tile=4)
