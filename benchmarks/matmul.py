"""float32 1024×1024×1024 matmul: unscheduled, the classic hand schedule, and numpy (OpenBLAS).

Prints GFLOPS of each and its ratio to numpy, measured side by side in one run
(rounds interleave ours and numpy's so machine noise hits both alike), plus the
lower + codegen time of the hand-scheduled kernel.

This machine sets OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE for old OpenBLAS builds;
they make a current numpy use a slower kernel, so this script re-runs itself
without them and prints which kernel numpy uses.

usage: python benchmarks/matmul.py [--n 1024] [--rounds 5]
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
from workbench import te  # noqa: E402


def matmul(n: int):
    A = te.placeholder((n, n), name="A")
    B = te.placeholder((n, n), name="B")
    k = te.reduce_axis((0, n), name="k")
    C = te.compute((n, n), lambda i, j: te.sum(A[i, k] * B[k, j], axis=k), name="C")
    return A, B, C


def classic_schedule(A, B, C, bm: int = 32, bn: int = 64, kf: int = 4):
    """Tile C into bm×bn blocks computed in a local accumulator (cache_write + compute_at),
    split k by kf and unroll it, vectorize the bn-wide rows, parallelize the row blocks."""
    s = te.create_schedule(C.op)
    CC = s.cache_write(C, "local")
    io, jo, ii, ji = s[C].tile(C.op.axis[0], C.op.axis[1], x_factor=bm, y_factor=bn)
    s[CC].compute_at(s[C], jo)
    x, y = s[CC].op.axis
    ko, ki = s[CC].split(s[CC].op.reduce_axis[0], factor=kf)
    s[CC].reorder(ko, x, ki, y)
    s[CC].unroll(ki)
    s[CC].vectorize(y)
    s[C].vectorize(ji)
    s[C].parallel(io)
    return s



def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1024)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    n = args.n
    flops = 2 * n ** 3
    rng = np.random.default_rng(0)
    a = rng.random((n, n), dtype="float32")
    b = rng.random((n, n), dtype="float32")
    ref = a @ b

    A, B, C = matmul(n)
    s = classic_schedule(A, B, C)
    t1 = time.perf_counter()
    wb.lower(s, [A, B, C])  # timed: lowering alone
    t2 = time.perf_counter()
    tuned = wb.build(s, [A, B, C])
    t3 = time.perf_counter()
    naive = wb.build(te.create_schedule(C.op), [A, B, C])

    c = np.zeros((n, n), "float32")
    for f in (tuned, naive):
        c[:] = 0
        f(a, b, c)
        np.testing.assert_allclose(c, ref, rtol=1e-3)

    t_naive = naive.time(a, b, c, number=1, repeat=1).median  # seconds per run; one run is slow enough
    ours, theirs = [], []
    for _ in range(args.rounds):
        time.sleep(0.3)  # let OpenBLAS's threads stop spinning: they would steal our cores
        ours.append(tuned.time(a, b, c, repeat=3, min_repeat_ms=100).median)
        time.sleep(0.3)  # and let OpenMP's threads stop spinning before numpy runs
        theirs.append(seconds(lambda: np.matmul(a, b, out=c)))
    t_ours, t_np = statistics.median(ours), statistics.median(theirs)

    print(f"float32 matmul {n}x{n}x{n}, {os.cpu_count()} cores; numpy BLAS: {blas_kernel()}")
    print(f"{'':22s} {'GFLOPS':>8s} {'/ numpy':>8s}")
    for name, t in (("unscheduled", t_naive), ("classic schedule", t_ours), ("numpy (OpenBLAS)", t_np)):
        print(f"{name:22s} {flops / t / 1e9:8.1f} {t_np / t:8.3f}")
    print(f"classic schedule: wb.lower {t2 - t1:.3f} s; wb.build (lower + codegen) {t3 - t2:.3f} s (LLVM phases: "
          + ", ".join(f"{k} {v * 1e3:.0f} ms" for k, v in tuned.compiled.timings.items()) + ")")
    print(f"rounds: ours {[round(flops / t / 1e9) for t in ours]}, numpy {[round(flops / t / 1e9) for t in theirs]}")


if __name__ == "__main__":
    main()
