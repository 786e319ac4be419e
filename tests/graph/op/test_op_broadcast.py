"""Binary broadcasting ops and where: type rules, numpy reference vs ONNX Runtime, te compute."""
import numpy as np
import pytest
from opcheck import check_op, infer, run_onnx

from workbench.errors import TypeCheckError
from workbench.graph.op import OPS, OpPattern
from workbench.graph.types import TensorType

RNG = np.random.default_rng(1)
SHAPES = [((2, 3, 4), (2, 3, 4)), ((2, 3, 4), (4,)), ((3, 1), (1, 5)), ((1,), (2, 1, 3))]

ARITH = [("add", "Add"), ("subtract", "Sub"), ("multiply", "Mul"), ("divide", "Div"), ("maximum", "Max"),
         ("minimum", "Min"), ("power", "Pow")]
COMPARE = [("equal", "Equal"), ("not_equal", None), ("less", "Less"), ("less_equal", "LessOrEqual"),
           ("greater", "Greater"), ("greater_equal", "GreaterOrEqual")]
LOGIC = [("logical_and", "And"), ("logical_or", "Or"), ("logical_xor", "Xor")]


def _floats(shape, positive=False):
    x = RNG.standard_normal(shape).astype("float32")
    return np.abs(x) + 0.5 if positive else x


def _ints(shape, dtype="int32", nonzero=False):
    x = RNG.integers(-9, 10, shape).astype(dtype)
    return np.where(x == 0, 3, x).astype(dtype) if nonzero else x


@pytest.mark.parametrize("sa,sb", SHAPES)
@pytest.mark.parametrize("name,onnx_op", ARITH)
def test_float_arithmetic(name, onnx_op, sa, sb):
    a, b = _floats(sa, positive=name == "power"), _floats(sb)
    ref = check_op(name, [a, b], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ref, run_onnx(onnx_op, [a, b])[0], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", ["int32", "int64"])
@pytest.mark.parametrize("name,onnx_op", ARITH + [("floor_mod", "Mod")])
def test_int_arithmetic(name, onnx_op, dtype):
    a = _ints((3, 4), dtype, nonzero=name in ("divide", "floor_mod"))
    b = _ints((4,), dtype, nonzero=True)
    if name == "power":
        a, b = _ints((3, 4), dtype), np.abs(b) % 4
    ref = check_op(name, [a, b])
    np.testing.assert_array_equal(ref, run_onnx(onnx_op, [a, b])[0])


def test_int_divide_truncates_and_mod_takes_divisor_sign():
    a, b = np.array([7, -7, 7, -7], "int32"), np.array([2, 2, -2, -2], "int32")
    np.testing.assert_array_equal(check_op("divide", [a, b]), [3, -3, -3, 3])
    np.testing.assert_array_equal(check_op("floor_divide", [a, b]), [3, -4, -4, 3])
    np.testing.assert_array_equal(check_op("floor_mod", [a, b]), [1, 1, -1, -1])


def test_float_floor_mod_and_floor_divide():
    a, b = _floats((3, 4)) * 5, _floats((4,), positive=True) * np.array([1, -1, 1, -1], "float32")
    ref = check_op("floor_mod", [a, b], atol=1e-5)
    np.testing.assert_allclose(ref, np.mod(a, b), atol=1e-5)
    np.testing.assert_allclose(check_op("floor_divide", [a, b]), np.floor(a / b))


def test_maximum_propagates_nan():
    a, b = np.array([1.0, np.nan, 2.0], "float32"), np.array([np.nan, 0.0, 3.0], "float32")
    np.testing.assert_array_equal(check_op("maximum", [a, b]), [np.nan, np.nan, 3.0])


@pytest.mark.parametrize("sa,sb", SHAPES[:3])
@pytest.mark.parametrize("name,onnx_op", COMPARE)
@pytest.mark.parametrize("dtype", ["float32", "int64"])
def test_compare(name, onnx_op, sa, sb, dtype):
    a, b = _ints(sa, dtype) // 3, _ints(sb, dtype) // 3  # small ints: many ties
    ref = check_op(name, [a, b])
    assert ref.dtype == np.bool_
    if onnx_op:
        np.testing.assert_array_equal(ref, run_onnx(onnx_op, [a, b])[0])


@pytest.mark.parametrize("sa,sb", SHAPES[1:3])
@pytest.mark.parametrize("name,onnx_op", LOGIC)
def test_logical(name, onnx_op, sa, sb):
    a, b = RNG.random(sa) > 0.5, RNG.random(sb) > 0.5
    np.testing.assert_array_equal(check_op(name, [a, b]), run_onnx(onnx_op, [a, b])[0])


def test_equal_on_bool():
    a, b = RNG.random((3, 4)) > 0.5, RNG.random((4,)) > 0.5
    np.testing.assert_array_equal(check_op("equal", [a, b]), a == b)


@pytest.mark.parametrize("sc,sx,sy", [((2, 3), (2, 3), (2, 3)), ((3,), (2, 3), (1,)), ((2, 1), (1, 4), (2, 4))])
def test_where(sc, sx, sy):
    c, x, y = RNG.random(sc) > 0.5, _floats(sx), _floats(sy)
    np.testing.assert_array_equal(check_op("where", [c, x, y]), run_onnx("Where", [c, x, y])[0])
    assert OPS["where"].pattern == OpPattern.BROADCAST


def test_infer_broadcasts():
    assert infer("add", ((2, 1, 4), "float32"), ((3, 1), "float32")) == TensorType((2, 3, 4))
    assert infer("less", ((3,), "int32"), ((3,), "int32")) == TensorType((3,), "bool")


@pytest.mark.parametrize("name,types,match", [
    ("add", [((2, 3), "float32"), ((4,), "float32")], r"add: shapes \[2, 3\] and \[4\] do not broadcast"),
    ("add", [((2, 3), "float32"), ((3,), "int32")], "add: inputs have different dtypes .*cast first"),
    ("add", [((2, 3), "float32")], "add: takes 2 inputs, got 1"),
    ("multiply", [((2,), "bool"), ((2,), "bool")], "multiply: .*bool"),
    ("less", [((2,), "bool"), ((2,), "bool")], "less: .*bool"),
    ("logical_and", [((2,), "float32"), ((2,), "float32")], "logical_and: .*must be a bool"),
    ("where", [((2,), "float32"), ((2,), "float32"), ((2,), "float32")], "where: condition .*bool"),
    ("where", [((2,), "bool"), ((2,), "float32"), ((2,), "int32")], "where: x float32.*y int32"),
    ("where", [((2,), "bool"), ((3,), "float32"), ((2,), "float32")], "where: shapes"),
])
def test_bad_inputs(name, types, match):
    with pytest.raises(TypeCheckError, match=match):
        infer(name, *types)
