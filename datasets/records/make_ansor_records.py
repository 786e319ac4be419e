"""Record the tuning runs that notebooks 05 (Ansor) and 06 (AutoTVM vs Ansor) replay.

A class should not wait for tuning, so the notebooks can draw these runs instead of
measuring. Each run is a records file (the shared JSON-lines format, the same rows a
live run appends) plus, for the cost models' accuracy, a small JSON file with the run's
``History`` (which holds the model's prediction for every trial; records hold
measurements only) and, for Ansor, the model's per-round accuracy
(``tuner.model.rounds``).

To keep the files small, an Ansor row keeps its schedule ``trace`` only when it is
the best of its task (what ``wb.compile(records=...)`` replays); every other row keeps
its sketch and decisions, from which ``task.program(row["config"]).apply()`` rebuilds
the same schedule and trace.

Run from the repository root (about 10 minutes on 2 cores)::

    .venv/bin/python datasets/records/make_ansor_records.py          # everything
    .venv/bin/python datasets/records/make_ansor_records.py 05       # only notebook 05's runs
    .venv/bin/python datasets/records/make_ansor_records.py 06

The computations here are written out again in the notebooks (they teach them); a
notebook finds its run by the task's key, which is a hash of the computation, so a
changed definition shows up as "no recorded run for this task", never as a wrong one.
"""
from __future__ import annotations

import json
import os
import pathlib
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from workbench import ansor, autotvm, te, topi, tune
from workbench.tune import records
from workbench.tune.callbacks import History

# ------------------------------------------------------------------ the computations
CONV05 = {"c": 32, "f": 32, "hw": 28}     # notebook 05: conv2d + bias + relu, 3x3, padding 1
TRIALS05 = 64
MLP05 = {"batch": 8}                      # notebook 05: the task scheduler on the MLP
TRIALS05_MODEL = 96
MATMUL06 = 256                            # notebook 06: matmul N x N x N
CONV06 = {"c": 64, "f": 64, "hw": 28}     # notebook 06: conv2d 3x3, padding 1 (no bias)
TRIALS06 = 64


def conv2d_bias_relu(c: int, f: int, hw: int):
    """``relu(conv2d(x, w, padding=1) + b)`` in NCHW: the tensors ``[x, w, b], [out]``."""
    x = te.placeholder((1, c, hw, hw), name="x")
    w = te.placeholder((f, c, 3, 3), name="w")
    b = te.placeholder((1, f, 1, 1), name="b")
    y = topi.conv2d_nchw(x, w, padding=1)
    z = te.compute(y.shape, lambda n, o, h, q: y[n, o, h, q] + b[0, o, 0, 0], name="add")
    out = te.compute(y.shape, lambda *i: te.max(z[i], 0.0), name="relu")
    return [x, w, b], [out]


def matmul_tensors(n: int):
    """``C = A @ B`` (n x n x n), written like the AutoTVM ``matmul`` template's compute."""
    A = te.placeholder((n, n), name="A")
    B = te.placeholder((n, n), name="B")
    k = te.reduce_axis((0, n), name="k")
    C = te.compute((n, n), lambda i, j: te.sum(A[i, k] * B[k, j], axis=k), name="C")
    return [A, B], [C]


def conv2d_tensors(c: int, f: int, hw: int):
    """``conv2d_nchw(data, kernel, stride=1, padding=1)``, like the AutoTVM ``conv2d_nchw`` template."""
    data = te.placeholder((1, c, hw, hw), name="data")
    kernel = te.placeholder((f, c, 3, 3), name="kernel")
    return [data, kernel], [topi.conv2d_nchw(data, kernel, stride=1, padding=1)]


def tasks06() -> dict:
    """The two tasks of notebook 06, each as ``(AutoTVM task, Ansor task)`` of the same computation."""
    n, cv = MATMUL06, CONV06
    return {"matmul": (autotvm.task("matmul", (n, n, n)), ansor.SearchTask("matmul", *matmul_tensors(n))),
            "conv2d": (autotvm.task("conv2d_nchw", (1, cv["c"], cv["hw"], cv["hw"], cv["f"], 3, 3, 1, 1)),
                       ansor.SearchTask("conv2d", *conv2d_tensors(**cv)))}


