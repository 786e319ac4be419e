"""graph_dot: a module as DOT text that Graphviz lays out, fused groups as clusters."""
import re
import shutil

import numpy as np
import pytest

from workbench.graph import Function, Module, Tuple, TupleGetItem, ops
from workbench.graph.passes import optimize
from workbench.viz import graph_dot, render_png, render_svg


def conv_bn_relu_pool():
    rng = np.random.default_rng(0)
    x = ops.var("input", (1, 3, 16, 16))
    w = ops.const(rng.normal(size=(8, 3, 3, 3)).astype("float32"), name="conv1.w")
    bn = [ops.const(rng.uniform(0.5, 1.5, 8).astype("float32"), name=n) for n in ("g", "b", "m", "v")]
    y = ops.nn.batch_norm(ops.nn.conv2d(x, w, padding=(1, 1, 1, 1), name="conv1"), *bn, name="bn1")
    y = ops.nn.max_pool2d(ops.nn.relu(y, name="relu1"), pool_size=(2, 2), strides=(2, 2), name="pool")
    return Module(Function((x,), y))


def clusters(dot):
    return re.findall(r"subgraph (cluster_\d+) \{(.*?)\n  \}", dot, flags=re.S)


def test_unfused_module_has_ops_weights_and_legend():
    dot = graph_dot(conv_bn_relu_pool(), title="before")
    assert dot.startswith("digraph") and "label=\"before\"" in dot
    for op in ("nn.conv2d", "nn.batch_norm", "nn.relu", "nn.max_pool2d"):
        assert f"<b>{op}</b>" in dot
    assert "+4 weights" in dot and "+1 weight<" in dot  # batch norm's 4 vectors, conv's kernel
    assert "legend" in dot and "elementwise" in dot and not clusters(dot)


def test_fused_groups_are_clusters_without_edges_inside():
    dot = graph_dot(optimize(conv_bn_relu_pool()))
    found = clusters(dot)
    assert len(found) == 2 and "fused group (2)" in dot
    for _, body in found:
        assert "->" not in body  # an edge inside a cluster would pull outside nodes into it
    assert "fused_conv2d_add_relu" in dot and "+1 weight" in dot


def test_tuples_and_split():
    x = ops.var("x", (4, 6))
    parts = ops.split(ops.nn.relu(x), indices=(2,), axis=1)
    mod = Module(Function((x,), Tuple((TupleGetItem(parts, 0), TupleGetItem(parts, 1)))))
    for m in (mod, optimize(mod)):
        dot = graph_dot(m)
        assert "<b>split</b>" in dot and "shape=point" in dot


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_graphviz_lays_it_out(tmp_path):
    dot = graph_dot(optimize(conv_bn_relu_pool()))
    svg = render_svg(dot)
    assert svg.lstrip().startswith("<?xml") and "nn.conv2d" in svg
    png = render_png(dot, tmp_path / "g.png")
    assert open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
