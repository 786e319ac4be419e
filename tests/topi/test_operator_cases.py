"""The OPERATOR_CASES registry: every case's reference evaluation matches its numpy reference."""
import numpy as np
import pytest

from workbench.te.reference import evaluate, topo_order
from workbench.te.tensor import ComputeOp, PlaceholderOp, Tensor
from workbench.topi.testing import OPERATOR_CASES, OperatorCase

REQUIRED = {"matmul", "batch_matmul_broadcast", "dense_bias", "conv2d_nchw", "conv2d_nhwc", "depthwise_conv2d",
            "grouped_conv2d", "conv2d_stride_dilation_pad", "max_pool2d", "avg_pool2d", "global_avg_pool2d",
            "softmax", "layer_norm", "batch_norm_inference", "transpose", "reshape", "reduce_sum_axes",
            "elementwise_chain", "broadcast_add", "concatenate", "pad", "gelu", "log_softmax", "strided_slice",
            "mean_axes", "int8_matmul_int32", "uint8_normalize", "less_bool", "float64_softmax"}


def test_registry_shape():
    names = [c.name for c in OPERATOR_CASES]
    assert len(names) >= 25 and len(set(names)) == len(names)
    assert REQUIRED <= set(names), REQUIRED - set(names)
    assert all(isinstance(c, OperatorCase) for c in OPERATOR_CASES)
    dtypes = {t.dtype for c in OPERATOR_CASES for t in c()[0]}
    assert {"float32", "float64", "int32", "uint8", "bool"} <= dtypes


@pytest.mark.parametrize("case", OPERATOR_CASES, ids=[c.name for c in OPERATOR_CASES])
def test_case(case):
    outputs, inputs, make_inputs, numpy_ref = case()
    assert all(isinstance(t, Tensor) for t in outputs + inputs)
    assert all(isinstance(t.op, PlaceholderOp) for t in inputs)
    ops = topo_order(outputs)
    assert {op for op in ops if isinstance(op, PlaceholderOp)} == {t.op for t in inputs}
    for t in outputs:
        assert int(np.prod(t.shape)) <= 4096, f"{case.name}: output {t.name} {t.shape} is too large"
    for op in ops:
        if isinstance(op, ComputeOp):
            assert int(np.prod([iv.extent for iv in op.reduce_axis])) <= 256, f"{case.name}: {op.name} reduces too far"
    feeds = make_inputs(np.random.default_rng(1))
    assert set(feeds) == set(inputs)
    assert all(feeds[t].shape == t.shape and feeds[t].dtype == t.dtype for t in inputs)
    expected = numpy_ref(feeds)
    got = evaluate(outputs, feeds)
    assert len(expected) == len(outputs)
    for t, g, e in zip(outputs, got, expected):
        assert isinstance(e, np.ndarray) and e.shape == t.shape and e.dtype == t.dtype, (t, e.shape, e.dtype)
        if t.dtype in ("float32", "float64"):
            np.testing.assert_allclose(g, e, rtol=case.rtol, atol=case.atol)
        else:
            np.testing.assert_array_equal(g, e)


def test_cases_build_fresh_tensors():
    first, second = OPERATOR_CASES[0](), OPERATOR_CASES[0]()
    assert first[0][0] is not second[0][0]
