"""The task scheduler spends trials where latency is, and the tuner loop's bookkeeping."""
import math
import random
import zlib

import pytest

from workbench.ansor import AnsorTuner, SearchTask, TaskScheduler
from workbench.errors import TuningError
from workbench.tune import History
from workbench.tune.measure import ErrorKind, MeasureResult

from . import dags


class FakeMeasurer:
    """Deterministic 'timings': each task has a base latency, each program a factor in [1, 4)."""

    def __init__(self, base: dict):
        self.base = base
        self.calls = []

    def measure(self, funcs, ref):
        out = []
        for f in funcs:
            self.calls.append(f.name)
            factor = 1 + 3 * (zlib.crc32(str(f).encode()) % 1000) / 1000
            out.append(MeasureResult((self.base[f.name] * factor,), ErrorKind.NONE))
        return out


def two_tasks():
    big = SearchTask("big", *dags.matmul(64, 64, 64))
    small = SearchTask("small", *dags.elementwise_chain(8, 16))
    return big, small


def test_gradient_strategy_gives_more_trials_to_the_dominant_task():
    big, small = two_tasks()
    sched = TaskScheduler([(big, 4), (small, 1)], strategy="gradient", batch_size=4, population=16, seed=0)
    sched.tune(48, measurer=FakeMeasurer({"big": 1e-3, "small": 1e-6}), verbose=False)
    t_big, t_small = sched.trials()
    assert t_big + t_small == 48 and t_big > 2 * t_small
    assert math.isfinite(sched.estimated_latency())
    table = sched.table()
    assert "big" in table and "estimated end-to-end latency" in table


def test_round_robin_alternates():
    big, small = two_tasks()
    sched = TaskScheduler([big, small], strategy="round-robin", batch_size=4, population=16)
    sched.tune(32, measurer=FakeMeasurer({"big": 1e-3, "small": 1e-6}), verbose=False)
    assert sched.trials() == [16, 16] and sched.order[:4] == [0, 1, 0, 1]


def test_scheduler_rejects_bad_input():
    with pytest.raises(TuningError, match="strategy"):
        TaskScheduler([two_tasks()[0]], strategy="greedy")
    with pytest.raises(TuningError, match="extract_tasks"):
        TaskScheduler([])


def test_tuner_records_and_resumes(tmp_path):
    task = SearchTask("small", *dags.elementwise_chain(8, 16))
    path = str(tmp_path / "t.jsonl")
    m = FakeMeasurer({"small": 1e-5})
    h = AnsorTuner(task, seed=0, population=16).tune(12, measurer=m, batch_size=4, records=path)
    assert isinstance(h, History) and h.n_trials == 12
    again = AnsorTuner(task, seed=1, population=16)
    h2 = again.tune(16, measurer=m, batch_size=4, records=path)
    assert again.trial == 16 and len(m.calls) == 16   # 12 resumed from the file, 4 measured
    assert h2.n_trials == 16


def test_history_from_ansor_records_needs_no_flop_argument(tmp_path):
    task = SearchTask("small", *dags.elementwise_chain(8, 16))
    path = str(tmp_path / "t.jsonl")
    h = AnsorTuner(task, seed=0, population=16).tune(8, measurer=FakeMeasurer({"small": 1e-5}), batch_size=4,
                                                     records=path)
    again = History.from_records(path)
    assert again.n_trials == 8 and abs(again.best_gflops - h.best_gflops) < 1e-6 * max(1.0, h.best_gflops)


def test_a_model_task_measures_its_default_schedule_first(tmp_path):
    from workbench import ansor
    from workbench.graph import Function, Module, ops
    from workbench.graph.passes import optimize
    from workbench.graph.to_te import default_schedule, group_to_te
    x = ops.var("x", (8, 32))
    mod = Module(Function((x,), ops.nn.relu(ops.add(ops.multiply(x, x), x))))
    (task, _), = ansor.extract_tasks(mod)
    assert task.baseline is not None
    path = str(tmp_path / "m.jsonl")
    m = FakeMeasurer({task.name: 1e-5})
    tuner = AnsorTuner(task, seed=0, population=16)
    tuner.tune(4, measurer=m, batch_size=4, records=path)
    from workbench.tune import records
    rows = list(records.load(path))
    assert rows[0]["config"]["sketch"] == -1 and rows[0]["config"]["baseline"]
    assert "baseline" in tuner.measured
    base = task.program(rows[0]["config"])          # replays to the group's default schedule
    assert str(base.apply().trace) == str(task.baseline().trace)
