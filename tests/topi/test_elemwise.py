"""Unary and broadcasting binary operators against numpy (reference interpreter, no codegen)."""
import numpy as np
import pytest

from workbench import te, topi
from workbench.te.reference import evaluate
from workbench.topi import numpy_ref

F32 = dict(rtol=1e-5, atol=1e-5)

UNARY = [
    ("relu", topi.relu, lambda x: np.maximum(x, 0)),
    ("leaky_relu", lambda t: topi.leaky_relu(t, 0.1), lambda x: np.where(x > 0, x, 0.1 * x)),
    ("sigmoid", topi.sigmoid, numpy_ref.sigmoid),
    ("tanh", topi.tanh, np.tanh),
    ("gelu", topi.gelu, numpy_ref.gelu),
    ("clip", lambda t: topi.clip(t, -0.5, 0.75), lambda x: np.clip(x, -0.5, 0.75)),
    ("hard_sigmoid", topi.hard_sigmoid, lambda x: np.clip(0.2 * x + 0.5, 0, 1)),
    ("hard_swish", topi.hard_swish, lambda x: x * np.clip(x / 6 + 0.5, 0, 1)),
    ("exp", topi.exp, np.exp),
    ("abs", topi.abs, np.abs),
    ("negative", topi.neg, np.negative),
]
POSITIVE = [
    ("log", topi.log, np.log),
    ("sqrt", topi.sqrt, np.sqrt),
    ("rsqrt", topi.rsqrt, lambda x: 1 / np.sqrt(x)),
    ("reciprocal", topi.reciprocal, lambda x: 1 / x),
]


@pytest.mark.parametrize("name,op,ref", UNARY, ids=[u[0] for u in UNARY])
def test_unary(name, op, ref, rng):
    x = te.placeholder((3, 4, 5), name="x")
    y = op(x)
    assert y.shape == x.shape and y.name == name
    a = (rng.standard_normal(x.shape) * 3).astype("float32")
    np.testing.assert_allclose(evaluate([y], {x: a})[0], ref(a.astype("float64")), **F32)


@pytest.mark.parametrize("name,op,ref", POSITIVE, ids=[u[0] for u in POSITIVE])
def test_unary_positive_domain(name, op, ref, rng):
    x = te.placeholder((7, 3), name="x")
    a = rng.uniform(0.1, 5, x.shape).astype("float32")
    np.testing.assert_allclose(evaluate([op(x)], {x: a})[0], ref(a.astype("float64")), **F32)


def test_unary_keeps_float64(rng):
    x = te.placeholder((4, 3), "float64", name="x")
    a = rng.standard_normal(x.shape)
    for op, ref in ((topi.gelu, numpy_ref.gelu), (topi.hard_swish, lambda v: v * np.clip(v / 6 + 0.5, 0, 1))):
        y = op(x)
        assert y.dtype == "float64"
        np.testing.assert_allclose(evaluate([y], {x: a})[0], ref(a), rtol=1e-12, atol=1e-12)


def test_relu_and_clip_on_ints(rng):
    x = te.placeholder((10,), "int8", name="x")
    a = rng.integers(-100, 100, x.shape).astype("int8")
    r, c = topi.relu(x), topi.clip(x, -5, 7)
    assert r.dtype == c.dtype == "int8"
    got = evaluate([r, c], {x: a})
    np.testing.assert_array_equal(got[0], np.maximum(a, 0))
    np.testing.assert_array_equal(got[1], np.clip(a, -5, 7))


def test_cast_truncates_toward_zero():
    x = te.placeholder((4,), name="x")
    a = np.array([-1.7, -0.2, 0.9, 2.5], "float32")
    np.testing.assert_array_equal(evaluate([topi.cast(x, "int32")], {x: a})[0], np.array([-1, 0, 0, 2]))


BINARY = [
    ("add", topi.add, np.add), ("subtract", topi.subtract, np.subtract), ("multiply", topi.multiply, np.multiply),
    ("divide", topi.divide, np.divide), ("maximum", topi.maximum, np.maximum), ("minimum", topi.minimum, np.minimum),
    ("power", topi.power, np.power), ("equal", topi.equal, np.equal), ("not_equal", topi.not_equal, np.not_equal),
    ("less", topi.less, np.less), ("less_equal", topi.less_equal, np.less_equal),
    ("greater", topi.greater, np.greater), ("greater_equal", topi.greater_equal, np.greater_equal),
]
SHAPES = [((4, 5), (4, 5)), ((4, 5), (5,)), ((3, 1, 5), (4, 1)), ((1,), (2, 3)), ((2, 1, 3), (1, 4, 1)),
          ((6,), (1, 1, 6))]


