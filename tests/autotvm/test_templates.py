"""Every built-in template (compiled): random configs are correct or rejected at instantiation; fallbacks
are correct; group schedules (with prologue and epilogue) are correct; ``args_of_group`` reads shapes back."""
import numpy as np
import pytest

import workbench as wb
from workbench import autotvm, te, topi
from workbench.errors import LoweringError, ScheduleError
from workbench.graph import Call, Function, Module, ops
from workbench.graph.functor import post_order
from workbench.graph.interpreter import eval_function
from workbench.graph.passes import optimize
from workbench.graph.to_te import group_to_te

SMALL = {
    "matmul": (24, 40, 32),
    "batch_matmul": (2, 12, 20, 16),
    "dense": (6, 24, 40),
    "conv2d_nchw": (1, 8, 10, 12, 8, 3, 3, 1, 1),
    "depthwise_conv2d_nchw": (1, 8, 11, 9, 3, 3, 2, 1),
}
BENCHMARK = {
    "matmul": (1024, 1024, 1024),
    "dense": (1024, 1024, 1024),
    "batch_matmul": (8, 256, 256, 256),
    "conv2d_nchw": (1, 64, 56, 56, 64, 3, 3, 1, 1),
    "depthwise_conv2d_nchw": (1, 64, 56, 56, 3, 3, 1, 1),
}
RANDOM_CONFIGS = 30


def run_config(task, cfg, ref):
    """Build ``cfg`` and compare with the reference; False when the config is rejected (an invalid point)."""
    try:
        s, tensors = task.instantiate(cfg)
        kernel = wb.build(s, tensors)
    except (ScheduleError, LoweringError):
        return False
    outs = [np.zeros(e.shape, e.dtype) for e in ref.expected]
    kernel(*ref.inputs, *outs)
    for got, want in zip(outs, ref.expected):
        np.testing.assert_allclose(got, want, rtol=ref.rtol, atol=ref.atol, err_msg=f"{task.key} {cfg}")
    return True


@pytest.mark.parametrize("name", sorted(SMALL))
def test_random_configs_are_correct_or_rejected(name):
    task = autotvm.task(name, SMALL[name])
    ref = task.reference(seed=1)
    assert run_config(task, task.fallback, ref), "the fallback config must always build"
    rng = np.random.default_rng(7)
    indices = {task.space.random_index(rng) for _ in range(RANDOM_CONFIGS)}
    invalid = sum(not run_config(task, task.space.get(i), ref) for i in indices)
    assert invalid < 0.2 * len(indices)


def test_benchmark_spaces_are_large(capsys):
    sizes = {name: len(autotvm.task(name, args).space) for name, args in BENCHMARK.items()}
    with capsys.disabled():
        print()
        for name, args in BENCHMARK.items():
            print(f"  space of {autotvm.task(name, args).key}: {sizes[name]:,} configs")
    assert sizes["matmul"] >= 1000 and sizes["conv2d_nchw"] >= 1000
    assert all(1000 <= n <= 10 ** 7 for n in sizes.values())


# ---------------------------------------------------------------------- fused groups

def groups_of(mod):
    fused = optimize(mod)
    return [c.op for c in post_order(fused.main.body) if isinstance(c, Call) and isinstance(c.op, Function)]


def model_groups():
    rng = np.random.default_rng(0)
    w = lambda *shape: ops.const(rng.normal(size=shape).astype("float32") * 0.3)
    x = ops.var("x", (1, 4, 9, 10))
    y = ops.nn.relu(ops.add(ops.nn.conv2d(x, w(8, 4, 3, 3), strides=(2, 2), padding=(1, 1, 1, 1)), w(8, 1, 1)))
    y = ops.nn.conv2d(y, w(8, 1, 3, 3), padding=(1, 1, 1, 1), groups=8)          # depthwise, no epilogue
    m = ops.var("m", (6, 16))
    d = ops.nn.relu(ops.nn.bias_add(ops.nn.dense(m, w(12, 16)), w(12), axis=1))
    a = ops.var("a", (3, 5, 16))
    b = ops.sigmoid(ops.nn.matmul(a, w(3, 16, 8)))
    mm = ops.multiply(ops.nn.matmul(m, w(16, 24)), ops.const(0.5))
    return [Module(Function((x,), y)), Module(Function((m,), d)), Module(Function((a,), b)),
            Module(Function((m,), mm))]


