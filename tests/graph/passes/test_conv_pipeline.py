"""The CNN pipeline: batch norm folded into conv weights, conv + bias + relu fused into one kernel."""
import numpy as np

import workbench as wb
from workbench.graph import Call, Function, Module, ops, run
from workbench.graph.functor import post_order
from workbench.graph.passes import fold_constant, fold_scale_axis, optimize, simplify_inference


def conv_bn_relu(seed=0):
    rng = np.random.default_rng(seed)
    x = ops.var("input", (1, 3, 10, 10))
    w = ops.const(rng.normal(size=(8, 3, 3, 3)).astype("float32"), name="w")
    bn = [ops.const(rng.uniform(0.5, 1.5, 8).astype("float32"), name=n) for n in ("gamma", "beta", "mean", "var")]
    y = ops.nn.conv2d(x, w, padding=(1, 1, 1, 1), name="conv")
    y = ops.nn.batch_norm(y, *bn, epsilon=1e-5, name="bn")
    return Module(Function((x,), ops.nn.relu(y, name="relu"))), rng


def groups(mod):
    return [[n.op.name for n in post_order(c.op.body) if isinstance(n, Call)]
            for c in post_order(mod.main.body) if isinstance(c, Call) and isinstance(c.op, Function)]


def test_batch_norm_becomes_conv_weights_and_a_bias():
    mod, rng = conv_bn_relu()
    folded = fold_constant(fold_scale_axis(fold_constant(simplify_inference(mod))))
    body = folded.main.body  # relu(add(conv2d(x, W'), shift))
    assert body.op.name == "nn.relu" and body.args[0].op.name == "add"
    assert body.args[0].args[0].op.name == "nn.conv2d"
    x = rng.normal(size=(1, 3, 10, 10)).astype("float32")
    np.testing.assert_allclose(run(folded, input=x), run(mod, input=x), rtol=1e-4, atol=1e-5)


def test_conv_bias_relu_is_one_kernel_and_compiles():
    mod, rng = conv_bn_relu()
    fused = optimize(mod)
    assert groups(fused) == [["nn.conv2d", "add", "nn.relu"]]
    reason = next(c.op.attrs["reason"] for c in post_order(fused.main.body) if isinstance(c, Call))
    assert "heavy op absorbs" in reason
    exe = wb.compile(mod)
    x = rng.normal(size=(1, 3, 10, 10)).astype("float32")
    np.testing.assert_allclose(exe.run(input=x), run(mod, input=x), rtol=1e-4, atol=1e-5)
    assert len(exe.steps) == 1


def test_residual_block_groups():
    rng = np.random.default_rng(1)
    x = ops.var("x", (1, 4, 8, 8))
    w1 = ops.const(rng.normal(size=(4, 4, 3, 3)).astype("float32") * 0.2)
    w2 = ops.const(rng.normal(size=(4, 4, 3, 3)).astype("float32") * 0.2)
    y = ops.nn.relu(ops.nn.conv2d(x, w1, padding=(1, 1, 1, 1)))
    y = ops.nn.relu(ops.add(ops.nn.conv2d(y, w2, padding=(1, 1, 1, 1)), x))
    mod = Module(Function((x,), y))
    fused = optimize(mod)
    assert groups(fused) == [["nn.conv2d", "nn.relu"], ["nn.conv2d", "add", "nn.relu"]]
    xv = rng.normal(size=(1, 4, 8, 8)).astype("float32")
    np.testing.assert_allclose(wb.compile(mod).run(x=xv), run(mod, x=xv), rtol=1e-4, atol=1e-5)
