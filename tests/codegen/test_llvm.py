"""Compiled (llvm) tests: scalar code for every expression and statement node, checked against numpy."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.codegen import build
from workbench.errors import CodegenError
from workbench.runtime import build_kernel
from workbench.tir import (Allocate, Buffer, Evaluate, For, ForKind, IfThenElse, PrimFunc, Store, Var, const,
                           seq)
from workbench.tir.expr import (FloorDiv, FloorMod, Max, call, cast, floordiv, floormod, maximum, minimum,
                                select)

DTYPES = ("bool", "int8", "int16", "int32", "int64", "uint8", "float32", "float64")


def loop(var, n, body, kind=ForKind.SERIAL, start=0):
    return For(var, const(start), const(n), kind, body)


def map_kernel(fn, in_dtypes, out_dtype, n=37, name="map"):
    """A kernel computing OUT[i] = fn(IN0[i], IN1[i], ...)."""
    ins = [Buffer(f"X{k}", (n,), d) for k, d in enumerate(in_dtypes)]
    out = Buffer("Y", (n,), out_dtype)
    i = Var("i")
    return build_kernel(PrimFunc(name, (*ins, out), loop(i, n, Store(out, fn(*[b[i] for b in ins]), (i,)))))


def run_map(fn, arrays, out_dtype):
    k = map_kernel(fn, [a.dtype.name for a in arrays], out_dtype, n=len(arrays[0]))
    out = np.zeros(len(arrays[0]), out_dtype)
    k(*arrays, out)
    return out


def test_elementwise_add():
    a, b = np.random.rand(37).astype("float32"), np.random.rand(37).astype("float32")
    np.testing.assert_allclose(run_map(lambda x, y: x + y, [a, b], "float32"), a + b, rtol=1e-6)


def test_matmul_with_reduction():
    n, m, kk = 24, 20, 16
    A, B, C = Buffer("A", (n, kk), "float32"), Buffer("B", (kk, m), "float32"), Buffer("C", (n, m), "float32")
    i, j, k = Var("i"), Var("j"), Var("k")
    body = loop(i, n, loop(j, m, seq(Store(C, const(0.0), (i, j)),
                                     loop(k, kk, Store(C, C[i, j] + A[i, k] * B[k, j], (i, j))))))
    kern = build_kernel(PrimFunc("matmul", (A, B, C), body))
    a, b = np.random.rand(n, kk).astype("float32"), np.random.rand(kk, m).astype("float32")
    c = np.full((n, m), np.nan, "float32")
    kern(a, b, c)
    np.testing.assert_allclose(c, a @ b, rtol=1e-5)


def test_three_dimensional_buffers_flatten_row_major():
    A, B = Buffer("A", (3, 4, 5), "int32"), Buffer("B", (5, 4, 3), "int32")
    i, j, k = Var("i"), Var("j"), Var("k")
    body = loop(i, 3, loop(j, 4, loop(k, 5, Store(B, A[i, j, k], (k, j, i)))))
    a = np.arange(60, dtype="int32").reshape(3, 4, 5)
    b = np.zeros((5, 4, 3), "int32")
    build_kernel(PrimFunc("t", (A, B), body))(a, b)
    np.testing.assert_array_equal(b, a.transpose())


@pytest.mark.parametrize("dtype", [d for d in DTYPES if d != "bool"])
def test_arithmetic_all_dtypes(dtype):
    rng = np.random.default_rng(0)
    if dtype.startswith("float"):
        a, b = rng.uniform(-50, 50, 40).astype(dtype), rng.uniform(1, 50, 40).astype(dtype)
    else:
        info = np.iinfo(dtype)
        a = rng.integers(info.min, info.max, 40, endpoint=True).astype(dtype)
        b = rng.integers(info.min, info.max, 40, endpoint=True).astype(dtype)
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(run_map(lambda x, y: x + y, [a, b], dtype), a + b)  # wraps for ints
        np.testing.assert_array_equal(run_map(lambda x, y: x - y, [a, b], dtype), a - b)
        np.testing.assert_allclose(run_map(lambda x, y: x * y, [a, b], dtype), a * b, rtol=1e-6)
    np.testing.assert_array_equal(run_map(minimum, [a, b], dtype), np.minimum(a, b))
    np.testing.assert_array_equal(run_map(maximum, [a, b], dtype), np.maximum(a, b))
    for op, ref in ((lambda x, y: x < y, np.less), (lambda x, y: x <= y, np.less_equal),
                    (lambda x, y: x > y, np.greater), (lambda x, y: x >= y, np.greater_equal),
                    (lambda x, y: x == y, np.equal), (lambda x, y: x != y, np.not_equal)):
        np.testing.assert_array_equal(run_map(op, [a, b], "bool"), ref(a, b))
        np.testing.assert_array_equal(run_map(op, [a, a], "bool"), ref(a, a))


def test_int8_uint8_wraparound():
    a = np.array([127, -128, 100, -100], "int8")
    np.testing.assert_array_equal(run_map(lambda x: x + 1, [a], "int8"), (a.astype(int) + 1).astype("int8"))
    u = np.array([255, 0, 200, 1], "uint8")
    np.testing.assert_array_equal(run_map(lambda x: x + 100, [u], "uint8"), (u.astype(int) + 100).astype("uint8"))
    np.testing.assert_array_equal(run_map(lambda x: x - 2, [u], "uint8"), (u.astype(int) - 2).astype("uint8"))
    # unsigned comparisons and division must not treat 200 as negative
    np.testing.assert_array_equal(run_map(lambda x: x > 100, [u], "bool"), u > 100)
    np.testing.assert_array_equal(run_map(lambda x: x // 3, [u], "uint8"), u // 3)


def test_bool_logic_and_storage():
    a = np.array([True, False, True, False])
    b = np.array([True, True, False, False])
    np.testing.assert_array_equal(run_map(lambda x, y: x & y, [a, b], "bool"), a & b)
    np.testing.assert_array_equal(run_map(lambda x, y: x | y, [a, b], "bool"), a | b)
    np.testing.assert_array_equal(run_map(lambda x: ~x, [a], "bool"), ~a)
    np.testing.assert_array_equal(run_map(lambda x, y: minimum(x, y), [a, b], "bool"), a & b)
    # bool stored as one byte 0/1, so numpy reads it back exactly
    out = run_map(lambda x: x, [a], "bool")
    assert out.view("uint8").tolist() == [1, 0, 1, 0]


@pytest.mark.parametrize("src", DTYPES)
@pytest.mark.parametrize("dst", DTYPES)
def test_cast_between_all_dtypes(src, dst):
    values = np.array([0, 1, 2, 7, 100, 126, 3, 0], dtype="float64")
    if src.startswith("float"):
        values = values + 0.75  # truncation toward zero
    if src not in ("uint8", "bool") and not dst.startswith("uint"):
        values = values * np.array([1, -1] * 4)
    a = values.astype(src)
    expected = a.astype(dst)
    np.testing.assert_array_equal(run_map(lambda x: cast(dst, x), [a], dst), expected)


def test_int_division_truncates_like_c():
    a = np.array([7, -7, 7, -7, 0, 9], "int32")
    b = np.array([2, 2, -2, -2, 3, 3], "int32")
    out = run_map(lambda x, y: x / y, [a, b], "int32")
    np.testing.assert_array_equal(out, np.trunc(a / b).astype("int32"))


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(-10**6, 10**6), st.integers(-1000, 1000).filter(lambda v: v != 0)),
                min_size=1, max_size=30),
       st.sampled_from(["int32", "int64", "int8"]))
def test_floordiv_floormod_match_numpy(pairs, dtype):
    a = np.array([p[0] for p in pairs]).astype(dtype)
    b = np.array([p[1] for p in pairs]).astype(dtype)
    b[b == 0] = 1
    with np.errstate(over="ignore"):
        ref_div, ref_mod = np.floor_divide(a, b), np.mod(a, b)
    np.testing.assert_array_equal(_FLOOR[dtype][0](a, b), ref_div)
    np.testing.assert_array_equal(_FLOOR[dtype][1](a, b), ref_mod)


class _FloorKernels(dict):
    """Kernels for floordiv/floormod per dtype, on a fixed-size buffer (inputs are padded)."""

    N = 30

    def __missing__(self, dtype):
        kd = map_kernel(floordiv, [dtype, dtype], dtype, n=self.N, name="fd")
        km = map_kernel(floormod, [dtype, dtype], dtype, n=self.N, name="fm")

        def runner(k):
            def run(a, b):
                pa, pb = np.zeros(self.N, dtype), np.ones(self.N, dtype)
                pa[:len(a)], pb[:len(b)] = a, b
                out = np.zeros(self.N, dtype)
                k(pa, pb, out)
                return out[:len(a)]
            return run
        self[dtype] = (runner(kd), runner(km))
        return self[dtype]


_FLOOR = _FloorKernels()


def test_floordiv_by_constant_negative_operands():
    a = np.arange(-20, 20, dtype="int64")
    np.testing.assert_array_equal(run_map(lambda x: FloorDiv(x, const(4), "int64"), [a], "int64"), a // 4)
    np.testing.assert_array_equal(run_map(lambda x: FloorMod(x, const(4), "int64"), [a], "int64"), a % 4)
    np.testing.assert_array_equal(run_map(lambda x: FloorMod(x, const(-3), "int64"), [a], "int64"), a % -3)


def test_float_floordiv_floormod():
    a = np.linspace(-5, 5, 21).astype("float32")
    np.testing.assert_allclose(run_map(lambda x: x // 1.5, [a], "float32"), a // np.float32(1.5))
    np.testing.assert_allclose(run_map(lambda x: x % 1.5, [a], "float32"), a % np.float32(1.5), atol=1e-6)


def test_min_max_with_infinity():
    """softmax-style max init: -inf must survive max() and comparisons (no ninf/nnan fast-math)."""
    a = np.array([-np.inf, -3.0, 0.0, np.inf, 5.0], "float32")
    np.testing.assert_array_equal(run_map(lambda x: maximum(x, float("-inf")), [a], "float32"), a)
    np.testing.assert_array_equal(run_map(lambda x: minimum(x, float("inf")), [a], "float32"), a)
    np.testing.assert_array_equal(run_map(lambda x: x > float("-inf"), [a], "bool"), a > -np.inf)
    np.testing.assert_array_equal(run_map(lambda x: x == float("inf"), [a], "bool"), a == np.inf)

    n = 16
    X, M = Buffer("X", (n,), "float32"), Buffer("M", (1,), "float32")
    i = Var("i")
    body = seq(Store(M, const(float("-inf"), "float32"), (0,)),
               loop(i, n, Store(M, Max(M[0], X[i], "float32"), (0,))))
    x = -np.random.rand(n).astype("float32") * 100
    m = np.zeros(1, "float32")
    build_kernel(PrimFunc("rmax", (X, M), body))(x, m)
    assert m[0] == x.max()


FLOAT_INTRINSICS = {
    "exp": (np.exp, (-10, 10)), "log": (np.log, (0.01, 100)), "sqrt": (np.sqrt, (0, 100)),
    "rsqrt": (lambda x: 1 / np.sqrt(x), (0.01, 100)), "tanh": (np.tanh, (-10, 10)),
    "sigmoid": (lambda x: 1 / (1 + np.exp(-x)), (-20, 20)), "floor": (np.floor, (-10, 10)),
    "ceil": (np.ceil, (-10, 10)), "trunc": (np.trunc, (-10, 10)), "sin": (np.sin, (-10, 10)),
    "cos": (np.cos, (-10, 10)), "exp2": (np.exp2, (-10, 10)), "log2": (np.log2, (0.01, 100)),
    "log1p": (np.log1p, (-0.9, 100)), "abs": (np.abs, (-10, 10)),
}


def _erf(x):
    from math import erf
    return np.array([erf(v) for v in x])


FLOAT_INTRINSICS["erf"] = (_erf, (-4, 4))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_every_intrinsic_matches_numpy(dtype):
    rng = np.random.default_rng(1)
    for name, (ref, (lo, hi)) in FLOAT_INTRINSICS.items():
        x = rng.uniform(lo, hi, 50).astype(dtype)
        got = run_map(lambda v: call(name, v), [x], dtype)
        tol = 2e-6 if dtype == "float32" else 1e-12
        np.testing.assert_allclose(got, ref(x.astype("float64")).astype(dtype), rtol=tol * 5, atol=tol,
                                   err_msg=name)


def test_round_is_half_to_even_and_pow():
    x = np.array([0.5, 1.5, 2.5, -0.5, -1.5, 2.4, 2.6], "float32")
    np.testing.assert_array_equal(run_map(lambda v: call("round", v), [x], "float32"), np.round(x))
    a, b = np.array([2.0, 3.0, 0.5, 10.0], "float32"), np.array([3.0, 0.5, -2.0, 1.5], "float32")
    np.testing.assert_allclose(run_map(lambda u, v: u ** v, [a, b], "float32"), a ** b, rtol=1e-6)


def test_int_abs():
    a = np.array([-5, 3, 0, -127], "int8")
    np.testing.assert_array_equal(run_map(lambda v: abs(v), [a], "int8"), np.abs(a))
    u = np.array([200, 3], "uint8")
    np.testing.assert_array_equal(run_map(lambda v: abs(v), [u], "uint8"), u)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.floats(-30, 30, width=32), min_size=1, max_size=20))
def test_intrinsics_on_random_floats(values):
    x = np.array(values, "float32")
    for name in ("exp", "tanh", "sigmoid", "erf"):
        got = run_map(lambda v: call(name, v), [x], "float32")
        ref = FLOAT_INTRINSICS[name][0](x.astype("float64"))
        np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6, err_msg=name)


def test_select_does_not_read_out_of_bounds():
    """Padding where the unchosen side's index is ~4 TB past the buffer: reading it would crash."""
    n = 16
    A, B = Buffer("A", (n,), "float32"), Buffer("B", (n + 4,), "float32")
    i = Var("i")
    inside = (i >= 2) & (i < n + 2)
    far_when_outside = i - 2 + cast("int64", ~inside) * 10**12
    body = loop(i, n + 4, Store(B, select(inside, A[far_when_outside], 0.0), (i,)))
    a = np.random.rand(n).astype("float32")
    b = np.full(n + 4, np.nan, "float32")
    build_kernel(PrimFunc("pad", (A, B), body))(a, b)
    np.testing.assert_array_equal(b, np.pad(a, 2))


