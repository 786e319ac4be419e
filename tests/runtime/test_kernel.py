"""Kernel: argument checking, timing and source views (compiled tests)."""
import numpy as np
import pytest

from workbench.errors import RuntimeCallError, WorkbenchError
from workbench.runtime import SOURCE_KINDS, Kernel, TimeResult, build_kernel
from workbench.tir import Buffer, For, ForKind, PrimFunc, Store, Var, const


@pytest.fixture(scope="module")
def kernel():
    A, B = Buffer("A", (4, 8), "float32"), Buffer("B", (4, 8), "float32")
    i, j = Var("i"), Var("j")
    body = For(i, const(0), const(4), ForKind.SERIAL,
               For(j, const(0), const(8), ForKind.SERIAL, Store(B, A[i, j] * 2.0, (i, j))))
    return build_kernel(PrimFunc("double", (A, B), body))


def arrays():
    return np.random.rand(4, 8).astype("float32"), np.zeros((4, 8), "float32")


def test_call_writes_output(kernel):
    a, b = arrays()
    assert kernel(a, b) is None
    np.testing.assert_allclose(b, a * 2)


def test_name_params_compile_time_repr(kernel):
    assert isinstance(kernel, Kernel)
    assert kernel.name == "double"
    assert [p.name for p in kernel.params] == ["A", "B"]
    assert 0 < kernel.compile_time < 1
    r = repr(kernel)
    assert r.startswith("<Kernel double(A: float32[4, 8], B: float32[4, 8])") and "compiled in" in r
    assert len(r) < 120


def test_wrong_argument_count(kernel):
    a, _ = arrays()
    with pytest.raises(RuntimeCallError, match=r"takes 2 arrays \(A: float32\[4, 8\], B: float32\[4, 8\]\), got 1"):
        kernel(a)


def test_wrong_dtype_names_parameter_and_fix(kernel):
    a, b = arrays()
    with pytest.raises(RuntimeCallError, match=r"argument 1 \('B'\): expected dtype float32, got float64.*astype"):
        kernel(a, b.astype("float64"))


def test_wrong_shape(kernel):
    a, _ = arrays()
    with pytest.raises(RuntimeCallError, match=r"'B'.*expected shape \(4, 8\), got \(8, 4\)"):
        kernel(a, np.zeros((8, 4), "float32"))


def test_non_contiguous(kernel):
    a, b = arrays()
    with pytest.raises(RuntimeCallError, match=r"'A'.*not C-contiguous.*np.ascontiguousarray"):
        kernel(np.zeros((8, 4), "float32").T, b)
    with pytest.raises(RuntimeCallError, match="not C-contiguous"):
        kernel(a, np.zeros((4, 16), "float32")[:, ::2])


def test_non_ndarray(kernel):
    _, b = arrays()
    with pytest.raises(RuntimeCallError, match=r"'A'.*expected a numpy array float32\[4, 8\], got list"):
        kernel([[0.0] * 8] * 4, b)


def test_read_only_output_is_rejected_but_read_only_input_is_fine(kernel):
    a, b = arrays()
    a.flags.writeable = False
    kernel(a, b)
    b.flags.writeable = False
    with pytest.raises(RuntimeCallError, match="'B'.*read-only"):
        kernel(a, b)


def test_errors_are_workbench_and_value_errors(kernel):
    with pytest.raises(ValueError):
        kernel()
    with pytest.raises(WorkbenchError):
        kernel()


def test_time_sanity(kernel):
    a, b = arrays()
    r = kernel.time(a, b, repeat=4, min_repeat_ms=2)
    assert isinstance(r, TimeResult)
    assert len(r.results) == r.repeat == 4 and r.number >= 1
    assert all(t > 0 for t in r.results)
    assert r.min <= r.median <= max(r.results) and r.min <= r.mean and r.std >= 0
    assert "4 repeats ×" in repr(r) and "±" in repr(r)
    fixed = kernel.time(a, b, number=3, repeat=2, warmup=0)
    assert fixed.number == 3 and fixed.repeat == 2
    np.testing.assert_allclose(b, a * 2)
    with pytest.raises(RuntimeCallError):
        kernel.time(a, b, repeat=0)
    with pytest.raises(RuntimeCallError, match="dtype"):
        kernel.time(a, b.astype("float64"))


def test_time_result_repr_units():
    assert repr(TimeResult.from_results([2e-6, 2e-6], 100)) == "2 µs ± 0 µs (median 2 µs, 2 repeats × 100 runs)"
    assert repr(TimeResult.from_results([1.5], 1)).startswith("1.5 s")


def test_source_kinds(kernel):
    assert SOURCE_KINDS == ("tir", "llvm", "llvm-unopt", "asm")
    tir = kernel.source("tir")
    assert tir.startswith("def double(A: float32[4, 8], B: float32[4, 8]):") and "for i in range(4)" in tir
    assert "define void @double" in kernel.source("llvm")
    assert "define void @\"double\"" in kernel.source("llvm-unopt")
    asm = kernel.source("asm")
    assert "double:" in asm and "ret" in asm
    with pytest.raises(RuntimeCallError, match=r"unknown kind 'c'.*'tir', 'llvm', 'llvm-unopt', 'asm'"):
        kernel.source("c")


def test_kernel_without_parameters_and_zero_size_buffer():
    T = Buffer("T", (0,), "float32")
    k = build_kernel(PrimFunc("empty", (T,), For(Var("i"), const(0), const(0), ForKind.SERIAL,
                                                 Store(T, const(1.0), (const(0),)))))
    k(np.zeros(0, "float32"))
    assert k.num_threads == 1
