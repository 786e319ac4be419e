"""Unary elementwise ops: type rules, numpy reference vs ONNX Runtime, te compute (evaluated and compiled)."""
import math

import numpy as np
import onnx
import pytest
from opcheck import check_op, infer, run_onnx

from workbench.errors import TypeCheckError
from workbench.graph.op import OPS, OpPattern
from workbench.graph.types import TensorType

RNG = np.random.default_rng(0)
X = RNG.standard_normal((2, 3, 4)).astype("float32") * 2
POS = np.abs(X) + 0.1
HALVES = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.4, -0.6, 3.7, -3.2, 0.0, 7.5], "float32").reshape(3, 4)

# graph op, ONNX op (None: none), input, graph attrs, ONNX attrs
CASES = [
    ("nn.relu", "Relu", X, {}, {}),
    ("sigmoid", "Sigmoid", X, {}, {}),
    ("tanh", "Tanh", X, {}, {}),
    ("exp", "Exp", X, {}, {}),
    ("log", "Log", POS, {}, {}),
    ("sqrt", "Sqrt", POS, {}, {}),
    ("rsqrt", None, POS, {}, {}),
    ("abs", "Abs", X, {}, {}),
    ("negative", "Neg", X, {}, {}),
    ("erf", "Erf", X, {}, {}),
    ("floor", "Floor", HALVES, {}, {}),
    ("ceil", "Ceil", HALVES, {}, {}),
    ("round", "Round", HALVES, {}, {}),
    ("reciprocal", "Reciprocal", POS, {}, {}),
    ("sin", "Sin", X, {}, {}),
    ("cos", "Cos", X, {}, {}),
    ("logical_not", "Not", X > 0, {}, {}),
    ("nn.leaky_relu", "LeakyRelu", X, {}, {"alpha": 0.01}),
    ("nn.leaky_relu", "LeakyRelu", X, {"alpha": 0.3}, {"alpha": 0.3}),
    ("nn.hard_sigmoid", "HardSigmoid", X, {}, {}),
    ("nn.hard_sigmoid", "HardSigmoid", X, {"alpha": 0.5, "beta": 0.25}, {"alpha": 0.5, "beta": 0.25}),
    ("nn.hard_swish", "HardSwish", X * 2, {}, {}),
    ("nn.gelu", "Gelu", X, {}, {}),
    ("nn.gelu", "Gelu", X, {"approximate": "tanh"}, {"approximate": "tanh"}),
    ("copy", "Identity", X, {}, {}),
    ("nn.dropout", "Dropout", X, {"rate": 0.3}, {}),
]


@pytest.mark.parametrize("name,onnx_op,x,attrs,onnx_attrs", CASES, ids=[f"{c[0]}-{k}" for k, c in enumerate(CASES)])
def test_unary(name, onnx_op, x, attrs, onnx_attrs):
    ref = check_op(name, [x], attrs, rtol=2e-5, atol=2e-6)
    if onnx_op is not None:
        want = run_onnx(onnx_op, [x], onnx_attrs)[0]
        np.testing.assert_allclose(ref, want, rtol=2e-5, atol=2e-6)
    assert infer(name, TensorType(x.shape, x.dtype.name), **attrs) == TensorType(x.shape, x.dtype.name)


def test_rsqrt_is_reciprocal_of_sqrt():
    np.testing.assert_allclose(check_op("rsqrt", [POS]), 1 / np.sqrt(POS), rtol=1e-6)


@pytest.mark.parametrize("dtype", ["int32", "int64", "int8"])
@pytest.mark.parametrize("name,onnx_op", [("nn.relu", "Relu"), ("abs", "Abs"), ("negative", "Neg")])
def test_integer_unary(name, onnx_op, dtype):
    x = RNG.integers(-50, 50, (3, 5)).astype(dtype)
    ref = check_op(name, [x])
    if dtype != "int64" or name != "nn.relu":
        np.testing.assert_array_equal(ref, run_onnx(onnx_op, [x])[0])


@pytest.mark.parametrize("a_min,a_max", [(-1.0, 1.5), (0.0, 6.0), (-math.inf, 0.5), (-0.5, math.inf),
                                         (-math.inf, math.inf)])
def test_clip(a_min, a_max):
    ref = check_op("clip", [X], {"a_min": a_min, "a_max": a_max})
    consts = [np.float32(a_min) if a_min != -math.inf else None, np.float32(a_max) if a_max != math.inf else None]
    np.testing.assert_array_equal(ref, run_onnx("Clip", [X], constants=consts)[0])


def test_clip_integer_with_infinite_bound():
    x = np.arange(-6, 6, dtype="int32").reshape(3, 4)
    ref = check_op("clip", [x], {"a_min": -2.5, "a_max": math.inf})
    np.testing.assert_array_equal(ref, np.maximum(x, -2))
    np.testing.assert_array_equal(check_op("clip", [x.astype("int8")], {"a_min": -1000.0, "a_max": 3.0}),
                                  np.minimum(x, 3))


@pytest.mark.parametrize("src,dst", [("float32", "int32"), ("float32", "bool"), ("int32", "float32"),
                                     ("bool", "float32"), ("float32", "float64"), ("int64", "int8"),
                                     ("float64", "float32"), ("int32", "bool")])
def test_cast(src, dst):
    x = (X * 10).astype(src) if src != "bool" else X > 0
    ref = check_op("cast", [x], {"dtype": dst})
    assert ref.dtype == np.dtype(dst)
    to = onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dst))
    np.testing.assert_array_equal(ref, run_onnx("Cast", [x], {"to": to})[0])


def test_every_unary_op_is_elemwise_with_a_doc():
    for name in ["nn.relu", "sigmoid", "cast", "clip", "copy", "nn.dropout", "nn.gelu", "logical_not"]:
        assert OPS[name].pattern == OpPattern.ELEMWISE and OPS[name].doc


@pytest.mark.parametrize("name,types,attrs,match", [
    ("exp", [("2, 3",)], {}, None),
    ("exp", [((2, 3), "int32")], {}, "exp: input int32\\[2, 3\\] must be a float tensor"),
    ("round", [((4,), "int64")], {}, "round: .*float"),
    ("logical_not", [((2,), "float32")], {}, "logical_not: .*bool"),
    ("nn.relu", [((2,), "bool")], {}, "nn.relu: .*bool"),
    ("nn.relu", [((2,), "float32"), ((2,), "float32")], {}, "nn.relu: takes 1 inputs, got 2"),
    ("nn.gelu", [((2,), "float32")], {"approximate": "fast"}, "nn.gelu: attribute approximate"),
    ("clip", [((2,), "float32")], {"a_min": math.nan}, "clip: .*NaN"),
    ("clip", [((2,), "float32")], {"a_min": "low"}, "clip: attribute a_min must be a number"),
    ("cast", [((2,), "float32")], {"dtype": "float16"}, "cast: .*float16"),
    ("cast", [((2,), "float32")], {}, "cast: needs the attribute dtype"),
    ("nn.dropout", [((2,), "float32")], {"rate": 1.5}, "nn.dropout: rate"),
    ("nn.leaky_relu", [((2,), "float32")], {"alpha": None}, "nn.leaky_relu: attribute alpha"),
])
def test_bad_inputs(name, types, attrs, match):
    if types == [("2, 3",)]:  # a non-tensor argument type
        from workbench.graph.types import TupleType
        with pytest.raises(TypeCheckError, match="exp"):
            infer(name, TupleType((TensorType((2,)),)))
        return
    with pytest.raises(TypeCheckError, match=match):
        infer(name, *types, **attrs)
