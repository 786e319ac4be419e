"""Compiled (llvm) tests of PARALLEL loops on the OpenMP runtime."""
import numpy as np
import pytest

from workbench.codegen import build
from workbench.runtime import build_kernel
from workbench.tir import Allocate, Buffer, For, ForKind, PrimFunc, Store, Var, const, seq
from workbench.tir.expr import call, cast

P, S = ForKind.PARALLEL, ForKind.SERIAL


def loop(var, n, body, kind=S):
    return For(var, const(0), const(n), kind, body)


def matmul(n, outer=P):
    A, B, C = (Buffer(x, (n, n), "float32") for x in "ABC")
    i, j, k = Var("i"), Var("j"), Var("k")
    body = loop(i, n, seq(loop(j, n, Store(C, const(0.0), (i, j)), ForKind.VECTORIZED if n <= 64 else S),
                          loop(k, n, loop(j, n, Store(C, C[i, j] + A[i, k] * B[k, j], (i, j))))), outer)
    return PrimFunc("pmm", (A, B, C), body)


def test_parallel_elementwise_calls_gomp():
    n = 64
    A, B = Buffer("A", (n, n), "float32"), Buffer("B", (n, n), "float32")
    i, j = Var("i"), Var("j")
    k = build_kernel(PrimFunc("pexp", (A, B), loop(i, n, loop(j, n, Store(B, call("exp", A[i, j]), (i, j))), P)))
    assert "GOMP_parallel" in k.source("llvm") and "omp_get_thread_num" in k.source("llvm")
    a, b = np.random.rand(n, n).astype("float32"), np.zeros((n, n), "float32")
    k(a, b)
    np.testing.assert_allclose(b, np.exp(a), rtol=1e-6)


@pytest.mark.parametrize("threads", [1, 2, 3, 7])
def test_parallel_matmul_any_thread_count(threads):
    n = 48
    k = build_kernel(matmul(n), num_threads=threads)
    assert k.num_threads == threads
    a, b = np.random.rand(n, n).astype("float32"), np.random.rand(n, n).astype("float32")
    c = np.zeros((n, n), "float32")
    k(a, b, c)
    np.testing.assert_allclose(c, a @ b, rtol=1e-5)


def test_num_threads_can_change_after_compiling(monkeypatch):
    monkeypatch.setenv("WORKBENCH_NUM_THREADS", "3")
    k = build_kernel(matmul(16))
    assert k.num_threads == 3
    k.num_threads = 1
    assert k.num_threads == 1
    a, b = np.random.rand(16, 16).astype("float32"), np.random.rand(16, 16).astype("float32")
    c = np.zeros((16, 16), "float32")
    k(a, b, c)
    np.testing.assert_allclose(c, a @ b, rtol=1e-5)


@pytest.mark.parametrize("extent", [0, 1, 3])
def test_parallel_extent_smaller_than_team(extent):
    A = Buffer("A", (4,), "int64")
    i = Var("i")
    k = build_kernel(PrimFunc("small", (A,), loop(i, extent, Store(A, i + 10, (i,)), P)), num_threads=4)
    a = np.zeros(4, "int64")
    k(a)
    np.testing.assert_array_equal(a[:extent], np.arange(extent) + 10)
    assert (a[extent:] == 0).all()


def test_parallel_inside_serial_loop_captures_outer_variable():
    n, m = 5, 33
    A, B = Buffer("A", (n, m), "float64"), Buffer("B", (n, m), "float64")
    t, i = Var("t"), Var("i")
    body = loop(t, n, For(i, t, const(m) - t, P, Store(B, A[t, i] * cast("float64", t + 1), (t, i))))
    k = build_kernel(PrimFunc("inner", (A, B), body))
    a, b = np.random.rand(n, m), np.zeros((n, m))
    k(a, b)
    expected = np.zeros((n, m))
    for t_ in range(n):
        expected[t_, t_:m] = a[t_, t_:m] * (t_ + 1)
    np.testing.assert_allclose(b, expected)


def test_nested_parallel_runs_inner_serially():
    n = 20
    A, B = Buffer("A", (n, n), "int32"), Buffer("B", (n, n), "int32")
    i, j = Var("i"), Var("j")
    k = build_kernel(PrimFunc("nest", (A, B), loop(i, n, loop(j, n, Store(B, A[i, j] * 2, (i, j)), P), P)))
    ir_text = k.source("llvm-unopt")
    assert ir_text.count("call void @\"GOMP_parallel\"") == 1 and "par2" not in ir_text
    a, b = np.arange(n * n, dtype="int32").reshape(n, n), np.zeros((n, n), "int32")
    k(a, b)
    np.testing.assert_array_equal(b, 2 * a)


@pytest.mark.parametrize("m", [64, 40000])  # stack (256 B) and heap (160 kB) temporaries, one per thread
def test_parallel_body_with_allocate(m):
    n = 8
    A, B = Buffer("A", (n, m), "float32"), Buffer("B", (n,), "float32")
    T = Buffer("T", (m,), "float32", "local")
    i, j = Var("i"), Var("j")
    body = loop(i, n, Allocate(T, seq(loop(j, m, Store(T, A[i, j] * A[i, j], (j,))),
                                      Store(B, const(0.0), (i,)),
                                      loop(j, m, Store(B, B[i] + T[j], (i,))))), P)
    k = build_kernel(PrimFunc("palloc", (A, B), body), num_threads=2)
    a, b = np.random.rand(n, m).astype("float32"), np.zeros(n, "float32")
    for _ in range(3):
        k(a, b)
        np.testing.assert_allclose(b, (a * a).sum(1), rtol=1e-4)
    par = k.source("llvm-unopt").split("define internal void @\"palloc.par1.body\"")[1]
    assert ("alloca [64 x float]" in par) if m == 64 else ("posix_memalign" in par)


def test_parallel_compile_time_and_outlined_functions_are_internal():
    cf = build(matmul(64))
    assert cf.compile_time < 1.0
    assert "define internal void @\"pmm.par1\"" in cf.llvm_ir_unopt
