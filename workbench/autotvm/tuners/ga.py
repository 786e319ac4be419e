"""A genetic algorithm over choice vectors (one gene per knob).

Steady state: the ``pop_size`` best configs measured so far are the parents. Each
child takes every gene from one of two parents picked by tournament (uniform
crossover), then each gene mutates to a random choice with ``mutation_prob``.
Children already measured (or already in the batch) are redrawn; until a first
population is measured, and when breeding keeps producing known configs, children
are random.

    >>> GATuner(task, pop_size=16, seed=0).tune(n_trial=64)
"""
from __future__ import annotations

import numpy as np

from .tuner import Tuner


class GATuner(Tuner):
    """Genetic search: tournament selection, uniform crossover, per-gene mutation, elitism by construction."""

    def __init__(self, task, seed: int = 0, pop_size: int = 16, mutation_prob: float = 0.1,
                 tournament: int = 3, include_fallback: bool = True):
        super().__init__(task, seed, include_fallback)
        if pop_size < 2:
            raise ValueError(f"GATuner: pop_size must be >= 2, got {pop_size}")
        self.pop_size = pop_size
        self.mutation_prob = mutation_prob
        self.tournament = tournament

    def _parents(self) -> list:
        ranked = sorted(self.scores.items(), key=lambda kv: (-kv[1], kv[0]))
        return [(self.choices_of(i), g) for i, g in ranked[:self.pop_size]]

    def _pick(self, parents) -> list:
        idx = self.rng.integers(len(parents), size=min(self.tournament, len(parents)))
        return parents[max(idx, key=lambda j: (parents[j][1], -j))][0]

    def next_batch(self, n: int) -> list:
        out: list = []
        taken: set = set()
        parents = self._parents()
        if len(parents) >= 2 and any(g > 0 for _, g in parents):
            sizes = np.asarray(self.knob_sizes)
            tries = 0
            while len(out) < n and tries < 20 * n:
                tries += 1
                a, b = np.asarray(self._pick(parents)), np.asarray(self._pick(parents))
                child = np.where(self.rng.random(len(sizes)) < 0.5, a, b)
                mutate = self.rng.random(len(sizes)) < self.mutation_prob
                child = np.where(mutate, (self.rng.random(len(sizes)) * sizes).astype(np.int64), child)
                i = self.index_of(child)
                if i not in self.visited and i not in taken:
                    taken.add(i)
                    out.append(i)
        out += self.random_unvisited(n - len(out), exclude=taken)
        return [self.space.get(i) for i in out]