@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("name,op,ref", BINARY, ids=[b[0] for b in BINARY])
def test_binary_broadcast(name, op, ref, shapes, rng):
    a_t, b_t = te.placeholder(shapes[0], name="a"), te.placeholder(shapes[1], name="b")
    a = rng.uniform(0.5, 2, shapes[0]).astype("float32")
    b = rng.uniform(0.5, 2, shapes[1]).astype("float32")
    if name in ("equal", "not_equal", "less_equal", "greater_equal"):
        a, b = np.round(a), np.round(b)  # make ties happen
    out = op(a_t, b_t)
    expected = ref(a.astype("float64"), b.astype("float64"))
    assert out.shape == expected.shape
    got = evaluate([out], {a_t: a, b_t: b})[0]
    if expected.dtype == bool:
        assert out.dtype == "bool"
        np.testing.assert_array_equal(got, expected)
    else:
        np.testing.assert_allclose(got, expected, **F32)


def test_binary_with_python_scalars(rng):
    x = te.placeholder((3, 4), "float64", name="x")
    a = rng.standard_normal(x.shape)
    y1, y2, y3 = topi.add(x, 2.5), topi.subtract(1.0, x), topi.greater(x, 0.0)
    assert y1.dtype == y2.dtype == "float64" and y3.dtype == "bool"
    got = evaluate([y1, y2, y3], {x: a})
    np.testing.assert_allclose(got[0], a + 2.5)
    np.testing.assert_allclose(got[1], 1.0 - a)
    np.testing.assert_array_equal(got[2], a > 0)


def test_integer_division_and_modulo():
    a_t, b_t = te.placeholder((6,), "int32", name="a"), te.placeholder((6,), "int32", name="b")
    a = np.array([7, -7, 7, -7, 0, 9], "int32")
    b = np.array([2, 2, -2, -2, 3, 3], "int32")
    got = evaluate([topi.divide(a_t, b_t), topi.floor_divide(a_t, b_t), topi.floor_mod(a_t, b_t)], {a_t: a, b_t: b})
    np.testing.assert_array_equal(got[0], np.trunc(a / b).astype("int32"))  # C / ONNX: toward zero
    np.testing.assert_array_equal(got[1], a // b)
    np.testing.assert_array_equal(got[2], a % b)


def test_where_and_logical(rng):
    c = te.placeholder((4, 1), "bool", name="c")
    x, y = te.placeholder((4, 5), name="x"), te.placeholder((5,), name="y")
    cv, xv, yv = rng.random((4, 1)) > 0.5, rng.standard_normal((4, 5)), rng.standard_normal(5)
    w = topi.where(c, x, y)
    w0 = topi.where(topi.greater(x, 0.0), x, 0.0)
    both = topi.logical_and(c, topi.less(x, y))
    either = topi.logical_or(topi.logical_not(c), topi.less(x, y))
    got = evaluate([w, w0, both, either], {c: cv, x: xv.astype("float32"), y: yv.astype("float32")})
    xv, yv = xv.astype("float32"), yv.astype("float32")
    np.testing.assert_array_equal(got[0], np.where(cv, xv, yv))
    np.testing.assert_array_equal(got[1], np.where(xv > 0, xv, 0))
    np.testing.assert_array_equal(got[2], cv & (xv < yv))
    np.testing.assert_array_equal(got[3], ~cv | (xv < yv))


def test_broadcast_to(rng):
    x = te.placeholder((3, 1), name="x")
    a = rng.standard_normal((3, 1)).astype("float32")
    y = topi.broadcast_to(x, (2, 3, 4))
    np.testing.assert_array_equal(evaluate([y], {x: a})[0], np.broadcast_to(a, (2, 3, 4)))


def test_broadcast_shape_matches_numpy():
    for shapes in SHAPES + [((), (3,)), ((5, 1, 1), (1, 4, 1), (3,))]:
        assert topi.broadcast_shape("t", *shapes) == np.broadcast_shapes(*shapes)


def test_elementwise_chain(rng):
    x, w, b = te.placeholder((4, 6), name="x"), te.placeholder((6,), name="w"), te.placeholder((4, 1), name="b")
    y = topi.sigmoid(topi.relu(topi.add(topi.multiply(x, w), b)))
    xs = [rng.standard_normal(s).astype("float32") for s in ((4, 6), (6,), (4, 1))]
    expected = numpy_ref.sigmoid(np.maximum(xs[0] * xs[1] + xs[2], 0))
    np.testing.assert_allclose(evaluate([y], dict(zip((x, w, b), xs)))[0], expected, **F32)
