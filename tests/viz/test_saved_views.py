"""Views as a saved notebook keeps them: the compact iteration-space grid (plain HTML that
JupyterLab's sanitizer leaves alone), graphs folded into one box per group, ``GraphView``, and
``saved_bundle`` (no widget views, no picture twice, compact graph payloads)."""
import json
import re
import shutil

import numpy as np
import pytest

import workbench as wb
from workbench import byoc, te
from workbench.errors import TypeCheckError
from workbench.graph import Function, Module, ops
from workbench.graph.passes import PassContext, Recorder, optimize
from workbench.tune.callbacks import History
from workbench.viz import (GraphView, graph_dot, iteration_space_html, iteration_space_svg, loopnest_html,
                           render_svg, saved_bundle, visit_order)
from workbench.viz.display import PLOTLY_MIME, WIDGET_MIME, display_bundle
from workbench.viz.iteration_space import LEVELS, _ramp
from workbench.viz.mime import (CLUSTER_DEFAULTS, GRAPH_MIME, NODE_DEFAULTS, TUNING_MIME, compact_graph_payload,
                                graph_payload)

from viewcheck import dataset_module, parse_xml

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
# what JupyterLab's sanitizer keeps of an untrusted output's HTML (it drops <svg> and everything in it)
SANITIZER_SAFE_TAGS = {"div", "span", "b", "code", "pre", "table", "tr", "td", "th"}


def lowered(n, schedule=None):
    A = te.placeholder((n, n), name="A")
    B = te.compute((n, n), lambda i, j: A[i, j] * 2.0, name="B")
    s = te.create_schedule(B.op)
    if schedule:
        schedule(s, B)
    return wb.lower(s, [A, B])


def rows_of(html_text):
    """Each grid row's colour stops: [(colour, start px, end px), ...]."""
    out = []
    for style in re.findall(r'class="wbv-iterspace-row"[^>]*style="([^"]*)"', html_text):
        paint = style.split("background:")[1]
        if paint.startswith("linear-gradient"):
            out.append([(c, int(a), int(b)) for c, a, b in re.findall(r"(#[0-9a-f]{6}) (\d+)px (\d+)px", paint)])
        else:
            out.append([(paint.strip(), 0, None)])
    return out


def test_iteration_space_html_rows_follow_the_visit_order():
    # row-major: read row by row, the colours climb the ramp from its first level to its last
    rows = rows_of(iteration_space_html(lowered(16)))
    ramp = [_ramp(k / (LEVELS - 1)) for k in range(LEVELS)]
    levels = [ramp.index(c) for r in rows for c, _, _ in r]
    assert len(rows) == 16 and levels == sorted(levels) and levels[0] == 0 and levels[-1] == LEVELS - 1
    assert all(r[0][1] == 0 and r[-1][2] == 160 for r in rows)  # each row painted across its 16 cells
    # column-major: every row walks the ramp left to right, a column keeps (almost) one colour
    rows = rows_of(iteration_space_html(lowered(16, lambda s, B: s[B].reorder(B.op.axis[1], B.op.axis[0]))))
    levels = np.array([[ramp.index(c) for c, _, _ in r] for r in rows])
    assert levels.shape == (16, 16) and (np.diff(levels, axis=1) > 0).all()
    assert (levels.max(axis=0) - levels.min(axis=0) <= 3).all() and levels[0, 0] == 0 and levels[-1, -1] == LEVELS - 1


def test_iteration_space_html_is_compact_well_formed_and_sanitizer_proof():
    f = lowered(512, lambda s, B: s[B].tile(*B.op.axis, 64, 64))
    compact, full = iteration_space_html(f), iteration_space_svg(f)
    parse_xml(compact)
    assert len(compact) * 8 < len(full) and len(compact) < 20_000, (len(compact), len(full))
    assert set(re.findall(r"<(\w+)", compact)) <= SANITIZER_SAFE_TAGS
    assert "each cell 16×16 elements" in compact and compact.count("wbv-iterspace-row") == 32
    # 64x64 tiles are 4x4 cells: the first tile's cells are all before the second tile's
    first_row = rows_of(compact)[0]
    assert first_row[0][1:] == (0, 40)
    # each row's tooltip: the steps its cells are first written at (a cell: its first element)
    first = visit_order(f)[:16].reshape(16, 32, 16).min(axis=(0, 2))
    tips = re.findall(r'title="([^"]*)"', compact)
    assert tips[0] == f"rows 0–15: first written at steps {first.min()}–{first.max()}"


