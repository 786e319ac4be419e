"""Program analysis: inlinable stages, data reuse, fusible consumers, FLOP counts."""
import pytest

from workbench.ansor import ComputeDAG
from workbench.errors import WorkbenchError

from . import dags


def dag(name):
    ins, outs = dags.ALL[name]()
    return ComputeDAG(ins, outs)


def test_matmul_has_reuse_and_no_fusible_consumer():
    d = dag("matmul")
    c = d["C"]
    assert c.is_output and c.has_reduce and c.has_reuse and c.fusible_consumer is None
    assert d.flop == 2 * 64 * 48 * 32


def test_matmul_relu_fuses_into_relu():
    d = dag("matmul_relu")
    assert d["C"].fusible_consumer == "D" and not d["C"].is_output
    assert d.flop == 2 * 64 * 48 * 32 + 64 * 48


def test_conv2d_padding_is_not_strictly_inlinable_but_the_bias_add_is():
    d = dag("conv2d")
    assert not d["pad"].strictly_inlinable          # a branch (select) per element
    assert d["add"].strictly_inlinable
    assert d["conv2d"].has_reuse and d["conv2d"].fusible_consumer == "relu"   # through the inlined add
    assert d["conv2d"].flop == 2 * 16 * 10 * 10 * 8 * 9


def test_packed_conv_fuses_through_its_unblocking_nchw_view():
    d = dag("conv2d_packed")
    c = d["conv2d_packed"]
    assert c.has_reuse and c.fusible_consumer == "relu" and c.fusible_unblock == (1, 16)
    assert d["conv2d_packed_nchw"].strictly_inlinable and d["conv2d_packed_nchw"].fusible_unblock is None
    assert "reads axis 1 unblocked, 16 lanes" in d.summary()


def test_an_unblocking_read_with_the_wrong_lanes_is_not_fused():
    from workbench import te
    x = te.placeholder((8, 8), name="x")
    k = te.reduce_axis((0, 8), name="k")
    y = te.compute((4, 2, 4), lambda i, jo, ji: te.sum(x[i, k] * x[jo * 4 + ji, k], axis=k), name="y")
    z = te.compute((4, 4), lambda i, j: y[i, j // 2, j % 2] * 2.0, name="z")   # 2 lanes, y has 4
    assert ComputeDAG([x], [z])["y"].fusible_consumer is None


def test_softmax_reductions_have_no_reuse():
    d = dag("softmax")
    assert d["softmax_max"].has_reduce and not d["softmax_max"].has_reuse
    assert d["softmax_exp"].strictly_inlinable


def test_elementwise_chain_and_norm():
    d = dag("elementwise_chain")
    assert d["a"].strictly_inlinable and d["b"].strictly_inlinable and not d["c"].strictly_inlinable
    n = dag("norm")
    assert n["sumsq"].spatial_size == 1 and n["sumsq"].reduce_size == 32 * 64


def test_key_is_stable_and_distinguishes_shapes():
    assert dag("matmul").key == dag("matmul").key
    a, b = dags.matmul(64, 48, 32), dags.matmul(64, 48, 16)
    assert ComputeDAG(*a).key != ComputeDAG(*b).key


def test_missing_input_is_named():
    ins, outs = dags.matmul()
    with pytest.raises(WorkbenchError, match="B"):
        ComputeDAG(ins[:1], outs)
