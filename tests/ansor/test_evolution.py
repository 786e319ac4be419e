"""The evolutionary search proposes unmeasured programs, spread over register blocks."""
import math
import random
from collections import Counter
from types import SimpleNamespace

import numpy as np
import pytest

from workbench.ansor import AnsorTuner, SearchTask
from workbench.ansor.evolution import MUTATION_WEIGHTS, EvolutionarySearch, register_block, spread
from workbench.ansor.features import STORE_FEATURE_NAMES
from workbench.ansor.program import sample_program
from workbench.ansor.roofline import estimate_cycles
from workbench.errors import TuningError
from workbench.tune.measure import ErrorKind, MeasureResult

from . import dags


class LinearModel:
    """A fitted stand-in for the cost model: a fixed random linear score per store. Like a model that
    has seen a few programs, it is sure of one region of the space, so its best programs crowd into
    a few register blocks."""

    fitted = True

    def __init__(self, seed: int):
        self.w = np.random.default_rng(seed).normal(size=len(STORE_FEATURE_NAMES))

    def predict(self, programs):
        return np.array([float((rows @ self.w).sum()) for rows in programs])


def tiled(rows: int, cols: int, k: int = 4):
    """A stand-in program with one tiled stage whose register block is ``rows x cols``."""
    return SimpleNamespace(decisions={"C": {"tile": {"i": [2, 1, rows], "j": [1, 2, cols], "k": [k]}, "par": 1}})


def test_register_block_is_the_innermost_spatial_tiles():
    assert register_block(tiled(4, 16)) == (("C", (("i", 4), ("j", 16))),)
    assert register_block(tiled(4, 16, k=8)) == register_block(tiled(4, 16))
    assert register_block(SimpleNamespace(decisions={"C": {"par": 2, "vec": 8}})) == ()


def test_spread_caps_each_register_block_and_fills_up_when_blocks_run_out():
    a, a2, a3, b, c = tiled(4, 16), tiled(4, 16, 8), tiled(4, 16, 16), tiled(8, 16), tiled(2, 32)
    assert spread([a, a2, a3, b, c], 4, 0.25) == [a, b, c, a2]          # one per block first, then the best left
    assert spread([a, a2, a3, b, c], 8, 0.25) == [a, a2, b, c, a3]      # cap 2
    untiled = [SimpleNamespace(decisions={"C": {"par": p}}) for p in range(4)]
    assert spread(untiled, 3, 0.25) == untiled[:3]                      # no register block: no cap


def blocks_of_a_second_batch(share: float):
    task = SearchTask("mm", *dags.matmul(64, 64, 64))
    search = EvolutionarySearch(task, LinearModel(1), random.Random(0), population=32, generations=2,
                                block_share=share, novel=0.0, exploit=0.0)   # the spread alone
    first = search.next_batch(8, set())
    batch = search.next_batch(16, {p.key() for p in first}, elites=first)
    assert len(batch) == 16
    traces = [search.lowered(p)[2] for p in batch]
    assert len(set(traces)) == 16 and not set(traces) & {search.lowered(p)[2] for p in first}   # all new
    evolved = batch[:16 - max(1, round(search.eps * 16))]               # the eps random programs come last
    return Counter(register_block(p) for p in evolved), len(evolved)


def test_a_batch_is_unmeasured_and_spread_over_register_blocks(monkeypatch):
    monkeypatch.setitem(MUTATION_WEIGHTS, "register_block", 0)    # tile-size steps only: children crowd
    counts, n = blocks_of_a_second_batch(0.25)
    assert max(counts.values()) <= math.ceil(0.25 * n), counts
    crowded, _ = blocks_of_a_second_batch(1.0)                          # no share: one block takes most
    assert max(crowded.values()) > n // 2, crowded


