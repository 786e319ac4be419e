"""Compiled (llvm) tests of VECTORIZED loops: explicit vector IR, masks, fallbacks."""
import re

import numpy as np
import pytest

from workbench.runtime import build_kernel
from workbench.tir import Buffer, For, ForKind, IfThenElse, PrimFunc, Store, Var, const, seq
from workbench.tir.expr import FloorDiv, call, cast, select

V = ForKind.VECTORIZED


def vloop(var, n, body, start=0):
    return For(var, const(start), const(n), V, body)


def test_vectorized_add_uses_wide_registers():
    n = 16
    A, B, C = (Buffer(x, (n,), "float32") for x in "ABC")
    i = Var("i")
    k = build_kernel(PrimFunc("vadd", (A, B, C), vloop(i, n, Store(C, A[i] + B[i], (i,)))))
    assert "<16 x float>" in k.source("llvm-unopt")
    assert re.search(r"%[yz]mm\d+", k.source("asm"))
    a, b, c = np.random.rand(n).astype("float32"), np.random.rand(n).astype("float32"), np.zeros(n, "float32")
    k(a, b, c)
    np.testing.assert_allclose(c, a + b)
    assert k.compiled.notes == ()


def test_contiguous_broadcast_and_strided_accesses():
    """C[r, j] = A[r, j] * s[r] + B[j * 3] + G[j * 5] over a vectorized j inside a serial r.

    Stride 3 is one masked load of the span plus a shuffle; stride 5 is a gather. B holds exactly
    the span (3 * (n - 1) + 1 elements): the wide load must not read past it."""
    rows, n = 5, 16
    A, C = Buffer("A", (rows, n), "float32"), Buffer("C", (rows, n), "float32")
    S, B = Buffer("S", (rows,), "float32"), Buffer("B", (3 * (n - 1) + 1,), "float32")
    G = Buffer("G", (5 * n,), "float32")
    r, j = Var("r"), Var("j")
    body = For(r, const(0), const(rows), ForKind.SERIAL,
               vloop(j, n, Store(C, A[r, j] * S[r] + B[j * 3] + G[j * 5], (r, j))))
    k = build_kernel(PrimFunc("mix", (A, S, B, G, C), body))
    unopt = k.source("llvm-unopt")
    assert "load <16 x float>" in unopt and "masked.gather" in unopt
    assert "masked.load.v48f32" in unopt and "shufflevector" in unopt
    a, s, b, g = (np.random.rand(*shape).astype("float32")
                  for shape in ((rows, n), (rows,), (3 * (n - 1) + 1,), (5 * n,)))
    c = np.zeros((rows, n), "float32")
    k(a, s, b, g, c)
    np.testing.assert_allclose(c, a * s[:, None] + b[::3][None, :] + g[::5][None, :], rtol=1e-6)


def test_strided_store_is_one_scalar_store_per_lane_and_transposes_a_tile():
    n = 8
    A, B = Buffer("A", (n, n), "int32"), Buffer("B", (n, n), "int32")
    i, j = Var("i"), Var("j")
    body = For(i, const(0), const(n), ForKind.SERIAL, vloop(j, n, Store(B, A[i, j], (j, i))))
    k = build_kernel(PrimFunc("tr", (A, B), body))
    unopt = k.source("llvm-unopt")
    assert "scatter" not in unopt and unopt.count("extractelement <8 x i32>") >= n
    a = np.arange(n * n, dtype="int32").reshape(n, n)
    b = np.zeros_like(a)
    k(a, b)
    np.testing.assert_array_equal(b, a.T)


def test_guarded_strided_store_scatters_only_the_active_lanes():
    n = 8
    A, B = Buffer("A", (n, n), "float32"), Buffer("B", (n, n), "float32")
    i, j = Var("i"), Var("j")
    body = For(i, const(0), const(n), ForKind.SERIAL,
               vloop(j, n, IfThenElse(j < i, Store(B, A[i, j], (j, i)))))
    k = build_kernel(PrimFunc("lower_tr", (A, B), body))
    assert "masked.scatter" in k.source("llvm-unopt")
    a = np.random.rand(n, n).astype("float32")
    b = np.full((n, n), -1.0, "float32")
    k(a, b)
    want = np.full((n, n), -1.0, "float32")
    want[np.triu_indices(n, 1)] = a.T[np.triu_indices(n, 1)]
    np.testing.assert_array_equal(b, want)


def test_vectorized_loop_with_offset_min_and_tail_outer_loop():
    n = 40
    A, B = Buffer("A", (n,), "float64"), Buffer("B", (n,), "float64")
    o, v = Var("o"), Var("v")
    body = For(o, const(0), const(5), ForKind.SERIAL, For(v, o * 8, const(8), V, Store(B, A[v] * 3.0, (v,))))
    a, b = np.random.rand(n), np.zeros(n)
    build_kernel(PrimFunc("off", (A, B), body))(a, b)
    np.testing.assert_allclose(b, a * 3)


