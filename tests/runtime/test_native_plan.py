"""NativePlan: a compiled model's kernels called from one native function, with the same results as
calling them one by one from Python; external partitions keep the Python loop."""
import numpy as np
import pytest

import workbench as wb
from workbench import byoc
from workbench.graph import Function, Module, TensorType, Tuple, Var, call, const, run
from workbench.runtime.native_plan import plan_ir


def net():
    x = Var("x", TensorType((4, 16)))
    y = Var("y", TensorType((4, 16)))
    h = call("exp", call("multiply", call("nn.relu", call("add", x, y)), const(-0.5)))
    w = const(np.random.default_rng(1).normal(size=(8, 16)).astype("float32"))
    return Module(Function((x, y), Tuple((call("nn.dense", h, w), call("tanh", x), y))))


def feeds():
    rng = np.random.default_rng(0)
    return {"x": rng.normal(size=(4, 16)).astype("float32"), "y": rng.normal(size=(4, 16)).astype("float32")}


def python_loop(exe, f):
    plan, exe.native_plan = exe.native_plan, None
    try:
        return exe.run(**f)
    finally:
        exe.native_plan = plan


def test_the_plan_calls_every_kernel_and_matches_the_python_loop():
    mod, f = net(), feeds()
    exe = wb.compile(mod)
    assert exe.native_plan is not None and exe.native_plan.calls == len(exe.steps)
    assert exe.native_plan.llvm_ir.count("call void") == len(exe.steps)
    got, loop, want = exe.run(**f), python_loop(exe, f), run(mod, **f)
    for g, l, w in zip(got, loop, want):
        np.testing.assert_array_equal(g, l)
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
    assert got[2] is not f["y"]  # an input returned as an output is a copy


def test_runs_are_independent():
    exe = wb.compile(net())
    f1, f2 = feeds(), {k: v * 2 for k, v in feeds().items()}
    a1 = exe.run(**f1)
    exe.run(**f2)
    for g, w in zip(a1, exe.run(**f1)):
        np.testing.assert_array_equal(g, w)


def test_external_partitions_keep_the_python_loop():
    x = Var("x", TensorType((2, 3)))
    mod = Module(Function((x,), call("tanh", call("nn.relu", call("exp", x)))))
    exe = wb.compile(mod, backends=[byoc.CBackend()])
    assert exe.native_plan is None
    xv = np.linspace(-1, 1, 6, dtype="float32").reshape(2, 3)
    np.testing.assert_allclose(exe.run(x=xv), np.tanh(np.maximum(np.exp(xv), 0)), rtol=1e-6)


def test_a_run_with_the_wrong_number_of_addresses_is_refused():
    exe = wb.compile(net())
    with pytest.raises(ValueError, match="the plan takes 4 addresses, got 1"):
        exe.native_plan.run([0])


def test_plan_ir_rejects_bad_arguments():
    with pytest.raises(ValueError, match="argument index 3 outside 0..1"):
        plan_ir([(1234, (("arg", 3),))], 2)
    with pytest.raises(ValueError, match="argument kind 'temp'"):
        plan_ir([(1234, (("temp", 0),))], 1)
