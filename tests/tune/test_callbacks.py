"""Callbacks: log to file, progress bar, history (pure: results are made by hand, nothing is compiled)."""
import io
import json

import pytest

from workbench.tune import ErrorKind, History, MeasureResult, callbacks, log_to_file, progress_bar, records

FLOP = 2.0 * 64**3


class Task:
    name, args, flop = "matmul", (64, 64, 64), FLOP
    key = records.task_key("matmul", (64, 64, 64))


class Config:
    def __init__(self, index):
        self.index = index

    def to_json(self):
        return {"index": self.index, "knobs": {"tile_i": [4, 16]}}


class Tuner:
    task = Task
    last_predictions = None


def ok(seconds, stamp):
    return MeasureResult((seconds, seconds), ErrorKind.NONE, "", 0.05, stamp)


def failed(kind, stamp):
    return MeasureResult((), kind, "boom", 0.05, stamp)


BATCHES = [
    ([0, 1, 2], [ok(FLOP / 10e9, 100.0), failed(ErrorKind.TIMEOUT, 100.0), ok(FLOP / 20e9, 100.0)], [0.5, 0.1, 0.9]),
    ([5, 6], [failed(ErrorKind.WRONG_RESULT, 200.0), ok(FLOP / 15e9, 200.0)], None),
]


def run(cbs):
    tuner = Tuner()
    for indices, results, preds in BATCHES:
        tuner.last_predictions = preds
        for cb in cbs:
            cb(tuner, [(Task, Config(i)) for i in indices], results)


def test_history_keeps_each_batch():
    h = History()
    run([h])
    assert h.n_trials == 5 and len(h.batches) == 2
    b0, b1 = h.batches
    assert b0["trials"] == [0, 1, 2] and b1["trials"] == [3, 4]
    assert b0["configs"] == [0, 1, 2] and b1["configs"] == [5, 6]
    assert b0["gflops"] == pytest.approx([10.0, 0.0, 20.0]) and b1["gflops"] == pytest.approx([0.0, 15.0])
    assert b0["errors"] == ["ok", "timeout", "ok"] and b1["errors"] == ["wrong", "ok"]
    assert b0["predicted"] == [0.5, 0.1, 0.9] and b1["predicted"] is None
    assert b0["best_gflops"] == pytest.approx(20.0) and h.best_gflops == pytest.approx(20.0)
    assert h.best_curve() == pytest.approx([10.0, 10.0, 20.0, 20.0, 20.0])
    assert "5 trials" in repr(h)


def test_history_json_round_trip():
    h = History()
    run([h])
    d = json.loads(json.dumps(h.to_json()))
    again = History.from_json(d)
    assert again.to_json() == h.to_json()
    with pytest.raises(ValueError):
        History.from_json({"version": 2})


def test_log_to_file_and_history_from_records(tmp_path):
    path = tmp_path / "mm.jsonl"
    live = History()
    run([log_to_file(path), live])
    rows = list(records.load(path))
    assert len(rows) == 5 and path.read_text().count("\n") == 5
    assert rows[0]["task"] == {"name": "matmul", "args": [64, 64, 64], "key": Task.key, "flop": Task.flop}
    assert rows[0]["config"] == {"index": 0, "knobs": {"tile_i": [4, 16]}}
    assert [r["result"]["error"] for r in rows] == ["ok", "timeout", "ok", "wrong", "ok"]
    assert rows[0]["tool"] == "autotvm" and rows[0]["target"].startswith("llvm -mcpu=")
    replayed = History.from_records(path, flop=FLOP)
    assert [b["trials"] for b in replayed.batches] == [[0, 1, 2], [3, 4]]  # batches from the timestamps
    for a, b in zip(replayed.batches, live.batches):
        assert a["gflops"] == pytest.approx(b["gflops"]) and a["errors"] == b["errors"]
        assert a["predicted"] is None
    assert replayed.best_gflops == pytest.approx(20.0)


def test_log_to_file_for_ansor(tmp_path):
    path = tmp_path / "a.jsonl"
    log_to_file(path, tool="ansor")(Tuner(), [(Task, {"index": 3, "steps": []})], [ok(1e-3, 1.0)])
    (r,) = records.load(path)
    assert r["tool"] == "ansor" and r["config"] == {"index": 3, "steps": []}


def test_progress_bar_draws_on_one_line():
    out = io.StringIO()
    run([progress_bar(5, prefix="matmul", width=10, stream=out)])
    text = out.getvalue()
    frames = text.split("\r")[1:]
    assert len(frames) == 2
    assert frames[0].startswith("matmul [######----] 3/5") and "best   20.00 GFLOPS" in frames[0]
    assert "errors 1" in frames[0] and not frames[0].endswith("\n")
    assert frames[1].startswith("matmul [##########] 5/5") and "errors 2" in frames[1] and frames[1].endswith("\n")


def test_progress_bar_defaults_to_stdout(capsys):
    cb = progress_bar(2)
    cb(Tuner(), [(Task, Config(0))], [ok(FLOP / 1e9, 0.0)])
    assert "[###############---------------] 1/2" in capsys.readouterr().out


def test_gflops_is_zero_on_error():
    assert callbacks._gflops(Task, failed(ErrorKind.BUILD_ERROR, 0.0)) == 0.0
    assert callbacks._gflops(Task, ok(FLOP / 4e9, 0.0)) == pytest.approx(4.0)