def test_loopnest_views_carry_no_svg():
    f = lowered(64, lambda s, B: s[B].tile(*B.op.axis, 8, 8))
    for html_text in (loopnest_html(f), display_bundle(f)["text/html"]):
        parse_xml(html_text)
        assert "<svg" not in html_text and "wbv-iterspace-row" in html_text
        assert set(re.findall(r"<(\w+)", html_text)) <= SANITIZER_SAFE_TAGS


def fused_resnet():
    rec = Recorder()
    mod = dataset_module("resnet18")
    return mod, optimize(mod, PassContext(instruments=[rec])), rec.records[-1]


def test_fold_groups_draws_one_box_per_group():
    mod, fused, _ = fused_resnet()
    dot = graph_dot(fused, fold_groups=True)
    clusters = graph_payload(fused, loop_nests=False)["clusters"]
    assert "subgraph cluster_" not in dot and dot.count("fused_conv2d_add_relu") >= 1
    assert len(re.findall(r"^\s+n\d+ \[shape=box", dot, flags=re.MULTILINE)) == len(clusters)
    assert "nn.conv2d + add + nn.relu" in dot and "one box (" in dot
    assert graph_dot(fused, fold_groups="auto") == dot  # ResNet-18's groups hold ~70 operators
    assert graph_dot(optimize(dataset_module("mlp")), fold_groups="auto") == graph_dot(optimize(dataset_module("mlp")))
    assert graph_dot(mod, fold_groups=True) == graph_dot(mod)  # unfused: nothing to fold
    with pytest.raises(TypeCheckError, match="fold_groups"):
        graph_dot(fused, fold_groups="yes")


@needs_dot
def test_big_module_display_is_a_summary():
    _, fused, _ = fused_resnet()
    svg = display_bundle(fused)["image/svg+xml"]
    parse_xml(svg)
    assert len(svg) < 0.5 * len(render_svg(graph_dot(fused)))
    assert 'class="cluster"' not in svg and "fused_conv2d_add_relu" in svg


@needs_dot
def test_graph_view_bundle():
    _, fused, r = fused_resnet()
    v = GraphView(fused, title="ResNet-18, fused", collapse=True)
    b = v._repr_mimebundle_()
    assert sorted(b) == sorted([GRAPH_MIME, "image/svg+xml", "text/plain"])
    assert b[GRAPH_MIME]["title"] == "ResNet-18, fused" and b[GRAPH_MIME]["clusters"][0]["loopnest"]
    parse_xml(b["image/svg+xml"])
    assert b["image/svg+xml"].startswith("<svg") and "× 1 more" in b["image/svg+xml"]
    assert re.fullmatch(r"<GraphView 'ResNet-18, fused': \d+ operators, \d+ fused groups>", b["text/plain"])
    assert repr(v) == b["text/plain"]
    # with the module before the pass: what changed, highlighted; static=False leaves the picture out
    d = GraphView(r.after, before=r.before, title="fuse_ops", loop_nests=False, static=False)._repr_mimebundle_()
    assert sorted(d) == [GRAPH_MIME, "text/plain"] and d[GRAPH_MIME]["changes"]["added_clusters"]
    assert d[GRAPH_MIME]["clusters"][0]["loopnest"] is None and "added by the pass" in d["text/plain"]
    assert "merged into a fused group" in GraphView(r.after, before=r.before).dot()
    with pytest.raises(TypeCheckError, match="GraphView"):
        GraphView("resnet18.onnx")


