"""The partitioning passes: composites, annotation, regions without cycles, external functions.

Hand-built graphs check each step's structure; random graphs (hypothesis) check that
partitioning never creates a cycle, keeps the module valid and computes the same values.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import workbench as wb
from workbench import byoc
from workbench.byoc.annotation import WORKBENCH, is_target, unwrap
from workbench.byoc.partition import is_external
from workbench.graph import Function, Module, Tuple, ops, run, verify
from workbench.graph.functor import post_order, users
from workbench.graph.passes import PassContext, Recorder

NUMPY = {"exp": np.exp, "tanh": np.tanh, "nn.relu": lambda x: np.maximum(x, 0), "negative": np.negative,
         "sigmoid": lambda x: 1 / (1 + np.exp(-x)), "add": np.add, "multiply": np.multiply,
         "subtract": np.subtract}


def numpy_backend(name, op_names):
    table = byoc.PatternTable([byoc.op_rule(o, byoc.float32) for o in op_names])
    return byoc.FunctionBackend(name, table, {o: NUMPY[o] for o in op_names})


def externals(mod):
    return [n.op for n in post_order(mod.main.body) if is_external(n)]


def diamond():
    """exp feeds relu and tanh; add joins them. With tanh left to Workbench, putting add into the region
    of exp and relu would make a cycle through tanh."""
    x = ops.var("x", (2, 3))
    a = ops.exp(x, name="a")
    b = ops.nn.relu(a, name="b")
    w = ops.tanh(a, name="w")
    c = ops.add(b, w, name="c")
    return Module(Function((x,), c))


def test_merge_refuses_a_cycle_and_says_why():
    mod = diamond()
    part = byoc.partition_for(mod, [numpy_backend("np", ["exp", "nn.relu", "add"])], fuse=False)
    rows = {d.node: d for d in part.report}
    assert rows["exp (a)"].region == rows["nn.relu (b)"].region
    assert rows["add (c)"].region != rows["exp (a)"].region
    assert "would create a cycle through tanh (w)" in rows["add (c)"].reason
    assert rows["tanh (w)"].backend == WORKBENCH and rows["tanh (w)"].reason == "np: no pattern for tanh"
    verify(part.module)
    assert len(externals(part.module)) == 2
    x = np.random.default_rng(0).standard_normal((2, 3)).astype("float32")
    np.testing.assert_allclose(run(part.module, x=x), run(mod, x=x), rtol=1e-6)


def test_a_region_with_two_outputs_returns_a_tuple():
    x = ops.var("x", (4,))
    a = ops.exp(x)
    b = ops.nn.relu(a)
    mod = Module(Function((x,), ops.add(ops.tanh(a), ops.tanh(b))))
    part = byoc.partition_for(mod, [numpy_backend("np", ["exp", "nn.relu"])], fuse=False)
    (fn,) = externals(part.module)
    assert fn.attrs["Compiler"] == "np" and len(fn.ret_type.fields) == 2
    xv = np.linspace(-1, 1, 4).astype("float32")
    exe = wb.compile(mod, backends=part.backends)
    np.testing.assert_allclose(exe.run(x=xv), run(mod, x=xv), rtol=1e-5)


def test_composites_are_cut_out_per_backend_in_priority_order():
    x = ops.var("x", (1, 3, 8, 8))
    w = ops.const(np.ones((4, 3, 3, 3), "float32"), name="w")
    b = ops.const(np.ones((4, 1, 1), "float32"), name="b")
    y = ops.nn.relu(ops.add(ops.nn.conv2d(x, w, padding=(1, 1, 1, 1)), b))
    mod = Module(Function((x,), y))
    part = byoc.partition_for(mod, [byoc.CBackend(), byoc.OnnxRuntimeBackend()], fuse=False)
    (fn,) = externals(part.module)
    assert fn.attrs["Compiler"] == "c"
    (comp,) = [n.op for n in post_order(fn.body) if hasattr(n, "op") and isinstance(n.op, Function)]
    assert comp.attrs["Composite"] == "c.conv2d_bias_relu"
    assert [d.op for d in part.report] == ["c.conv2d_bias_relu [conv2d+add+relu]"]
    # onnxruntime first: it takes the composite
    part2 = byoc.partition_for(mod, [byoc.OnnxRuntimeBackend(), byoc.CBackend()], fuse=False)
    assert externals(part2.module)[0].attrs["Compiler"] == "onnxruntime"


def test_a_failed_check_is_the_reason():
    x = ops.var("x", (1, 4, 8, 8))
    w = ops.const(np.ones((4, 1, 3, 3), "float32"), name="w")
    mod = Module(Function((x,), ops.nn.conv2d(x, w, padding=(1, 1, 1, 1), groups=4, name="dw")))
    part = byoc.partition_for(mod, [byoc.CBackend()])
    (d,) = part.report
    assert d.backend == WORKBENCH
    assert d.reason == "c: rule nn.conv2d: check 'groups == 1 (no grouped or depthwise convolution in C)' failed"
    assert externals(part.module) == []


def test_the_passes_are_recorded():
    rec = Recorder()
    byoc.partition_for(diamond(), [numpy_backend("np", ["exp"])], PassContext(instruments=[rec]))
    names = [r.name for r in rec.records]
    assert names[-5:] == ["merge_composite", "annotate_target", "merge_compiler_regions", "partition_graph",
                          "fuse_ops"]
    ann = next(r for r in rec.records if r.name == "annotate_target")
    assert ann.added == {"byoc.target": 4}
    part = next(r for r in rec.records if r.name == "partition_graph")
    assert part.removed == {"byoc.target": 4}


def test_partition_rejects_bad_input():
    with pytest.raises(byoc.ExternalBackendError, match="not a byoc.Backend"):
        byoc.partition_for(diamond(), ["c"])
    with pytest.raises(byoc.ExternalBackendError, match="unique"):
        byoc.partition_for(diamond(), [numpy_backend("np", ["exp"]), numpy_backend("np", ["tanh"])])
    fused = wb.graph.passes.optimize(diamond())
    with pytest.raises(byoc.ExternalBackendError, match="already fused"):
        byoc.partition_for(fused, [numpy_backend("np", ["exp"])])


# ---------------------------------------------------------------- random graphs

UNARY = ["exp", "tanh", "nn.relu", "negative", "sigmoid"]
BINARY = ["add", "multiply", "subtract"]


@st.composite
def graphs(draw):
    n_in = draw(st.integers(1, 2))
    xs = [ops.var(f"x{k}", (2, 3)) for k in range(n_in)]
    nodes = list(xs)
    for k in range(draw(st.integers(1, 20))):
        op = draw(st.sampled_from(UNARY + BINARY))
        pick = st.integers(0, len(nodes) - 1)
        if op in BINARY:
            a, b = nodes[draw(pick)], nodes[draw(pick)]
            nodes.append(ops.call(op, ops.tanh(a) if op == "multiply" else a, b, name=f"n{k}"))
        else:
            nodes.append(ops.call(op, ops.tanh(nodes[draw(pick)]) if op == "exp" else nodes[draw(pick)], name=f"n{k}"))
    outs = [nodes[-1]] + [nodes[i] for i in draw(st.lists(st.integers(n_in, len(nodes) - 1), max_size=2))
                          if nodes[i] is not nodes[-1]]
    body = outs[0] if len(outs) == 1 else Tuple(tuple(dict.fromkeys(outs)))
    backends = []
    for name in draw(st.sampled_from([["a"], ["a", "b"]])):
        backends.append(numpy_backend(name, draw(st.lists(st.sampled_from(UNARY + BINARY), unique=True))))
    return Module(Function(tuple(xs), body)), backends



def regions_are_convex(annotated) -> bool:
    """No path leaves a region and comes back into it (so regions contract to an acyclic graph)."""
    body = annotated.main.body
    use = users(body)
    region: dict = {}
    for n in post_order(body):
        if is_target(n) and n.attrs["compiler"] != WORKBENCH:
            key = (n.attrs["compiler"], n.attrs["region"])
            region[id(n)] = region[id(unwrap(n))] = key
    for key in set(region.values()):
        inside = {k for k, v in region.items() if v == key}
        stack = [u for k in inside for u in use.get(k, ()) if id(u) not in inside]
        seen = set()
        while stack:
            n = stack.pop()
            if id(n) in seen:
                continue
            seen.add(id(n))
            for u in use.get(id(n), ()):
                if id(u) in inside:
                    return False
                stack.append(u)
    return True


@settings(max_examples=60)
@given(graphs())
def test_random_graphs_partition_into_valid_acyclic_modules(case):
    mod, backends = case
    part = byoc.partition_for(mod, backends, fuse=False)
    verify(part.module)
    assert regions_are_convex(part.annotated)
    regions = {(d.backend, d.region) for d in part.report if d.backend != WORKBENCH}
    assert len(externals(part.module)) == len(regions)
    assert {f.attrs["Compiler"] for f in externals(part.module)} <= {b.name for b in backends}
    rng = np.random.default_rng(0)
    feeds = {p.name: rng.standard_normal((2, 3)).astype("float32") for p in mod.main.params}
    want, got = run(mod, **feeds), run(part.module, **feeds)
    for g, w in zip(*(v if isinstance(v, tuple) else (v,) for v in (got, want))):
        np.testing.assert_allclose(g, w, rtol=1e-6)


@settings(max_examples=8)
@given(graphs())
def test_random_graphs_compile_and_run_with_backends(case):
    mod, backends = case
    exe = wb.compile(mod, backends=backends)
    rng = np.random.default_rng(1)
    feeds = {p.name: rng.standard_normal((2, 3)).astype("float32") for p in mod.main.params}
    want, got = run(mod, **feeds), exe.run(**feeds)
    for g, w in zip(*(v if isinstance(v, tuple) else (v,) for v in (got, want))):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


def test_tuple_values_stay_with_workbench():
    x = ops.var("x", (4, 6))
    parts = ops.split(x, indices=2, axis=1)
    y = ops.exp(ops.concatenate(ops.exp(wb.graph.TupleGetItem(parts, 0)), wb.graph.TupleGetItem(parts, 1), axis=1))
    mod = Module(Function((x,), y))
    be = byoc.FunctionBackend("np", byoc.PatternTable([byoc.op_rule(o) for o in ("split", "concatenate", "exp")]),
                              {"exp": np.exp, "concatenate": lambda *xs, axis: np.concatenate(xs, axis=axis)})
    part = byoc.partition_for(mod, [be])
    rows = {d.op: d for d in part.report}
    assert rows["split"].backend == WORKBENCH and "tuple" in rows["split"].reason
    assert rows["concatenate"].backend == rows["exp"].backend == "np"
    xv = np.arange(24, dtype="float32").reshape(4, 6) / 24
    np.testing.assert_allclose(wb.compile(mod, backends=[be]).run(x=xv), run(mod, x=xv), rtol=1e-6)
