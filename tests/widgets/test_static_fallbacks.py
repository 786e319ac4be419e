"""What the widgets leave in a saved notebook: the live widget view, and beside it a static
fallback (the extension's tuning payload, an SVG, a summary) that ``saved_bundle`` keeps."""
import numpy as np

from workbench.tune.callbacks import History
from workbench.viz import saved_bundle
from workbench.viz.display import WIDGET_MIME
from workbench.viz.mime import TUNING_MIME
from workbench.widgets import TunerComparison, TuningMonitor


def history(seed, predictions=True):
    rng = np.random.default_rng(seed)
    h = History()
    for b in range(3):
        g = rng.uniform(1, 20, 4).tolist()
        h.add_batch(list(range(4 * b, 4 * b + 4)), g, ["ok", "ok", "ok", "build"], g if predictions else None)
    return h


def test_monitor_carries_its_chart_as_it_is_when_displayed():
    mon = TuningMonitor(History(), title="live")
    live = mon.widget._repr_mimebundle_()
    assert WIDGET_MIME in live and saved_bundle(live) == {}  # nothing tuned yet: the saved output is left out
    mon = TuningMonitor(history(0), title="recorded run")
    b = mon.widget._repr_mimebundle_()
    assert WIDGET_MIME in b and b["image/svg+xml"].startswith("<svg")
    series = b[TUNING_MIME]["series"]
    assert b[TUNING_MIME]["title"] == "recorded run" and len(series) == 1 and len(series[0]["trials"]) == 12
    assert [t["error"] for t in series[0]["trials"]].count("build") == 3
    assert "12 trials" in b["text/plain"]
    assert sorted(saved_bundle(b)) == sorted([TUNING_MIME, "image/svg+xml", "text/plain"])


def test_replay_fallback_is_the_whole_recorded_run(matmul_records):
    path = matmul_records(8)
    mon = TuningMonitor(path, title="replay")
    s = mon.static_bundle()[TUNING_MIME]["series"][0]  # displayed before replay(): the whole run
    assert s["tuner"] == "recorded" and [t["config"]["index"] for t in s["trials"]] == list(range(8))


def test_comparison_carries_every_tuner():
    cmp = TunerComparison({"random": history(1, predictions=False), "xgb": history(2)}, title="two tuners")
    b = cmp.widget._repr_mimebundle_()
    assert [s["tuner"] for s in b[TUNING_MIME]["series"]] == ["random", "xgb"]
    lines = b["text/plain"].splitlines()
    assert lines[0] == "two tuners" and lines[2].split()[:2] == ["random", "12"] and lines[3].split()[-1] == "1.00"
    assert saved_bundle(b) == {TUNING_MIME: b[TUNING_MIME], "text/plain": b["text/plain"]}
