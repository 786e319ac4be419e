"""The XGBoost tuner: a learned cost model picks what to measure next.

Each batch:
1. the model (``tune.cost_model.XGBCostModel``, pairwise ranking by default) is refit
   on every measurement so far (once two batches are in, or at once when warm-started);
2. simulated annealing (``sa.anneal``) walks the space scoring configs with the model,
   starting from the best measured configs, the previous chains and random points;
3. of the ``plan_size`` best-scored unmeasured configs, a greedy pass picks a diverse
   batch: each pick maximizes ``score percentile + diversity * Hamming distance to the
   picks so far`` (distance in knobs changed, as a fraction of all knobs);
4. each slot is replaced by a random config with probability ``eps_greedy``.
Before the model has data, batches are random.

Features (``feature=``): ``"knob"`` encodes each knob's value (split factors as log2,
other values as numbers), computed for thousands of configs at once from per-knob
tables; ``"itervar"`` adds ``tune.features.loop_features`` of the lowered loop nest. With
``"itervar"`` the annealing runs on a knob-only model, and the best ``2 * plan_size``
configs it finds are lowered and re-scored by the full model (lowering every annealing
step would cost seconds per batch).

``warm_start=path`` reads a records file and trains on the rows of tasks with the same
template name (other shapes included: each task is its own ranking group, so their
speeds never mix), so the first batch is already guided.

    >>> tuner = XGBTuner(task, seed=0, feature="knob", plan_size=64, warm_start="old.jsonl")
    >>> tuner.tune(n_trial=200, callbacks=[log_to_file("mm.jsonl")])
"""
from __future__ import annotations

import math
import zlib

import numpy as np

from ...tune.cost_model import XGBCostModel
from ..knobs import ANNOTATION_CODES
from .sa import anneal
from .tuner import Tuner

FEATURES = ("knob", "itervar")
LOSSES = {"rank": "rank", "reg": "reg"}


def encode_plain(value) -> list:
    """Numbers for one knob value given as plain JSON: numbers as signed log2 (split factors
    differ by ratios), annotations by their code, other strings hashed to [0, 1)."""
    if value is None:
        return [0.0]
    if isinstance(value, bool):
        return [float(value)]
    if isinstance(value, (int, float)):
        return [math.copysign(math.log2(1.0 + abs(value)), value)]
    if isinstance(value, str):
        if value in ANNOTATION_CODES:
            return [float(ANNOTATION_CODES[value])]
        return [(zlib.crc32(value.encode()) % 9973) / 9973.0]
    if isinstance(value, dict):
        return [x for k in sorted(value) for x in encode_plain(value[k])]
    if isinstance(value, (list, tuple)):
        return [x for v in value for x in encode_plain(v)] or [0.0]
    return [0.0]


