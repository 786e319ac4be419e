"""A learned cost model: gradient-boosted trees (xgboost) that rank candidate schedules.

Tuners only need to know which candidates are *faster*, not by how much, so the
default objective is a pairwise ranking loss (``rank:pairwise``): the model learns
to order configs by measured throughput. Labels are throughputs normalized to
``[0, 1]`` within each group (one group per task), so records of several tasks of
the same template can train one model (warm start) without their scales mixing.

xgboost runs with ``nthread=1`` (see NOTES.md: on two cores, OpenMP busy-waiting
makes training ten times slower while a measurement runs beside it). With one thread
there is no team to busy-wait, so nothing changes the process's ``OMP_WAIT_POLICY``:
setting it to PASSIVE at import used to slow every compiled kernel's parallel loops
(MobileNetV2 6.1 ms instead of 4.8 ms).

    >>> m = XGBCostModel(seed=0)
    >>> m.fit(X, gflops)                  # higher is better
    >>> scores = m.predict(X_candidates)  # higher means predicted faster
    >>> rank_accuracy(scores, true_gflops)
"""
from __future__ import annotations

import numpy as np

OBJECTIVES = {"rank": "rank:pairwise", "reg": "reg:squarederror"}


class XGBCostModel:
    """Boosted trees over feature vectors, predicting a score where higher means faster.

    ``objective``: ``"rank"`` (pairwise ranking, the default) or ``"reg"`` (squared
    error on normalized throughput). ``num_rounds`` boosting rounds per fit; a fit
    starts from scratch (data sets here are small: hundreds of rows, tens of ms).
    """

    def __init__(self, objective: str = "rank", nthread: int = 1, seed: int = 0, num_rounds: int = 80,
                 max_depth: int = 6, eta: float = 0.3):
        if objective not in OBJECTIVES:
            raise ValueError(f"XGBCostModel: objective must be one of {sorted(OBJECTIVES)}, got {objective!r}")
        self.objective = objective
        self.nthread = nthread
        self.seed = seed
        self.num_rounds = num_rounds
        self.params = {
            "objective": OBJECTIVES[objective], "nthread": nthread, "seed": seed, "max_depth": max_depth,
            "eta": eta, "min_child_weight": 1e-3 if objective == "rank" else 1.0, "gamma": 1e-4,
            "subsample": 1.0, "lambda": 1.0, "alpha": 0.0, "verbosity": 0,
        }
        if objective == "rank":
            self.params.update({"lambdarank_pair_method": "mean", "lambdarank_num_pair_per_sample": 32})
        self.booster = None
        self.n_features = None

    @property
    def fitted(self) -> bool:
        """True once ``fit`` has trained on data with at least two distinct labels."""
        return self.booster is not None

    def fit(self, X, y, groups=None) -> "XGBCostModel":
        """Train on features ``X`` (n × d) and throughputs ``y`` (n; higher is better, 0 for failures).

        ``groups``: an optional task id per row; labels are normalized within each group and,
        for ranking, only rows of the same group are compared. Returns ``self``.
        """
        import xgboost as xgb

        X = np.asarray(X, dtype=np.float32)
        y = np.asarray(y, dtype=np.float64)
        if X.ndim != 2 or len(X) != len(y):
            raise ValueError(f"XGBCostModel.fit: X must be n×d and y of length n, got {X.shape} and {y.shape}")
        groups = np.zeros(len(y), dtype=np.int64) if groups is None else np.asarray(groups)
        order = np.argsort(groups, kind="stable")  # xgboost wants the rows of a query group contiguous
        X, y, groups = X[order], y[order], groups[order]
        labels = normalize_per_group(y, groups)
        sizes = [int(np.sum(groups == g)) for g in np.unique(groups)]
        self.n_features = X.shape[1]
        if len(np.unique(labels)) < 2:  # nothing to learn from yet
            self.booster = None
            return self
        dm = xgb.DMatrix(X, label=labels)
        if self.objective == "rank":
            dm.set_group(sizes)
        self.booster = xgb.train(self.params, dm, num_boost_round=self.num_rounds)
        return self

    def predict(self, X) -> np.ndarray:
        """Predicted scores (higher is faster); zeros before the model has been fitted."""
        import xgboost as xgb

        X = np.asarray(X, dtype=np.float32)
        if self.booster is None:
            return np.zeros(len(X))
        return self.booster.predict(xgb.DMatrix(X)).astype(np.float64)


def normalize_per_group(y, groups) -> np.ndarray:
    """``y`` divided by the largest value of its group (0 where a group has no positive value), so that
    tasks of different speeds can train one model.

    >>> normalize_per_group([2.0, 4.0, 1.0], ["a", "a", "b"]).tolist()
    [0.5, 1.0, 1.0]
    """
    y, groups = np.asarray(y, dtype=np.float64), np.asarray(groups)
    labels = np.zeros_like(y)
    for g in np.unique(groups):
        sel = groups == g
        top = y[sel].max()
        labels[sel] = y[sel] / top if top > 0 else 0.0
    return labels


def rank_accuracy(pred, truth) -> float:
    """The fraction of pairs with different ``truth`` that ``pred`` orders the same way (0.5 = chance).

        >>> rank_accuracy([1, 2, 3], [10, 20, 30])
        1.0
    """
    pred, truth = np.asarray(pred, dtype=np.float64), np.asarray(truth, dtype=np.float64)
    dp = np.sign(pred[:, None] - pred[None, :])
    dt = np.sign(truth[:, None] - truth[None, :])
    mask = dt != 0
    if not mask.any():
        return 1.0
    return float(np.mean(dp[mask] == dt[mask]))