# ------------------------------------------------------------------ writing records
def compact(src, dst) -> int:
    """Copy the records ``src`` to ``dst``, dropping the trace of every Ansor row that is not its task's best."""
    rows = list(records.load(src))
    best = {id(r) for r in records.best(rows).values()}
    for r in rows:
        if r.get("tool") == "ansor" and id(r) not in best:
            r["config"].pop("trace", None)
    if os.path.exists(dst):
        os.remove(dst)
    records.append(dst, rows)
    return os.path.getsize(dst)


def tune_to(name: str, tuner, n_trial: int, batch_size: int, measurer) -> History:
    """Tune into a fresh temporary records file, then write ``<name>.jsonl`` here; returns the History."""
    with tempfile.TemporaryDirectory() as tmp:
        raw = os.path.join(tmp, "raw.jsonl")
        t0 = time.perf_counter()
        hist = tuner.tune(n_trial, measurer=measurer, batch_size=batch_size, records=raw,
                          callbacks=[tune.progress_bar(n_trial, prefix=name)])
        size = compact(raw, HERE / f"{name}.jsonl")
    print(f"  {name}: {hist.n_trials} trials, best {hist.best_gflops:.1f} GFLOPS, "
          f"{time.perf_counter() - t0:.0f} s, {size / 1024:.0f} KB")
    return hist


def save_json(name: str, data) -> None:
    path = HERE / name
    path.write_text(json.dumps(data, separators=(",", ":")) + "\n")
    print(f"  {name}: {path.stat().st_size / 1024:.0f} KB")


# ------------------------------------------------------------------ the runs
def make05(measurer) -> None:
    task = ansor.SearchTask("conv2d_bias_relu", *conv2d_bias_relu(**CONV05))
    tuner = ansor.AnsorTuner(task, seed=0)
    hist = tune_to("ansor_conv2d_bias_relu", tuner, TRIALS05, 8, measurer)
    save_json("ansor_conv2d_bias_relu.history.json",
              {"key": task.key, "flop": task.flop, "history": hist.to_json(), "rounds": tuner.model.rounds})

    import onnx

    from workbench.datasets import generator
    from workbench.frontend import from_onnx
    mod = from_onnx(onnx.load(str(generator().model_path("mlp", **MLP05))))
    sched = ansor.TaskScheduler(ansor.extract_tasks(mod), seed=0, batch_size=8)
    with tempfile.TemporaryDirectory() as tmp:
        raw = os.path.join(tmp, "raw.jsonl")
        sched.tune(TRIALS05_MODEL, measurer=measurer, records=raw)
        size = compact(raw, HERE / "ansor_mlp.jsonl")
    print(sched.table())
    print(f"  ansor_mlp.jsonl: {size / 1024:.0f} KB")


def make06(measurer) -> None:
    saved = {}
    for name, (atask, stask) in tasks06().items():
        ha = tune_to(f"06_{name}_autotvm", autotvm.XGBTuner(atask, seed=0), TRIALS06, 8, measurer)
        st = ansor.AnsorTuner(stask, seed=0)
        hs = tune_to(f"06_{name}_ansor", st, TRIALS06, 8, measurer)
        saved[name] = {"autotvm": {"key": atask.key, "flop": atask.flop, "history": ha.to_json()},
                       "ansor": {"key": stask.key, "flop": stask.flop, "history": hs.to_json(),
                                 "rounds": st.model.rounds}}
    save_json("06_histories.json", saved)


def main(argv) -> None:
    which = set(argv) or {"05", "06"}
    print(f"recording on {records.target_string()} into {HERE}")
    with tune.Measurer(timeout=10) as m:
        if "05" in which:
            make05(m)
        if "06" in which:
            make06(m)


if __name__ == "__main__":
    main(sys.argv[1:])
