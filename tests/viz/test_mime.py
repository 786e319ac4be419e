"""Workbench JSON MIME payloads: graph, loop nest, tuning; checked against the IR they describe."""
import json

import numpy as np
import pytest

import workbench as wb
from workbench import te
from workbench.errors import TuningError, WorkbenchError
from workbench.graph import Function, Module, ops
from workbench.graph.expr import Attrs, Call, call_function
from workbench.graph.functor import post_order
from workbench.graph.passes import optimize
from workbench.tir.printer import func_str
from workbench.tune import records
from workbench.tune.callbacks import History
from workbench.viz.mime import (GRAPH_MIME, LOOPNEST_MIME, TUNING_MIME, graph_payload, loopnest_payload, mime_bundle,
                                tuning_payload)


def conv_bn_relu_pool():
    rng = np.random.default_rng(0)
    x = ops.var("input", (1, 3, 16, 16))
    w = ops.const(rng.normal(size=(8, 3, 3, 3)).astype("float32"), name="conv1.w")
    bn = [ops.const(rng.uniform(0.5, 1.5, 8).astype("float32"), name=n) for n in ("g", "b", "m", "v")]
    y = ops.nn.batch_norm(ops.nn.conv2d(x, w, padding=(1, 1, 1, 1), name="conv1"), *bn, name="bn1")
    y = ops.nn.max_pool2d(ops.nn.relu(y, name="relu1"), pool_size=(2, 2), strides=(2, 2), name="pool")
    return Module(Function((x,), y))


def roundtrip(p):
    return json.loads(json.dumps(p, allow_nan=False))


def test_graph_nodes_and_edges_match_the_module():
    mod = conv_bn_relu_pool()
    p = roundtrip(graph_payload(mod))
    assert p["version"] == 1 and p["kind"] == "graph" and p["changes"] is None
    calls = [n for n in post_order(mod.main.body) if isinstance(n, Call)]
    ops_in_payload = [n for n in p["nodes"] if n["kind"] == "op"]
    assert [n["op"] for n in ops_in_payload] == [c.op.name for c in calls]
    for n, c in zip(ops_in_payload, calls):
        assert n["name"] == c.name and n["shape"] == list(c.type.shape) and n["dtype"] == c.type.dtype
        assert n["attrs"] == json.loads(json.dumps({k: list(v) if isinstance(v, tuple) else v
                                                    for k, v in c.attrs.items()}))
    conv = ops_in_payload[0]
    assert conv["weights"] == [{"name": "conv1.w", "shape": [8, 3, 3, 3], "dtype": "float32"}]
    assert conv["attrs"]["padding"] == [1, 1, 1, 1]
    ids = {n["id"]: n for n in p["nodes"]}
    chain = [(ids[e["source"]]["op"], ids[e["target"]]["op"]) for e in p["edges"]]
    assert chain == [("input", "nn.conv2d"), ("nn.conv2d", "nn.batch_norm"), ("nn.batch_norm", "nn.relu"),
                     ("nn.relu", "nn.max_pool2d"), ("nn.max_pool2d", "output")]
    assert not p["clusters"]


def test_fused_groups_are_clusters_with_the_loop_nest_of_their_default_schedule():
    from workbench.graph.to_te import default_schedule, group_to_te
    fused = optimize(conv_bn_relu_pool())
    p = roundtrip(graph_payload(fused))
    groups = [n.op for n in post_order(fused.main.body) if isinstance(n, Call) and isinstance(n.op, Function)]
    assert len(p["clusters"]) == len(groups) == 2
    for c, g in zip(p["clusters"], groups):
        assert c["kind"] == "fused" and c["name"] == g.name and c["reason"] == g.attrs["reason"]
        te_g = group_to_te(g)
        assert c["loopnest"] == func_str(wb.lower(default_schedule(te_g), te_g.inputs + te_g.outputs, name=g.name))
        members = [n for n in p["nodes"] if n["cluster"] == c["id"]]
        assert [n["op"] for n in members] == c["ops"]
    # edges cross group boundaries: input -> first op of group 0, ..., last op -> output
    ids = {n["id"]: n for n in p["nodes"]}
    assert any(ids[e["source"]]["op"] == "input" and ids[e["target"]]["cluster"] == "c0" for e in p["edges"])
    assert any(ids[e["target"]]["op"] == "output" and ids[e["source"]]["cluster"] == "c1" for e in p["edges"])
    no_nests = graph_payload(fused, loop_nests=False)["clusters"][0]
    assert no_nests["loopnest"] is None and "loop_nests=False" in no_nests["loopnest_note"]
    assert p["clusters"][0]["code"] is None and "code=True" in p["clusters"][0]["code_note"]