def test_select_without_loads_is_a_plain_select():
    a = np.arange(-4, 4).astype("float32")
    np.testing.assert_array_equal(run_map(lambda x: select(x > 0, x * 2.0, x), [a], "float32"),
                                  np.where(a > 0, a * 2, a))
    # the loads are provably in bounds (loop range vs buffer size): no branch needed
    k = map_kernel(lambda x: select(x > 0, x * 2.0, x), ["float32"], "float32")
    assert " select " in k.source("llvm-unopt") and "sel.then" not in k.source("llvm-unopt")


def test_select_with_possibly_out_of_bounds_load_branches():
    n = 8
    A, B = Buffer("A", (n,), "float32"), Buffer("B", (n + 2,), "float32")
    i = Var("i")
    k = build_kernel(PrimFunc("pad1", (A, B), loop(i, n + 2, Store(B, select(i >= 2, A[i - 2], 0.0), (i,)))))
    assert "sel.then" in k.source("llvm-unopt")
    a, b = np.random.rand(n).astype("float32"), np.zeros(n + 2, "float32")
    k(a, b)
    np.testing.assert_array_equal(b, np.pad(a, (2, 0)))


def test_a_select_the_unrolled_loop_decides_emits_only_its_side():
    """In each copy of an unrolled loop the variable is one number: a chain of selects on it (a Winograd
    tile position) becomes the one expression of that copy, without selects or branches."""
    A, B = Buffer("A", (4, 8), "float32"), Buffer("B", (4, 8), "float32")
    i, j = Var("i"), Var("j")
    chain = select(j == 0, A[i, 0] * 2.0, select((j == 1) | (j > 2), A[i, j] - A[i, 0], A[i, 2] + 1.0))
    body = loop(i, 4, For(j, const(0), const(4), ForKind.UNROLLED, Store(B, chain, (i, j))))
    k = build_kernel(PrimFunc("chain", (A, B), body))
    a, b = np.random.rand(4, 8).astype("float32"), np.zeros((4, 8), "float32")
    k(a, b)
    np.testing.assert_allclose(b[:, :4], np.stack([a[:, 0] * 2, a[:, 1] - a[:, 0], a[:, 2] + 1, a[:, 3] - a[:, 0]], 1))
    assert " select " not in k.source("llvm-unopt") and "sel.then" not in k.source("llvm-unopt")


