"""Records: JSON lines, append-only, torn and corrupt lines skipped with a warning (pure, no codegen)."""
import json
import os
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.tune import records
from workbench.tune.records import RecordsWarning


def result(cost=None, error="ok", stamp=0.0):
    costs = [cost, cost] if cost is not None else []
    return {"costs": costs, "error": error if cost is not None or error != "ok" else "build",
            "error_msg": "" if cost is not None else "failed", "build_seconds": 0.01, "timestamp": stamp}


def row(index, cost=None, name="matmul", args=(64, 64, 64), error="ok"):
    return records.make_row(name, args, {"index": index, "knobs": {"tile": [4, 16]}}, result(cost, error),
                            target="llvm -mcpu=test")


def load_quiet(path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rows = list(records.load(path))
    return rows, [w for w in caught if issubclass(w.category, RecordsWarning)]


def test_task_key_is_canonical_and_survives_json():
    assert records.task_key("dense", (1024, 1024, 1024)) == "dense(1024, 1024, 1024)"
    args = (1, 64, 56, 56, 64, 3, 3, (1, 1), (1, 1), "float32", 0.5, True, None)
    key = records.task_key("conv2d_nchw", args)
    assert key == records.task_key("conv2d_nchw", json.loads(json.dumps(args)))
    assert key == 'conv2d_nchw(1, 64, 56, 56, 64, 3, 3, [1, 1], [1, 1], "float32", 0.5, True, None)'
    import numpy as np
    assert records.task_key("d", (np.int64(8),)) == "d(8)"
    with pytest.raises(TypeError):
        records.task_key("d", (object(),))


def test_row_layout():
    r = row(3, 0.01)
    assert set(r) == {"version", "tool", "task", "config", "result", "target"}
    assert r["version"] == 1 and r["tool"] == "autotvm"
    assert r["task"] == {"name": "matmul", "args": [64, 64, 64], "key": "matmul(64, 64, 64)"}
    assert records.make_row("m", (1,), {}, result(1.0))["target"].startswith("llvm -mcpu=")
    with pytest.raises(ValueError):
        records.make_row("m", (1,), {}, result(1.0), tool="tvm")


def test_append_and_load_round_trip(tmp_path):
    path = tmp_path / "sub" / "log.jsonl"
    batch1 = [row(0, 0.02), row(1)]
    batch2 = [row(2, 0.01, name="dense")]
    records.append(path, batch1)
    records.append(path, batch2)
    records.append(path, [])
    text = path.read_text()
    assert text.count("\n") == 3 and text.endswith("\n")
    rows, warned = load_quiet(path)
    assert rows == batch1 + batch2 and not warned
    assert records.result_of(rows[0]).ok and not records.result_of(rows[1]).ok


def test_missing_file_loads_as_empty(tmp_path):
    assert list(records.load(tmp_path / "nope.jsonl")) == []
    assert records.measured_configs(tmp_path / "nope.jsonl", "k") == set()


def test_append_refuses_non_json_and_leaves_the_file_alone(tmp_path):
    path = tmp_path / "log.jsonl"
    records.append(path, [row(0, 0.5)])
    before = path.read_bytes()
    bad = row(1, 0.5)
    bad["config"]["knobs"]["x"] = float("nan")
    with pytest.raises(ValueError):
        records.append(path, [row(2, 0.5), bad])
    with pytest.raises(TypeError):
        records.append(path, [{"x": object()}])
    assert path.read_bytes() == before


def test_torn_last_line_loads_and_appending_goes_on(tmp_path):
    path = tmp_path / "log.jsonl"
    rows = [row(i, 0.01 * (i + 1)) for i in range(4)]
    records.append(path, rows)
    data = path.read_bytes()
    path.write_bytes(data[:-40])  # the process died in the middle of the last line
    got, warned = load_quiet(path)
    assert got == rows[:3]
    assert len(warned) == 1 and "line 4" in str(warned[0].message)
    # the next batch starts on a fresh line, so it is not glued to the torn one
    records.append(path, [row(9, 0.001)])
    got, warned = load_quiet(path)
    assert got == rows[:3] + [row(9, 0.001)] and len(warned) == 1
    with pytest.warns(RecordsWarning):
        assert records.measured_configs(path, "matmul(64, 64, 64)") == {0, 1, 2, 9}


def test_corrupt_lines_are_skipped_with_a_warning(tmp_path):
    path = tmp_path / "log.jsonl"
    good = [row(0, 0.3), row(1, 0.2)]
    wrong_version = dict(row(5, 0.1), version=99)
    bad_result = dict(row(6, 0.1), result={"costs": [1.0], "error": "exploded"})
    lines = [json.dumps(good[0]).encode(), b"{not json", b"\xff\xfe garbage", b"[1, 2, 3]",
             json.dumps(wrong_version).encode(), json.dumps(bad_result).encode(),
             b'{"version": 1, "task": NaN}', b"", json.dumps(good[1]).encode()]
    path.write_bytes(b"\n".join(lines) + b"\n")
    got, warned = load_quiet(path)
    assert got == good
    msgs = [str(w.message) for w in warned]
    assert len(msgs) == 6
    assert all(f"line {n}" in m for n, m in zip((2, 3, 4, 5, 6, 7), msgs))
    assert "version 99" in msgs[3]


def test_best_and_pick_best(tmp_path):
    path = tmp_path / "log.jsonl"
    records.append(path, [row(0, 0.3), row(1), row(2, 0.1), row(3, 0.1)])
    records.append(path, [row(0, 0.5, name="dense"), row(1, 0.4, name="dense"), row(7, name="conv")])
    by_key = records.best(path)
    assert set(by_key) == {"matmul(64, 64, 64)", "dense(64, 64, 64)"}  # conv has no success
    assert by_key["matmul(64, 64, 64)"]["config"]["index"] == 2      # ties keep the earlier row
    assert records.best(path, "dense(64, 64, 64)")["config"]["index"] == 1
    assert records.best(path, "conv(64, 64, 64)") is None
    assert records.best(list(records.load(path)), "matmul(64, 64, 64)")["config"]["index"] == 2
    out = tmp_path / "best.jsonl"
    assert records.pick_best(path, out) == 2
    distilled, warned = load_quiet(out)
    assert not warned and [r["config"]["index"] for r in distilled] == [2, 1]
    assert records.pick_best(out, out) == 2  # distilling a distilled file changes nothing
    assert list(records.load(out)) == distilled
    assert [p for p in os.listdir(tmp_path) if p.startswith(".pick_best")] == []


def test_measured_configs_counts_failures_too(tmp_path):
    path = tmp_path / "log.jsonl"
    records.append(path, [row(0, 0.3), row(4), row(2, 0.1, name="dense"), records.make_row(
        "matmul", (64, 64, 64), {"sketch": "no index"}, result(0.2), tool="ansor", target="llvm")])
    assert records.measured_configs(path, "matmul(64, 64, 64)") == {0, 4}


@settings(max_examples=60)
@given(costs=st.lists(st.one_of(st.none(), st.floats(1e-6, 10.0)), min_size=1, max_size=6),
       cut=st.floats(0.0, 1.0))
def test_any_truncation_loads_the_complete_prefix(tmp_path_factory, costs, cut):
    path = tmp_path_factory.mktemp("trunc") / "log.jsonl"
    rows = [row(i, c) for i, c in enumerate(costs)]
    records.append(path, rows)
    data = path.read_bytes()
    n = int(cut * len(data))
    path.write_bytes(data[:n])
    got, _ = load_quiet(path)
    ends, pos = [], 0
    for line in data.split(b"\n")[:-1]:
        pos += len(line)
        ends.append(pos)  # where the line's JSON ends (its newline excluded)
        pos += 1
    complete = sum(1 for e in ends if e <= n)
    assert got == rows[:complete]
