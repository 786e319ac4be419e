"""Ansor vs AutoTVM on the single-operator suite of the Ansor paper, then ResNet-18 end to end.

Part 1: for each operator (1D/2D/3D conv, matmul, grouped, dilated, depthwise and transposed
conv, capsule conv, matrix 2-norm), Ansor tunes with ``--trials`` measurements; where AutoTVM
has a template (matmul, conv2d, depthwise) its XGBoost tuner gets the same budget on the same
computation, with the same measurer. Each tuner ends by confirming its winner (``--confirm`` 4: its 4
best measured again, 3 rounds in turns, the lowest median wins; 0 keeps the fastest single timing).
Then the winner of each is measured again, side by side in turns (6 rounds, medians): a best taken
at a different moment of a shared machine flatters whichever tuner was luckier. Printed per task:
the GFLOPS of each winner side by side, the ratio, the bests as seen while tuning and as confirmed, and the trials
each needed to reach 90% of its own final best. GFLOPS count 2 x multiply-adds for both.

Part 2 (``--e2e-trials N``, 0 to skip): ResNet-18's tasks tuned by Ansor's task scheduler with
N trials in all, compiled with the records, and timed side by side (interleaved rounds,
medians) against the untuned compiles and onnxruntime. Before the timing, ``tune.check_in_model``
profiles the tuned kernels inside the model against the default ones and keeps only the tuned
tasks that are faster there ("Ansor-tuned"; "unchecked" uses every tuned record). By default (``--layout blocked``) the
model's conv kernels are packed (``pack_conv_kernels``, 16 output channels per vector) and the
activations between them stay channel-blocked (``block_layout``, NCHW16c, ``store_padded``, and ``winograd``: the
3x3 convs of layers 1-2 run as Winograd convs, which Ansor leaves on their default schedule); ``--layout packed``
packs the kernels only, ``--layout nchw`` neither. The untuned compile is timed in each layout
up to the chosen one. The model's candidates are timed with their arrays evicted from the caches
before every run (``--e2e-warm``: not): in the model a kernel's weights come from L3 or memory.
Timed warm, about half the tuned tasks lost to the defaults in the model and the unchecked tuned
model ran at 1.12-1.29x onnxruntime's latency; timed evicted, at 1.01-1.06x; the checked tuned model at 0.99-1.02x.

usage: python benchmarks/ansor_vs_autotvm.py [--trials 64] [--tasks C2D,GMM] [--e2e-trials 600]
       [--layout blocked|packed|nchw]
"""
from __future__ import annotations

import argparse
import math
import os
import statistics
import tempfile
import time

from workbench.runtime.blas_env import reexec_without_blas_overrides

reexec_without_blas_overrides()

from _ansor_suite import AUTOTVM, SUITE  # noqa: E402
from _timing import seconds  # noqa: E402

import workbench as wb  # noqa: E402
from workbench import ansor, autotvm, tune  # noqa: E402
from workbench.autotvm.task import flop_of  # noqa: E402
from workbench.graph.passes import PassContext  # noqa: E402
from workbench.tune import Measurer  # noqa: E402
from workbench.tune.confirm import confirm  # noqa: E402


def trials_to_90(curve: list) -> int:
    """Trials (1-based) until the best-so-far first reached 90% of its final value."""
    if not curve or curve[-1] <= 0:
        return 0
    return next(k + 1 for k, g in enumerate(curve) if g >= 0.9 * curve[-1])


def gflops_curve(hist, scale: float) -> list:
    """Best-so-far GFLOPS per trial, rescaled to the common flop count."""
    return [g * scale for g in hist.best_curve()]


def side_by_side(measurer, funcs: list, ref, rounds: int = 6) -> list:
    """Median seconds of each of ``funcs``, measured in turns (the order swapped each round)."""
    return [t if math.isfinite(t) else float("nan") for t in confirm(measurer, funcs, ref, rounds=rounds).medians]


