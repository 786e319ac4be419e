"""Lowering: loop structure, guards, bound inference regions, reductions."""
from workbench import te
from workbench.lower import lower
from workbench.tir import For, ForKind, IfThenElse, Allocate
from workbench.tir.functor import post_order_visit


def nodes(func, cls):
    out = []
    post_order_visit(func.body, lambda n: out.append(n) if isinstance(n, cls) else None)
    return out


def test_divisible_split_has_no_guard():
    A = te.placeholder((64,), name="A")
    B = te.compute((64,), lambda i: A[i] + 1.0, name="B")
    s = te.create_schedule(B.op)
    io, ii = s[B].split(B.op.axis[0], factor=16)
    s[B].vectorize(ii)
    f = lower(s, [A, B])
    assert not nodes(f, IfThenElse)
    assert [l.kind for l in nodes(f, For)] == [ForKind.VECTORIZED, ForKind.SERIAL]


def test_tail_keeps_vector_code():
    A = te.placeholder((100,), name="A")
    B = te.compute((100,), lambda i: A[i] + 1.0, name="B")
    s = te.create_schedule(B.op)
    io, ii = s[B].split(B.op.axis[0], factor=16)
    s[B].vectorize(ii)
    f = lower(s, [A, B])
    kinds = [l.kind for l in nodes(f, For)]
    assert ForKind.VECTORIZED in kinds and ForKind.SERIAL in kinds
    assert "if i.outer * 16 + 15 < 100:" in str(f)


def test_compute_at_region_is_what_one_iteration_reads():
    A = te.placeholder((1, 3, 10, 10), name="A")
    P = te.compute((1, 3, 12, 12), lambda b, c, h, w: te.if_then_else(
        (h >= 1) & (h < 11) & (w >= 1) & (w < 11), A[b, c, h - 1, w - 1], 0.0), name="pad")
    W = te.placeholder((8, 3, 3, 3), name="W")
    rc, ry, rx = (te.reduce_axis((0, 3), name=n) for n in ("rc", "ry", "rx"))
    O = te.compute((1, 8, 10, 10), lambda b, f, y, x: te.sum(P[b, rc, y + ry, x + rx] * W[f, rc, ry, rx],
                                                             axis=[rc, ry, rx]), name="conv")
    s = te.create_schedule(O.op)
    yo, yi = s[O].split(O.op.axis[2], factor=4)
    s[P].compute_at(s[O], yo)
    f = lower(s, [A, W, O])
    (alloc,) = nodes(f, Allocate)
    assert alloc.buffer.shape == (1, 3, 6, 12)  # 4 output rows need 4 + 3 - 1 input rows


def test_reduction_init_before_first_reduce_loop():
    A = te.placeholder((8, 8), name="A")
    k = te.reduce_axis((0, 8), name="k")
    S = te.compute((8,), lambda i: te.sum(A[i, k], axis=k), name="S")
    s = te.create_schedule(S.op)
    s[S].reorder(k, S.op.axis[0])
    text = str(lower(s, [A, S]))
    assert text.splitlines()[1:3] == ["    for i in range(8):", "        S[i] = 0.0"]


def test_auto_unroll_pragma():
    A = te.placeholder((16, 4), name="A")
    B = te.compute((16, 4), lambda i, j: A[i, j] * 2.0, name="B")
    s = te.create_schedule(B.op)
    s[B].pragma(B.op.axis[0], "auto_unroll_max_step", 4)
    assert "for j in unrolled(4):" in str(lower(s, [A, B]))


def test_data_dependent_index_reads_the_whole_producer():
    """take: C[i] = B[ind[i]] with B attached inside C's loop must compute all of B there."""
    import numpy as np
    import workbench as wb
    A = te.placeholder((10,), name="A")
    ind = te.placeholder((4,), "int64", name="ind")
    B = te.compute((10,), lambda i: A[i] * 2.0, name="B")
    C = te.compute((4,), lambda i: B[ind[i]], name="C")
    s = te.create_schedule(C.op)
    s[B].compute_at(s[C], C.op.axis[0])
    f = lower(s, [A, ind, C])
    (alloc,) = nodes(f, Allocate)
    assert alloc.buffer.shape == (10,)
    a, ix, c = np.arange(10, dtype="float32"), np.array([9, 0, 3, 3]), np.zeros(4, "float32")
    wb.build(s, [A, ind, C])(a, ix, c)
    np.testing.assert_array_equal(c, a[ix] * 2)


def test_strided_arguments_are_views_into_bigger_arrays():
    """``strides``: an argument that is the interior of a zero-bordered array; vectorized and parallel
    loops read and write only the interior, and the result is what numpy gives on the same views."""
    import numpy as np
    import pytest

    from workbench.errors import LoweringError, RuntimeCallError
    from workbench.runtime import build_kernel
    A = te.placeholder((2, 5, 7, 16), name="A")
    B = te.compute(A.shape, lambda a, b, c, d: A[a, b, c, d] * 2.0 + 1.0, name="B")
    s = te.create_schedule(B.op)
    s[B].vectorize(B.op.axis[3])
    s[B].parallel(B.op.axis[0])
    f = lower(s, [A, B], "k", strides={0: (7 * 9 * 16, 9 * 16, 16, 1), 1: (8 * 10 * 16, 10 * 16, 16, 1)})
    assert "strides [1008, 144, 16, 1]" in str(f).splitlines()[0]
    a = np.random.default_rng(0).normal(size=(2, 7, 9, 16)).astype("float32")
    b = np.zeros((2, 8, 10, 16), "float32")
    k = build_kernel(f)
    k(a[:, 1:6, 1:8], b[:, 2:7, 1:8])
    np.testing.assert_allclose(b[:, 2:7, 1:8], a[:, 1:6, 1:8] * 2 + 1)
    assert b.sum() == b[:, 2:7, 1:8].sum()  # the border was not touched
    with pytest.raises(RuntimeCallError, match="view with element strides"):
        k(np.zeros((2, 5, 7, 16), "float32"), b[:, 2:7, 1:8])
    with pytest.raises(LoweringError, match="one stride per dimension"):
        lower(s, [A, B], strides={0: (16, 1)})
    with pytest.raises(LoweringError, match="one stride per dimension"):
        lower(s, [A, B], strides={5: (1, 1, 1, 1)})


def test_buffer_span_counts_the_addressed_elements():
    from workbench.tir import Buffer
    assert Buffer("x", (2, 3), "float32").span == 6
    assert Buffer("x", (2, 3), "float32", strides=(5, 1)).span == 8
    assert Buffer("x", (2, 3), "float32", strides=(5, 1)).row_strides == (5, 1)
    assert Buffer("x", (2, 3, 4), "float32").row_strides == (12, 4, 1)
    assert Buffer("x", (0, 3), "float32", strides=(5, 1)).span == 0
