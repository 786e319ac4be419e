"""The loop-nest printer: Python-like text with loop kinds."""
from workbench.tir import Buffer, For, ForKind, PrimFunc, Store, Var, const, seq


def test_loop_kinds_and_accumulate():
    i, j = Var("i"), Var("j")
    A = Buffer("A", (4, 8), "float32")
    C = Buffer("C", (4,), "float32")
    body = For(i, const(0), const(4), ForKind.PARALLEL,
               seq(Store(C, const(0.0), (i,)),
                   For(j, const(0), const(8), ForKind.UNROLLED, Store(C, C[i] + A[i, j], (i,)))))
    text = str(PrimFunc("f", (A, C), body))
    assert "for i in parallel(4):" in text
    assert "for j in unrolled(8):" in text
    assert "C[i] += A[i, j]" in text
    assert text.startswith("def f(A: float32[4, 8], C: float32[4]):")


def test_shadowed_names_get_suffix():
    a, b = Var("x"), Var("x")
    B = Buffer("B", (2, 2), "float32")
    body = For(a, const(0), const(2), ForKind.SERIAL, For(b, const(0), const(2), ForKind.VECTORIZED,
                                                         Store(B, const(1.0), (a, b))))
    text = str(PrimFunc("f", (B,), body))
    assert "for x_1 in vectorized(2):" in text and "B[x, x_1] = 1.0" in text


def test_precedence():
    i, j = Var("i"), Var("j")
    assert str((i + j) * 2) == "(i + j) * 2"
    assert str(i - (j - 1)) == "i - (j - 1)"
    assert str(i * 2 + j) == "i * 2 + j"
