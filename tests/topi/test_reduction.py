"""Reductions (sum, prod, max, min, mean) over axes, with keepdims, against numpy."""
import numpy as np
import pytest

from workbench import te, topi
from workbench.te.reference import evaluate

OPS = [(topi.sum, np.sum), (topi.prod, np.prod), (topi.max, np.max), (topi.min, np.min), (topi.mean, np.mean)]
AXES = [0, -1, 1, (0, 2), (-1, 0), (1, 2)]
CASES = [(a, k) for a in AXES for k in (False, True)] + [
    ([0, 1, 2], True), ([0, 1, 2], False)]


@pytest.mark.parametrize("axis,keepdims", CASES, ids=str)
@pytest.mark.parametrize("op,ref", OPS, ids=[o[0].__name__ for o in OPS])
def test_reduce(op, ref, axis, keepdims, rng):
    x = te.placeholder((3, 4, 5), name="x")
    a = rng.uniform(0.5, 1.5, x.shape).astype("float32")
    y = op(x, axis=axis, keepdims=keepdims)
    expected = ref(a.astype("float64"), axis=tuple(axis) if isinstance(axis, list) else axis, keepdims=keepdims)
    assert y.shape == expected.shape
    got = evaluate([y], {x: a})[0]
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_reduce_all_axes_keepdims(rng):
    x = te.placeholder((3, 4), name="x")
    a = rng.standard_normal(x.shape).astype("float32")
    y = topi.sum(x, keepdims=True)
    assert y.shape == (1, 1)
    np.testing.assert_allclose(evaluate([y], {x: a})[0], a.sum(keepdims=True), rtol=1e-5)


def test_reduce_to_scalar(rng):
    x = te.placeholder((3, 4), name="x")
    a = rng.standard_normal(x.shape).astype("float32")
    y = topi.max(x)
    assert y.shape == ()
    got = evaluate([y], {x: a})[0]
    assert got.shape == ()
    np.testing.assert_allclose(got, a.max())
    z = te.compute((2,), lambda i: y[()] * 2.0, name="z")  # a compute reading a 0-d tensor
    np.testing.assert_allclose(evaluate([z], {x: a})[0], [2 * a.max()] * 2, rtol=1e-6)


def test_reduce_empty_axes_is_a_copy(rng):
    x = te.placeholder((3, 4), name="x")
    a = rng.standard_normal(x.shape).astype("float32")
    np.testing.assert_array_equal(evaluate([topi.sum(x, axis=())], {x: a})[0], a)


def test_sum_accumulation_dtype(rng):
    x = te.placeholder((4, 64), "int8", name="x")
    a = rng.integers(-128, 127, x.shape).astype("int8")
    y = topi.sum(x, axis=1, dtype="int32")
    assert y.dtype == "int32"
    np.testing.assert_array_equal(evaluate([y], {x: a})[0], a.astype("int32").sum(axis=1))


def test_mean_of_ints_is_float(rng):
    x = te.placeholder((4, 6), "int32", name="x")
    a = rng.integers(-50, 50, x.shape).astype("int32")
    y = topi.mean(x, axis=-1)
    assert y.dtype == "float32" and y.op.input_tensors[0].name == "mean_sum"
    np.testing.assert_allclose(evaluate([y], {x: a})[0], a.mean(axis=-1), rtol=1e-6)


def test_max_min_int_identity(rng):
    x = te.placeholder((5, 3), "uint8", name="x")
    a = rng.integers(0, 256, x.shape).astype("uint8")
    got = evaluate([topi.max(x, axis=0), topi.min(x, axis=0)], {x: a})
    np.testing.assert_array_equal(got[0], a.max(axis=0))
    np.testing.assert_array_equal(got[1], a.min(axis=0))
