"""The partitioned-graph view: regions as clusters coloured by backend, reasons as tooltips and a table."""
import shutil

import numpy as np
import pytest

from workbench import byoc
from workbench.graph import Function, Module, ops
from workbench.viz.partition import backend_colors, partition_dot, reasons_html, reasons_rows


def model():
    x = ops.var("x", (1, 3, 8, 8))
    w = ops.const(np.ones((4, 3, 3, 3), "float32"), name="w")
    b = ops.const(np.ones((4, 1, 1), "float32"), name="b")
    y = ops.nn.relu(ops.add(ops.nn.conv2d(x, w, padding=(1, 1, 1, 1), name="conv"), b, name="bias"), name="act")
    y = ops.nn.softmax(ops.reshape(y, newshape=(1, 256), name="flat"), name="probs")
    dw = ops.const(np.ones((4, 1, 3, 3), "float32"), name="dw")
    w2 = ops.const(np.full((4, 3, 3, 3), 0.5, "float32"), name="w2")
    z = ops.nn.conv2d(ops.nn.conv2d(x, w2, padding=(1, 1, 1, 1), name="c2"), dw, padding=(1, 1, 1, 1), groups=4,
                      name="depthwise")
    return Module(Function((x,), ops.add(ops.reshape(z, newshape=(1, 256)), y, name="sum")))


@pytest.fixture(scope="module")
def part():
    return byoc.partition_for(model(), [byoc.CBackend(), byoc.OnnxRuntimeBackend(only=("nn.softmax",))])


def test_regions_are_clusters_coloured_by_backend(part):
    dot = partition_dot(part, title="demo")
    colors = backend_colors(part)
    assert list(colors) == ["workbench", "c", "onnxruntime"]
    for d in part.report:
        if d.backend != "workbench":
            assert f"cluster_{d.backend}_{d.region}" in dot
    assert dot.count("subgraph cluster_") == len({(d.backend, d.region) for d in part.report if d.backend != "workbench"})
    assert f'fillcolor="{colors["c"][0]}"' in dot and f'fillcolor="{colors["onnxruntime"][0]}"' in dot
    assert "c.conv2d_bias_relu" in dot and "label=\"demo\"" in dot


def test_reasons_are_tooltips_footnotes_and_a_table(part):
    rows = reasons_rows(part)
    (num, node, reason), = [r for r in rows if "depthwise" in r[1]]
    assert "groups == 1" in reason
    dot = partition_dot(part)
    assert f"[{num}] why not offloaded" in dot and "groups == 1" in dot   # footnote and tooltip
    html = reasons_html(part)
    assert "depthwise" in html and "groups == 1" in html and html.startswith("<table")


def test_legend_counts_nodes_and_partitions(part):
    dot = partition_dot(part)
    legend = dot[dot.index("legend"):]
    n_c = sum(d.backend == "c" for d in part.report)
    assert f"c: {n_c} node" in legend and "partition" in legend and "workbench:" in legend


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_renders_to_png(part, tmp_path):
    from workbench.viz.graph import render_png
    out = render_png(partition_dot(part), tmp_path / "parts.png")
    with open(out, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