def test_code_is_the_llvm_ir_each_group_compiles_to():
    from workbench.codegen.llvm import build
    from workbench.graph.to_te import default_schedule, group_to_te
    fused = optimize(conv_bn_relu_pool())
    p = graph_payload(fused, code=True)
    groups = [n.op for n in post_order(fused.main.body) if isinstance(n, Call) and isinstance(n.op, Function)]
    g = group_to_te(groups[1])  # the pooling group: small IR, compared whole
    ir = build(wb.lower(default_schedule(g), g.inputs + g.outputs, name=groups[1].name)).llvm_ir
    assert p["clusters"][1]["code"] == ir and "define" in ir
    g0 = group_to_te(groups[0])  # conv2d: its IR is longer than the payload keeps
    full = build(wb.lower(default_schedule(g0), g0.inputs + g0.outputs, name=groups[0].name)).llvm_ir.splitlines()
    kept = p["clusters"][0]["code"].splitlines()
    assert len(full) > 400 and kept[:400] == full[:400]
    assert kept[400] == f"; ... {len(full) - 400} more lines (Kernel.source('llvm') has them all)"


def test_byoc_partition_is_a_cluster_with_its_compiler():
    x = ops.var("x", (1, 8))
    p0 = ops.var("p0", (1, 8))
    part = Function((p0,), ops.nn.relu(ops.add(p0, ops.const(1.0))), Attrs(Compiler="dnnl", Primitive=1), "dnnl_0")
    mod = Module(Function((x,), ops.nn.relu(call_function(part, [x]))))
    p = roundtrip(graph_payload(mod))
    assert [(c["kind"], c["compiler"], c["name"]) for c in p["clusters"]] == [("partition", "dnnl", "dnnl_0")]
    assert [n["op"] for n in p["nodes"] if n["cluster"] == "c0"] == ["add", "nn.relu"]
    assert p["clusters"][0]["loopnest"] is None  # an external codegen's part is not lowered by us


def test_before_after_marks_what_the_pass_changed():
    before = conv_bn_relu_pool()
    p = roundtrip(graph_payload(optimize(before), before=before))
    ch = p["changes"]
    old = {n["id"]: n for n in ch["before"]["nodes"]}
    new = {n["id"]: n for n in p["nodes"]}
    assert "nn.batch_norm" in [old[i]["op"] for i in ch["removed"]]
    assert "nn.batch_norm" not in [n["op"] for n in p["nodes"]]
    assert all(new[i]["status"] == "added" for i in ch["added"])
    assert new["n0"]["status"] == "same"  # the model input did not change
    assert len(ch["added_clusters"]) == 2 and not ch["removed_clusters"]
    same = graph_payload(before, before=before)["changes"]
    assert not same["added"] and not same["removed"]


def test_graph_payload_rejects_other_objects():
    with pytest.raises(WorkbenchError, match="graph_payload: expected a graph Module"):
        graph_payload(42)


def matmul_func():
    n = 16
    A = te.placeholder((n, n), name="A")
    B = te.placeholder((n, n), name="B")
    k = te.reduce_axis((0, n), name="k")
    C = te.compute((n, n), lambda i, j: te.sum(A[i, k] * B[k, j], axis=k), name="C")
    s = te.create_schedule(C.op)
    io, ii = s[C].split(C.op.axis[1], factor=8)
    s[C].vectorize(ii)
    s[C].parallel(C.op.axis[0])
    return wb.lower(s, [A, B, C])


def flatten(tree):
    for n in tree:
        yield n
        yield from flatten(n["children"])
        yield from flatten(n.get("else_children", []))


def test_loopnest_tree_matches_the_printed_text():
    f = matmul_func()
    p = roundtrip(loopnest_payload(f))
    assert p["version"] == 1 and p["text"] == func_str(f) and p["name"] == f.name
    assert [b["name"] for b in p["params"]] == ["A", "B", "C"]
    lines = p["text"].split("\n")
    loops = [n for n in flatten(p["tree"]) if n["type"] == "for"]
    assert {(n["var"], n["kind"]) for n in loops} >= {("i", "parallel"), ("j.inner", "vectorized")}
    for n in flatten(p["tree"]):  # every node points at its own line of text
        line = lines[n["line"]].strip()
        if n["type"] == "for":
            assert line.startswith(f"for {n['var']} in {n['kind'] if n['kind'] != 'serial' else 'range'}(")
            assert str(n["extent"]) in line and n["stage"] == "C"
        elif n["type"] == "store":
            assert line == n["text"].strip()
    inner = next(n for n in loops if n["var"] == "j.inner")
    assert inner["extent"] == 8


def test_loopnest_of_a_statement_and_of_a_kernel():
    f = matmul_func()
    assert roundtrip(loopnest_payload(f.body))["tree"][0]["var"] == "i"
    X = te.placeholder((4,), name="X")
    Y = te.compute((4,), lambda i: X[i] * 2, name="Y")
    kernel = wb.build(te.create_schedule(Y.op), [X, Y])
    assert loopnest_payload(kernel)["text"] == kernel.source("tir")
    assert list(mime_bundle(kernel)) == [LOOPNEST_MIME]
    with pytest.raises(WorkbenchError, match="loopnest_payload: expected a tir.PrimFunc"):
        loopnest_payload("for i in range(4)")


