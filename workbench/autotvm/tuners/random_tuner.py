"""Random search: each batch is configs drawn uniformly from the unmeasured part of the space.

The baseline every smarter tuner must beat at equal trials.

    >>> RandomTuner(task, seed=0).tune(n_trial=64)
"""
from __future__ import annotations

from .tuner import Tuner


class RandomTuner(Tuner):
    """Proposes configs uniformly at random, never the same one twice."""

    def next_batch(self, n: int) -> list:
        return [self.space.get(i) for i in self.random_unvisited(n)]
