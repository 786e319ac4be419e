"""TuningMonitor and TunerComparison driven from Python: live updates per batch, stop, replay
of a records file; the comparison's table against the histories."""
import math

import numpy as np
import pytest

from workbench import autotvm, tune
from workbench.errors import TuningError
from workbench.tune.callbacks import History
from workbench.viz import spearman
from workbench.widgets import TunerComparison, TuningMonitor


def fake_history(seed, n_batches=4, predictions=True):
    rng = np.random.default_rng(seed)
    h = History()
    for b in range(n_batches):
        g = rng.uniform(1, 20, 8).tolist()
        h.add_batch(list(range(8 * b, 8 * b + 8)), g, ["ok"] * 8,
                    (np.array(g) + rng.normal(0, 3, 8)).tolist() if predictions else None)
    return h


class FakeTuner:
    """Stands in for a Tuner: calls the callbacks with one batch per step, as Tuner.tune does."""

    def __init__(self, batches=5):
        self.task = autotvm.task("matmul", (16, 16, 16))
        self.batches = batches
        self.last_predictions = None

    def tune(self, n_trial, callbacks=(), **_):
        from workbench.tune.measure import ErrorKind, MeasureResult
        for b in range(min(self.batches, n_trial // 4)):
            inputs = [(self.task, self.task.config(k)) for k in range(4 * b, 4 * b + 4)]
            results = [MeasureResult((1e-5 * (b + 1),), ErrorKind.NONE if k % 4 else ErrorKind.BUILD_ERROR)
                       for k in range(4)]
            for cb in callbacks:
                cb(self, inputs, results)


def test_monitor_updates_per_batch_and_stops():
    mon = TuningMonitor(FakeTuner())
    counts = []
    h = mon.run(20, callbacks=[lambda t, i, r: counts.append(len(mon.figure.data[2].y))])
    assert h.n_trials == 20 and counts == [0, 4, 8, 12, 16]  # the user's callback runs before the monitor's
    assert len(mon.figure.data[0].x) == 15 and len(mon.figure.data[1].x) == 5  # 1 build error per batch
    assert "done: 20 trials" in mon._status.value and "5 failed" in mon._stats.value
    mon2 = TuningMonitor(FakeTuner())
    mon2.run(20, callbacks=[lambda t, i, r: mon2._stop.click() if len(r) and mon2.history.n_trials >= 4 else None])
    assert mon2.history.n_trials == 8 and "stopped after 8 trials" in mon2._status.value


def test_monitor_in_a_thread_with_the_stop_button():
    import time
    mon = TuningMonitor(FakeTuner(batches=100000))
    thread = mon.start(400000)
    while mon.history.n_trials == 0:  # the notebook stays free while the tuner runs
        time.sleep(0.01)
    mon._stop.click()
    thread.join(timeout=30)
    assert not thread.is_alive() and mon.error is None
    assert 0 < mon.history.n_trials < 400000 and "stopped after" in mon._status.value


def test_replay_of_a_records_file(matmul_records):
    path = matmul_records(12)
    mon = TuningMonitor(path)
    full = list(mon.figure.data[2].y)
    h = mon.replay()
    assert h.n_trials == 12 and len(h.batches) == 3 and list(mon.figure.data[2].y) == full
    assert h.best_gflops == pytest.approx(2 * 16**3 / 1e-5 / 1e9)
    with pytest.raises(TuningError, match="give it a tuner"):
        mon.run(4)


def test_comparison_table_and_charts():
    hs = {"random": fake_history(0, predictions=False), "xgb": fake_history(1)}
    cmp = TunerComparison(hs)
    rows = cmp.table()
    assert [r[0] for r in rows] == ["random", "xgb"]
    assert rows[1][2] == hs["xgb"].best_gflops and math.isnan(rows[0][3])
    g = [x for b in hs["xgb"].batches for x in b["gflops"]]
    p = [x for b in hs["xgb"].batches for x in b["predicted"]]
    assert rows[1][3] == pytest.approx(spearman(p, g))
    assert list(cmp.accuracy) == ["xgb"] and [t.name for t in cmp.figure.data] == ["random", "xgb"]
    with pytest.raises(TuningError, match="mapping"):
        TunerComparison([])


@pytest.mark.slow
def test_monitor_with_a_real_tuner():
    task = autotvm.task("matmul", (32, 32, 32))
    with tune.Measurer(timeout=10) as m:
        mon = TuningMonitor(autotvm.XGBTuner(task, seed=0))
        h = mon.run(16, measurer=m, batch_size=8)
    assert h.n_trials == 16 and h.best_gflops > 0 and len(mon.figure.data[2].y) == 16
