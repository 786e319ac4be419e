"""The task scheduler: share a trial budget among the tasks of a model.

The model's latency is estimated as ``sum(weight_i * best_seconds_i)``. After one warm-up
round per task, each round goes to the task whose next round is expected to cut that
sum the most (Ansor's gradient strategy): the expected gain of task ``i`` mixes its
recent progress (how much its latency fell over its last rounds) with an optimistic
guess (its latency could keep falling in proportion to what it has reached so far),
times its weight. ``strategy="round-robin"`` gives every task a round in turn, for
comparison. All tasks share one cost model (labels are normalized per task). At the end, each task's
``confirm`` best programs are measured again in turns and the lowest median wins (``tune.confirm``).

>>> tasks = extract_tasks(mod)                                     # doctest: +SKIP
>>> sched = TaskScheduler(tasks)                                   # doctest: +SKIP
>>> sched.tune(n_trial=256, records="resnet.jsonl")                # doctest: +SKIP
>>> print(sched.table())                                           # doctest: +SKIP
"""
from __future__ import annotations

import math
import random
import sys

from ..errors import TuningError
from .cost_model import AnsorCostModel
from .task import SearchTask
from .tuner import AnsorTuner

STRATEGIES = ("gradient", "round-robin")


class TaskScheduler:
    """Tune several ``SearchTask``s (or ``(task, weight)`` pairs) within one trial budget."""

    def __init__(self, tasks, strategy: str = "gradient", seed: int = 0, batch_size: int = 16,
                 backward_window: int = 3, alpha: float = 0.2, eps: float = 0.05, population: int = 96):
        if strategy not in STRATEGIES:
            raise TuningError(f"TaskScheduler: strategy must be one of {STRATEGIES}, got {strategy!r}")
        pairs = [t if isinstance(t, tuple) else (t, 1) for t in tasks]
        if not pairs or not all(isinstance(t, SearchTask) and w > 0 for t, w in pairs):
            raise TuningError("TaskScheduler: give a non-empty list of SearchTask or (SearchTask, weight > 0), "
                              "e.g. ansor.extract_tasks(mod)")
        self.tasks = [t for t, _ in pairs]
        self.weights = [float(w) for _, w in pairs]
        self.strategy, self.batch_size = strategy, batch_size
        self.window, self.alpha, self.eps = backward_window, alpha, eps
        self.rng = random.Random(seed)
        self.model = AnsorCostModel(seed=seed)
        self.tuners = [AnsorTuner(t, seed=seed + k, model=self.model, population=population)
                       for k, t in enumerate(self.tasks)]
        from ..tune.callbacks import History
        self.histories = [History() for _ in self.tasks]
        self.latency_trace: list = []   # (total trials, estimated latency) after each round
        self.curves = [[] for _ in self.tasks]   # per task: best seconds after each of its rounds
        self.rounds = [0] * len(self.tasks)
        self.order: list = []           # task index of each round, in order
        self.exhausted: set = set()     # tasks whose search has nothing new to propose

    # ---------------------------------------------------------------- estimates
    def best_seconds(self, i: int) -> float:
        return self.tuners[i].best_seconds

    def estimated_latency(self) -> float:
        """``sum(weight * best seconds)`` over tasks (inf until every task has run once)."""
        return sum(w * self.best_seconds(i) for i, w in enumerate(self.weights))

    def _gain(self, i: int) -> float:
        """Expected latency cut of one more round of task ``i`` (higher = better use of trials)."""
        curve = self.curves[i]
        g = curve[-1] if curve else math.inf
        if not math.isfinite(g):
            return math.inf
        back = curve[-1 - self.window] if len(curve) > self.window else curve[0]
        recent = (back - g) / min(self.window, max(1, len(curve) - 1))
        optimistic = g / max(1, self.rounds[i])
        return self.weights[i] * (self.alpha * recent + (1 - self.alpha) * optimistic)

    def _pick(self) -> int:
        live = [i for i in range(len(self.tasks)) if i not in self.exhausted]
        not_run = [i for i in live if self.rounds[i] == 0]
        if not_run:
            return not_run[0]
        if self.strategy == "round-robin":
            return min(live, key=lambda i: (self.rounds[i], i))
        if self.rng.random() < self.eps:
            return self.rng.choice(live)
        return max(live, key=lambda i: self._gain(i))

    # ---------------------------------------------------------------- the loop
    def tune(self, n_trial: int, measurer=None, records=None, callbacks=(), verbose: bool = True,
             confirm: int = 4, confirm_rounds: int = 3):
        """Spend ``n_trial`` measurements over the tasks; returns ``{task key: History}``.

        ``records``: a records file; programs already in it are resumed (they teach the
        model and count toward their task's rounds) and new results are appended.
        ``confirm``: then, for each task with new trials, measure this many of its best again,
        ``confirm_rounds`` times in turns, and keep the lowest median (0: none).
        """
        from ..tune import confirm as cf
        from ..tune.callbacks import log_to_file
        from ..tune.measure import Measurer
        cf.check(confirm, confirm_rounds)
        own = measurer is None
        measurer = Measurer() if own else measurer
        logger = log_to_file(records, tool="ansor") if records is not None else None
        try:
            if records is not None:
                for k, tuner in enumerate(self.tuners):
                    tuner._resume(records, self.histories[k])
                    if tuner.trial:
                        self.rounds[k] += 1
                        self.curves[k].append(tuner.best_seconds)
            done = sum(t.trial for t in self.tuners)
            start = [t.trial for t in self.tuners]
            while done < n_trial:
                i = self._pick()
                tuner = self.tuners[i]
                cbs = ([logger] if logger else []) + [self.histories[i]] + list(callbacks)
                results = tuner.step(measurer, min(self.batch_size, n_trial - done), cbs)
                if not results:  # this task has nothing left to propose: stop picking it
                    self.exhausted.add(i)
                    if len(self.exhausted) == len(self.tasks):
                        break
                    continue
                done += len(results)
                self.rounds[i] += 1
                self.curves[i].append(tuner.best_seconds)
                self.order.append(i)
                self.latency_trace.append((done, self.estimated_latency()))
                if verbose:
                    lat = self.estimated_latency()
                    print(f"[{done:>5}/{n_trial}] task {i} {self.tasks[i].name:<24} best "
                          f"{tuner.best_gflops:8.1f} GFLOPS   estimated latency "
                          f"{lat * 1e3 if math.isfinite(lat) else float('nan'):8.3f} ms", file=sys.stdout)
            tuned = [k for k, tuner in enumerate(self.tuners) if tuner.trial > start[k]]
            if confirm >= 2 and tuned:
                for k in tuned:
                    self.tuners[k].confirm(measurer, confirm, confirm_rounds, records, self.histories[k])
                if verbose:
                    lat = self.estimated_latency()
                    print(f"confirmed the best {confirm} of each of {len(tuned)} tuned tasks in {confirm_rounds} "
                          f"rounds: estimated latency {lat * 1e3 if math.isfinite(lat) else float('nan'):8.3f} ms",
                          file=sys.stdout)
        finally:
            if own:
                measurer.close()
        return {t.key: h for t, h in zip(self.tasks, self.histories)}

    def trials(self) -> list:
        """Trials measured per task."""
        return [t.trial for t in self.tuners]

    def table(self) -> str:
        """The per-task table: weight, flop, trials, best latency and GFLOPS, share of the estimate."""
        total = self.estimated_latency()
        lines = [f"{'#':>2}  {'task':<26} {'weight':>6} {'MFLOP':>9} {'trials':>6} {'best ms':>9} "
                 f"{'GFLOPS':>8} {'share':>6}"]
        for i, t in enumerate(self.tasks):
            sec = self.best_seconds(i)
            share = self.weights[i] * sec / total if math.isfinite(total) and total > 0 else float("nan")
            lines.append(f"{i:>2}  {t.name[:26]:<26} {self.weights[i]:>6.0f} {t.flop / 1e6:>9.1f} "
                         f"{self.tuners[i].trial:>6} {sec * 1e3 if math.isfinite(sec) else float('nan'):>9.3f} "
                         f"{self.tuners[i].best_gflops:>8.1f} {share:>6.1%}")
        lines.append(f"estimated end-to-end latency: {total * 1e3:.3f} ms" if math.isfinite(total)
                     else "estimated end-to-end latency: not every task has a measured program yet")
        return "\n".join(lines)

    def __repr__(self):
        return f"<TaskScheduler {len(self.tasks)} tasks, {sum(self.trials())} trials, {self.strategy}>"
