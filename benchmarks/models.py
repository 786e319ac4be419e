"""Whole models from datasets/: compile time, our latency and onnxruntime's, measured side by side.

For each model: import the ONNX file, ``wb.compile`` it with default schedules
(no tuning), check the outputs against onnxruntime, then time both in
interleaved rounds (so machine noise hits both alike) and print medians and
the ratio ours / onnxruntime.

usage: python benchmarks/models.py [--models resnet18,mobilenet_v2] [--rounds 5]
"""
from __future__ import annotations

import argparse
import importlib.util
import pathlib
import statistics
import sys
import time

from workbench.runtime.blas_env import reexec_without_blas_overrides

reexec_without_blas_overrides()

from _timing import seconds  # noqa: E402  (benchmarks/_timing.py, beside this script)

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402

import workbench as wb  # noqa: E402
from workbench.frontend import from_onnx  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
DEFAULT = ("resnet18", "mobilenet_v2", "transformer_encoder", "mlp", "small_detector")


def load_generate():
    spec = importlib.util.spec_from_file_location("workbench_datasets_generate", ROOT / "datasets" / "generate.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod



def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default=",".join(DEFAULT))
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    gen = load_generate()
    print(f"{'model':22s} {'compile':>8s} {'ours':>9s} {'onnxrt':>9s} {'ours/ort':>9s} {'max rel err':>12s} kernels")
    for name in args.models.split(","):
        path = gen.model_path(name)
        model = onnx.load(str(path))
        feeds = gen.random_inputs(model)
        t0 = time.perf_counter()
        mod = from_onnx(model)
        exe = wb.compile(mod)
        t_compile = time.perf_counter() - t0
        sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        ref = sess.run(None, feeds)
        got = exe.run(**feeds)
        got = list(got) if isinstance(got, tuple) else [got]
        err = max(float(np.max(np.abs(g - r)) / (np.max(np.abs(r)) + 1e-12)) for g, r in zip(got, ref))
        ours, theirs = [], []
        for _ in range(args.rounds):
            ours.append(seconds(lambda: exe.run(**feeds)))
            theirs.append(seconds(lambda: sess.run(None, feeds)))
        o, t = statistics.median(ours), statistics.median(theirs)
        print(f"{name:22s} {t_compile:7.1f}s {o * 1e3:7.2f}ms {t * 1e3:7.2f}ms {o / t:9.2f} {err:12.2e} {len(exe.steps)}",
              flush=True)


if __name__ == "__main__":
    main()
