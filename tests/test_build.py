"""wb.build end to end: tensor expressions compiled with LLVM against the numpy reference evaluator."""
import numpy as np
import pytest

import workbench as wb
from workbench import te
from workbench.errors import CodegenError
from workbench.te.reference import evaluate


def run(outputs, inputs, s=None, args=None):
    """Build (default schedule unless given), run on ``inputs`` and return outputs and references."""
    args = args or list(inputs) + outputs
    s = s or te.create_schedule([t.op for t in outputs])
    f = wb.build(s, args)
    outs = [np.zeros(t.shape, t.dtype) for t in outputs]
    f(*[inputs[t] for t in inputs], *outs)
    return outs, evaluate(outputs, inputs)


UNARY = ["exp", "log", "sqrt", "rsqrt", "tanh", "sigmoid", "erf", "floor", "ceil", "round", "trunc", "sin", "cos",
         "exp2", "log2", "log1p", "abs"]


@pytest.mark.parametrize("op", UNARY)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_intrinsics(op, dtype):
    A = te.placeholder((67,), dtype, name="A")
    B = te.compute((67,), lambda i: getattr(te, op)(A[i]), name="B")
    a = np.linspace(0.05, 4.5, 67).astype(dtype) * (1 if op in ("log", "sqrt", "rsqrt", "log2", "log1p") else
                                                     np.where(np.arange(67) % 2, 1, -1).astype(dtype))
    (got,), (ref,) = run([B], {A: a})
    np.testing.assert_allclose(got, ref, rtol=2e-6 if dtype == "float32" else 1e-12, atol=1e-6)


def test_pow_min_max_select_compare():
    A = te.placeholder((40,), name="A")
    B = te.placeholder((40,), name="B")
    C = te.compute((40,), lambda i: te.if_then_else(A[i] > B[i], te.pow(A[i], 2.0), te.max(A[i], B[i]) - te.min(A[i], 0.5)),
                   name="C")
    rng = np.random.default_rng(1)
    (got,), (ref,) = run([C], {A: rng.random(40, dtype="float32"), B: rng.random(40, dtype="float32")})
    np.testing.assert_allclose(got, ref, rtol=1e-6)


