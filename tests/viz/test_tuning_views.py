"""Tuning views: plotly figures from histories and records files, with the numbers they plot
checked against the history (best-so-far, errors, rank correlation against scipy)."""
import json

import numpy as np
import pytest

from workbench.errors import TypeCheckError, WorkbenchError
from workbench.tune import records
from workbench.tune.callbacks import History
from workbench.viz import (best_curve_figure, histories_from_records, history_svg, prediction_figure, spearman,
                           task_progress_figure, trials_figure, tuning_figure)

from viewcheck import parse_xml


def history(seed=0, n=40, with_predictions=True):
    rng = np.random.default_rng(seed)
    h = History()
    for b in range(n // 8):
        g = rng.uniform(1, 50, 8)
        errors = ["ok"] * 8
        errors[b % 8] = "timeout"
        g[b % 8] = 0.0
        pred = (g + rng.normal(0, 5, 8)).tolist() if with_predictions else None
        h.add_batch(list(range(b * 8, b * 8 + 8)), g.tolist(), errors, pred)
    return h


def write_records(path, key_args=(32, 32, 32), n=16, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for k in range(n):
        ok = k % 5 != 3
        cost = float(rng.uniform(1e-5, 1e-4))
        res = {"costs": [cost] if ok else [], "error": "ok" if ok else "build", "error_msg": "",
               "build_seconds": 0.1, "timestamp": float(k // 4)}
        rows.append(records.make_row("matmul", key_args, {"index": k, "knobs": {}}, res, target="llvm"))
    records.append(path, rows)


def test_best_curve_is_the_running_maximum():
    h = history()
    fig = best_curve_figure({"xgb": h, "random": history(1)})
    assert [t.name for t in fig.data] == ["xgb", "random"]
    g = [x for b in h.batches for x in b["gflops"]]
    assert list(fig.data[0].y) == list(np.maximum.accumulate(g))
    json.dumps(fig.to_plotly_json(), default=str)  # serializable, as a notebook saves it


def test_every_trial_is_a_point_and_errors_are_marked():
    h = history()
    fig = trials_figure(h)
    measured, failed, best = fig.data
    assert len(measured.x) + len(failed.x) == h.n_trials == 40
    assert len(failed.x) == 5 and set(failed.text) == {"timeout"} and set(failed.y) == {0.0}
    assert failed.marker.symbol == "x"


def test_a_confirmed_run_shows_each_candidates_rounds_and_marks_the_winner():
    h = history()
    h.add_confirmation([7, 3, 12], [[48.0, 40.0, 44.0], [47.0, 49.0, 0.0], [30.0, 31.0, 29.0]])
    fig = trials_figure(h)
    conf = fig.data[-1]
    assert conf.name == "confirmed: median of rounds" and list(conf.x) == [42, 43, 44]   # right of the 40 trials
    assert list(conf.y) == [44.0, 49.0, 30.0]   # a failed round (0) does not count; two: the lower median time
    assert list(conf.error_y.array) == [4.0, 0.0, 1.0] and list(conf.error_y.arrayminus) == [4.0, 2.0, 1.0]
    assert list(conf.marker.symbol) == ["circle", "star", "circle"]
    curves = best_curve_figure({"xgb": h, "random": history(1)})
    assert [t.name for t in curves.data] == ["xgb", "xgb: confirmed", "random"]
    assert list(curves.data[1].y) == [49.0] and curves.data[1].x[0] > 40
    assert len(trials_figure(history()).data) == 3             # no confirmation, no extra trace


def test_spearman_against_scipy():
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(3)
    for _ in range(20):
        a = rng.integers(0, 6, 15).astype(float)  # ties included
        b = a + rng.normal(0, 2, 15)
        assert spearman(a, b) == pytest.approx(stats.spearmanr(a, b).statistic)
    assert np.isnan(spearman([1, 1, 1], [1, 2, 3]))


def test_prediction_figure_reports_rank_correlation():
    h = history()
    fig = prediction_figure(h)
    x, y = np.array(fig.data[0].x), np.array(fig.data[0].y)
    assert len(x) == 35  # successful trials only
    assert f"{spearman(x, y):.2f}" in fig.layout.title.text
    assert "no predictions yet" in prediction_figure(history(with_predictions=False)).layout.title.text


def test_records_file_gives_per_task_histories(tmp_path):
    path = tmp_path / "two.jsonl"
    write_records(path, (32, 32, 32))
    write_records(path, (64, 32, 16), seed=1)
    hs = histories_from_records(path)
    assert list(hs) == ["matmul(32, 32, 32)", "matmul(64, 32, 16)"]
    h = hs["matmul(32, 32, 32)"]
    assert h.n_trials == 16 and len(h.batches) == 4  # rows measured together share a timestamp
    rows = [r for r in records.load(path) if r["task"]["key"] == "matmul(32, 32, 32)"]
    best = max(2 * 32**3 / r["result"]["costs"][0] / 1e9 for r in rows if r["result"]["error"] == "ok")
    assert h.best_gflops == pytest.approx(best)
    fig = task_progress_figure(path)
    assert [t.name for t in fig.data[:2]] == list(hs) and list(fig.data[2].x) == [16, 16]
    fig2 = task_progress_figure({"a": history(), "b": history(2)})
    assert len(fig2.data) == 3


def test_tuning_figure_and_svg():
    h = history()
    fig = tuning_figure(h)
    assert len(fig.data) == 4 and "ρ" in fig.layout.annotations[1].text
    svg = history_svg(h)
    parse_xml(svg)
    assert svg.count("<circle") == 35 and f"best {h.best_gflops:.2f} GFLOPS" in svg


def test_bad_sources():
    with pytest.raises(TypeCheckError, match="tune.History"):
        trials_figure(42)
    with pytest.raises(WorkbenchError, match="does not exist"):
        best_curve_figure("/nonexistent/records.jsonl")


RECORDS_DIR = __import__("pathlib").Path(__file__).resolve().parents[2] / "datasets" / "records"
RECORDED = sorted(RECORDS_DIR.glob("matmul_512_*.jsonl")) + sorted(RECORDS_DIR.glob("resnet18_*.jsonl"))


@pytest.mark.parametrize("path", RECORDED, ids=[p.name for p in RECORDED])
def test_recorded_logs_replay(path):
    """The logs the notebooks replay load cleanly, and their figures show what the rows say."""
    hs = histories_from_records(path)
    assert hs
    for key, h in hs.items():
        rows = [r for r in records.load(path) if r["task"]["key"] == key]
        assert h.n_trials == len(rows) and h.best_gflops > 0
        ok = [r for r in rows if r["result"]["error"] == "ok"]
        assert sum(1 for b in h.batches for e in b["errors"] if e == "ok") == len(ok)
    fig = task_progress_figure(hs) if len(hs) > 1 else best_curve_figure(hs)
    assert len(fig.data) >= len(hs)