def test_the_tuner_keeps_the_best_few_of_each_register_block_as_parents():
    task = SearchTask("mm", *dags.matmul(64, 64, 64))
    tuner = AnsorTuner(task, seed=0, population=16)
    rng = random.Random(0)
    by_block = {}
    for _ in range(400):
        p = sample_program(task.sketches[0], rng)
        by_block.setdefault(register_block(p), {})[p.key()] = p
    blocks = sorted(by_block, key=lambda b: -len(by_block[b]))
    fast = list(by_block[blocks[0]].values())[:10]                     # one block measures fastest ...
    slow = [p for b in blocks[1:5] for p in list(by_block[b].values())[:3]]   # ... four others slower
    results = [MeasureResult((1e-4 * (1 + k / 100),), ErrorKind.NONE) for k in range(10)]
    results += [MeasureResult((1e-3,), ErrorKind.NONE)] * len(slow)
    tuner._learn(fast + slow, results)
    counts = Counter(register_block(p) for _, p in tuner.elites)
    assert len(slow) == 12 and len(tuner.elites) == 16 and counts[blocks[0]] == 4, counts
    assert [p for _, p in tuner.elites[:4]] == fast[:4]                 # the best of that block, best first


def test_a_batch_starts_with_neighbours_of_the_best_then_untried_register_blocks():
    task = SearchTask("mm", *dags.matmul(64, 64, 64))
    search = EvolutionarySearch(task, LinearModel(1), random.Random(0), population=32, generations=2,
                                novel=0.25, exploit=0.125)
    first = search.next_batch(8, set())
    offered = []
    draw = search.neighbours
    search.neighbours = lambda p: offered.extend(draw(p)) or offered
    batch = search.next_batch(16, {p.key() for p in first}, elites=first)
    near, fresh = batch[:2], batch[2:6]
    assert {p.key() for p in near} <= {p.key() for p in offered}          # one mutation from the best
    tried = {register_block(p) for p in first}
    assert not {register_block(p) for p in fresh} & tried                  # blocks not measured yet ...
    assert len({register_block(p) for p in fresh}) == 4                     # ... one program each


class Unfitted:
    """The cost model before anything is measured."""
    fitted = False


def first_round(**shares):
    """A first batch of 16 and the random programs drawn for it: the roofline's pool, then the rest."""
    task = SearchTask("mm", *dags.matmul(64, 64, 64))
    search = EvolutionarySearch(task, Unfitted(), random.Random(0), prior_pool=64, **shares)
    draws, draw = [], search.random_programs
    search.random_programs = lambda n, exclude: draws.append(draw(n, exclude)) or draws[-1]
    return search, search.next_batch(16, set()), draws


def test_the_first_batch_measures_the_best_of_a_pool_by_the_roofline_then_random_programs():
    search, batch, (pool, rest) = first_round(prior=0.75, block_share=1.0)     # no spread: the 12 best
    cycles = {p.key(): estimate_cycles(search.lowered(p)[0]) for p in pool}
    assert len(pool) == 64 and [p.key() for p in batch[:12]] == sorted(cycles, key=cycles.get)[:12]
    assert batch[12:] == rest and len(rest) == 4                               # the rest: random
    assert len({search.lowered(p)[2] for p in batch}) == 16                    # 16 distinct schedules
    search, batch, _ = first_round(prior=0.75, block_share=0.25)
    assert max(Counter(register_block(p) for p in batch[:12]).values()) <= 3   # spread over blocks
    _, batch, draws = first_round(prior=0.0)
    assert len(draws) == 1 and draws[0] == batch                               # no prior: all random


def test_shares_outside_a_batch_are_refused_by_name():
    task = SearchTask("mm", *dags.matmul(64, 64, 64))
    with pytest.raises(TuningError, match=r"novel.*each in \[0, 1\].*'novel': 1.5"):
        EvolutionarySearch(task, LinearModel(1), random.Random(0), novel=1.5)
    with pytest.raises(TuningError, match="eps \\+ novel \\+ exploit at most 1"):
        EvolutionarySearch(task, LinearModel(1), random.Random(0), novel=0.6, exploit=0.5)
    with pytest.raises(TuningError, match="'prior': -0.5"):
        EvolutionarySearch(task, LinearModel(1), random.Random(0), prior=-0.5)
    with pytest.raises(TuningError, match="prior_pool .* an integer >= 0 .*got -1"):
        EvolutionarySearch(task, LinearModel(1), random.Random(0), prior_pool=-1)
