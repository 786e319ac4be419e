"""Reductions and argmax/argmin: type rules, numpy reference vs ONNX Runtime, te compute."""
import numpy as np
import pytest
from opcheck import check_op, infer, run_onnx

from workbench.errors import TypeCheckError
from workbench.graph.op import OPS, OpPattern
from workbench.graph.types import TensorType

RNG = np.random.default_rng(4)
REDUCE = [("sum", "ReduceSum"), ("mean", "ReduceMean"), ("max", "ReduceMax"), ("min", "ReduceMin"),
          ("prod", "ReduceProd")]


@pytest.mark.parametrize("axis,keepdims", [(None, False), (None, True), ((1,), False), ((0, 2), True),
                                           ((-1,), False), (1, True)])
@pytest.mark.parametrize("name,onnx_op", REDUCE)
def test_reduce(name, onnx_op, axis, keepdims):
    x = RNG.standard_normal((2, 3, 4)).astype("float32")
    ref = check_op(name, [x], {"axis": axis, "keepdims": keepdims}, rtol=1e-5, atol=1e-6)
    axes = None if axis is None else np.array([axis] if isinstance(axis, int) else axis, "int64")
    want = run_onnx(onnx_op, [x], {"keepdims": int(keepdims)}, constants=None if axes is None else [axes])[0]
    np.testing.assert_allclose(ref, want, rtol=1e-5, atol=1e-6)
    assert OPS[name].pattern == OpPattern.COMM_REDUCE


@pytest.mark.parametrize("name", ["sum", "max", "min", "prod"])
def test_reduce_ints(name):
    x = RNG.integers(-3, 4, (3, 4)).astype("int32")
    np.testing.assert_array_equal(check_op(name, [x], {"axis": (1,)}), getattr(np, name)(x, axis=1))


@pytest.mark.parametrize("axis,keepdims,last", [(0, True, False), (1, False, False), (-1, True, True),
                                                (2, False, True)])
@pytest.mark.parametrize("name,onnx_op", [("argmax", "ArgMax"), ("argmin", "ArgMin")])
@pytest.mark.parametrize("dtype", ["float32", "int32"])
def test_arg_reduce(name, onnx_op, axis, keepdims, last, dtype):
    x = RNG.integers(-2, 3, (3, 4, 5)).astype(dtype)  # many ties
    ref = check_op(name, [x], {"axis": axis, "keepdims": keepdims, "select_last_index": last})
    assert ref.dtype == np.int64
    want = run_onnx(onnx_op, [x], {"axis": axis, "keepdims": int(keepdims), "select_last_index": int(last)})[0]
    np.testing.assert_array_equal(ref, want)


def test_argmax_nan_is_the_maximum():
    x = np.array([[1.0, np.nan, 3.0, np.nan], [5.0, 2.0, 5.0, 1.0]], "float32")
    np.testing.assert_array_equal(check_op("argmax", [x], {"axis": 1, "keepdims": False}), [1, 0])
    np.testing.assert_array_equal(check_op("argmin", [x], {"axis": 1, "keepdims": False}), [1, 3])


def test_infer():
    assert infer("sum", (2, 3, 4), axis=(0, 2)) == TensorType((3,))
    assert infer("mean", (2, 3), keepdims=True) == TensorType((1, 1))
    assert infer("max", (2, 3)) == TensorType(())
    assert infer("argmax", (2, 3), axis=-1) == TensorType((2, 1), "int64")


@pytest.mark.parametrize("name,types,attrs,match", [
    ("sum", [(2, 3)], {"axis": (2,)}, "sum: axis 2 is out of range for a 2-d tensor"),
    ("sum", [(2, 3)], {"axis": (1, -1)}, "sum: axis .* names an axis twice"),
    ("sum", [(2, 3)], {"axis": "rows"}, "sum: axis must be None, an int or a list of ints"),
    ("mean", [((2, 3), "int32")], {}, "mean: input int32.*float"),
    ("sum", [((2, 3), "bool")], {}, "sum: .*bool"),
    ("argmax", [(2, 3)], {"axis": 2}, "argmax: axis 2 is out of range"),
    ("argmin", [(2, 3), (2, 3)], {}, "argmin: takes 1 inputs, got 2"),
])
def test_bad_inputs(name, types, attrs, match):
    with pytest.raises(TypeCheckError, match=match):
        infer(name, *types, **attrs)
