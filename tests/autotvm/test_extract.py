"""Task extraction from a model and ``apply_history_best`` on its fused groups (compiled)."""
import warnings

import numpy as np
import pytest

import workbench as wb
from workbench import autotvm
from workbench.graph import Call, Function, Module, ops
from workbench.graph.functor import post_order
from workbench.graph.interpreter import eval_function
from workbench.graph.passes import optimize
from workbench.graph.to_te import default_schedule, group_to_te
from workbench.tune import records


def small_cnn(seed=0):
    """conv(3->8) relu, conv(8->8) relu twice (the same task), flatten, dense(-> 10) + bias."""
    rng = np.random.default_rng(seed)
    w = lambda *shape: ops.const(rng.normal(size=shape).astype("float32") * 0.2)
    x = ops.var("x", (1, 3, 16, 16))
    y = ops.nn.relu(ops.nn.conv2d(x, w(8, 3, 3, 3), padding=(1, 1, 1, 1)))
    for _ in range(2):
        y = ops.nn.relu(ops.add(ops.nn.conv2d(y, w(8, 8, 3, 3), padding=(1, 1, 1, 1)), w(8, 1, 1)))
    y = ops.reshape(y, newshape=(1, 8 * 16 * 16))
    y = ops.nn.bias_add(ops.nn.dense(y, w(10, 8 * 16 * 16)), w(10), axis=1)
    return Module(Function((x,), y))


EXPECTED = [("conv2d_nchw(1, 3, 16, 16, 8, 3, 3, 1, 1)", 1), ("conv2d_nchw(1, 8, 16, 16, 8, 3, 3, 1, 1)", 2),
            ("dense(1, 10, 2048)", 1)]


def test_extract_tasks_of_a_small_cnn():
    mod = small_cnn()
    tasks = autotvm.extract_tasks(mod)
    assert [(t.key, w) for t, w in tasks] == EXPECTED
    assert all(isinstance(t, autotvm.Task) and len(t.space) > 1 for t, _ in tasks)
    fused = optimize(mod)
    assert [(t.key, w) for t, w in autotvm.extract_tasks(fused)] == EXPECTED  # already fused: used as is


def ok_row(task, cfg, seconds=1e-3):
    return records.make_row(task.name, task.args, cfg.to_json(), {"costs": [seconds], "error": "ok"}, target="llvm")


def test_apply_history_best_schedules_tuned_groups(tmp_path):
    mod = small_cnn()
    tasks = [t for t, _ in autotvm.extract_tasks(mod)]
    conv8, dense = tasks[1], tasks[2]
    path = tmp_path / "cnn.jsonl"
    rng = np.random.default_rng(0)
    worse = conv8.space.get(conv8.space.random_index(rng))
    best_cfg = conv8.space.get(conv8.space.random_index(rng))
    records.append(path, [ok_row(conv8, worse, 2e-3), ok_row(conv8, best_cfg, 1e-3), ok_row(dense, dense.fallback)])
    best = autotvm.apply_history_best(str(path))
    assert len(best) == 2 and conv8.key in best and tasks[0].key not in best
    assert best.best_config(conv8) == best_cfg and best.best_config(tasks[0]) is None

    x = np.random.default_rng(1).normal(size=(1, 3, 16, 16)).astype("float32")
    tuned = 0
    fused = optimize(mod)
    env = {id(fused.main.params[0]): x}
    for n in post_order(fused.main.body):  # run the model group by group with the applied schedules
        if id(n) in env or not isinstance(n, Call):
            continue
        args = [env.get(id(a), getattr(a, "data", None)) for a in n.args]
        g = group_to_te(n.op)
        s = best.schedule_group(g)
        tuned += s is not None
        kernel = wb.build(s or default_schedule(g), g.inputs + g.outputs)
        out = np.zeros(g.outputs[0].shape, "float32")
        kernel(*args, out)
        np.testing.assert_allclose(out, eval_function(n.op, args), rtol=1e-4, atol=1e-4)
        env[id(n)] = out
    assert tuned == 3  # both conv(8->8) groups and the dense group; conv(3->8) keeps its default


def test_a_record_from_another_space_falls_back_with_a_warning(tmp_path):
    mod = small_cnn()
    conv3 = autotvm.extract_tasks(mod)[0][0]
    row = ok_row(conv3, conv3.fallback)
    row["config"] = {"index": 0, "knobs": {"tile_x": [1, 1]}}  # e.g. written by an older template
    best = autotvm.apply_history_best([row])
    fn = next(c.op for c in post_order(optimize(mod).main.body) if isinstance(c, Call))
    with pytest.warns(UserWarning, match="does not apply to group .* using the default schedule"):
        assert best.schedule_group(group_to_te(fn)) is None


def test_ansor_rows_and_failed_measurements_are_ignored():
    task = autotvm.task("dense", (1, 10, 2048))
    failed = records.make_row(task.name, task.args, task.fallback.to_json(), {"costs": [], "error": "build"},
                              target="llvm")
    ansor = dict(ok_row(task, task.fallback), tool="ansor", config={"steps": []})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(autotvm.apply_history_best([failed, ansor])) == 0
