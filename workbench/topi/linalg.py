"""Matrix products: matmul, dense (fully connected) and batch_matmul.

Each is one reduction over the shared dimension ``k``. ``out_dtype`` casts
both operands before multiplying, so int8 inputs can accumulate in int32.
``dense`` adds its bias in a second, elementwise stage ("bias_add").

>>> from workbench import te, topi
>>> X = te.placeholder((8, 16), name="X"); W = te.placeholder((4, 16), name="W")
>>> Y = topi.dense(X, W, te.placeholder((4,), name="b"))   # [8, 4]
"""
from __future__ import annotations

from .. import te
from ..errors import TypeCheckError
from ..te.tensor import Tensor
from ._util import check_tensor, fail, multiply_as
from .broadcast import broadcast_index, broadcast_shape


def _matrix_dims(op: str, A: Tensor, B: Tensor, transpose_a: bool, transpose_b: bool):
    """``(n, k, m)`` of the product of the last two dimensions, checking that ``k`` agrees."""
    n, ka = (A.shape[-1], A.shape[-2]) if transpose_a else (A.shape[-2], A.shape[-1])
    kb, m = (B.shape[-1], B.shape[-2]) if transpose_b else (B.shape[-2], B.shape[-1])
    if ka != kb:
        fail(op, f"inner dimensions differ: A {list(A.shape)}{' (transposed)' if transpose_a else ''} "
                 f"has k={ka}, B {list(B.shape)}{' (transposed)' if transpose_b else ''} has k={kb}")
    return n, ka, m


def matmul(A: Tensor, B: Tensor, transpose_a: bool = False, transpose_b: bool = False,
           out_dtype: str | None = None, name: str = "matmul") -> Tensor:
    """The matrix product of 2-D ``A`` and ``B`` (each optionally transposed first).

    ``A`` is ``[n, k]`` (``[k, n]`` if ``transpose_a``), ``B`` is ``[k, m]`` (``[m, k]``
    if ``transpose_b``); the result is ``[n, m]``.

    >>> A = te.placeholder((8, 16), name="A"); B = te.placeholder((16, 4), name="B")
    >>> C = matmul(A, B)   # [8, 4]
    """
    check_tensor("matmul", A, "A")
    check_tensor("matmul", B, "B")
    if A.ndim != 2 or B.ndim != 2:
        fail("matmul", f"A {list(A.shape)} and B {list(B.shape)} must both be 2-D; use batch_matmul for more")
    n, kk, m = _matrix_dims("matmul", A, B, transpose_a, transpose_b)
    k = te.reduce_axis((0, kk), name="k")

    def body(i, j):
        a = A[k, i] if transpose_a else A[i, k]
        b = B[j, k] if transpose_b else B[k, j]
        return te.sum(multiply_as(a, b, out_dtype), axis=k)

    return te.compute((n, m), body, name=name)


def dense(X: Tensor, W: Tensor, bias: Tensor | None = None, out_dtype: str | None = None,
          name: str = "dense") -> Tensor:
    """A fully connected layer: ``X[n, k] . W[m, k]^T (+ bias[m])`` -> ``[n, m]``.

    The weight layout is ONNX Gemm's with ``transB=1`` and TVM's ``dense``. With a
    bias the result is a second stage named ``bias_add`` reading stage ``name``.

    >>> X = te.placeholder((8, 16), name="X"); W = te.placeholder((4, 16), name="W")
    >>> Y = dense(X, W)   # [8, 4]
    """
    check_tensor("dense", X, "X")
    check_tensor("dense", W, "W")
    if X.ndim != 2 or W.ndim != 2:
        fail("dense", f"X {list(X.shape)} and W {list(W.shape)} must both be 2-D ([n, k] and [m, k])")
    if X.shape[1] != W.shape[1]:
        fail("dense", f"X {list(X.shape)} has k={X.shape[1]} but W {list(W.shape)} has k={W.shape[1]} "
                      "(W is [units, k])")
    Y = matmul(X, W, transpose_b=True, out_dtype=out_dtype, name=name)
    if bias is None:
        return Y
    check_tensor("dense", bias, "bias")
    if bias.shape != (W.shape[0],):
        fail("dense", f"bias shape {list(bias.shape)} must be [{W.shape[0]}] (the units of W {list(W.shape)})")
    return te.compute(Y.shape, lambda i, j: Y[i, j] + te.cast(bias[j], Y.dtype), name="bias_add")


def batch_matmul(A: Tensor, B: Tensor, transpose_a: bool = False, transpose_b: bool = False,
                 out_dtype: str | None = None, name: str = "batch_matmul") -> Tensor:
    """Matrix products over the last two dimensions, batch dimensions broadcast (numpy ``matmul``).

    ``A`` is ``[..., n, k]`` and ``B`` is ``[..., k, m]`` (TVM's ``batch_matmul``
    defaults to ``transpose_b=True``; here, as in numpy and ONNX MatMul, it does not).
    Batch dimensions follow numpy broadcasting, e.g. ``[1, n, k] x [b, k, m]`` or
    ``[b, n, k] x [k, m]``.

    >>> A = te.placeholder((3, 8, 16), name="A"); B = te.placeholder((1, 16, 4), name="B")
    >>> C = batch_matmul(A, B)   # [3, 8, 4]
    """
    check_tensor("batch_matmul", A, "A")
    check_tensor("batch_matmul", B, "B")
    if A.ndim < 2 or B.ndim < 2:
        fail("batch_matmul", f"A {list(A.shape)} and B {list(B.shape)} must have at least 2 dimensions")
    n, kk, m = _matrix_dims("batch_matmul", A, B, transpose_a, transpose_b)
    try:
        batch = broadcast_shape("batch_matmul", A.shape[:-2], B.shape[:-2])
    except TypeCheckError:
        fail("batch_matmul", f"batch dimensions of A {list(A.shape)} and B {list(B.shape)} cannot be broadcast "
                             "(each must be equal or 1)")
    k = te.reduce_axis((0, kk), name="k")

    def body(*idx):
        b, i, j = idx[:-2], idx[-2], idx[-1]
        ab, bb = broadcast_index(A.shape[:-2], batch, b), broadcast_index(B.shape[:-2], batch, b)
        a = A[ab + ((k, i) if transpose_a else (i, k))]
        w = B[bb + ((j, k) if transpose_b else (k, j))]
        return te.sum(multiply_as(a, w, out_dtype), axis=k)

    named = {0: lambda i, j: body(i, j), 1: lambda b, i, j: body(b, i, j)}  # readable loop names
    return te.compute(batch + (n, m), named.get(len(batch), body), name=name)
