"""store_padded: a packed conv's zero padding moves out of its kernel onto the edge that feeds it
(``nn.padded_view``), which the compiler realizes by storing the producer's result inside a zeroed
border; the model computes exactly what it computes with the padding copied in the conv's kernel."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import workbench as wb
from workbench.graph import Call, Function, Module, Tuple, ops, run
from workbench.graph.expr import Attrs, call
from workbench.graph.functor import post_order
from workbench.graph.passes import PassContext, optimize, pipeline_of
from workbench.graph.passes.store_padded import conv_padding

BLOCK = {"pack_conv_kernels": True, "block_layout": True, "winograd": False}   # direct convs: results bit for bit
COPY = {**BLOCK, "store_padded": False}


def w(rng, *shape, name=""):
    return ops.const((rng.normal(size=shape) * 0.2).astype("float32"), name=name)


def block_net(seed=0, c=32, hw=12, pads=((1, 1, 1, 1), (1, 1, 1, 1)), stride=1, output_mid=False):
    """A conv, a residual block (3x3 convs with ``pads``, a strided 1x1 shortcut where the shapes agree)
    and a last conv."""
    rng = np.random.default_rng(seed)
    x = ops.var("x", (1, 16, hw, hw))
    y = ops.nn.relu(ops.nn.conv2d(x, w(rng, c, 16, 3, 3), padding=(1, 1, 1, 1)))
    z = ops.nn.relu(ops.nn.conv2d(y, w(rng, c, c, 3, 3), padding=pads[0], strides=(stride, stride)))
    z = ops.nn.conv2d(z, w(rng, c, c, 3, 3), padding=pads[1])
    short = ops.nn.conv2d(y, w(rng, c, c, 1, 1), strides=(stride, stride))
    out = ops.nn.relu(ops.add(z, short) if z.type.shape == short.type.shape else z)
    out = ops.nn.conv2d(out, w(rng, c, c, 3, 3), padding=(1, 1, 1, 1))
    body = Tuple((out, y)) if output_mid else out
    return Module(Function((x,), body)), rng.normal(size=(1, 16, hw, hw)).astype("float32")


def top_calls(mod, name):
    return [n for n in post_order(mod.main.body)
            if isinstance(n, Call) and not isinstance(n.op, Function) and n.op.name == name]


def test_the_blocked_pipeline_ends_with_store_padded_unless_the_config_says_no():
    assert pipeline_of(PassContext(config=BLOCK))[-1].name == "store_padded"
    assert "store_padded" not in [p.name for p in pipeline_of(PassContext(config=COPY))]
    assert "store_padded" not in [p.name for p in pipeline_of(PassContext())]


def test_padded_convs_read_a_view_and_convolve_unpadded():
    mod, _ = block_net()
    fused = optimize(mod, PassContext(config=BLOCK))
    views = top_calls(fused, "nn.padded_view")
    assert len(views) == 3  # the three 3x3 convs fed by a kernel; the first conv reads the model input
    for v in views:
        assert v.attrs["padding"] == (1, 1, 1, 1)
        assert v.type.shape[2:4] == tuple(d + 2 for d in v.args[0].type.shape[2:4])
    for n in post_order(fused.main.body):
        if isinstance(n, Call) and isinstance(n.op, Function):
            for p, a in zip(n.op.params, n.args):
                if a in views:
                    assert conv_padding(n.op, p) is None  # the group's conv no longer pads
                    conv = next(c for c in post_order(n.op.body) if isinstance(c, Call) and c.args[0] is p)
                    assert conv.attrs["padding"] == (0, 0, 0, 0)


def test_one_view_is_shared_and_the_shortcut_reads_the_unpadded_value():
    mod, _ = block_net()
    fused = optimize(mod, PassContext(config=BLOCK))
    views = top_calls(fused, "nn.padded_view")
    sources = [v.args[0] for v in views]
    assert len({id(s) for s in sources}) == len(sources)  # one view per value
    # y feeds the 3x3 conv (through its view) and the 1x1 shortcut (directly)
    readers = [n for n in post_order(fused.main.body) if isinstance(n, Call) and isinstance(n.op, Function)
               and any(a is sources[0] for a in n.args)]
    assert readers


def test_model_inputs_and_outputs_are_not_stored_padded():
    mod, _ = block_net(output_mid=True)
    fused = optimize(mod, PassContext(config=BLOCK))
    outputs = {id(f) for f in fused.main.body.fields}
    for v in top_calls(fused, "nn.padded_view"):
        assert id(v.args[0]) not in outputs
        assert isinstance(v.args[0], Call) and isinstance(v.args[0].op, Function)


@pytest.mark.parametrize("case", [dict(), dict(stride=2), dict(pads=((0, 1, 2, 1), (2, 0, 1, 1))),
                                  dict(output_mid=True), dict(c=16, hw=7)])
def test_results_match_the_copying_compile_and_the_interpreter(case):
    mod, x = block_net(**case)
    got = wb.compile(mod, ctx=PassContext(config=BLOCK)).run(x=x)
    copy = wb.compile(mod, ctx=PassContext(config=COPY)).run(x=x)
    ref = run(mod, x=x)
    for g, c, r in zip(*(v if isinstance(v, tuple) else (v,) for v in (got, copy, ref))):
        np.testing.assert_array_equal(g, c)
        np.testing.assert_allclose(g, r, rtol=1e-4, atol=1e-4)


def test_the_interpreter_runs_the_fused_module_with_views():
    mod, x = block_net()
    fused = optimize(mod, PassContext(config=BLOCK))
    np.testing.assert_allclose(run(fused, x=x), run(mod, x=x), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("native", [True, False])
def test_borders_stay_zero_across_runs_while_storages_are_shared(native):
    """Bordered values share storages with plain ones; the borders zeroed again where one was (by the
    native plan, or by the Python loop) keep the results right run after run."""
    rng = np.random.default_rng(2)
    x = ops.var("x", (1, 16, 9, 9))
    y = x
    for k in (1, 3, 1, 1, 3):  # results: bordered, plain, plain, bordered, the output
        y = ops.nn.relu(ops.nn.conv2d(y, w(rng, 16, 16, k, k), padding=(k // 2,) * 4))
    mod, x = Module(Function((x,), y)), rng.normal(size=(1, 16, 9, 9)).astype("float32")
    exe = wb.compile(mod, ctx=PassContext(config=BLOCK))
    views = [s for s in exe.slots if s.view_of is not None]
    assert views and all(exe.slots[v.view_of].border == (1, 1, 1, 1) for v in views)
    shared = [k for s, k in exe.storage_of.items() if exe.slots[s].border]
    assert any(k == j for s, j in exe.storage_of.items() if not exe.slots[s].border and exe.slots[s].view_of is None
               for k in shared)  # a plain value reuses a bordered value's storage
    assert exe._clears  # so some border is zeroed again before a kernel writes into it
    if not native:
        exe.native_plan = None
    rng = np.random.default_rng(5)
    for _ in range(3):  # different inputs each time: a stale border would change the results
        x = rng.normal(size=x.shape).astype("float32") * 10
        np.testing.assert_allclose(exe.run(x=x), run(mod, x=x), rtol=1e-4, atol=1e-3)


def test_a_hand_made_view_of_a_model_input_is_a_copying_kernel():
    x = ops.var("x", (1, 2, 3, 3, 16))
    body = call("nn.padded_view", x, padding=(1, 0, 2, 1))
    p = ops.var("p", body.type.shape)
    fused = Module(Function((x,), Call(Function((p,), ops.nn.relu(p), Attrs({"Primitive": 1}), "g"), (body,),
                                          Attrs(), body.type)))
    exe = wb.compile(fused)
    data = np.random.default_rng(0).normal(size=(1, 2, 3, 3, 16)).astype("float32")
    want = np.maximum(np.pad(data, [(0, 0), (0, 0), (1, 2), (0, 1), (0, 0)]), 0)
    np.testing.assert_array_equal(exe.run(x=data), want)
    assert len(exe.steps) == 2 and not any(s.view_of is not None for s in exe.slots)


def test_a_view_that_is_the_model_output_is_computed():
    x = ops.var("x", (1, 16, 4, 4))
    mod = Module(Function((x,), ops.nn.relu(x)))
    fused = optimize(mod)
    body = call("nn.padded_view", fused.main.body, padding=(1, 1, 1, 1))
    exe = wb.compile(Module(Function(fused.main.params, body)))
    data = np.random.default_rng(1).normal(size=(1, 16, 4, 4)).astype("float32")
    np.testing.assert_array_equal(exe.run(x=data), np.pad(np.maximum(data, 0), [(0, 0), (0, 0), (1, 1), (1, 1)]))


@settings(max_examples=8, deadline=None)
@given(c=st.sampled_from([16, 32]), hw=st.integers(5, 11), stride=st.sampled_from([1, 2]),
       pad=st.tuples(*[st.integers(0, 2)] * 4), seed=st.integers(0, 1000))
def test_random_blocks_match_the_copying_compile(c, hw, stride, pad, seed):
    mod, x = block_net(seed=seed, c=c, hw=hw, pads=(pad, (1, 1, 1, 1)), stride=stride)
    got = wb.compile(mod, ctx=PassContext(config=BLOCK)).run(x=x)
    np.testing.assert_array_equal(got, wb.compile(mod, ctx=PassContext(config=COPY)).run(x=x))
