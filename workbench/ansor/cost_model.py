"""Ansor's learned cost model: xgboost over per-store features, a program's score is the sum.

Each program contributes one feature row per buffer store (``features.store_features``).
The model predicts a score per row; a program's score is the sum over its rows, and the
training loss compares those sums with the programs' measured throughputs, so the trees
learn how much each kind of store costs without ever being told which store is slow. The
loss is a custom xgboost objective on the sums ("pack-sum"); the gradient of a row is its
program's. Two losses:

- ``"rank"`` (the default): pairwise logistic loss over every pair of programs of the same
  task with different throughputs: the search only needs to know which program is faster,
  as AutoTVM's model (``rank:pairwise``). Scores are then on no particular scale.
- ``"reg"``: squared error against the normalized throughput (measured GFLOPS / best
  GFLOPS of its task), Ansor's original loss.

Why rank: measured programs of 4 tuning runs of 64 trials (ResNet-18's 3x3 conv; 3 runs for the
512x512 matmul), trained on random subsets and scored on the rest (16 splits each): the 16 programs
each loss ranks highest averaged, after 16 / 32 / 48 trials, 0.68 / 0.73 / 0.76 of the best throughput
with ``rank`` against 0.57 / 0.69 / 0.74 with ``reg`` on the conv, 0.67 / 0.68 / 0.73 against
0.66 / 0.63 / 0.70 on the matmul, with pairwise rank accuracies within 0.03 of each other.

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


def squared_error(labels: np.ndarray, _tasks: np.ndarray):
    """The loss ``"reg"``: ``(sum - label)^2 / 2`` per program; returns ``sums -> (gradient, hessian)``."""
    return lambda sums: (sums - labels, np.ones_like(sums))


def pairwise_logistic(labels: np.ndarray, tasks: np.ndarray):
    """The loss ``"rank"``: ``log(1 + exp(-(s_i - s_j)))`` for every pair of programs of one task where
    ``i`` measured faster than ``j``, averaged per program; returns ``sums -> (gradient, hessian)``.

    >>> g, h = pairwise_logistic(np.array([1.0, 0.5]), np.array(["t", "t"]))(np.zeros(2))
    >>> g.tolist(), h.round(3).tolist()   # push the faster one up, the slower one down
    ([-0.25, 0.25], [0.125, 0.125])
    """
    groups = [np.flatnonzero(tasks == t) for t in np.unique(tasks)]
    faster = [(labels[g][:, None] > labels[g][None, :]).astype(np.float64) for g in groups]
    n = len(labels)

    def loss(sums):
        grad, hess = np.zeros(n), np.zeros(n)
        for g, f in zip(groups, faster):
            pairs = f + f.T                                   # 1 where the two differ
            p = 0.5 + 0.5 * np.tanh((sums[g][:, None] - sums[g][None, :]) / 2)   # P(i above j), a sigmoid
            grad[g] = ((p - f) * pairs).sum(axis=1) / len(g)
            hess[g] = (p * (1.0 - p) * pairs).sum(axis=1) / len(g) + 1e-6
        return grad, hess
    return loss


LOSSES = {"rank": pairwise_logistic, "reg": squared_error}


class AnsorCostModel:
    """Boosted trees scoring programs by the sum of their per-store scores (higher = faster)."""

    def __init__(self, seed: int = 0, num_rounds: int = 60, max_depth: int = 8, eta: float = 0.2, nthread: int = 1,
                 objective: str = "rank"):
        if objective not in LOSSES:
            raise ValueError(f"AnsorCostModel: objective must be one of {sorted(LOSSES)}, got {objective!r}")
        self.seed, self.num_rounds, self.nthread, self.objective = seed, num_rounds, nthread, objective
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
        loss = LOSSES[self.objective](labels, np.asarray(self.task_of))

        def pack_sum(preds, _dtrain):
            grad, hess = loss(np.add.reduceat(preds, starts))
            return grad[seg], hess[seg]

        self.booster = xgb.train(self.params, xgb.DMatrix(X), num_boost_round=self.num_rounds, obj=pack_sum)

    def rank_accuracy_history(self) -> list:
        """The pairwise rank accuracy of each round's predictions (None where it could not be computed)."""
        return [r["rank_accuracy"] for r in self.rounds]
