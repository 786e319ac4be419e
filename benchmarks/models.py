"""Whole models from datasets/: compile time, our latency and onnxruntime's, measured side by side.

For each model: import the ONNX file, ``wb.compile`` it with default schedules
(no tuning), check the outputs against onnxruntime, then time both in
interleaved rounds, each going first in turn (so machine noise, and onnxruntime's threads
spinning on after its runs, hit both alike) and print medians and
the ratio ours / onnxruntime. ``--pack`` compiles with the conv kernels packed
(``PassContext(config={"pack_conv_kernels": True})``), ``--block`` also keeps the activations
between packed convs channel-blocked (``"block_layout": True``).

usage: python benchmarks/models.py [--models resnet18,mobilenet_v2] [--rounds 5] [--pack [--block]]
"""
from __future__ import annotations

import argparse
import statistics
import time

from workbench.runtime.blas_env import reexec_without_blas_overrides

reexec_without_blas_overrides()

from _timing import seconds  # noqa: E402  (benchmarks/_timing.py, beside this script)

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402

import workbench as wb  # noqa: E402
from workbench.datasets import generator  # noqa: E402
from workbench.frontend import from_onnx  # noqa: E402
from workbench.graph.passes import PassContext  # noqa: E402

DEFAULT = ("resnet18", "mobilenet_v2", "transformer_encoder", "mlp", "small_detector")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default=",".join(DEFAULT))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--pack", action="store_true", help="pack the constant conv kernels (pass pack_conv_kernels)")
    ap.add_argument("--block", action="store_true",
                    help="with --pack: NCHW16c activations between the packed convs (pass block_layout)")
    args = ap.parse_args()
    if args.block and not args.pack:
        raise SystemExit("--block needs --pack (the blocked layout flows out of packed convs)")
    ctx = PassContext(config={"pack_conv_kernels": args.pack, "block_layout": args.block})
    gen = generator()
    print(f"{'model':22s} {'compile':>8s} {'ours':>9s} {'onnxrt':>9s} {'ours/ort':>9s} {'max rel err':>12s} kernels")
    for name in args.models.split(","):
        path = gen.model_path(name)
        model = onnx.load(str(path))
        feeds = gen.random_inputs(model)
        t0 = time.perf_counter()
        mod = from_onnx(model)
        exe = wb.compile(mod, ctx=ctx)
        t_compile = time.perf_counter() - t0
        sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        ref = sess.run(None, feeds)
        got = exe.run(**feeds)
        got = list(got) if isinstance(got, tuple) else [got]
        err = max(float(np.max(np.abs(g - r)) / (np.max(np.abs(r)) + 1e-12)) for g, r in zip(got, ref))
        ours, theirs = [], []
        for r in range(args.rounds):  # alternate who goes first: onnxruntime's threads spin on after its runs
            pair = [(ours, lambda: exe.run(**feeds)), (theirs, lambda: sess.run(None, feeds))]
            for times, fn in (pair if r % 2 == 0 else pair[::-1]):
                times.append(seconds(fn))
        o, t = statistics.median(ours), statistics.median(theirs)
        print(f"{name:22s} {t_compile:7.1f}s {o * 1e3:7.2f}ms {t * 1e3:7.2f}ms {o / t:9.2f} {err:12.2e} {len(exe.steps)}",
              flush=True)


if __name__ == "__main__":
    main()