def test_group_schedules_with_prologue_and_epilogue():
    rng = np.random.default_rng(3)
    seen = []
    for mod in model_groups():
        for fn in groups_of(mod):
            g = group_to_te(fn)
            match = autotvm.match_group(g.anchor_op.name, g.anchor)
            if match is None:
                continue
            name, args, schedule_fn = match
            seen.append(name)
            task = autotvm.task(name, args)
            inputs = [rng.normal(size=t.shape).astype("float32") for t in g.inputs]
            want = eval_function(fn, inputs)
            want = list(want) if isinstance(want, tuple) else [want]
            for cfg in [task.fallback] + [task.space.get(task.space.random_index(rng)) for _ in range(4)]:
                s = schedule_fn(cfg, g.outputs, g.anchor)
                outs = [np.zeros(t.shape, t.dtype) for t in g.outputs]
                wb.build(s, g.inputs + g.outputs)(*inputs, *outs)
                for got, exp in zip(outs, want):
                    np.testing.assert_allclose(got, exp, rtol=1e-4, atol=1e-4, err_msg=f"{task.key} {cfg} {g.ops}")
    assert sorted(seen) == ["batch_matmul", "conv2d_nchw", "dense", "depthwise_conv2d_nchw", "matmul"]


@pytest.mark.parametrize("kwargs, expected", [
    (dict(stride=1, padding=1), ("conv2d_nchw", (1, 6, 9, 11, 4, 3, 3, 1, 1))),
    (dict(stride=2, padding=0), ("conv2d_nchw", (1, 6, 9, 11, 4, 3, 3, 2, 0))),
    (dict(stride=2, padding=2), ("conv2d_nchw", (1, 6, 9, 11, 4, 3, 3, 2, 2))),
    (dict(stride=(1, 2), padding=1), None),
    (dict(stride=1, padding=(1, 1, 0, 0)), None),
    (dict(stride=1, padding=(0, 1, 2, 1)), None),
    (dict(stride=1, padding=1, dilation=2), None),
    (dict(stride=1, padding=1, groups=2), None),
])
def test_conv_args_are_read_back_from_the_compute(kwargs, expected):
    x = te.placeholder((1, 6, 9, 11), name="x")
    w = te.placeholder((4, 6 // kwargs.get("groups", 1), 3, 3), name="w")
    conv = topi.conv2d_nchw(x, w, **kwargs)
    match = autotvm.match_group("nn.conv2d", conv)
    assert (match and match[:2]) == expected


def test_depthwise_and_matrix_args():
    x = te.placeholder((1, 6, 9, 11), name="x")
    dw = topi.depthwise_conv2d_nchw(x, te.placeholder((6, 1, 5, 5), name="w"), stride=2, padding=2)
    assert autotvm.match_group("nn.conv2d", dw)[:2] == ("depthwise_conv2d_nchw", (1, 6, 9, 11, 5, 5, 2, 2))
    mult = topi.depthwise_conv2d_nchw(x, te.placeholder((12, 1, 3, 3), name="w"))  # multiplier 2: no template
    assert autotvm.match_group("nn.conv2d", mult) is None
    A, B = te.placeholder((5, 7), name="A"), te.placeholder((7, 3), name="B")
    assert autotvm.match_group("nn.matmul", topi.matmul(A, B))[:2] == ("matmul", (5, 3, 7))
    assert autotvm.match_group("nn.dense", topi.dense(A, te.placeholder((3, 7), name="W")))[:2] == ("dense", (5, 3, 7))
    b3 = topi.batch_matmul(te.placeholder((2, 5, 7), name="A"), te.placeholder((2, 7, 3), name="B"))
    assert autotvm.match_group("nn.matmul", b3)[:2] == ("batch_matmul", (2, 5, 3, 7))
    bc = topi.batch_matmul(te.placeholder((2, 5, 7), name="A"), te.placeholder((1, 7, 3), name="B"))
    assert autotvm.match_group("nn.matmul", bc) is None  # broadcast batch
    i8 = topi.matmul(te.placeholder((5, 7), "int8", name="A"), te.placeholder((7, 3), "int8", name="B"),
                     out_dtype="int32")
    assert autotvm.match_group("nn.matmul", i8) is None
