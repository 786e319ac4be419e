"""AutoTVM tuning: random search vs the XGBoost tuner on a 1024³ matmul and a ResNet-18 3×3 conv2d.

For each task and tuner, one run of ``max(--trials)`` trials: the best GFLOPS found after
each trial count in ``--trials``, trials per second (wall clock, measurement included),
and the template's untuned fallback. numpy's matmul (``a @ b``) is timed in the same run
as the reference; the best matmul config is then rebuilt and timed again in rounds
interleaved with numpy so both see the same machine noise.

usage: python benchmarks/autotvm.py [--trials 50,100,200] [--quick] [--seed 0] [--tuners random,xgb]
       --quick: 20 trials, 256³ matmul and a 1×32×28×28 conv2d
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

from workbench.runtime.blas_env import blas_kernel, reexec_without_blas_overrides

reexec_without_blas_overrides()

from _timing import seconds  # noqa: E402  (benchmarks/_timing.py, beside this script)

import numpy as np  # noqa: E402

import workbench as wb  # noqa: E402
from workbench import autotvm  # noqa: E402
from workbench.autotvm.tuners import RandomTuner, XGBTuner  # noqa: E402
from workbench.tune.callbacks import History  # noqa: E402
from workbench.tune.measure import Measurer  # noqa: E402

TUNERS = {"random": RandomTuner, "xgb": XGBTuner}


def tasks(quick: bool) -> list:
    if quick:
        return [("matmul 256³", autotvm.task("matmul", (256, 256, 256))),
                ("conv2d 1x32x28x28 3x3", autotvm.task("conv2d_nchw", (1, 32, 28, 28, 32, 3, 3, 1, 1)))]
    return [("matmul 1024³", autotvm.task("matmul", (1024, 1024, 1024))),
            ("conv2d 1x64x56x56 3x3", autotvm.task("conv2d_nchw", (1, 64, 56, 56, 64, 3, 3, 1, 1)))]


def best_after(history: History, counts: list) -> list:
    curve = history.best_curve()
    return [curve[min(n, len(curve)) - 1] if curve else 0.0 for n in counts]


def numpy_matmul_seconds(n: int, rng) -> tuple:
    a = rng.random((n, n), dtype="float32")
    b = rng.random((n, n), dtype="float32")
    c = np.empty((n, n), "float32")
    return a, b, c, seconds(lambda: np.matmul(a, b, out=c))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", default="50,100,200", help="comma-separated trial counts to report")
    ap.add_argument("--quick", action="store_true", help="20 trials, smaller shapes")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tuners", default="random,xgb")
    ap.add_argument("--rounds", type=int, default=5, help="interleaved rounds re-timing the best matmul vs numpy")
    args = ap.parse_args()
    counts = [20] if args.quick and args.trials == "50,100,200" else sorted(int(x) for x in args.trials.split(","))
    n_trial = max(counts)
    names = args.tuners.split(",")
    rng = np.random.default_rng(args.seed)

    print(f"AutoTVM tuning, {os.cpu_count()} cores; numpy BLAS: {blas_kernel()}; seed {args.seed}")
    rows = []
    with Measurer() as measurer:
        for label, task in tasks(args.quick):
            ref = task.reference()
            fb = measurer.measure([task.lower(task.fallback)], ref)[0]
            fb_gflops = task.flop / fb.mean / 1e9 if fb.ok else 0.0
            np_gflops = None
            if task.name == "matmul":
                n = task.args[0]
                np_gflops = task.flop / numpy_matmul_seconds(n, rng)[3] / 1e9
            print(f"\n{label}: {len(task.space):,} configs; fallback {fb_gflops:.1f} GFLOPS"
                  + (f"; numpy {np_gflops:.1f} GFLOPS (before tuning)" if np_gflops else ""), flush=True)
            for name in names:
                tuner = TUNERS[name](task, seed=args.seed)
                hist = History()
                t0 = time.perf_counter()
                tuner.tune(n_trial, measurer=measurer, callbacks=[hist, _progress(name, n_trial)])
                wall = time.perf_counter() - t0
                row = {"task": label, "tuner": name, "best": best_after(hist, counts), "tps": hist.n_trials / wall,
                       "wall": wall, "numpy": np_gflops, "fallback": fb_gflops, "config": tuner.best_config,
                       "task_obj": task, "gflops": tuner.best_gflops}
                rows.append(row)
                print(f"  {name}: best {tuner.best_gflops:.1f} GFLOPS, {hist.n_trials} trials in {wall:.0f} s "
                      f"({row['tps']:.2f}/s); best config {tuner.best_config}", flush=True)

    # the best matmul config, rebuilt and timed in rounds interleaved with numpy
    recheck = {}
    for row in rows:
        task = row["task_obj"]
        if task.name != "matmul" or row["config"] is None:
            continue
        s, tensors = task.instantiate(row["config"])
        kernel = wb.build(s, tensors)
        n = task.args[0]
        a, b, c, _ = numpy_matmul_seconds(n, rng)
        ours, theirs = [], []
        for _ in range(args.rounds):
            ours.append(kernel.time(a, b, c, repeat=3, min_repeat_ms=100).median)
            theirs.append(seconds(lambda: np.matmul(a, b, out=c)))
        np.testing.assert_allclose(c, a @ b, rtol=1e-3)
        recheck[(row["task"], row["tuner"])] = (task.flop / statistics.median(ours) / 1e9,
                                                task.flop / statistics.median(theirs) / 1e9)

    # numpy's reference: the median of the interleaved rounds (measured when no tuning runs beside it)
    for row in rows:
        rt = [v for (label, _), v in recheck.items() if label == row["task"]]
        if rt:
            row["numpy"] = statistics.median(t for _, t in rt)
    print("\nbest GFLOPS after N trials (one run per tuner; same seed); numpy re-timed after tuning")
    head = f"{'task':24s} {'tuner':7s} " + " ".join(f"{'@' + str(n):>8s}" for n in counts)
    head += f" {'trials/s':>9s} {'fallback':>9s} {'numpy':>8s} {'/ numpy':>8s}"
    print(head)
    for row in rows:
        np_g = row["numpy"]
        line = f"{row['task']:24s} {row['tuner']:7s} " + " ".join(f"{g:8.1f}" for g in row["best"])
        line += f" {row['tps']:9.2f} {row['fallback']:9.1f}"
        line += f" {np_g:8.1f} {row['best'][-1] / np_g:8.3f}" if np_g else f" {'-':>8s} {'-':>8s}"
        print(line)
    for (label, tuner), (ours, theirs) in recheck.items():
        print(f"re-timed best {label} ({tuner}) interleaved with numpy: {ours:.1f} vs {theirs:.1f} GFLOPS "
              f"= {ours / theirs:.3f}x numpy")


def _progress(name: str, total: int):
    def cb(tuner, inputs, results):
        if tuner.trial % 50 < len(inputs) or tuner.trial >= total:
            print(f"    {name}: {tuner.trial:4d}/{total} trials, best {tuner.best_gflops:.1f} GFLOPS", flush=True)
    return cb


if __name__ == "__main__":
    main()
