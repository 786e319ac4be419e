"""tune.confirm: the best few of a run measured again in turns; the lowest median wins, in records too."""
import json
import math
import warnings

import pytest

from workbench.errors import TuningError
from workbench.tune import records
from workbench.tune.callbacks import History
from workbench.tune.confirm import Confirmation, check, confirm
from workbench.tune.measure import ErrorKind, MeasureResult


class Scripted:
    """A measurer whose timings are scripted per candidate and round; remembers the order it measured in."""

    def __init__(self, script: dict):
        self.script = {k: list(v) for k, v in script.items()}
        self.order = []

    def measure(self, funcs, ref):
        self.order.append(list(funcs))
        out = []
        for f in funcs:
            t = self.script[f].pop(0)
            out.append(MeasureResult((t,), ErrorKind.NONE) if t is not None
                       else MeasureResult((), ErrorKind.TIMEOUT, "timed out"))
        return out


def test_the_lowest_median_wins_not_the_luckiest_round():
    # "a" had the luckiest single timings (1.0), "b" is faster in most rounds
    m = Scripted({"a": [3.0, 1.0, 3.0], "b": [2.0, 2.0, 2.0], "c": [None, 1.5, None]})
    seen = []
    c = confirm(m, ["a", "b", "c"], ref=None, configs=["A", "B", "C"], rounds=3,
                on_round=lambda cs, rs: seen.append((list(cs), [r.ok for r in rs])))
    assert m.order == [["a", "b", "c"], ["c", "b", "a"], ["a", "b", "c"]]   # in turns, reversed every other
    assert c.seconds == [[3.0, 1.0, 3.0], [2.0, 2.0, 2.0], [math.inf, 1.5, math.inf]]
    assert c.medians == [3.0, 2.0, 1.5]           # a failed round does not count against a candidate
    assert c.winner == "C" and c.best_index == 2
    assert seen == [(["A", "B", "C"], [True, True, False]), (["A", "B", "C"], [True, True, True]),
                    (["A", "B", "C"], [True, True, False])]   # results aligned with the configs every round
    table = c.table(flop=3e9)
    assert table.splitlines()[2].startswith("* #3") and "failed" in table and "median     2.0" in table


def test_a_candidate_that_always_fails_never_wins():
    c = Confirmation(["x", "y"], [[math.inf, math.inf], [math.inf, math.inf]])
    assert c.winner is None and c.best_index is None and c.medians == [math.inf, math.inf]


def test_bad_arguments_are_refused_by_name():
    for top in (-1, 1.5, True, "4"):
        with pytest.raises(TuningError, match="confirm is how many"):
            check(top, 3)
    for rounds in (0, -2, 2.0, False):
        with pytest.raises(TuningError, match="confirm_rounds"):
            check(4, rounds)
    with pytest.raises(TuningError, match="2 candidates but 1 configs"):
        confirm(Scripted({}), ["a", "b"], None, configs=["A"])


def _row(index, seconds, confirm=False):
    res = MeasureResult((seconds,), ErrorKind.NONE) if seconds else MeasureResult((), ErrorKind.RUNTIME_ERROR)
    return records.make_row("mm", (64,), {"index": index}, res, target="llvm", confirm=confirm)


def test_records_judge_a_confirmed_task_by_the_median_of_its_confirmations(tmp_path):
    path = tmp_path / "run.jsonl"
    trials = [_row(0, 1.0), _row(1, 0.5), _row(2, 0.6), _row(3, 0.7)]   # config 1 had the lucky trial
    records.append(path, trials)
    assert records.best(path, trials[0]["task"]["key"])["config"]["index"] == 1
    confirmations = [_row(1, 0.9, True), _row(2, 0.65, True), _row(1, 0.55, True), _row(2, 0.62, True),
                     _row(1, 0.95, True), _row(2, 0.61, True), _row(3, None, True)]
    records.append(path, confirmations)
    rows = list(records.load(path))
    got = records.best(rows, trials[0]["task"]["key"])
    assert got["config"]["index"] == 2 and records.result_of(got).mean == 0.62   # its median confirmation
    assert records.trials(rows) == trials and [records.is_confirmation(r) for r in rows].count(True) == 7
    # a task whose confirmations all failed is judged by its trials
    assert records.best(trials + [_row(1, None, True)], trials[0]["task"]["key"])["config"]["index"] == 1


def test_a_malformed_confirm_flag_is_skipped_with_a_warning(tmp_path):
    path = tmp_path / "bad.jsonl"
    row = _row(0, 1.0)
    row["confirm"] = "yes"
    path.write_text(json.dumps(row) + "\n" + json.dumps(_row(1, 2.0)) + "\n")
    with pytest.warns(records.RecordsWarning, match="line 1: 'confirm' must be true or false"):
        rows = list(records.load(path))
    assert [r["config"]["index"] for r in rows] == [1]


def test_history_keeps_the_confirmation_from_records_and_json(tmp_path):
    path = tmp_path / "run.jsonl"
    records.append(path, [_row(0, 1.0), _row(1, 0.5)])
    records.append(path, [_row(1, 0.8, True), _row(0, 0.9, True)])
    records.append(path, [_row(1, 0.7, True), _row(0, 1.1, True)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h = History.from_records(path, flop=1e9)
    assert h.n_trials == 2 and h.best_gflops == 2.0          # trials only: confirmations are not trials
    assert h.confirmed["configs"] == [1, 0]
    assert h.confirmed["gflops"] == [pytest.approx([1 / 0.8, 1 / 0.7]), pytest.approx([1 / 0.9, 1 / 1.1])]
    assert h.confirmed_gflops == pytest.approx(1 / 0.7)   # two rounds: the lower median time, as records judge
    again = History.from_json(json.loads(json.dumps(h.to_json())))
    assert again.confirmed == h.confirmed and "confirmed 1.43" in repr(again)
    assert History().confirmed_gflops is None and "confirmed" not in History().to_json()
    with pytest.raises(ValueError, match="2 configs but 1 lists of GFLOPS"):
        History().add_confirmation([1, 2], [[1.0]])


def test_an_even_number_of_rounds_is_judged_alike_by_the_confirmation_the_records_and_the_history(tmp_path):
    # config 0: 1.0, 4.0 (mean 2.5, lower median 1.0); config 1: 2.0, 2.0: the lower median picks config 0
    m = Scripted({"a": [1.0, 4.0], "b": [2.0, 2.0]})
    path = tmp_path / "run.jsonl"
    rows = []
    c = confirm(m, ["a", "b"], None, configs=[0, 1], rounds=2,
                on_round=lambda cs, rs: rows.extend(_row(i, r.mean, True) for i, r in zip(cs, rs)))
    records.append(path, rows)
    assert c.medians == [1.0, 2.0] and c.winner == 0
    assert records.best(path, rows[0]["task"]["key"])["config"]["index"] == 0
    h = History.from_records(path, flop=1e9)
    assert h.confirmed["medians"] == [1.0, 0.5] and h.confirmed_gflops == 1.0
