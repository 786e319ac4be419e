"""Simulated annealing over a cost model: find configs the model predicts fast, without measuring.

Chains walk the space of choice vectors (one choice per knob). Each step changes
one random knob of every chain; a chain moves when the model's score goes up, or
goes down by ``d`` with probability ``exp(d / (T * scale))`` (``scale``: the spread of
the starting scores; ``T`` falls linearly from ``temp[0]`` to ``temp[1]``). Every
point seen is kept with its score, so the result is the best ``n_keep`` distinct
points the walk met, not just where the chains ended. One model call scores all
chains at once, which keeps the search cheap (~100 calls per batch).

    >>> pts, scores = anneal(score, sizes=[4, 6, 2], rng=rng, starts=starts, n_steps=100,
    ...                      index_of=lambda rows: ..., exclude=measured, n_keep=64)
"""
from __future__ import annotations

import numpy as np


def anneal(score, sizes, rng, starts: np.ndarray, n_steps: int, index_of, exclude=frozenset(), n_keep: int = 64,
           temp=(1.0, 0.0)):
    """The best ``n_keep`` distinct choice vectors met, as ``(rows, scores, chain_ends)``, best first.

    ``score(rows) -> np.ndarray`` (higher is better); ``sizes``: choices per knob;
    ``starts``: starting rows (one chain each); ``index_of(rows) -> list`` of space indices
    (identifies points); indices in ``exclude`` are walked through but never returned.
    ``chain_ends`` (where the chains stopped) can seed the next search.
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    pts = np.array(starts, dtype=np.int64, copy=True)
    m = len(pts)
    cur = np.asarray(score(pts), dtype=np.float64)
    seen: dict = {}

    def remember(rows, vals):
        for i, r, v in zip(index_of(rows), rows, vals):
            if i not in exclude and i not in seen:
                seen[i] = (float(v), r.copy())

    remember(pts, cur)
    scale = float(np.std(cur)) or 1.0
    movable = sizes > 1
    if m == 0 or not movable.any():
        n_steps = 0
    knobs = np.flatnonzero(movable)
    for step in range(n_steps):
        t = temp[0] + (temp[1] - temp[0]) * step / max(1, n_steps - 1)
        new = pts.copy()
        k = knobs[rng.integers(len(knobs), size=m)]
        new[np.arange(m), k] = (rng.random(m) * sizes[k]).astype(np.int64)
        val = np.asarray(score(new), dtype=np.float64)
        remember(new, val)
        delta = val - cur
        if t > 0:
            accept = (delta >= 0) | (rng.random(m) < np.exp(np.minimum(0.0, delta) / (t * scale)))
        else:
            accept = delta >= 0
        pts[accept], cur[accept] = new[accept], val[accept]
    best = sorted(seen.items(), key=lambda kv: (-kv[1][0], kv[0]))[:n_keep]
    rows = np.array([r for _, (_, r) in best], dtype=np.int64).reshape(len(best), len(sizes))
    return rows, np.array([v for _, (v, _) in best]), pts
