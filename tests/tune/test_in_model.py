"""check_in_model: tuned kernels profiled in their model against the defaults, the records copied
without the tasks that lost there (the original file untouched), the kept records still correct."""
import os

import numpy as np
import pytest

import workbench as wb
from workbench import ansor
from workbench.graph import Function, Module, ops, run
from workbench.graph.passes import PassContext
from workbench.tune import check_in_model
from workbench.tune import records as rec

CTX = {"pack_conv_kernels": True, "block_layout": True}


def model():
    rng = np.random.default_rng(0)
    x = ops.var("input", (1, 16, 12, 12))
    y = ops.nn.relu(ops.nn.conv2d(x, ops.const(rng.normal(size=(32, 16, 3, 3)).astype("float32")),
                                  padding=(1, 1, 1, 1)))
    y = ops.nn.conv2d(y, ops.const(rng.normal(size=(16, 32, 1, 1)).astype("float32")))
    return Module(Function((x,), ops.add(y, x))), rng.normal(size=(1, 16, 12, 12)).astype("float32")


@pytest.fixture(scope="module")
def tuned(tmp_path_factory):
    mod, x = model()
    ctx = PassContext(config=CTX)
    path = str(tmp_path_factory.mktemp("in_model") / "tuned.jsonl")
    tasks = ansor.extract_tasks(mod, ctx)
    ansor.TaskScheduler(tasks, seed=0, batch_size=4).tune(4 * len(tasks), records=path, verbose=False)
    return mod, x, ctx, path


@pytest.mark.parametrize("margin, kept", [(10.0, True), (-1.0, False)])
def test_verdicts_and_the_kept_records(tuned, margin, kept):
    mod, x, ctx, path = tuned
    before = open(path).read()
    check = check_in_model(mod, path, {"input": x}, ctx=ctx, rounds=2, repeat=2, margin=margin)
    assert open(path).read() == before  # the tuning log is never changed
    assert check.tasks and all(t.kept is kept for t in check.tasks)
    assert all(t.default > 0 and t.tuned > 0 and t.kernels >= 1 for t in check.tasks)
    assert check.records == path.replace(".jsonl", ".in_model.jsonl")
    keys = {r["task"]["key"] for r in rec.load(check.records)} if os.path.exists(check.records) else set()
    assert ({t.task for t in check.tasks} <= keys) is kept and not (keys & set(check.dropped))
    exe = wb.compile(mod, ctx=ctx, records=check.records)
    assert exe.tuned_kernels == (len(check.tasks) if kept else 0)
    np.testing.assert_allclose(exe.run(input=x), run(mod, input=x), rtol=1e-4, atol=1e-4)
    assert "tuned kept" in repr(check) if kept else "default kept" in repr(check)


def test_steps_name_their_tuned_task(tuned):
    mod, _, ctx, path = tuned
    exe = wb.compile(mod, ctx=ctx, records=path)
    assert sum(st.task is not None for st in exe.steps) == exe.tuned_kernels >= 1
    assert all(st.task is None for st in wb.compile(mod, ctx=ctx).steps)


def test_bad_arguments_are_named(tmp_path):
    mod, x = model()
    with pytest.raises(FileNotFoundError, match="not found"):
        check_in_model(mod, str(tmp_path / "none.jsonl"), {"input": x})
    path = tmp_path / "empty.jsonl"
    path.write_text("")
    with pytest.raises(ValueError, match="rounds and repeat"):
        check_in_model(mod, str(path), {"input": x}, rounds=0)


def test_a_group_tuned_by_both_tools_is_checked_with_each(tmp_path):
    """Dropping Ansor's faster-measured task of a dense layer lets AutoTVM's record of it in; that one
    is then checked in the model too (and dropped here, with a margin nothing passes)."""
    from workbench import autotvm
    from workbench.tune.measure import ErrorKind, MeasureResult
    rng = np.random.default_rng(1)
    x = ops.var("x", (8, 64))
    mod = Module(Function((x,), ops.nn.relu(ops.nn.dense(x, ops.const(rng.normal(size=(32, 64)).astype("float32"))))))
    path = str(tmp_path / "both.jsonl")
    ((task, _),) = autotvm.extract_tasks(mod)
    rec.append(path, [rec.make_row(task.name, task.args, task.space.get(3).to_json(),
                                   MeasureResult((1.0,), ErrorKind.NONE, timestamp=1.0))])  # slower than Ansor's
    tasks = ansor.extract_tasks(mod)
    ansor.TaskScheduler(tasks, seed=0, batch_size=4).tune(4, records=path, verbose=False)
    xv = rng.normal(size=(8, 64)).astype("float32")
    ansor_key = tasks[0][0].key
    assert {r["task"]["key"] for r in rec.load(path)} > {ansor_key}  # both tools' rows
    assert wb.compile(mod, records=path).steps[0].task == ansor_key   # Ansor's is chosen first
    check = check_in_model(mod, path, {"x": xv}, rounds=1, repeat=2, margin=-1.0)
    assert len(check.tasks) == 2 and len(check.dropped) == 2, check
    exe = wb.compile(mod, records=check.records)
    assert exe.tuned_kernels == 0
    np.testing.assert_allclose(exe.run(x=xv), run(mod, x=xv), rtol=1e-4, atol=1e-5)
