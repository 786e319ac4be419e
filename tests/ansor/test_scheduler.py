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
    assert len(m.calls) == 12 + 4 * 3    # then the best 4 measured again in 3 rounds
    again = AnsorTuner(task, seed=1, population=16)
    h2 = again.tune(16, measurer=m, batch_size=4, records=path, confirm=0)
    assert again.trial == 16 and len(m.calls) == 24 + 4   # 12 resumed from the file (not their confirmations)
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


class LuckyMeasurer(FakeMeasurer):
    """The first timing of each program is lucky by up to 50% (a fixed factor per program), the later ones exact."""

    def __init__(self, base: dict):
        super().__init__(base)
        self.seen = set()

    def measure(self, funcs, ref):
        out = super().measure(funcs, ref)
        for k, f in enumerate(funcs):
            if str(f) not in self.seen:
                self.seen.add(str(f))
                luck = 0.5 + 0.5 * (zlib.crc32(("luck" + str(f)).encode()) % 1000) / 1000
                out[k] = MeasureResult((out[k].costs[0] * luck,), ErrorKind.NONE)
        return out

    def exact(self, f) -> float:
        return self.base[f.name] * (1 + 3 * (zlib.crc32(str(f).encode()) % 1000) / 1000)


def test_ansor_confirms_its_winner_by_medians_not_by_a_lucky_timing(tmp_path):
    from workbench.ansor import apply_history_best
    from workbench.tune import records
    task, path = SearchTask("big", *dags.matmul(64, 64, 64)), str(tmp_path / "t.jsonl")
    m = LuckyMeasurer({"big": 1e-3})
    tuner = AnsorTuner(task, seed=0, population=16)
    hist = tuner.tune(24, measurer=m, batch_size=8, records=path)
    c = tuner.confirmation
    assert len(c.configs) == 4 and all(len(ts) == 3 for ts in c.seconds)
    exact = [m.exact(tuner.search.lowered(p)[0]) for p in c.configs]
    truly_best = c.configs[exact.index(min(exact))]
    luckiest = max(tuner.measured, key=tuner.measured.get)
    assert luckiest == c.configs[0].key() != truly_best.key()   # the lucky timing would have won
    assert tuner.best_program is truly_best and tuner.best_seconds == pytest.approx(min(exact))
    assert hist.confirmed_gflops == pytest.approx(tuner.best_gflops)
    rows = list(records.load(path))
    assert len(records.trials(rows)) == 24 and len(rows) == 24 + 12
    (row,) = apply_history_best(path).rows.values()                 # what a compile replays
    assert task.program(row["config"]).key() == truly_best.key()


def test_the_scheduler_confirms_every_task_it_tuned():
    big, small = two_tasks()
    m = LuckyMeasurer({"big": 1e-3, "small": 1e-6})
    sched = TaskScheduler([(big, 4), (small, 1)], batch_size=4, population=16, seed=0)
    sched.tune(32, measurer=m, verbose=False)
    for tuner, hist in zip(sched.tuners, sched.histories):
        c = tuner.confirmation
        exact = [m.exact(tuner.search.lowered(p)[0]) for p in c.configs]
        assert tuner.best_program is c.configs[exact.index(min(exact))] and hist.confirmed is not None
    assert sum(sched.trials()) == 32   # confirmations are not trials
    with pytest.raises(TuningError, match="confirm_rounds"):
        TaskScheduler([big]).tune(8, measurer=m, confirm_rounds=0)


def test_a_resumed_scheduler_with_no_new_trials_confirms_nothing_and_says_nothing_of_it(tmp_path, capsys):
    big, small = two_tasks()
    path, m = str(tmp_path / "t.jsonl"), FakeMeasurer({"big": 1e-3, "small": 1e-6})
    TaskScheduler([(big, 4), (small, 1)], batch_size=4, population=16, seed=0).tune(16, measurer=m, records=path)
    assert "confirmed the best 4 of each of 2 tuned tasks in 3 rounds" in capsys.readouterr().out
    calls = len(m.calls)
    again = TaskScheduler([(big, 4), (small, 1)], batch_size=4, population=16, seed=0)
    again.tune(16, measurer=m, records=path)
    assert len(m.calls) == calls and all(t.confirmation is None for t in again.tuners)
    assert "confirmed" not in capsys.readouterr().out