def test_masked_select_padding_in_vector_loop():
    """The unchosen side's index is ~4 TB away for the padding lanes: a masked gather must not touch it."""
    n = 16
    A, B = Buffer("A", (n,), "float32"), Buffer("B", (n + 4,), "float32")
    i = Var("i")
    inside = (i >= 2) & (i < n + 2)
    far = i - 2 + cast("int64", ~inside) * 10**12
    k = build_kernel(PrimFunc("vpad", (A, B), vloop(i, n + 4, Store(B, select(inside, A[far], 0.0), (i,)))))
    assert "masked.gather" in k.source("llvm-unopt")
    a, b = np.random.rand(n).astype("float32"), np.full(n + 4, np.nan, "float32")
    k(a, b)
    np.testing.assert_array_equal(b, np.pad(a, 2))


def test_masked_contiguous_load_and_masked_integer_division():
    n = 16
    A, D, B = Buffer("A", (n,), "int32"), Buffer("D", (n,), "int32"), Buffer("B", (n + 2,), "int32")
    i = Var("i")
    val = select((i >= 2) & (D[i - 2] != 0), FloorDiv(A[i - 2], D[i - 2], "int32"), const(-1, "int32"))
    body = vloop(i, n + 2, Store(B, val, (i,)))
    k = build_kernel(PrimFunc("vdiv", (A, D, B), body))
    assert "masked.load" in k.source("llvm-unopt")
    a = np.arange(-8, 8, dtype="int32")
    d = np.array([0, 3, -2] * 5 + [1], "int32")
    b = np.zeros(n + 2, "int32")
    k(a, d, b)
    safe = np.where(d == 0, 1, d)
    np.testing.assert_array_equal(b, np.concatenate([[-1, -1], np.where(d != 0, a // safe, -1)]))


def test_if_then_else_with_lane_dependent_condition_is_masked():
    n = 16
    A, B = Buffer("A", (n,), "float32"), Buffer("B", (n,), "float32")
    i = Var("i")
    body = vloop(i, n, IfThenElse(i % 3 == 0, Store(B, A[i], (i,)), Store(B, A[i] * -1.0, (i,))))
    k = build_kernel(PrimFunc("vif", (A, B), body))
    assert "masked.store" in k.source("llvm-unopt")
    a, b = np.random.rand(n).astype("float32"), np.zeros(n, "float32")
    k(a, b)
    np.testing.assert_allclose(b, np.where(np.arange(n) % 3 == 0, a, -a))


def test_vector_intrinsics_casts_and_bool():
    n = 16
    A = Buffer("A", (n,), "float32")
    E, M = Buffer("E", (n,), "float32"), Buffer("M", (n,), "bool")
    I8 = Buffer("I8", (n,), "int8")
    i = Var("i")
    body = vloop(i, n, seq(Store(E, call("erf", A[i]) + call("exp", A[i]), (i,)),
                           Store(M, (A[i] > 0.5) & ~(A[i] > 0.9), (i,)),
                           Store(I8, cast("int8", A[i] * 100.0), (i,))))
    k = build_kernel(PrimFunc("vint", (A, E, M, I8), body))
    a = np.random.rand(n).astype("float32")
    e, m, i8 = np.zeros(n, "float32"), np.zeros(n, bool), np.zeros(n, "int8")
    k(a, e, m, i8)
    from math import erf
    np.testing.assert_allclose(e, [erf(x) + np.exp(x) for x in a.astype(float)], rtol=1e-5)
    np.testing.assert_array_equal(m, (a > 0.5) & ~(a > 0.9))
    np.testing.assert_array_equal(i8, (a * np.float32(100)).astype("int8"))


@pytest.mark.parametrize("why, make", [
    ("contains loop", lambda A, B, i, j: For(j, const(0), const(4), ForKind.SERIAL,
                                             Store(B, A[i] + cast("float32", j), (i,)))),
    ("same element", lambda A, B, i, j: Store(B, B[0] + A[i], (0,))),
])
def test_unvectorizable_loops_fall_back_to_scalar(why, make):
    n = 16
    A, B = Buffer("A", (n,), "float32"), Buffer("B", (n,), "float32")
    i, j = Var("i"), Var("j")
    k = build_kernel(PrimFunc("fb", (A, B), vloop(i, n, make(A, B, i, j))))
    assert any(why in note for note in k.compiled.notes), k.compiled.notes
    a, b = np.random.rand(n).astype("float32"), np.zeros(n, "float32")
    k(a, b)
    if why == "same element":
        np.testing.assert_allclose(b[0], a.sum(), rtol=1e-5)
    else:
        np.testing.assert_allclose(b, a + 3)


def test_vectorized_inner_loop_of_matmul():
    n = 32
    A, B, C = (Buffer(x, (n, n), "float32") for x in "ABC")
    i, j, k = Var("i"), Var("j"), Var("k")
    body = For(i, const(0), const(n), ForKind.SERIAL, seq(
        vloop(j, n, Store(C, const(0.0), (i, j))),
        For(k, const(0), const(n), ForKind.SERIAL, vloop(j, n, Store(C, C[i, j] + A[i, k] * B[k, j], (i, j))))))
    kern = build_kernel(PrimFunc("mm", (A, B, C), body))
    a, b = np.random.rand(n, n).astype("float32"), np.random.rand(n, n).astype("float32")
    c = np.zeros((n, n), "float32")
    kern(a, b, c)
    np.testing.assert_allclose(c, a @ b, rtol=1e-5)
    assert "vfmadd" in kern.source("asm")  # fast-math contraction into FMA
