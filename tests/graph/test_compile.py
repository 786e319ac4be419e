"""wb.compile: graph modules compiled to an Executable match the interpreter; memory is reused."""
import numpy as np
import pytest

import workbench as wb
from workbench.errors import RuntimeCallError
from workbench.graph import Function, Module, TensorType, Tuple, Var, call, const, run
from workbench.runtime.executable import Step
from workbench.runtime.memory_plan import SlotSpec, border_clears, border_segments, plan_memory


def chain(n=6, shape=(64, 33)):
    x = Var("x", TensorType(shape))
    y = x
    for k in range(n):
        y = call("nn.relu", call("add", y, const(np.full(shape, k - 2.5, "float32"))))
        y = call("exp", call("multiply", y, const(-0.5)))
    return Module(Function((x,), y))


def test_compiled_matches_interpreter():
    mod = chain()
    exe = wb.compile(mod)
    xv = np.random.default_rng(0).normal(size=(64, 33)).astype("float32")
    np.testing.assert_allclose(exe.run(x=xv), run(mod, x=xv), rtol=1e-5)


def test_tuple_outputs_and_input_errors():
    x = Var("x", TensorType((5,)))
    mod = Module(Function((x,), Tuple((call("exp", x), call("nn.relu", x)))))
    exe = wb.compile(mod)
    xv = np.linspace(-1, 1, 5).astype("float32")
    a, b = exe.run(x=xv)
    np.testing.assert_allclose(a, np.exp(xv), rtol=1e-6)
    np.testing.assert_allclose(b, np.maximum(xv, 0))
    with pytest.raises(RuntimeCallError, match=r"input 'x' must be float32\[5\], got float64\[5\]"):
        exe.run(x=xv.astype("float64"))
    with pytest.raises(RuntimeCallError, match="missing input 'x'"):
        exe.run()


def test_memory_plan_reuses_dead_buffers():
    slots = [SlotSpec((100,), "float32", "input")] + [SlotSpec((100,), "float32", "temp") for _ in range(5)]
    steps = [Step(f"s{k}", None, (k,), (k + 1,)) for k in range(5)]
    storage_of, sizes = plan_memory(slots, steps)
    assert len(sizes) == 2  # a chain needs two buffers, ping-pong
    for k in range(1, 5):
        assert storage_of[k] != storage_of[k + 1]  # a step never writes where it reads


def test_memory_plan_shares_storages_and_zeroes_borders_where_needed():
    """Bordered values share storages with any value; a border is zeroed again before a bordered value is
    written where a plain value (or one of another bordered shape) was; a view keeps its value alive."""
    slots = [SlotSpec((1, 1, 4, 4, 16), "float32", "input"),
             SlotSpec((1, 1, 4, 4, 16), "float32", "temp", border=(1, 1, 1, 1)),   # 1: bordered
             SlotSpec((1, 1, 6, 6, 16), "float32", "temp", view_of=1),             # 2: its view
             SlotSpec((1, 1, 4, 4, 16), "float32", "temp"),                        # 3: plain
             SlotSpec((1, 1, 4, 4, 16), "float32", "temp", border=(1, 1, 1, 1)),   # 4: bordered again
             SlotSpec((1, 1, 4, 4, 16), "float32", "temp"),                        # 5: plain
             SlotSpec((1, 1, 4, 4, 16), "float32", "temp", border=(1, 1, 1, 1))]   # 6: bordered
    steps = [Step("a", None, (0,), (1,)), Step("b", None, (0,), (3,)), Step("c", None, (2, 3), (4,)),
             Step("d", None, (4,), (5,)), Step("e", None, (5,), (6,))]
    storage_of, sizes = plan_memory(slots, steps)
    assert storage_of[2] == storage_of[1]
    assert storage_of[3] != storage_of[1]  # 1 is alive (through its view) when 3 is written
    assert storage_of[4] not in (storage_of[1], storage_of[3])  # 1 and 3 are read by the step writing 4
    assert storage_of[5] in (storage_of[1], storage_of[3])  # a plain value reuses a dead storage
    assert sizes[storage_of[1]] >= 6 * 6 * 16 * 4
    assert border_clears(slots, steps, storage_of) == {}  # 6 goes where a value of its bordered shape was
    spec = slots[1]
    assert spec.stored_shape == (1, 1, 6, 6, 16) and spec.strides == (576, 576, 96, 16, 1)
    assert spec.offset_bytes == (96 + 16) * 4
    covered = np.zeros(6 * 6 * 16 * 4, bool)
    for start, n in border_segments(spec):
        covered[start:start + n] = True
    inside = np.zeros((1, 1, 6, 6, 16 * 4), bool)
    inside[:, :, 1:5, 1:5] = True
    assert (covered == ~inside.ravel()).all()  # the runs are exactly the border


