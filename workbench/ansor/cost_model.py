"""Ansor's learned cost model: xgboost over per-store features, a program's score is the sum.

Each program contributes one feature row per buffer store (``features.store_features``).
The model predicts a score per row; a program's score is the sum over its rows, and the
training loss compares that sum with the program's normalized throughput (measured
GFLOPS / best GFLOPS of its task), so the trees learn how much each kind of store costs
without ever being told which store is slow. This "pack-sum" loss is a custom xgboost
objective: the gradient of a row is its program's error.

Accuracy is tracked per round: before each refit, the model predicts the batch just
measured; ``rounds`` keeps, per round, the predictions, the measurements and the pairwise
rank accuracy (0.5 = chance, 1.0 = every pair ordered right).

>>> m = AnsorCostModel(seed=0)
>>> m.update([rows_a, rows_b], [120.0, 80.0], task_key="t")      # doctest: +SKIP
>>> m.predict([rows_c, rows_d])                                  # doctest: +SKIP
"""
from __future__ import annotations

import numpy as np

from ..tune.cost_model import normalize_per_group, rank_accuracy


def _pack(programs: list) -> tuple:
    """Stack per-program row blocks; returns ``(X, segment starts, segment lengths)``."""
    lengths = np.array([len(p) for p in programs], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    X = np.concatenate(programs, axis=0) if programs else np.zeros((0, 1), np.float32)
    return X.astype(np.float32), starts, lengths


class AnsorCostModel:
    """Boosted trees scoring programs by the sum of their per-store scores (higher = faster)."""

    def __init__(self, seed: int = 0, num_rounds: int = 60, max_depth: int = 8, eta: float = 0.2, nthread: int = 1):
        self.seed, self.num_rounds, self.nthread = seed, num_rounds, nthread
        self.params = {"max_depth": max_depth, "eta": eta, "gamma": 1e-4, "min_child_weight": 1.0,
                       "lambda": 1.0, "nthread": nthread, "seed": seed, "verbosity": 0, "base_score": 0.0}
        self.booster = None
        self.features: list = []   # per measured program: its row block
        self.throughput: list = []  # measured GFLOPS (0 on error)
        self.task_of: list = []     # task key per measured program
        self.rounds: list = []      # per update: {"predicted", "measured", "rank_accuracy"}

    @property
    def fitted(self) -> bool:
        return self.booster is not None

    def predict(self, programs: list) -> np.ndarray:
        """Scores of programs given as their per-store row blocks (zeros before the first fit)."""
        if not programs:
            return np.zeros(0)
        if self.booster is None:
            return np.zeros(len(programs))
        import xgboost as xgb
        X, starts, _ = _pack(programs)
        per_row = self.booster.predict(xgb.DMatrix(X))
        return np.add.reduceat(per_row, starts).astype(np.float64)

    def update(self, programs: list, gflops: list, task_key: str = "") -> None:
        """Add measured programs (row blocks and GFLOPS, 0 for failures) and refit.

        The batch is first scored by the current model, so ``rounds`` shows how well the
        model predicted programs it had not seen.
        """
        if not programs:
            return
        if self.fitted:
            pred = self.predict(programs)
            ok = [k for k, g in enumerate(gflops) if g > 0]
            acc = rank_accuracy(pred[ok], np.asarray(gflops)[ok]) if len(ok) >= 2 else None
            self.rounds.append({"predicted": pred.tolist(), "measured": list(map(float, gflops)),
                                "rank_accuracy": acc})
        self.features += list(programs)
        self.throughput += [float(g) for g in gflops]
        self.task_of += [task_key] * len(programs)
        self.fit()

    def fit(self) -> None:
        """Train from scratch on every measured program (a few hundred: tens of milliseconds)."""
        import xgboost as xgb
        labels = normalize_per_group(self.throughput, self.task_of)
        if len(np.unique(labels)) < 2:
            return
        X, starts, lengths = _pack(self.features)
        seg = np.repeat(np.arange(len(lengths)), lengths)

        def pack_sum_squared_error(preds, _dtrain):
            sums = np.add.reduceat(preds, starts)
            err = sums - labels
            return err[seg], np.ones_like(preds)

        dm = xgb.DMatrix(X)
        self.booster = xgb.train(self.params, dm, num_boost_round=self.num_rounds, obj=pack_sum_squared_error)

    def rank_accuracy_history(self) -> list:
        """The pairwise rank accuracy of each round's predictions (None where it could not be computed)."""
        return [r["rank_accuracy"] for r in self.rounds]
