"""ResNet-18 partitioned between Workbench and onnxruntime: latency, partitions and boundary cost, side by side.

Four ways to run one model, timed in interleaved rounds (so machine noise hits
all alike), medians printed:

- all Workbench (``wb.compile(mod)``, default schedules);
- the convolution layers (conv2d + bias + relu composites) offloaded to onnxruntime;
- everything offloaded to onnxruntime (one partition);
- onnxruntime on the original ONNX file (the reference), as shipped and with its worker threads
  not spinning between runs (how the byoc backend configures its sessions).

For the partitioned runs it also prints the number of partitions and the time
spent at the boundaries (buffer wrapping, checks, copies), from ``exe.profile()``.

usage: python benchmarks/byoc.py [--model resnet18] [--image 224] [--rounds 5] [--ort-threads N]
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
from workbench import byoc  # noqa: E402
from workbench.datasets import generator  # noqa: E402
from workbench.frontend import from_onnx  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="resnet18")
    ap.add_argument("--image", type=int, default=224)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--ort-threads", type=int, default=0, help="onnxruntime intra-op threads (0: its default)")
    args = ap.parse_args()
    gen = generator()
    path = gen.model_path(args.model, image=args.image)
    model = onnx.load(str(path))
    feeds = gen.random_inputs(model)
    mod = from_onnx(model)
    opts = ort.SessionOptions()
    if args.ort_threads:
        opts.intra_op_num_threads = args.ort_threads
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    ref = sess.run(None, feeds)[0]

    configs = {"all Workbench": None,
               "convs -> onnxruntime": [byoc.OnnxRuntimeBackend(only=("nn.conv2d",), threads=args.ort_threads)],
               "all -> onnxruntime": [byoc.OnnxRuntimeBackend(threads=args.ort_threads)]}
    runs, info = {}, {}
    for label, backends in configs.items():
        t0 = time.perf_counter()
        exe = wb.compile(mod, backends=backends)
        t_compile = time.perf_counter() - t0
        got = exe.run(**feeds)
        err = float(np.max(np.abs(got - ref)) / (np.max(np.abs(ref)) + 1e-12))
        prof = exe.profile(repeat=5, **feeds)
        n_parts = sum(st.backend != "workbench" for st in exe.steps)
        runs[label] = (lambda e: lambda: e.run(**feeds))(exe)
        info[label] = (t_compile, err, n_parts, len(exe.steps), prof.boundary, prof.total)
    runs["onnxruntime (reference)"] = lambda: sess.run(None, feeds)
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")  # as the byoc backend runs its sessions
    quiet = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    runs["onnxruntime, no spinning"] = lambda: quiet.run(None, feeds)

    times = {k: [] for k in runs}
    for _ in range(args.rounds):
        for k, fn in runs.items():
            times[k].append(seconds(fn))
    base = statistics.median(times["all Workbench"])
    print(f"{args.model} {args.image}x{args.image}, {args.rounds} interleaved rounds, medians")
    print(f"{'configuration':26s} {'latency':>9s} {'vs WB':>6s} {'compile':>8s} {'steps':>5s} {'parts':>5s} "
          f"{'boundary':>9s} {'bnd %':>6s} {'max rel err':>11s}")
    for k in runs:
        med = statistics.median(times[k])
        if k in info:
            tc, err, parts, steps, bnd, total = info[k]
            print(f"{k:26s} {med * 1e3:7.2f}ms {med / base:6.2f} {tc:7.1f}s {steps:5d} {parts:5d} "
                  f"{bnd * 1e3:7.3f}ms {bnd / total * 100 if total else 0:5.1f}% {err:11.2e}", flush=True)
        else:
            print(f"{k:26s} {med * 1e3:7.2f}ms {med / base:6.2f}", flush=True)


if __name__ == "__main__":
    main()