def test_select_guards_integer_division_by_zero():
    a = np.array([6, 0, -9, 5], "int32")
    np.testing.assert_array_equal(run_map(lambda x: select(x != 0, 12 // x, 0), [a], "int32"),
                                  np.array([2, 0, -2, 2]))


def test_if_then_else():
    n = 10
    A, B = Buffer("A", (n,), "int32"), Buffer("B", (n,), "int32")
    i = Var("i")
    body = loop(i, n, IfThenElse(FloorMod(i, const(2), "int64") == 0,
                                 Store(B, A[i] * 10, (i,)),
                                 IfThenElse(i > 6, Store(B, A[i], (i,)))))
    a = np.arange(n, dtype="int32")
    b = np.full(n, -1, "int32")
    build_kernel(PrimFunc("ite", (A, B), body))(a, b)
    np.testing.assert_array_equal(b, [0, -1, 20, -1, 40, -1, 60, 7, 80, 9])


def test_unrolled_loop_with_offset_and_nested_serial():
    A, B = Buffer("A", (4, 8), "float32"), Buffer("B", (4, 8), "float32")
    i, j = Var("i"), Var("j")
    body = loop(i, 4, For(j, const(2), const(5), ForKind.UNROLLED, Store(B, A[i, j] + 1.0, (i, j))),
                kind=ForKind.SERIAL)
    a = np.random.rand(4, 8).astype("float32")
    b = np.zeros((4, 8), "float32")
    k = build_kernel(PrimFunc("unr", (A, B), body))
    k(a, b)
    expected = np.zeros_like(a)
    expected[:, 2:7] = a[:, 2:7] + 1
    np.testing.assert_allclose(b, expected)
    assert "for.j" not in k.source("llvm-unopt")  # no loop emitted for the unrolled one


def test_loop_annotations_and_evaluate_are_accepted():
    A = Buffer("A", (8,), "int64")
    i = Var("i")
    body = seq(For(i, const(0), const(8), ForKind.SERIAL, Store(A, i * i, (i,)), (("auto_unroll_max_step", 16),)),
               Evaluate(const(0)))
    a = np.zeros(8, "int64")
    build_kernel(PrimFunc("ann", (A,), body))(a)
    np.testing.assert_array_equal(a, np.arange(8) ** 2)


def _alloc_kernel(n):
    """B = 2 * A through a temporary T of n float32 elements."""
    A, B = Buffer("A", (n,), "float32"), Buffer("B", (n,), "float32")
    T = Buffer("T", (n,), "float32", "local")
    i = Var("i")
    body = Allocate(T, seq(loop(i, n, Store(T, A[i] * 2.0, (i,))), loop(i, n, Store(B, T[i], (i,)))))
    return build_kernel(PrimFunc(f"alloc{n}", (A, B), body))


@pytest.mark.parametrize("n", [100, 1 << 20])
def test_allocate_small_and_large(n):
    k = _alloc_kernel(n)
    a = np.random.rand(n).astype("float32")
    b = np.zeros(n, "float32")
    k(a, b)
    np.testing.assert_array_equal(b, a * 2)
    ir_text = k.source("llvm-unopt")
    if n * 4 <= 64 * 1024:
        assert "alloca [100 x float], align 64" in ir_text and "posix_memalign" not in ir_text
    else:
        assert "posix_memalign" in ir_text and "@\"free\"" in ir_text


def test_large_allocate_does_not_leak():
    def rss_kib():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * 4

    n = 1 << 21  # 8 MiB per call
    k = _alloc_kernel(n)
    a, b = np.ones(n, "float32"), np.zeros(n, "float32")
    for _ in range(3):
        k(a, b)
    before = rss_kib()
    for _ in range(60):  # 480 MiB if leaked
        k(a, b)
    assert rss_kib() - before < 64 * 1024


def test_allocate_inside_loop_reuses_memory():
    n, m = 6, 5
    A, B = Buffer("A", (n, m), "int32"), Buffer("B", (n,), "int32")
    T = Buffer("T", (m,), "int32", "local")
    i, j = Var("i"), Var("j")
    body = loop(i, n, Allocate(T, seq(loop(j, m, Store(T, A[i, j] * 2, (j,))),
                                      Store(B, const(0, "int32"), (i,)),
                                      loop(j, m, Store(B, B[i] + T[j], (i,))))))
    a = np.arange(n * m, dtype="int32").reshape(n, m)
    b = np.zeros(n, "int32")
    build_kernel(PrimFunc("rows", (A, B), body))(a, b)
    np.testing.assert_array_equal(b, 2 * a.sum(1))


def test_loop_with_int32_variable_and_min():
    A = Buffer("A", (10,), "int32")
    i = Var("i", "int32")
    body = For(i, const(3, "int32"), const(4, "int32"), ForKind.SERIAL, Store(A, i, (i,)))
    a = np.zeros(10, "int32")
    build_kernel(PrimFunc("i32", (A,), body))(a)
    np.testing.assert_array_equal(a, [0, 0, 0, 3, 4, 5, 6, 0, 0, 0])


def test_codegen_errors_are_clear():
    A, B = Buffer("A", (4,), "float32"), Buffer("B", (4,), "int32")
    i, free = Var("i"), Var("n")
    with pytest.raises(CodegenError, match="insert a Cast"):
        build(PrimFunc("bad", (A, B), loop(i, 4, Store(B, A[i], (i,)))))
    with pytest.raises(CodegenError, match="'n'"):
        build(PrimFunc("bad", (A,), loop(i, 4, Store(A, cast("float32", free), (i,)))))
    T = Buffer("T", (4,), "float32")
    with pytest.raises(CodegenError, match="'T'"):
        build(PrimFunc("bad", (A,), loop(i, 4, Store(A, T[i], (i,)))))
    with pytest.raises(CodegenError, match="2 dimensions"):
        build(PrimFunc("bad", (A,), loop(i, 4, Store(A, Buffer("M", (2, 2), "float32")[i], (i,)))))
    with pytest.raises(CodegenError, match="PrimFunc"):
        build("not a function")


def test_compiled_func_holds_ir_asm_and_timings():
    k = map_kernel(lambda x: x * 2.0, ["float32"], "float32")
    cf = k.compiled
    assert cf.address > 0 and 0 < cf.compile_time < 1.0
    assert set(cf.timings) == {"emit", "parse", "optimize", "jit"}
    assert "define void @map" in cf.llvm_ir and "define void @\"map\"" in cf.llvm_ir_unopt
    assert "map:" in cf.asm