@needs_dot
def test_graph_view_of_a_partitioned_module():
    x = ops.var("x", (1, 3, 8, 8))
    w = ops.const(np.ones((4, 3, 3, 3), "float32"), name="w")
    y = ops.nn.softmax(ops.reshape(ops.nn.relu(ops.nn.conv2d(x, w, padding=(1, 1, 1, 1))), newshape=(1, 256)))
    backends = [byoc.CBackend(), byoc.OnnxRuntimeBackend(only=("nn.softmax",))]
    part = byoc.partition_for(Module(Function((x,), y)), backends)
    b = GraphView(part, title="parts")._repr_mimebundle_()
    kinds = {c["compiler"] for c in b[GRAPH_MIME]["clusters"] if c["kind"] == "partition"}
    assert kinds == {"c", "onnxruntime"} and "partitions" in b["text/plain"]
    assert "onnxruntime_" in b["image/svg+xml"]  # partition_dot: regions named like the external functions


def test_compact_graph_payload_reads_back_as_the_full_one():
    _, _, r = fused_resnet()
    full = graph_payload(r.after, r.before)
    small = compact_graph_payload(full)
    def filled(items, defaults):
        return [{**defaults, **x} for x in items]
    assert filled(small["nodes"], NODE_DEFAULTS) == filled(full["nodes"], NODE_DEFAULTS)
    assert filled(small["clusters"], CLUSTER_DEFAULTS) == filled(full["clusters"], CLUSTER_DEFAULTS)
    before, small_before = full["changes"]["before"], small["changes"]["before"]
    assert filled(small_before["nodes"], NODE_DEFAULTS) == filled(before["nodes"], NODE_DEFAULTS)
    assert all("weights" not in n and "attrs" not in n for n in small["nodes"] if n.get("op") == "input")
    assert len(json.dumps(small, indent=1)) < 0.95 * len(json.dumps(full, indent=1))
    assert full["nodes"][0]["attrs"] == {}  # the builder's payload itself is untouched


def test_saved_bundle_rules():
    # a widget with nothing else to show: leave the output out
    assert saved_bundle({"text/plain": "VBox(children=(...))", WIDGET_MIME: {"model_id": "ab"}}) == {}
    # a widget with a static fallback: the fallback stays, the widget view goes
    fb = {"text/plain": "summary", TUNING_MIME: {"kind": "tuning"}, WIDGET_MIME: {"model_id": "ab"}}
    assert saved_bundle(fb) == {"text/plain": "summary", TUNING_MIME: {"kind": "tuning"}}
    # one picture per viewer: the HTML copy of the SVG goes; plotly goes when the extension's chart is there
    h = History()
    h.add_batch([0, 1, 2], [1.0, 0.0, 3.0], ["ok", "runtime", "ok"])
    b = h._repr_mimebundle_()
    assert {"text/html", PLOTLY_MIME, TUNING_MIME, "image/svg+xml"} <= set(b)
    assert sorted(saved_bundle(b)) == sorted([TUNING_MIME, "image/svg+xml", "text/plain"])
    assert "text/html" in b and PLOTLY_MIME in b  # the live bundle is not changed
    # HTML that is not a copy of the SVG stays; a plotly figure on its own stays
    other = {"text/html": "<table></table>", "image/svg+xml": "<svg></svg>", PLOTLY_MIME: {"data": []}}
    assert saved_bundle(other) == other
    # nbformat keeps multi-line strings as lists of lines
    as_lines = {"image/svg+xml": ["<svg>\n", "</svg>"], "text/html": ["<div><svg>\n</svg></div>"]}
    assert "text/html" not in saved_bundle(as_lines)


@needs_dot
def test_saved_module_bundle_is_compact():
    _, fused, _ = fused_resnet()
    b = fused._repr_mimebundle_()
    s = saved_bundle(b)
    assert "text/html" not in s and s["image/svg+xml"] == b["image/svg+xml"]
    assert s[GRAPH_MIME]["nodes"] == compact_graph_payload(b[GRAPH_MIME])["nodes"]
