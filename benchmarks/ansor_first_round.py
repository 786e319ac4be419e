"""Ansor's first round: random programs vs the best of a pool by the roofline estimate, measured side by side.

Before anything is measured Ansor's cost model knows nothing. With ``prior=0`` the first batch
is random programs; by default (``EvolutionarySearch.prior``) three quarters of it are the best
of ``prior_pool`` random programs by ``ansor.roofline.estimate_cycles``, spread over register
blocks, and the rest random. For each task and seed this draws both first batches from the
same random stream and measures the 2 x 16 programs interleaved, with the same measurer.
Printed per task: the mean and the best GFLOPS of each batch, and their ratios (prior / random).

usage: python benchmarks/ansor_first_round.py [--tasks C2D,GMM,DEP] [--seeds 0,1,2] [--batch 16]
"""
from __future__ import annotations

import argparse
import random
import statistics

from workbench.runtime.blas_env import reexec_without_blas_overrides

reexec_without_blas_overrides()

from _ansor_suite import SUITE  # noqa: E402

from workbench import ansor  # noqa: E402
from workbench.ansor.evolution import EvolutionarySearch  # noqa: E402
from workbench.tune import Measurer  # noqa: E402


class _Unfitted:
    fitted = False


def first_batches(task, seed: int, n: int) -> tuple:
    """The first batch of ``n`` without the prior and with it, from the same random stream."""
    out = []
    for shares in ({"prior": 0.0}, {}):                 # no prior, then the defaults
        search = EvolutionarySearch(task, _Unfitted(), random.Random(seed), **shares)
        batch = search.next_batch(n, set())
        out.append([search.lowered(p)[0] for p in batch])
    return tuple(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", default="C2D,GMM,DEP,C1D,GRP,DIL,T2D")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--batch", type=int, default=16)
    args = ap.parse_args()
    print(f"{'task':5s} {'seed':>4s} | {'random mean':>11s} {'best':>5s} | {'prior mean':>10s} {'best':>5s} | "
          f"{'mean ratio':>10s} {'best ratio':>10s}")
    with Measurer(timeout=10) as measurer:
        for name in [t for t in args.tasks.split(",") if t]:
            inputs, outputs = SUITE[name]()
            task = ansor.SearchTask(name, inputs, outputs)
            for seed in (int(s) for s in args.seeds.split(",")):
                plain, prior = first_batches(task, seed, args.batch)
                funcs = [f for pair in zip(plain, prior) for f in pair]     # interleaved: the same moments
                results = measurer.measure(funcs, task.reference())
                g = [task.flop / r.mean / 1e9 if r.ok else 0.0 for r in results]
                a, b = g[0::2], g[1::2]
                ma, mb = statistics.mean(a), statistics.mean(b)
                print(f"{name:5s} {seed:4d} | {ma:11.1f} {max(a):5.0f} | {mb:10.1f} {max(b):5.0f} | "
                      f"{mb / max(ma, 1e-9):10.2f} {max(b) / max(max(a), 1e-9):10.2f}", flush=True)


if __name__ == "__main__":
    main()
