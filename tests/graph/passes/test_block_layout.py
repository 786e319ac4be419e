"""block_layout: the results of packed convs stay channel-blocked (NCHW16c) through elementwise ops,
per-channel constants, pools and the next packed conv; every other user gets one layout_transform back
to NCHW; the model computes what the plain one does (interpreter, compiled, Ansor tasks)."""
import numpy as np
import pytest

import workbench as wb
from workbench import ansor
from workbench.graph import Call, Function, Module, Tuple, ops, run
from workbench.graph.functor import post_order
from workbench.graph.passes import PassContext, Recorder, block_layout, op_counts, optimize, pack_conv_kernels
from workbench.graph.passes.block_layout import per_channel_blocked

BLOCK = {"pack_conv_kernels": True, "block_layout": True}


def small_resnet(seed=0, c=32):
    """A stem conv (3 channels in), bias + relu, max pool, a residual block, global pool, dense."""
    rng = np.random.default_rng(seed)

    def w(*shape, name):
        return ops.const((rng.normal(size=shape) * 0.2).astype("float32"), name=name)
    x = ops.var("input", (1, 3, 20, 20))
    y = ops.nn.conv2d(x, w(c, 3, 3, 3, name="w0"), strides=(2, 2), padding=(1, 1, 1, 1))
    y = ops.nn.relu(ops.add(y, w(c, 1, 1, name="b0")))
    y = ops.nn.max_pool2d(y, pool_size=(3, 3), strides=(2, 2), padding=(1, 1, 1, 1))
    z = ops.nn.relu(ops.add(ops.nn.conv2d(y, w(c, c, 3, 3, name="w1"), padding=(1, 1, 1, 1)), w(1, c, 1, 1, name="b1")))
    z = ops.add(ops.nn.conv2d(z, w(c, c, 3, 3, name="w2"), padding=(1, 1, 1, 1)), w(c, 1, 1, name="b2"))
    y = ops.nn.relu(ops.add(z, y))
    y = ops.reshape(ops.nn.global_avg_pool2d(y), newshape=(1, c))
    y = ops.add(ops.nn.dense(y, w(10, c, name="wd")), w(10, name="bd"))
    return Module(Function((x,), y)), rng


def calls(mod):
    return [n for n in post_order(mod.main.body) if isinstance(n, Call) and not isinstance(n.op, Function)]


def blocked(mod):
    return block_layout(pack_conv_kernels(mod))


def test_the_blocked_layout_flows_from_conv_to_conv_and_back_once():
    mod, _ = small_resnet()
    out = blocked(mod)
    by_op = {}
    for n in calls(out):
        by_op.setdefault(n.op.name, []).append(n)
    assert all(dict(c.attrs)["out_layout"] == "NCHW16c" for c in by_op["nn.conv2d_packed"])
    assert [c.args[0].type.ndim for c in by_op["nn.conv2d_packed"]] == [4, 5, 5]  # the stem reads the NCHW input
    assert by_op["nn.max_pool2d"][0].type.shape == (1, 2, 5, 5, 16)
    assert by_op["nn.global_avg_pool2d"][0].type.shape == (1, 2, 1, 1, 16)
    (lt,) = by_op["nn.layout_transform"]  # only before the reshape
    assert lt.type.shape == (1, 32, 1, 1) and dict(lt.attrs)["src_layout"] == "NCHW16c"
    biases = [a.data.shape for n in by_op["add"] for a in n.args if hasattr(a, "data")]
    assert (2, 1, 1, 16) in biases and (10,) in biases  # per-channel biases re-laid out; the dense bias kept


def test_blocked_module_computes_the_same_interpreted_and_compiled():
    mod, rng = small_resnet()
    x = rng.normal(size=(1, 3, 20, 20)).astype("float32")
    want = run(mod, input=x)
    np.testing.assert_allclose(run(blocked(mod), input=x), want, rtol=1e-4, atol=1e-4)
    exe = wb.compile(mod, ctx=PassContext(config=BLOCK))
    ops_of = [s.ops for s in exe.steps]
    assert ("nn.max_pool2d",) in ops_of and any("nn.layout_transform" in o for o in ops_of)
    np.testing.assert_allclose(exe.run(input=x), want, rtol=1e-4, atol=1e-4)