def test_tuning_from_histories_has_best_so_far_and_errors():
    a, b = History(), History()
    a.add_batch([3, 7], [2.0, 0.0], ["ok", "timeout"])
    a.add_batch([1], [5.0], ["ok"])
    b.add_batch([4, 5, 6], [1.0, 0.5, 3.0], ["ok", "ok", "ok"])
    p = roundtrip(tuning_payload({"xgb": a, "random": b}))
    assert p["metric"] == "gflops" and [s["tuner"] for s in p["series"]] == ["xgb", "random"]
    xgb = p["series"][0]
    assert xgb["best"] == a.best_curve() == [2.0, 2.0, 5.0]
    assert [t["error"] for t in xgb["trials"]] == ["ok", "timeout", "ok"] and xgb["trials"][1]["gflops"] is None
    assert [t["config"]["index"] for t in xgb["trials"]] == [3, 7, 1]
    assert p["series"][1]["best"] == [1.0, 1.0, 3.0]
    assert tuning_payload([a, b])["series"][1]["tuner"] == "run 1"


def test_tuning_from_a_records_file_skips_torn_lines(tmp_path):
    path = tmp_path / "mm.jsonl"
    ok = {"costs": [0.002], "error": "ok", "error_msg": "", "build_seconds": 0.1, "timestamp": 1.0}
    fast = {"costs": [0.001], "error": "ok", "error_msg": "", "build_seconds": 0.1, "timestamp": 2.0}
    bad = {"costs": [], "error": "build", "error_msg": "LLVM said no", "build_seconds": 0.1, "timestamp": 2.0}
    rows = [records.make_row("nosuch_template", (8,), {"index": i, "knobs": {"tile": i}}, r, target="llvm")
            for i, r in enumerate([ok, bad, fast])]
    records.append(path, rows)
    with open(path, "a") as f:
        f.write('{"version": 1, "tool": "autotvm", "task": {"na')  # torn by an interrupted write
    p = roundtrip(tuning_payload(str(path)))
    assert p["metric"] == "ms" and p["title"] == "mm.jsonl" and len(p["skipped"]) == 1
    assert "line 4" in p["skipped"][0]
    (s,) = p["series"]
    assert s["tuner"] == "autotvm" and s["task"] == "nosuch_template(8)"
    assert [t["ms"] for t in s["trials"]] == [pytest.approx(2.0), None, pytest.approx(1.0)]
    assert s["best"] == [pytest.approx(2.0), pytest.approx(2.0), pytest.approx(1.0)]
    assert s["trials"][1]["error_msg"] == "LLVM said no" and s["trials"][2]["config"]["knobs"] == {"tile": 2}
    assert roundtrip(tuning_payload(rows))["series"][0]["best"] == s["best"]
    again = records.make_row("nosuch_template", (8,), {"index": 2, "knobs": {"tile": 2}}, ok, target="llvm",
                             confirm=True)   # the run's best measured again at the end: not a trial
    assert roundtrip(tuning_payload(rows + [again, again]))["series"][0]["best"] == s["best"]


def test_tuning_records_of_a_known_template_are_in_gflops():
    row = records.make_row("matmul", (64, 64, 64), {"index": 0, "knobs": {}},
                           {"costs": [1e-4], "error": "ok", "error_msg": "", "build_seconds": 0.0,
                            "timestamp": 0.0}, target="llvm")
    try:
        flop = wb.autotvm.task("matmul", (64, 64, 64)).flop
    except Exception:  # noqa: BLE001
        pytest.skip("no matmul template registered")
    p = tuning_payload([row])
    assert p["metric"] == "gflops"
    assert p["series"][0]["trials"][0]["gflops"] == pytest.approx(flop / 1e-4 / 1e9)


def test_tuning_payload_rejects_other_objects():
    with pytest.raises(TuningError, match="tuning_payload: expected a History"):
        tuning_payload(3.5)


def test_mime_bundle_dispatches_on_type():
    mod = conv_bn_relu_pool()
    assert list(mime_bundle(mod)) == [GRAPH_MIME] and list(mime_bundle(mod.main)) == [GRAPH_MIME]
    f = matmul_func()
    assert list(mime_bundle(f)) == [LOOPNEST_MIME] and list(mime_bundle(f.body)) == [LOOPNEST_MIME]
    h = History()
    h.add_batch([0], [1.0], ["ok"])
    assert list(mime_bundle(h)) == [TUNING_MIME] and list(mime_bundle({"ga": h})) == [TUNING_MIME]
    assert mime_bundle(object()) == {} and mime_bundle({}) == {} and mime_bundle("text") == {}
