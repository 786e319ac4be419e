"""Graph views on the dataset models: DOT that Graphviz lays out, repeated blocks collapsed,
a pass's before/after with its changes highlighted."""
import re
import shutil

import pytest

from workbench.errors import TypeCheckError
from workbench.graph import Function, Module, ops
from workbench.graph.passes import PassContext, Recorder, fuse_ops, optimize
from workbench.graph.passes.pipeline import DEFAULT_PIPELINE
from workbench.viz import graph_diff, graph_dot, render_svg, repeated_blocks
from workbench.viz.graph import _units

from viewcheck import MODELS, dataset_module, parse_xml

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")


def node_ids(dot):
    return set(re.findall(r"^\s+(n\d+|rep\d+) \[", dot, flags=re.M))


def edges(dot):
    return re.findall(r"^\s+(\w+) -> (\w+);", dot, flags=re.M)


@pytest.mark.parametrize("name", list(MODELS))
def test_every_dataset_model_draws_before_and_after_fusion(name):
    mod = dataset_module(name)
    for m in (mod, optimize(mod)):
        dot = graph_dot(m)
        ids = node_ids(dot)
        for a, b in edges(dot):  # every edge joins drawn nodes
            assert a in ids and b in ids, (a, b)
        n_ops = sum(1 for u in _units(m.main) if hasattr(u, "op"))
        assert len(ids) >= min(n_ops, 5)


@needs_dot
@pytest.mark.parametrize("name", ["resnet18", "transformer_encoder"])
def test_svg_is_well_formed(name):
    svg = render_svg(graph_dot(optimize(dataset_module(name))))
    root = parse_xml(svg)
    assert root.tag.endswith("svg") and "nn." in svg


def test_repeated_blocks_collapse_in_resnet_and_mobilenet():
    # ResNet-18 at 64x64: layer1's two basic blocks are the same (64 channels, 16x16)
    fused = optimize(dataset_module("resnet18"))
    runs = repeated_blocks(fused.main)
    assert runs and all(reps >= 1 for _, _, reps in runs)
    full, short = graph_dot(fused, collapse=False), graph_dot(fused, collapse=True)
    assert "× 1 more" in short and "repeated blocks, collapsed" in short
    assert len(node_ids(short)) < len(node_ids(full))
    # a collapsed run is replaced by exactly its box: what was hidden has no node of its own
    hidden = sum(b - a + 1 for a, b, _ in runs)
    assert len(node_ids(full)) - len(node_ids(short)) >= hidden - len(runs)
    # MobileNetV2 is big enough to collapse on its own ("auto")
    mb = dataset_module("mobilenet_v2")
    assert len(_units(mb.main)) > 60 and "more</b>" in graph_dot(mb)


def test_collapse_keeps_graph_connected_from_input_to_output():
    dot = graph_dot(optimize(dataset_module("mobilenet_v2")), collapse=True)
    succ = {}
    for a, b in edges(dot):
        succ.setdefault(a, []).append(b)
    start = re.search(r"^\s+(n\d+) \[shape=ellipse.*<b>input", dot, flags=re.M).group(1)
    out = re.search(r"^\s+(n\d+) \[shape=ellipse.*<b>output</b>", dot, flags=re.M).group(1)
    seen, todo = {start}, [start]
    while todo:
        for b in succ.get(todo.pop(), []):
            if b not in seen:
                seen.add(b)
                todo.append(b)
    assert out in seen


def test_no_repeats_in_a_chain_of_different_ops():
    x = ops.var("x", (1, 8))
    mod = Module(Function((x,), ops.nn.relu(ops.exp(ops.tanh(x)))))
    assert repeated_blocks(mod.main) == []


def test_fusion_diff_marks_merged_ops_and_new_groups():
    mod = dataset_module("resnet18")
    simplified = optimize(mod, pipeline=DEFAULT_PIPELINE[:-1])  # everything but fuse_ops
    d = graph_diff(simplified, fuse_ops(simplified), "fuse_ops")
    n_calls = sum(1 for u in _units(simplified.main) if hasattr(u, "op"))
    assert d.merged == n_calls and d.removed == 0  # every op moved into a group, none vanished
    assert d.added == len([u for u in _units(fuse_ops(simplified).main) if hasattr(u, "op")])
    assert "merged into a fused group" in d.after_dot and "#6a1b9a" in d.after_dot
    assert "before fuse_ops" in d.before_dot and d.text_diff.startswith("--- before")


def test_constant_folding_diff_marks_removed_nodes():
    x = ops.var("x", (1, 4))
    c = ops.add(ops.const([1.0, 2.0, 3.0, 4.0], name="a"), ops.const([1.0, 1.0, 1.0, 1.0], name="b"), name="folded")
    mod = Module(Function((x,), ops.multiply(x, c, name="mul")))
    rec = Recorder()
    optimize(mod, PassContext(instruments=[rec]))
    r = next(r for r in rec.records if r.name == "fold_constant" and r.changed)
    d = graph_diff(r.before, r.after, r.name)
    assert d.removed == 1 and d.added == 0 and d.summary().startswith("1 removed")
    assert "removed by the pass" in d.before_dot and "#c62828" in d.before_dot
    assert "removed by the pass" not in d.after_dot


def test_bad_input_names_what_to_pass():
    with pytest.raises(TypeCheckError, match="expected a graph Module"):
        graph_dot("resnet18.onnx")
    with pytest.raises(TypeCheckError, match="collapse"):
        graph_dot(Module(Function((ops.var("x", (1,)),), ops.var("x", (1,)))), collapse="yes")
