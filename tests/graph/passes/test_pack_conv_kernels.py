"""pack_conv_kernels: constant conv kernels packed 16 output channels per vector, off unless asked for,
the packed model computing what the plain one does (graph interpreter, compiled, Ansor tasks)."""
import numpy as np
import pytest

import workbench as wb
from workbench import ansor
from workbench.graph import Call, Function, Module, ops, run
from workbench.graph.functor import post_order
from workbench.graph.passes import PassContext, Recorder, op_counts, optimize, pack_conv_kernels

PACK = {"pack_conv_kernels": True}


def small_cnn(seed=0, f=32):
    """conv-bn-relu (packable), a depthwise conv (grouped: stays plain), a conv with 8 filters (stays)."""
    rng = np.random.default_rng(seed)
    x = ops.var("input", (1, 3, 12, 12))
    w1 = ops.const(rng.normal(size=(f, 3, 3, 3)).astype("float32"), name="w1")
    bn = [ops.const(rng.uniform(0.5, 1.5, f).astype("float32"), name=n) for n in ("gamma", "beta", "mean", "var")]
    y = ops.nn.relu(ops.nn.batch_norm(ops.nn.conv2d(x, w1, strides=(2, 2), padding=(1, 1, 1, 1)), *bn))
    wd = ops.const(rng.normal(size=(f, 1, 3, 3)).astype("float32"), name="wd")
    y = ops.nn.conv2d(y, wd, padding=(1, 1, 1, 1), groups=f)
    w3 = ops.const(rng.normal(size=(8, f, 1, 1)).astype("float32"), name="w3")
    y = ops.nn.conv2d(y, w3)
    return Module(Function((x,), y)), rng


def op_names(mod):
    return [n.op.name for fn in [mod.main] for n in post_order(fn.body)
            if isinstance(n, Call) and not isinstance(n.op, Function)]


def test_only_dense_constant_kernels_with_whole_blocks_are_packed():
    mod, _ = small_cnn()
    packed = pack_conv_kernels(mod)
    names = op_names(packed)
    assert names.count("nn.conv2d_packed") == 1 and names.count("nn.conv2d") == 2
    conv = next(n for n in post_order(packed.main.body) if isinstance(n, Call) and n.op.name == "nn.conv2d_packed")
    assert conv.args[1].data.shape == (2, 3, 3, 3, 16) and conv.args[1].name == "w1_packed"
    assert dict(conv.attrs)["strides"] == (2, 2) and "groups" not in dict(conv.attrs)


def test_packed_module_computes_the_same():
    mod, rng = small_cnn()
    x = rng.normal(size=(1, 3, 12, 12)).astype("float32")
    want = run(mod, input=x)
    np.testing.assert_allclose(run(pack_conv_kernels(mod), input=x), want, rtol=1e-4, atol=1e-4)
    exe = wb.compile(mod, ctx=PassContext(config=PACK))
    assert [s.ops[0] for s in exe.steps] == ["nn.conv2d_packed", "nn.conv2d", "nn.conv2d"]
    np.testing.assert_allclose(exe.run(input=x), want, rtol=1e-4, atol=1e-4)


def test_off_by_default_and_in_the_pipeline_when_asked():
    mod, _ = small_cnn()
    assert op_counts(optimize(mod))["nn.conv2d_packed"] == 0
    rec = Recorder()
    fused = optimize(mod, PassContext(config=PACK, instruments=[rec]))
    passes = [r.name for r in rec.records]
    assert passes.index("pack_conv_kernels") == passes.index("fold_scale_axis") + 2  # after the weights are final
    assert passes[-1] == "fuse_ops" and op_counts(fused)["nn.conv2d_packed"] == 1


def test_ansor_tasks_of_a_packed_model_tune_and_apply(tmp_path):
    mod, rng = small_cnn()
    ctx = PassContext(config=PACK)
    tasks = ansor.extract_tasks(mod, ctx)
    conv = next(t for t, _ in tasks if "conv2d_packed" in t.name)
    records = str(tmp_path / "packed.jsonl")
    ansor.TaskScheduler([(conv, 1)], seed=0, batch_size=4).tune(8, records=records, verbose=False)
    exe = wb.compile(mod, ctx=ctx, records=records)
    assert exe.tuned_kernels == 1
    x = rng.normal(size=(1, 3, 12, 12)).astype("float32")
    np.testing.assert_allclose(exe.run(input=x), run(mod, input=x), rtol=1e-4, atol=1e-4)


def test_packed_op_type_errors_name_the_weight():
    x = ops.var("x", (1, 4, 8, 8))
    with pytest.raises(wb.WorkbenchError, match="expects 3"):
        ops.nn.conv2d_packed(x, ops.const(np.zeros((1, 3, 3, 3, 16), "float32")))
    with pytest.raises(wb.WorkbenchError, match="dilated kernel"):
        ops.nn.conv2d_packed(x, ops.const(np.zeros((1, 4, 9, 9, 16), "float32")))