class XGBTuner(Tuner):
    """Model-guided search: XGBoost ranking model + simulated annealing + a diverse batch.

    ``feature``: "knob" or "itervar"; ``loss``: "rank" (``rank:pairwise``) or "reg";
    ``plan_size``: candidates the annealing hands to batch selection; ``num_sa_steps`` and
    ``sa_chains``: annealing length and width; ``diversity``: weight of Hamming distance
    against predicted rank; ``eps_greedy``: chance of a random config per slot;
    ``warm_start``: a records path (or None).
    """

    def __init__(self, task, seed: int = 0, feature: str = "knob", loss: str = "rank", plan_size: int = 64,
                 num_sa_steps: int = 100, sa_chains: int = 128, diversity: float = 0.5, eps_greedy: float = 0.05,
                 warm_start=None, num_rounds: int = 80, include_fallback: bool = True):
        super().__init__(task, seed, include_fallback)
        if feature not in FEATURES:
            raise ValueError(f"XGBTuner: feature must be one of {FEATURES}, got {feature!r}")
        if loss not in LOSSES:
            raise ValueError(f"XGBTuner: loss must be one of {sorted(LOSSES)}, got {loss!r}")
        self.feature = feature
        self.plan_size = plan_size
        self.num_sa_steps = num_sa_steps
        self.sa_chains = sa_chains
        self.diversity = diversity
        self.eps_greedy = eps_greedy
        self.model = XGBCostModel(objective=LOSSES[loss], nthread=1, seed=seed, num_rounds=num_rounds)
        # with "itervar", annealing scores configs with a knob-only model trained on the same data
        self.knob_model = (XGBCostModel(objective=LOSSES[loss], nthread=1, seed=seed, num_rounds=num_rounds)
                           if feature == "itervar" else self.model)
        self._tables = self._knob_tables()
        self._loop_cache: dict = {}    # space index -> loop features (itervar)
        self._func_cache: dict = {}    # space index -> PrimFunc lowered while planning (itervar)
        self._x_knob: list = []        # measured configs of this task: knob features, loop features, GFLOPS
        self._x_loop: list = []
        self._y: list = []
        self._n_batches = 0
        self._chain_ends = None
        self.warm = self._load_warm(warm_start) if warm_start is not None else None
        if self.warm is not None:
            self._fit()

    # -------------------------------------------------------------- features

    def _knob_tables(self) -> list:
        """Per knob, a (choices × width) array of the encoded value of each choice."""
        tables, scale = [], 1
        for name, size in zip(self.knob_names, self.knob_sizes):
            rows = [encode_plain(self.space.get(c * scale).to_json()["knobs"].get(name)) for c in range(size)]
            width = max(len(r) for r in rows)
            tables.append(np.array([r + [0.0] * (width - len(r)) for r in rows], dtype=np.float32))
            scale *= size
        return tables

    def knob_features(self, choices: np.ndarray) -> np.ndarray:
        """Knob features of each row of an (n × knobs) choice array."""
        choices = np.asarray(choices, dtype=np.int64).reshape(-1, len(self._tables))
        return np.concatenate([t[choices[:, k]] for k, t in enumerate(self._tables)], axis=1)

    def _plain_knob_features(self, knobs: dict) -> np.ndarray:
        """Knob features of a config given as plain JSON knobs (a records row; maybe another task)."""
        out = []
        for name, t in zip(self.knob_names, self._tables):
            v = encode_plain(knobs.get(name))[:t.shape[1]]
            out += v + [0.0] * (t.shape[1] - len(v))
        return np.asarray(out, dtype=np.float32)

    def _loop_features_of(self, index: int, func=None) -> np.ndarray:
        from ...tune.features import FEATURE_NAMES, loop_features

        x = self._loop_cache.get(index)
        if x is None:
            if func is None:
                func = self._func_cache.get(index) or self.lowered.get(index)
            if func is None:
                try:
                    func = self.task.lower(self.space.get(index))
                except Exception:  # noqa: BLE001 - an unlowerable config has no loop nest
                    func = None
            x = loop_features(func) if func is not None else np.zeros(len(FEATURE_NAMES), np.float32)
            self._loop_cache[index] = x
        return x

    def _full_features(self, rows: np.ndarray, indices) -> np.ndarray:
        kf = self.knob_features(rows)
        if self.feature == "knob":
            return kf
        return np.concatenate([kf, np.stack([self._loop_features_of(i) for i in indices])], axis=1)

    def _lower(self, cfg):
        f = self._func_cache.pop(cfg.index, None)
        return f if f is not None else super()._lower(cfg)

    # -------------------------------------------------------------- warm start

    def _load_warm(self, path):
        """Training rows from records of tasks with this template name: (knob X, loop X, y, group)."""
        from ...tune import records

        by_key: dict = {}
        for row in records.trials(records.load(path)):
            t = row.get("task", {})
            if t.get("name") != self.task.name or row.get("tool", "autotvm") != "autotvm":
                continue
            by_key.setdefault(t.get("key"), []).append(row)
        if not by_key:
            return None
        xk, xl, y, g = [], [], [], []
        for gid, (key, rows) in enumerate(sorted(by_key.items(), key=lambda kv: str(kv[0])), start=1):
            other = None
            if self.feature == "itervar":
                other = self.task if key == self.task.key else self._other_task(rows[0]["task"])
            for row in rows[:512]:
                res = row.get("result", {})
                costs = res.get("costs") or []
                ok = res.get("error", "ok") == "ok" and costs
                y.append(len(costs) / sum(costs) if ok and sum(costs) > 0 else 0.0)
                xk.append(self._plain_knob_features(row.get("config", {}).get("knobs", {})))
                xl.append(self._warm_loop_features(other, row.get("config", {})) if self.feature == "itervar" else None)
                g.append(gid)
        return xk, xl, y, g

    @staticmethod
    def _other_task(t: dict):
        from ..task import task as make_task
        try:
            return make_task(t["name"], tuple(t.get("args", ())))
        except Exception:  # noqa: BLE001 - a task we cannot rebuild contributes knob features only
            return None

    def _warm_loop_features(self, other, cfg_json) -> np.ndarray:
        from ...tune.features import FEATURE_NAMES, loop_features
        from ..space import ConfigEntity
        try:
            return loop_features(other.lower(ConfigEntity.from_json(other.space, cfg_json)))
        except Exception:  # noqa: BLE001
            return np.zeros(len(FEATURE_NAMES), np.float32)

    # -------------------------------------------------------------- learning

    def update(self, configs: list, results: list) -> None:
        if not configs:
            return
        rows = np.array([self.choices_of(c.index) for c in configs], dtype=np.int64)
        self._x_knob.extend(self.knob_features(rows))
        if self.feature == "itervar":
            self._x_loop.extend(self._loop_features_of(c.index, self.lowered.get(c.index)) for c in configs)
        self._y.extend(self.gflops(r) for r in results)
        self._n_batches += 1
        if self._n_batches >= 2 or self.warm is not None:
            self._fit()

    def _fit(self) -> None:
        xk, xl, y, g = list(self._x_knob), list(self._x_loop), list(self._y), [0] * len(self._y)
        if self.warm is not None:
            wk, wl, wy, wg = self.warm
            xk, xl, y, g = xk + wk, xl + wl, y + wy, g + wg
        if not y:
            return
        Xk = np.stack(xk)
        if self.feature == "itervar":
            self.knob_model.fit(Xk, y, groups=g)
            self.model.fit(np.concatenate([Xk, np.stack(xl)], axis=1), y, groups=g)
        else:
            self.model.fit(Xk, y, groups=g)

    # -------------------------------------------------------------- proposing

    def _starts(self) -> np.ndarray:
        n = self.sa_chains
        top = sorted(self.scores.items(), key=lambda kv: (-kv[1], kv[0]))[:n // 4]
        parts = [np.array([self.choices_of(i) for i, _ in top], dtype=np.int64).reshape(-1, len(self.knob_sizes))]
        if self._chain_ends is not None:
            parts.append(self._chain_ends[:n // 2])
        have = sum(len(p) for p in parts)
        parts.append(self.random_choices(max(0, n - have)))
        return np.concatenate(parts)[:n]

    def _plan(self) -> tuple:
        """Unmeasured candidates the model likes, best first: (rows, indices, scores)."""
        keep = self.plan_size if self.feature == "knob" else 2 * self.plan_size
        rows, scores, self._chain_ends = anneal(
            lambda r: self.knob_model.predict(self.knob_features(r)), self.knob_sizes, self.rng, self._starts(),
            self.num_sa_steps, self.indices_of, exclude=self.visited, n_keep=keep)
        indices = self.indices_of(rows) if len(rows) else []
        if self.feature == "itervar" and len(rows):
            self._func_cache = {}
            for i in indices:
                try:
                    self._func_cache[i] = self.task.lower(self.space.get(i))
                except Exception:  # noqa: BLE001
                    pass
            scores = self.model.predict(self._full_features(rows, indices))
            order = np.argsort(-scores, kind="stable")[:self.plan_size]
            rows, scores = rows[order], scores[order]
            indices = [indices[j] for j in order]
        return rows, indices, scores

    def _diverse(self, rows: np.ndarray, n: int) -> list:
        """Greedy picks from ``rows`` (best first): predicted rank plus distance to earlier picks."""
        m = len(rows)
        if m == 0:
            return []
        pct = 1.0 - np.arange(m) / m
        picked = [0]
        mind = np.sum(rows != rows[0], axis=1) / max(1, rows.shape[1])
        while len(picked) < min(n, m):
            gain = pct + self.diversity * mind
            gain[picked] = -np.inf
            j = int(np.argmax(gain))
            picked.append(j)
            mind = np.minimum(mind, np.sum(rows != rows[j], axis=1) / max(1, rows.shape[1]))
        return picked

    def next_batch(self, n: int) -> list:
        if not self.model.fitted:
            self.last_predictions = None
            return [self.space.get(i) for i in self.random_unvisited(n)]
        rows, indices, _ = self._plan()
        chosen = [indices[j] for j in self._diverse(rows, n)]
        taken = set(chosen)
        for slot in range(len(chosen)):
            if self.rng.random() < self.eps_greedy:
                r = self.random_unvisited(1, exclude=taken)
                if r:
                    taken.add(r[0])
                    chosen[slot] = r[0]
        chosen += self.random_unvisited(n - len(chosen), exclude=taken)
        crow = np.array([self.choices_of(i) for i in chosen], dtype=np.int64).reshape(-1, len(self.knob_sizes))
        self.last_predictions = self.model.predict(self._full_features(crow, chosen)).tolist() if chosen else None
        return [self.space.get(i) for i in chosen]