def run_suite(names, trials: int, batch: int, measurer, seed: int, top: int = 4) -> None:
    print(f"\n{'task':5s} {'MFLOP':>8s} {'AutoTVM':>9s} {'Ansor':>9s} {'Ansor/AT':>9s} {'(tuning:':>9s} {'AT':>6s} "
          f"{'Ansor':>6s} {'confirmed:':>11s} {'AT':>5s} {'Ansor)':>7s} {'AT@90%':>7s} {'An@90%':>7s} {'AT s':>6s} "
          f"{'An s':>6s}")
    for name in names:
        if name in AUTOTVM:
            atask = autotvm.task(*AUTOTVM[name])
            inputs, outputs = atask.tensors()
        else:
            atask = None
            inputs, outputs = SUITE[name]()
        flop = flop_of(outputs)
        stask = ansor.SearchTask(name, inputs, outputs)
        at_best = at90 = at_s = at_tuner = at_conf = None
        if atask is not None:
            t0 = time.perf_counter()
            at_tuner = autotvm.XGBTuner(atask, seed=seed)
            h = at_tuner.tune(trials, measurer=measurer, batch_size=batch, confirm=top)
            at_s = time.perf_counter() - t0
            curve = gflops_curve(h, flop / atask.flop)
            at_best, at90 = (curve[-1] if curve else 0.0), trials_to_90(curve)
            at_conf = at_tuner.best_gflops * flop / atask.flop
        t0 = time.perf_counter()
        tuner = ansor.AnsorTuner(stask, seed=seed)
        h = tuner.tune(trials, measurer=measurer, batch_size=batch, confirm=top)
        an_s = time.perf_counter() - t0
        curve = gflops_curve(h, flop / stask.flop)
        an_best, an90 = (curve[-1] if curve else 0.0), trials_to_90(curve)
        an_conf = tuner.best_gflops * flop / stask.flop if stask.flop > 0 else 0.0
        # the two winners again, side by side: each was the fastest of many noisy timings at different moments
        funcs = [stask.lower(tuner.best_program, "ansor")] if tuner.best_program is not None else []
        if at_tuner is not None and at_tuner.best_config is not None and funcs:
            funcs.insert(0, atask.lower(at_tuner.best_config, "autotvm"))
        secs = side_by_side(measurer, funcs, stask.reference()) if funcs else []
        an_now = flop / secs[-1] / 1e9 if secs else 0.0
        at_now = flop / secs[0] / 1e9 if len(secs) == 2 else None
        ratio = f"{an_now / at_now:9.2f}" if at_now else f"{'-':>9s}"
        fmt = lambda x, f: f"{x:{f}}" if x is not None else "-"
        print(f"{name:5s} {flop / 1e6:8.1f} {fmt(at_now, '9.1f'):>9s} {an_now:9.1f} {ratio} {'':>9s} "
              f"{fmt(at_best, '6.0f'):>6s} {an_best:6.0f} {'':>11s} {fmt(at_conf, '5.0f'):>5s} {an_conf:7.0f} "
              f"{fmt(at90, '7d'):>7s} {an90:7d} "
              f"{fmt(at_s, '6.0f'):>6s} {an_s:6.0f}", flush=True)


LAYOUTS = {"nchw": {}, "packed": {"pack_conv_kernels": True},
           "blocked": {"pack_conv_kernels": True, "block_layout": True}}


