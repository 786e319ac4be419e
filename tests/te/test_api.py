"""Tensor-expression construction: names, dtypes, reductions, clear errors."""
import numpy as np
import pytest

from workbench import te
from workbench.errors import TypeCheckError
from workbench.te.reference import evaluate


def test_axis_names_from_lambda():
    A = te.placeholder((4, 5), name="A")
    B = te.compute((4, 5), lambda row, col: A[row, col] + 1.0, name="B")
    assert [iv.name for iv in B.op.axis] == ["row", "col"]
    C = te.compute((4, 5), lambda *idx: A[idx] * 2.0)
    assert [iv.name for iv in C.op.axis] == ["i0", "i1"]


def test_dtype_promotion_and_cast():
    A = te.placeholder((4,), "int8", name="A")
    B = te.compute((4,), lambda i: A[i] + 1)
    assert B.dtype == "int8"
    C = te.compute((4,), lambda i: te.cast(A[i], "int32") * 2)
    assert C.dtype == "int32"
    D = te.compute((4,), lambda i: A[i] * 0.5)
    assert D.dtype == "float32"
    E = te.compute((4,), lambda i: A[i] > 0)
    assert E.dtype == "bool"
    F = te.compute((4,), lambda i: te.exp(A[i]))
    assert F.dtype == "float32"


def test_all_dtypes_placeholder():
    for dt in ("float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"):
        assert te.placeholder((2,), dt).dtype == dt


def test_custom_reducer_and_chain():
    A = te.placeholder((3, 6), name="A")
    k = te.reduce_axis((0, 6), name="k")
    absmax = te.comm_reducer(lambda x, y: te.max(te.abs(x), te.abs(y)), lambda t: te.const(0, t), name="absmax")
    M = te.compute((3,), lambda i: absmax(A[i, k], axis=k), name="M")
    N = te.compute((3, 6), lambda i, j: A[i, j] / M[i], name="N")
    a = np.random.default_rng(0).normal(size=(3, 6)).astype("float32")
    m, n = evaluate([M, N], {A: a})
    np.testing.assert_allclose(m, np.abs(a).max(1), rtol=1e-6)
    np.testing.assert_allclose(n, a / np.abs(a).max(1, keepdims=True), rtol=1e-6)


def test_reduction_with_where_and_nonzero_start():
    A = te.placeholder((8,), name="A")
    k = te.reduce_axis((2, 8), name="k")
    S = te.compute((1,), lambda i: te.sum(A[k], axis=k, where=k % 2 == 0))
    a = np.arange(8, dtype="float32")
    assert evaluate([S], {A: a})[0][0] == 2 + 4 + 6


@pytest.mark.parametrize("bad", [
    lambda A: A[0],                                        # too few indices
    lambda A: te.compute((3,), lambda i, j: A[i, j]),      # lambda arity
    lambda A: te.placeholder((0, 3)),                      # empty dim
    lambda A: te.placeholder((3,), "complex64"),           # dtype
    lambda A: A[0.5, 1],                                   # float index
    lambda A: te.compute((3,), lambda i: te.sum(A[i, te.reduce_axis((0, 4))], axis=te.reduce_axis((0, 4))) + 1),
    lambda A: te.reduce_axis((3, 3)),
])
def test_errors(bad):
    A = te.placeholder((3, 4), name="A")
    with pytest.raises(TypeCheckError):
        bad(A)


def test_expression_has_no_truth_value():
    A = te.placeholder((3,), name="A")
    with pytest.raises(TypeCheckError, match="if_then_else"):
        te.compute((3,), lambda i: A[i] if A[i] > 0 else 0.0)