def test_other_users_get_one_shared_layout_transform():
    rng = np.random.default_rng(1)
    x = ops.var("x", (1, 16, 6, 6))
    y = ops.nn.conv2d(x, ops.const(rng.normal(size=(16, 16, 1, 1)).astype("float32")))
    full = ops.const(rng.normal(size=(1, 16, 6, 6)).astype("float32"))  # not per channel: NCHW
    out = Tuple((ops.nn.softmax(y, axis=1), ops.add(y, full), ops.nn.relu(y)))
    mod = Module(Function((x,), out))
    res = blocked(mod)
    names = [n.op.name for n in calls(res)]
    assert names.count("nn.layout_transform") == 2  # one for the conv's NCHW users, one for the relu output
    a = rng.normal(size=(1, 16, 6, 6)).astype("float32")
    for got, want in zip(run(res, x=a), run(mod, x=a)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_per_channel_constants():
    c = ops.const(np.arange(32, dtype="float32").reshape(32, 1, 1))
    got = per_channel_blocked(c, 32).data
    assert got.shape == (2, 1, 1, 16) and got[1, 0, 0, 3] == 19
    assert per_channel_blocked(ops.const(np.float32(2)), 32).data.shape == ()
    assert per_channel_blocked(ops.const(np.ones((1, 32, 2, 1), "float32")), 32) is None
    assert per_channel_blocked(ops.const(np.ones((3,), "float32")), 32) is None


def test_pipeline_runs_it_after_packing_and_needs_packing():
    mod, _ = small_resnet()
    rec = Recorder()
    fused = optimize(mod, PassContext(config=BLOCK, instruments=[rec]))
    passes = [r.name for r in rec.records]
    assert passes.index("block_layout") == passes.index("pack_conv_kernels") + 1
    assert op_counts(fused)["nn.layout_transform"] == 1
    with pytest.raises(ValueError, match="pack_conv_kernels"):
        optimize(mod, PassContext(config={"block_layout": True}))


def test_layout_transform_type_errors():
    with pytest.raises(wb.WorkbenchError, match="multiple of the 16 lanes"):
        ops.nn.layout_transform(ops.var("x", (1, 8, 4, 4)), src_layout="NCHW", dst_layout="NCHW16c")
    with pytest.raises(wb.WorkbenchError, match="nothing to transform"):
        ops.nn.layout_transform(ops.var("x", (1, 16, 4, 4)), src_layout="NCHW", dst_layout="NCHW")
    with pytest.raises(wb.WorkbenchError, match="must be one of"):
        ops.nn.conv2d_packed(ops.var("x", (1, 3, 8, 8)), ops.const(np.zeros((1, 3, 3, 3, 16), "float32")),
                             out_layout="NHWC")
    with pytest.raises(wb.WorkbenchError, match="16 lanes"):
        ops.nn.max_pool2d(ops.var("x", (1, 2, 8, 8, 8)), pool_size=(2, 2))


def test_ansor_tasks_of_a_blocked_model_tune_and_apply(tmp_path):
    mod, rng = small_resnet()
    ctx = PassContext(config=BLOCK)
    tasks = ansor.extract_tasks(mod, ctx)
    records = str(tmp_path / "blocked.jsonl")
    picked = [(t, 1) for t, _ in tasks if "conv2d_packed" in t.name or "max_pool2d" in t.name][:3]
    ansor.TaskScheduler(picked, seed=0, batch_size=4).tune(4 * len(picked), records=records, verbose=False)
    exe = wb.compile(mod, ctx=ctx, records=records)
    assert exe.tuned_kernels >= 1
    x = rng.normal(size=(1, 3, 20, 20)).astype("float32")
    np.testing.assert_allclose(exe.run(input=x), run(mod, input=x), rtol=1e-4, atol=1e-4)