def run_end_to_end(trials: int, rounds: int, measurer, seed: int, batch: int, layout: str = "blocked") -> None:
    """Tune ResNet-18's tasks with ``measurer``, close it (its worker processes and threads gone), then time."""
    import numpy as np
    import onnx
    import onnxruntime as ort

    from workbench.datasets import generator
    from workbench.frontend import from_onnx

    gen = generator()
    path = gen.model_path("resnet18")
    model = onnx.load(str(path))
    feeds = gen.random_inputs(model)
    mod = from_onnx(model)
    ctx = PassContext(config=LAYOUTS[layout])
    tasks = ansor.extract_tasks(mod, ctx)
    what = {"nchw": "plain NCHW conv kernels", "packed": "packed conv kernels",
            "blocked": "packed conv kernels, NCHW16c activations"}[layout]
    print(f"\nResNet-18 ({what}): {len(tasks)} Ansor tasks; "
          f"task scheduler, {trials} trials in all")
    records = os.path.join(tempfile.mkdtemp(), "resnet18_ansor.jsonl")
    sched = ansor.TaskScheduler(tasks, seed=seed, batch_size=batch)
    t0 = time.perf_counter()
    sched.tune(trials, measurer=measurer, records=records, verbose=False)
    print(sched.table())
    print(f"tuning took {time.perf_counter() - t0:.0f} s; records: {records}")
    measurer.close()
    check = tune.check_in_model(mod, records, feeds, ctx=ctx)  # tuned kernels against the defaults, in the model
    print(check)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    runs = {"Ansor-tuned": wb.compile(mod, ctx=ctx, records=check.records),
            "Ansor-tuned, unchecked": wb.compile(mod, ctx=ctx, records=records), "untuned": wb.compile(mod)}
    if layout != "nchw":
        runs["untuned, packed kernels"] = wb.compile(mod, ctx=PassContext(config=LAYOUTS["packed"]))
    if layout == "blocked":
        runs["untuned, NCHW16c"] = wb.compile(mod, ctx=ctx)
    ref = sess.run(None, feeds)[0]
    for name, exe in runs.items():
        got = exe.run(**feeds)
        err = float(np.max(np.abs(got - ref)) / np.max(np.abs(ref)))
        assert err < 1e-4, f"{name} ResNet-18 differs from onnxruntime: max rel err {err:.2e}"
    runs["onnxruntime"] = sess
    times = {name: [] for name in runs}
    names = list(runs)
    for r in range(rounds):  # the engines take turns in a different order each round
        for name in names[r % len(names):] + names[:r % len(names)]:
            exe = runs[name]
            fn = (lambda: sess.run(None, feeds)) if exe is sess else (lambda exe=exe: exe.run(**feeds))
            times[name].append(seconds(fn))
    med = {name: statistics.median(x) for name, x in times.items()}
    o = med["onnxruntime"]
    print(f"ResNet-18 latency (median of {rounds} rounds, the engines in turns; "
          f"{runs['Ansor-tuned'].tuned_kernels} tuned kernels):")
    for name, t in med.items():
        print(f"  {name:26s} {t * 1e3:7.2f} ms   / onnxruntime {t / o:.2f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=64)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--tasks", default=",".join(SUITE))
    ap.add_argument("--e2e-trials", type=int, default=600)
    ap.add_argument("--e2e-batch", type=int, default=8, help="trials per task-scheduler round")
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--confirm", type=int, default=4,
                    help="single-operator suite: each tuner measures its best N again at the end, 3 rounds in turns, "
                         "and keeps the lowest median (0: the fastest single timing)")
    ap.add_argument("--layout", choices=list(LAYOUTS), default="blocked",
                    help="ResNet-18's layout: plain NCHW, packed conv kernels (pack_conv_kernels), or packed "
                         "kernels with channel-blocked activations between them (also block_layout)")
    ap.add_argument("--flush-cache", action="store_true",
                    help="single-operator suite: evict each candidate's arrays from the caches before every timed "
                         "run (Measurer flush_cache)")
    ap.add_argument("--e2e-warm", action="store_true",
                    help="ResNet-18: time candidates with warm caches (by default their arrays are evicted before "
                         "every run, as in the model, where weights and activations come from L3 or memory)")
    args = ap.parse_args()
    names = [n for n in args.tasks.split(",") if n]
    unknown = [n for n in names if n not in SUITE]
    if unknown:
        raise SystemExit(f"unknown tasks {unknown}; the suite has {', '.join(SUITE)}")
    if names:
        with Measurer(timeout=10, flush_cache=args.flush_cache) as m:
            run_suite(names, args.trials, args.batch, m, args.seed, args.confirm)
    if args.e2e_trials > 0:
        with Measurer(timeout=10, flush_cache=not args.e2e_warm) as m:
            run_end_to_end(args.e2e_trials, args.rounds, m, args.seed, args.e2e_batch, layout=args.layout)


if __name__ == "__main__":
    main()
