"""schedule_dense: dense (W[N, K]), matmul and batch_matmul (plain, transposed, broadcast batch) with
epilogues, over odd shapes, GEMV and BERT-like sizes."""
import pytest

from workbench import te, topi
from workbench.graph.op.schedules import schedule_dense


@pytest.mark.parametrize("m,k,n", [(1, 512, 100), (7, 33, 9), (16, 64, 48), (3, 5, 1), (1, 1, 1), (40, 100, 70)])
def test_dense_bias_gelu(check, m, k, n):
    x = te.placeholder((m, k), name="x")
    w = te.placeholder((n, k), name="w")
    b = te.placeholder((n,), name="b")
    y = topi.dense(x, w)
    out = topi.gelu(topi.add(y, b))
    check(schedule_dense, [out], [x, w, b], anchor=y, rtol=1e-4, atol=1e-4)


def test_dense_with_topi_bias_stage(check):
    x, w, b = te.placeholder((5, 24), name="x"), te.placeholder((10, 24), name="w"), te.placeholder((10,), name="b")
    y = topi.dense(x, w, b)
    check(schedule_dense, [y], [x, w, b], anchor=y.op.input_tensors[0])


@pytest.mark.parametrize("m,k,n", [(9, 17, 70), (32, 64, 64), (1, 50, 3), (65, 8, 130)])
@pytest.mark.parametrize("trans", [(False, False), (True, False), (False, True)])
def test_matmul(check, m, k, n, trans):
    ta, tb = trans
    a = te.placeholder((k, m) if ta else (m, k), name="a")
    b = te.placeholder((n, k) if tb else (k, n), name="b")
    y = topi.matmul(a, b, transpose_a=ta, transpose_b=tb)
    check(schedule_dense, [topi.relu(y)], [a, b], anchor=y)


@pytest.mark.parametrize("ashape,bshape,tb", [((3, 16, 8), (3, 8, 16), False), ((2, 12, 8), (2, 12, 8), True),
                                             ((1, 5, 7), (4, 7, 3), False), ((2, 3, 9, 4), (4, 6), False)])
def test_batch_matmul(check, ashape, bshape, tb):
    a, b = te.placeholder(ashape, name="a"), te.placeholder(bshape, name="b")
    y = topi.batch_matmul(a, b, transpose_b=tb)
    out = topi.tanh(y)
    check(schedule_dense, [out], [a, b], anchor=y)


def test_dense_output_is_anchor_and_epilogue(check):
    x, w = te.placeholder((6, 20), name="x"), te.placeholder((8, 20), name="w")
    y = topi.dense(x, w)
    check(schedule_dense, [y, topi.relu(y)], [x, w], anchor=y)


def test_dense_with_transposed_epilogue(check):
    x, w = te.placeholder((6, 20), name="x"), te.placeholder((8, 20), name="w")
    y = topi.dense(x, w)
    check(schedule_dense, [topi.transpose(topi.relu(y), (1, 0))], [x, w], anchor=y)


def test_a_small_product_with_big_weights_runs_in_parallel():
    """ResNet-18's classifier: 512K multiply-adds (below MIN_PARALLEL_MACS) over 2 MB of weights."""
    from workbench.lower import lower
    x, w = te.placeholder((1, 512), name="x"), te.placeholder((1000, 512), name="w")
    y = topi.dense(x, w)
    assert "in parallel(" in str(lower(schedule_dense([y], y), [x, w, y], "k"))
    x, w = te.placeholder((1, 64), name="x"), te.placeholder((100, 64), name="w")
    y = topi.dense(x, w)
    assert "in parallel(" not in str(lower(schedule_dense([y], y), [x, w, y], "k"))
