"""Tasks of a model, records of Ansor programs, and ``wb.compile(mod, records=...)`` applying them."""
import random

import numpy as np
import pytest

import workbench as wb
from workbench import ansor, autotvm
from workbench.graph import Function, Module, ops
from workbench.graph.interpreter import eval_function
from workbench.tune import records


def small_cnn(seed=0):
    """conv(3->8) relu, three times the same conv(8->8)+bias relu (the last fuses the flatten), dense + bias."""
    rng = np.random.default_rng(seed)
    w = lambda *shape: ops.const(rng.normal(size=shape).astype("float32") * 0.2)
    x = ops.var("x", (1, 3, 16, 16))
    y = ops.nn.relu(ops.nn.conv2d(x, w(8, 3, 3, 3), padding=(1, 1, 1, 1)))
    for _ in range(3):
        y = ops.nn.relu(ops.add(ops.nn.conv2d(y, w(8, 8, 3, 3), padding=(1, 1, 1, 1)), w(8, 1, 1)))
    y = ops.reshape(y, newshape=(1, 8 * 16 * 16))
    y = ops.nn.bias_add(ops.nn.dense(y, w(10, 8 * 16 * 16)), w(10), axis=1)
    return Module(Function((x,), y))


def row(task, prog, seconds):
    return records.make_row(task.name, task.args, prog.to_json(), {"costs": [seconds], "error": "ok"},
                            tool="ansor", target="llvm")


def test_extract_tasks_dedups_identical_groups_and_weights_them():
    tasks = ansor.extract_tasks(small_cnn())
    names = [(t.name, w) for t, w in tasks]
    assert ("conv2d_add_relu", 2) in names and names[0] == ("conv2d_relu", 1)
    assert any(n.startswith("dense") for n, _ in names)
    assert all(len(t.sketches) >= 1 for t, _ in tasks)
    again = ansor.extract_tasks(small_cnn(seed=1))   # other weights, same computations
    assert [t.key for t, _ in again] == [t.key for t, _ in tasks]


def test_compile_with_ansor_records_uses_the_best_trace(tmp_path):
    mod = small_cnn()
    tasks = [t for t, _ in ansor.extract_tasks(mod)]
    rng = random.Random(0)
    path = tmp_path / "cnn.jsonl"
    rows = []
    for t in tasks:
        slow, fast = (ansor.sample_program(rng.choice(t.sketches), rng) for _ in range(2))
        rows += [row(t, slow, 2e-3), row(t, fast, 1e-3)]
    records.append(path, rows)
    best = ansor.apply_history_best(str(path))
    assert len(best) == len(tasks)

    exe = wb.compile(mod, records=str(path))
    assert exe.tuned_kernels == len(tasks)
    x = np.random.default_rng(1).normal(size=(1, 3, 16, 16)).astype("float32")
    want = eval_function(mod.main, [x])
    np.testing.assert_allclose(exe.run(x=x), want, rtol=1e-4, atol=1e-4)
    plain = wb.compile(mod)
    assert plain.tuned_kernels == 0


def test_a_stale_trace_warns_and_falls_back(tmp_path):
    mod = small_cnn()
    task = ansor.extract_tasks(mod)[0][0]
    prog = ansor.sample_program(task.sketches[0], random.Random(1))
    r = row(task, prog, 1e-3)
    r["config"]["trace"] = [{"kind": "split", "stage": "no_such_stage", "args": {"axis": "i", "factor": 2}}]
    path = tmp_path / "stale.jsonl"
    records.append(path, [r])
    with pytest.warns(UserWarning, match="does not apply"):
        exe = wb.compile(mod, records=str(path))
    assert exe.tuned_kernels == 0


def test_autotvm_and_ansor_records_mix_and_the_faster_wins(tmp_path):
    mod = small_cnn()
    atasks = [t for t, _ in autotvm.extract_tasks(mod)]
    stasks = [t for t, _ in ansor.extract_tasks(mod)]
    path = tmp_path / "mixed.jsonl"
    conv = atasks[0]
    records.append(path, [records.make_row(conv.name, conv.args, conv.fallback.to_json(),
                                           {"costs": [5e-3], "error": "ok"}, target="llvm")])
    prog = ansor.sample_program(stasks[0].sketches[0], random.Random(2))
    records.append(path, [row(stasks[0], prog, 1e-3)])
    from workbench.apply_records import apply_records
    from workbench.graph.passes import optimize
    from workbench.graph.to_te import group_to_te
    from workbench.graph.expr import Call, Function as Fn
    from workbench.graph.functor import post_order
    best = apply_records(str(path))
    first = next(n.op for n in post_order(optimize(mod).main.body) if isinstance(n, Call) and isinstance(n.op, Fn))
    s = best.schedule_group(group_to_te(first))
    assert s is not None and str(s.trace) == str(prog.apply().trace)   # ansor's 1 ms beats autotvm's 5 ms


def test_winograd_groups_keep_their_default_schedule():
    """A Winograd conv's transforms pick one of 36 sums by tile position: as generic programs they would
    compile for minutes, so its group is no task; the stages ask Ansor never to inline them."""
    from workbench.ansor.analysis import ComputeDAG
    from workbench.graph.passes import PassContext
    from workbench import te, topi
    ctx = PassContext(config={"pack_conv_kernels": True, "block_layout": True})
    rng = np.random.default_rng(0)
    x = ops.var("x", (1, 16, 8, 8))
    w = lambda: ops.const((rng.normal(size=(16, 16, 3, 3)) * 0.2).astype("float32"))
    y = ops.nn.conv2d(ops.nn.relu(ops.nn.conv2d(x, w(), padding=(1, 1, 1, 1))), w(), padding=(1, 1, 1, 1))
    names = [t.name for t, _ in ansor.extract_tasks(Module(Function((x,), y)), ctx)]
    assert names and not any("winograd" in n for n in names)
    d, u = te.placeholder((1, 1, 8, 8, 16), name="d"), te.placeholder((6, 6, 16, 1, 16), name="u")
    dag = ComputeDAG([d, u], [topi.relu(topi.conv2d_winograd_nchw16c(d, u, tile=4, padding=1))])
    assert not dag["conv2d_winograd_v"].can_inline and not dag["conv2d_winograd"].can_inline