def test_borders_are_zeroed_after_a_plain_value_or_another_bordered_shape():
    plain = SlotSpec((1, 1, 4, 4), "float32", "temp")
    a = SlotSpec((1, 1, 4, 4), "float32", "temp", border=(1, 1, 1, 1))
    b = SlotSpec((1, 1, 4, 4), "float32", "temp", border=(0, 1, 2, 0))
    slots = [SlotSpec((1,), "float32", "input"), plain, a, a, b, a]
    storage_of = {1: 0, 2: 0, 3: 0, 4: 0, 5: 1}
    steps = [Step(f"s{k}", None, (0,), (k + 1,)) for k in range(5)]
    assert border_clears(slots, steps, storage_of) == {1: [2], 3: [4]}
    # the next run starts where this one ended: a bordered value first in a storage a plain one ends in
    assert border_clears([slots[0], a, plain], steps[:2], {1: 0, 2: 0}) == {0: [1]}


def test_profile_lists_every_kernel():
    exe = wb.compile(chain(2))
    prof = exe.profile(repeat=3, x=np.zeros((64, 33), "float32"))
    assert len(prof.rows) == len(exe.steps) and abs(sum(r.share for r in prof.rows) - 1) < 1e-6
    assert "total" in repr(prof)


def _record(path, task, config):
    from workbench.tune import records
    from workbench.tune.measure import ErrorKind, MeasureResult
    records.append(path, [records.make_row(task.name, task.args, config.to_json(),
                                           MeasureResult((1e-3,), ErrorKind.NONE, timestamp=1.0))])


def test_compile_with_records_uses_the_tuned_config(tmp_path):
    from workbench import autotvm
    from workbench.graph import ops
    rng = np.random.default_rng(0)
    x = ops.var("x", (8, 64))
    w = ops.const(rng.normal(size=(32, 64)).astype("float32"), name="w")
    mod = Module(Function((x,), ops.nn.relu(ops.nn.dense(x, w))))
    ((task, weight),) = autotvm.extract_tasks(mod)
    assert task.name == "dense" and weight == 1
    config = task.space.get(len(task.space) // 3)
    _record(tmp_path / "t.jsonl", task, config)
    exe = wb.compile(mod, records=tmp_path / "t.jsonl")
    assert exe.tuned_kernels == 1
    xv = rng.normal(size=(8, 64)).astype("float32")
    np.testing.assert_allclose(exe.run(x=xv), run(mod, x=xv), rtol=1e-4, atol=1e-5)
    assert wb.compile(mod).tuned_kernels == 0


def test_build_a_task_with_records(tmp_path):
    from workbench import autotvm
    from workbench.errors import CodegenError
    task = autotvm.task("matmul", (32, 48, 16))
    config = task.space.get(7)
    _record(tmp_path / "t.jsonl", task, config)
    k = wb.build(task, records=tmp_path / "t.jsonl")
    a, b = np.random.rand(32, 16).astype("float32"), np.random.rand(16, 48).astype("float32")
    c = np.zeros((32, 48), "float32")
    k(a, b, c)
    np.testing.assert_allclose(c, a @ b, rtol=1e-5)
    assert str(k.func) == str(wb.lower(*task.instantiate(config)))
    with pytest.raises(CodegenError, match="records= applies to an autotvm task"):
        s, args = task.instantiate(task.fallback)
        wb.build(s, args, records=tmp_path / "t.jsonl")


def test_compile_argument_errors():
    from workbench.errors import CodegenError
    x = Var("x", TensorType((3,)))
    fn = Function((x,), call("nn.relu", x))
    assert wb.compile(fn).run(x=np.array([-1, 0, 1], "float32")).tolist() == [0, 0, 1]  # a Function is fine
    with pytest.raises(CodegenError, match="unknown target 'cuda'"):
        wb.compile(fn, target="cuda")
    with pytest.raises(CodegenError, match="expected a graph Module"):
        wb.compile("model.onnx")
