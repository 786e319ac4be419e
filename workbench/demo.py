"""The headless demo: schedule a matmul by hand, one primitive at a time.

After each step it prints the Python line that was applied, the loop nest, and
the measured speed (GFLOPS and the ratio to numpy), the way the course notebook
shows them. Run ``python -m workbench.demo`` (``--n 256`` for a quick look).
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import workbench as wb
from workbench import te
from workbench.runtime.blas_env import blas_kernel, reexec_without_blas_overrides


def steps(A, B, C):
    """The classic schedule as (title, function of the schedule state) pairs, applied in order."""
    st: dict = {}

    def cache(s):
        st["CC"] = s.cache_write(C, "local")

    def tile(s):
        st["io"], st["jo"], st["ii"], st["ji"] = s[C].tile(C.op.axis[0], C.op.axis[1], x_factor=32, y_factor=64)

    def attach(s):
        s[st["CC"]].compute_at(s[C], st["jo"])

    def split_k(s):
        CC = st["CC"]
        st["ko"], st["ki"] = s[CC].split(s[CC].op.reduce_axis[0], factor=4)

    def reorder(s):
        CC = st["CC"]
        x, y = s[CC].op.axis
        st["y"] = y
        s[CC].reorder(st["ko"], x, st["ki"], y)

    def vectorize(s):
        s[st["CC"]].vectorize(st["y"])
        s[C].vectorize(st["ji"])

    return [
        ("accumulate in a local buffer (cache_write)", cache),
        ("tile the output into 32x64 blocks", tile),
        ("compute each block's accumulator inside the block loop (compute_at)", attach),
        ("split the reduction by 4", split_k),
        ("reorder: k blocks outside, rows, k inside, columns innermost", reorder),
        ("vectorize the 64-wide rows", vectorize),
        ("unroll the inner reduction", lambda s: s[st["CC"]].unroll(st["ki"])),
        ("run the row blocks in parallel", lambda s: s[C].parallel(st["io"])),
    ]


def measure(kernel, a, b, c) -> float:
    return kernel.time(a, b, c, repeat=3, min_repeat_ms=50).median


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=512, help="matrix size (default 512)")
    ap.add_argument("--quiet", action="store_true", help="print only the speed table")
    args = ap.parse_args(argv)
    reexec_without_blas_overrides()
    n = args.n
    A = te.placeholder((n, n), name="A")
    B = te.placeholder((n, n), name="B")
    k = te.reduce_axis((0, n), name="k")
    C = te.compute((n, n), lambda i, j: te.sum(A[i, k] * B[k, j], axis=k), name="C")
    rng = np.random.default_rng(0)
    a, b = rng.random((n, n), dtype="float32"), rng.random((n, n), dtype="float32")
    c = np.zeros((n, n), "float32")
    ref = a @ b
    t_np = min(_np_time(a, b, c) for _ in range(3))
    flops = 2 * n ** 3

    s = te.create_schedule(C.op)
    rows = []

    def report(title):
        t0 = time.perf_counter()
        kernel = wb.build(s, [A, B, C])
        build_s = time.perf_counter() - t0
        c[:] = 0
        kernel(a, b, c)
        np.testing.assert_allclose(c, ref, rtol=1e-3)
        t = measure(kernel, a, b, c)
        rows.append((title, flops / t / 1e9, t_np / t, build_s))
        if not args.quiet:
            print(f"\n=== {len(rows) - 1}. {title}")
            if len(s.trace):
                print(">>> " + s.trace[-1].python() if len(s.trace) else "")
            print(wb.lower(s, [A, B, C]))
            print(f"--> {flops / t / 1e9:.1f} GFLOPS, {t_np / t:.3f} x numpy, built in {build_s * 1e3:.0f} ms")

    print(f"Workbench demo: float32 matmul {n}x{n}x{n}; numpy ({blas_kernel()}) runs at "
          f"{flops / t_np / 1e9:.1f} GFLOPS")
    report("unscheduled")
    for title, fn in steps(A, B, C):
        n_before = len(s.trace)
        fn(s)
        if not args.quiet and len(s.trace) - n_before > 1:
            print("\n>>> " + "\n>>> ".join(x.python() for x in s.trace[n_before:-1]))
        report(title)
    print("\nstep                                                                  GFLOPS  x numpy  build")
    for k_, (title, g, r, bs) in enumerate(rows):
        print(f"{k_:2d}. {title:66s} {g:7.1f} {r:8.3f} {bs * 1e3:5.0f} ms")
    print("\nThe whole schedule as Python:\n" + str(s.trace))


def _np_time(a, b, c) -> float:
    np.matmul(a, b, out=c)
    t = time.perf_counter()
    for _ in range(5):
        np.matmul(a, b, out=c)
    return (time.perf_counter() - t) / 5


if __name__ == "__main__":
    main()