@pytest.mark.parametrize("dtype", ["int8", "int16", "int32", "int64", "uint8"])
def test_integer_arithmetic_wraps_like_numpy(dtype):
    A = te.placeholder((64,), dtype, name="A")
    B = te.compute((64,), lambda i: A[i] * 3 + A[i] // 5 - A[i] % 7, name="B")
    info = np.iinfo(dtype)
    a = np.random.default_rng(2).integers(max(info.min, -1000), min(info.max, 1000), 64).astype(dtype)
    (got,), (ref,) = run([B], {A: a})
    np.testing.assert_array_equal(got, ref)


def test_bool_and_casts():
    A = te.placeholder((50,), "float32", name="A")
    M = te.compute((50,), lambda i: (A[i] > 0.0) & ~(A[i] > 0.5), name="M")
    K = te.compute((50,), lambda i: te.cast(A[i] * 100.0, "int8") + te.cast(M[i], "int8"), name="K")
    a = np.random.default_rng(3).normal(size=50).astype("float32")
    (m, k), (mr, kr) = run([M, K], {A: a})
    assert m.dtype == np.bool_
    np.testing.assert_array_equal(m, mr)
    np.testing.assert_array_equal(k, kr)


def test_int8_matmul_accumulates_in_int32():
    A = te.placeholder((16, 32), "int8", name="A")
    B = te.placeholder((32, 8), "int8", name="B")
    k = te.reduce_axis((0, 32), name="k")
    C = te.compute((16, 8), lambda i, j: te.sum(te.cast(A[i, k], "int32") * te.cast(B[k, j], "int32"), axis=k), name="C")
    rng = np.random.default_rng(4)
    a, b = rng.integers(-128, 128, (16, 32)).astype("int8"), rng.integers(-128, 128, (32, 8)).astype("int8")
    (got,), _ = run([C], {A: a, B: b})
    np.testing.assert_array_equal(got, a.astype("int32") @ b.astype("int32"))


def test_all_reducers_and_a_custom_one():
    A = te.placeholder((6, 33), name="A")
    k = te.reduce_axis((0, 33), name="k")
    absmax = te.comm_reducer(lambda x, y: te.max(te.abs(x), te.abs(y)), lambda t: te.const(0, t), name="absmax")
    outs = [te.compute((6,), lambda i, r=r: r(A[i, k] * 0.5, axis=k), name=f"R{n}")
            for n, r in enumerate([te.sum, te.max, te.min, te.prod, absmax])]
    a = np.random.default_rng(5).uniform(0.8, 1.2, (6, 33)).astype("float32")
    got, ref = run(outs, {A: a})
    for g, r in zip(got, ref):
        np.testing.assert_allclose(g, r, rtol=1e-5)


def test_reduction_with_where_and_offset_axis():
    A = te.placeholder((4, 20), name="A")
    k = te.reduce_axis((3, 17), name="k")
    S = te.compute((4,), lambda i: te.sum(A[i, k], axis=k, where=(k % 3) != 0), name="S")
    a = np.random.default_rng(6).random((4, 20), dtype="float32")
    (got,), (ref,) = run([S], {A: a})
    np.testing.assert_allclose(got, ref, rtol=1e-6)


def test_classic_matmul_schedule_small():
    n = 96
    A = te.placeholder((n, n), name="A")
    B = te.placeholder((n, n), name="B")
    k = te.reduce_axis((0, n), name="k")
    C = te.compute((n, n), lambda i, j: te.sum(A[i, k] * B[k, j], axis=k), name="C")
    s = te.create_schedule(C.op)
    CC = s.cache_write(C, "local")
    io, jo, ii, ji = s[C].tile(C.op.axis[0], C.op.axis[1], 32, 64)  # 96 = 1.5 x 64: a tail block
    s[CC].compute_at(s[C], jo)
    x, y = s[CC].op.axis
    ko, ki = s[CC].split(s[CC].op.reduce_axis[0], factor=4)
    s[CC].reorder(ko, x, ki, y)
    s[CC].unroll(ki)
    s[CC].vectorize(y)
    s[C].vectorize(ji)
    s[C].parallel(io)
    rng = np.random.default_rng(7)
    a, b = rng.random((n, n), dtype="float32"), rng.random((n, n), dtype="float32")
    (got,), _ = run([C], {A: a, B: b}, s=s, args=[A, B, C])
    np.testing.assert_allclose(got, a @ b, rtol=1e-4)
    asm = wb.build(s, [A, B, C]).source("asm")
    assert "zmm" in asm or "ymm" in asm


def test_build_rejects_unknown_target():
    A = te.placeholder((4,), name="A")
    B = te.compute((4,), lambda i: A[i], name="B")
    with pytest.raises(CodegenError, match="unknown target 'cuda'"):
        wb.build(te.create_schedule(B.op), [A, B], target="cuda")


@pytest.mark.parametrize("reducer,ref", [(te.min, np.min), (te.max, np.max)])
@pytest.mark.parametrize("rk", [3, 5, 7, 17])
def test_min_max_reduction_with_reduce_axis_outermost(reducer, ref, rk):
    """Regression: a min reduction into fixed addresses, reduce loop outermost, lost its last
    iteration under LLVM 22's vectorizer (znver5) when emitted with llvm.minnum."""
    x = te.placeholder((rk, 4, 3), name="x")
    k = te.reduce_axis((0, rk), name="k")
    M = te.compute((4, 3), lambda a, b: reducer(x[k, a, b], axis=k), name="M")
    s = te.create_schedule(M.op)
    s[M].reorder(k, *M.op.axis)
    xa = np.random.default_rng(rk).random((rk, 4, 3), dtype="float32")
    (got,), _ = run([M], {x: xa}, s=s, args=[x, M])
    np.testing.assert_array_equal(got, ref(xa, axis=0))


def test_float_min_max_propagate_nan_like_numpy():
    A = te.placeholder((6,), name="A")
    B = te.compute((6,), lambda i: te.max(A[i], 0.0) + te.min(A[i], 1.0), name="B")
    a = np.array([1, -1, np.nan, 0, np.inf, -np.inf], "float32")
    (got,), _ = run([B], {A: a})
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(got, np.maximum(a, 0) + np.minimum(a, 1))


def test_float_division_is_exact_like_numpy():
    """x / c must not become x * (1/c): floor/ceil of quotients must match numpy exactly."""
    B = te.compute((8,), lambda i: te.ceil((te.cast(i, "float32") + 0.5) / te.const(1.75, "float32") - 1.0), name="B")
    A = te.placeholder((2,), name="A")
    D = te.compute((2,), lambda i: te.floor(A[i] / te.const(0.1, "float32")), name="D")
    a = np.array([2.1, 0.3], "float32")
    (b, d), (br, dr) = run([B, D], {A: a})
    np.testing.assert_array_equal(b, br)
    np.testing.assert_array_equal(d, np.floor(a / np.float32(0.1)))


@pytest.mark.parametrize("op", ["pow", "exp", "log", "sin", "cos", "tanh", "erf", "exp2", "log2", "log1p"])
def test_scalar_float64_libm_calls_resolve(op):
    """Regression: MCJIT resolved an unknown libm symbol (float64 pow) to address 0 and crashed."""
    A = te.placeholder((3,), "float64", name="A")
    fn = (lambda x: te.pow(x, x)) if op == "pow" else getattr(te, op)
    B = te.compute((3,), lambda i: fn(A[i]), name="B")
    (got,), (ref,) = run([B], {A: np.array([0.5, 1.0, 2.0])})
    np.testing.assert_allclose(got, ref, rtol=1e-12)


def test_pow_of_int_exponent_uses_compiler_runtime():
    """LLVM rewrites pow(x, float(n)) to __powidf2 (libgcc): it must resolve, not crash."""
    A = te.placeholder((3,), "int32", name="A")
    B = te.compute((3,), lambda i: te.pow(te.cast(A[i], "float64"), te.cast(A[i], "float64")), name="B")
    (got,), _ = run([B], {A: np.array([1, 2, 3], "int32")})
    np.testing.assert_allclose(got, [1.0, 4.0, 27.0])


@pytest.mark.parametrize("op", ["erf", "tanh", "exp", "log", "sigmoid"])
@pytest.mark.parametrize("lanes", [13, 16, 40])
def test_vector_math_through_libmvec(op, lanes):
    """Vectorized float32 erf/tanh/exp/log/sigmoid call glibc's vector math when the machine has it
    (16 lanes per call on AVX-512); any lane count works, and results stay within a few ulp."""
    import math
    from workbench.codegen.target import VECTOR_MATH_WIDTH
    A = te.placeholder((lanes * 3,), name="A")
    B = te.compute((lanes * 3,), lambda i: getattr(te, op)(A[i]), name="B")
    s = te.create_schedule(B.op)
    _, inner = s[B].split(B.op.axis[0], factor=lanes)
    s[B].vectorize(inner)
    f = wb.build(s, [A, B])
    a = np.linspace(0.01, 3.0, lanes * 3).astype("float32")
    b = np.zeros_like(a)
    f(a, b)
    x = a.astype("float64")
    ref = {"erf": np.vectorize(math.erf)(x), "tanh": np.tanh(x), "exp": np.exp(x), "log": np.log(x),
           "sigmoid": 1 / (1 + np.exp(-x))}[op]
    np.testing.assert_allclose(b, ref, rtol=1e-6)
    assert ("_ZGV" in f.source("llvm")) == bool(VECTOR_MATH_WIDTH)
