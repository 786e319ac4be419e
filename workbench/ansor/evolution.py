"""Evolutionary search over complete programs, guided by the cost model.

The first batch, before the model has learned anything: a ``prior`` share (3/4) of it is the best of
``prior_pool`` (256) random programs by a roofline estimate (``roofline.estimate_cycles``), spread over
register blocks, the rest random programs. Before it, the 16 random programs of a conv's first round
averaged about 90 GFLOPS where the best run at 400, and a search that found nothing good early stayed
with what it had; Ansor alone on ResNet-18's 3x3 conv, 64 trials, each run's best re-measured beside the
run without it, seeds 0-7: better in all 8, 369 against 342 GFLOPS on average.

One later round of search:

1. the population starts from the best programs measured so far (the tuner keeps the best
   few of each register block) plus fresh random programs (random annotation of random sketches);
2. for a few generations, parents are drawn with probability rising with their predicted
   score, and each child is a *mutation* (tile size: move a factor between two tile
   levels; register block: give a stage another block from ``program.register_blocks``;
   parallel extent; unroll depth; compute location; vector width; rfactor) or a
   *crossover* (each stage's decisions taken from one of two parents of the same
   sketch); children that do not lower are dropped;
3. the batch, in this order: an ``exploit`` share of the best predicted *neighbours* of the
   best measured program (one mutation away); a ``novel`` share of programs with register
   blocks not measured yet, the best predicted of each; then the best predicted programs not
   measured yet, at most a ``block_share`` of them with one register block (``register_block``:
   the innermost tiles, see below); last an ``eps`` share of random programs (exploration the
   model cannot veto).

Why the share: the population soon descends from the first good program, and the best
predicted children then all keep its register block, differing in outer tiles or in what
costs little (an unroll depth, the padding's annotations). A model that
has measured one program of another block rates all of that block by it. Without the share,
two C2D searches (seed 2) spent 30 and 36 of their 48 evolved trials on one block (2 channels
x 4 rows x 14 columns) and stopped at 316 and 325 GFLOPS; the same outer tiles around a
4 x 4 x 14 block, one tile-size mutation away, measured 400. With the share no block took
more than 12 of the 48, and the search reached 373.

Why the neighbours, the untried blocks and the block mutation: a failed search stays in one
family (the same padding placement, parallel loops and a few blocks) because the model has seen
nothing else do well, and the tile-size steps from one good block to another pass through blocks
that spill or idle lanes, which it rates low. Each alone, and the three together, raised the mean
of C2D searches a little; none removed the failures. Ansor alone on C2D, 64 trials, each run's
best re-measured side by side with the run without them (GFLOPS, mean over seeds 0-5):
neighbours (a quarter of the batch) 361 vs 353; untried blocks (a quarter) 368 vs 351, both 363
vs 351; untried blocks and the block mutation 363 vs 355. The defaults (an eighth neighbours, a
quarter untried blocks, the block mutation) 350 vs 345 over seeds 10-17, with 2 of 8 runs below
330 against 3 of 8; with 192 trials 405 and 363 vs 370 and 349 (seeds 12, 13).

Every program's lowering and features are computed once and cached by its key.

>>> search = EvolutionarySearch(task, model, random.Random(0))     # doctest: +SKIP
>>> batch = search.next_batch(16, measured=set(), elites=[...])   # doctest: +SKIP
"""
from __future__ import annotations

import json
import math
import random

import numpy as np

from ..errors import TuningError
from .features import store_features
from .program import (MAX_INNER, UNROLL_STEPS, VECTOR_WIDTHS, Program, register_blocks, sample_program,
                      splits_for_threads, thread_split_axis)
from .roofline import estimate_cycles


def _prime_factors(n: int) -> list:
    out, p = [], 2
    while p * p <= n:
        while n % p == 0:
            out.append(p)
            n //= p
        p += 1
    if n > 1:
        out.append(n)
    return out


def mutate_tile(prog: Program, rng: random.Random) -> Program | None:
    """Move one prime factor of one axis between two of its tile levels."""
    tiled = [(s, d) for s, d in prog.decisions.items() if "tile" in d]
    if not tiled:
        return None
    stage, d = tiled[rng.randrange(len(tiled))]
    src = prog.sketch.plans[stage]
    name = stage[:-len(".local")] if src.cache else stage
    op = prog.dag.op(name)
    pinned = {op.axis[-1].name} if src.unblock else set()   # the blocked lanes stay [1, 1, L]
    axes = sorted(a for a in d["tile"] if a not in pinned)
    if not axes:
        return None
    axis = rng.choice(axes)
    inner = list(d["tile"][axis])
    extent = next(int(iv.extent) for iv in list(op.axis) + list(op.reduce_axis) if iv.name == axis)
    levels = [extent // math.prod(inner)] + inner       # outermost first
    movable = [k for k, v in enumerate(levels) if v > 1]
    if not movable:
        return None
    a = rng.choice(movable)
    b = rng.choice([k for k in range(len(levels)) if k != a])
    f = rng.choice(_prime_factors(levels[a]))
    levels[a] //= f
    levels[b] *= f
    if levels[-1] > MAX_INNER:
        return None
    spatial = [int(iv.extent) for iv in op.axis]
    split = thread_split_axis(spatial, prog.dag[name].rows_first)
    if split is not None and op.axis[split].name == axis and not splits_for_threads(extent, levels[1:]):
        return None  # keep the threads splitting the leading axis as every other kernel does
    child = prog.copy()
    child.decisions[stage]["tile"][axis] = levels[1:]
    return child


def mutate_block(prog: Program, rng: random.Random) -> Program | None:
    """Give one tiled stage another register block (``program.register_blocks``), its other tile levels
    kept where they still divide: one step between two good blocks, where moving single factors would
    pass through a block that spills or idles lanes, which the model rates low. None when the
    program has no tiled stage to change or the new tiles would not split the threads' axis evenly.

    >>> from workbench import te
    >>> from workbench.ansor import SearchTask
    >>> A, B = te.placeholder((64, 64), name="A"), te.placeholder((64, 64), name="B")
    >>> k = te.reduce_axis((0, 64), name="k")
    >>> C = te.compute((64, 64), lambda i, j: te.sum(A[i, k] * B[k, j], axis=k), name="C")
    >>> import os; os.environ["WORKBENCH_DATAPATH_LANES"] = "16"   # vector units of 16 lanes (the blocks depend on it)
    >>> prog = sample_program(SearchTask("mm", [A, B], [C]).sketches[0], random.Random(0))
    >>> child = mutate_block(prog, random.Random(0))
    >>> register_block(prog), register_block(child)       # 4 x 64 accumulators -> 1 x 64
    ((('C', (('i', 4), ('j', 64))),), (('C', (('i', 1), ('j', 64))),))
    >>> del os.environ["WORKBENCH_DATAPATH_LANES"]
    """
    tiled = [(s, d) for s, d in prog.decisions.items() if "tile" in d and not prog.sketch.plans[s].unblock]
    if not tiled:
        return None
    stage, d = tiled[rng.randrange(len(tiled))]
    src = prog.sketch.plans[stage]
    name = stage[:-len(".local")] if src.cache else stage
    op, info = prog.dag.op(name), prog.dag[name]
    axes = [iv.name for iv in op.axis]
    current = tuple(d["tile"][a][-1] for a in axes)
    blocks = [b for b in register_blocks(info.spatial) if b != current]
    if not blocks:
        return None
    block = rng.choice(blocks)
    child = prog.copy()
    for a, e, b in zip(axes, info.spatial, block):
        rest, levels = e // b, []
        for f in child.decisions[stage]["tile"][a][:-1][::-1]:   # innermost kept first
            levels.insert(0, math.gcd(f, rest))
            rest //= levels[0]
        child.decisions[stage]["tile"][a] = levels + [b]
    split = thread_split_axis(list(info.spatial), info.rows_first)
    if split is not None and not splits_for_threads(info.spatial[split], child.decisions[stage]["tile"][axes[split]]):
        return None
    return child


def _mutate_field(prog: Program, rng: random.Random, field: str, choices_of) -> Program | None:
    owners = [s for s, d in prog.decisions.items() if field in d]
    if not owners:
        return None
    stage = rng.choice(owners)
    options = [c for c in choices_of(prog, stage) if c != prog.decisions[stage][field]]
    if not options:
        return None
    child = prog.copy()
    child.decisions[stage][field] = rng.choice(options)
    return child


def _spatial(prog, stage) -> int:
    """How many spatial axes of ``stage`` are longer than 1 (the choices of its ``par``)."""
    p = prog.sketch.plans[stage]
    name = stage[:-len(".local")] if p.cache else stage
    return sum(e > 1 for e in prog.dag[name].spatial)


MUTATIONS = {
    "tile_size": mutate_tile,
    "register_block": mutate_block,
    "parallel": lambda p, rng: _mutate_field(p, rng, "par", lambda pr, s: list(range(
        min(1, _spatial(pr, s)), _spatial(pr, s) + 1))),
    "unroll": lambda p, rng: _mutate_field(p, rng, "unroll", lambda pr, s: list(UNROLL_STEPS)),
    "compute_at": lambda p, rng: _mutate_field(p, rng, "at", lambda pr, s: [0, 1]),
    "location": lambda p, rng: _mutate_field(
        p, rng, "loc", lambda pr, s: ["root"] + (["inline"] if pr.dag[s].can_inline else [])
        + list(pr.sketch.plans[s].readers)),
    "location_level": lambda p, rng: _mutate_field(p, rng, "level", lambda pr, s: [0, 1]),
    "vector": lambda p, rng: _mutate_field(p, rng, "vec", lambda pr, s: list(VECTOR_WIDTHS)),
    "rfactor": lambda p, rng: _mutate_field(
        p, rng, "rf", lambda pr, s: [[f, part] for f in (4, 8, 16, 32, 64) for part in ("inner", "outer")]),
}
MUTATION_WEIGHTS = {"tile_size": 6, "register_block": 2, "parallel": 1, "unroll": 1, "compute_at": 1,
                    "location": 1, "location_level": 1, "vector": 1, "rfactor": 1}


def mutate(prog: Program, rng: random.Random) -> Program | None:
    """One random mutation (tile size most often), or None when the drawn one does not apply.

    >>> child = mutate(prog, random.Random(0))   # doctest: +SKIP
    """
    names = list(MUTATION_WEIGHTS)
    kind = rng.choices(names, weights=[MUTATION_WEIGHTS[n] for n in names])[0]
    return MUTATIONS[kind](prog, rng)


def register_block(prog) -> tuple:
    """The innermost tile factors of every tiled stage (the block of accumulators held in registers),
    ``()`` for a program without tiled stages (or the baseline).

    >>> from types import SimpleNamespace as Prog   # only ``decisions`` is read
    >>> register_block(Prog(decisions={"conv.local": {"tile": {"f": [8, 2], "oh": [14, 4], "rc": [64]}}}))
    (('conv.local', (('f', 2), ('oh', 4))),)
    """
    return tuple((stage, tuple((ax, f[-1]) for ax, f in sorted(d["tile"].items()) if len(f) > 1))
                 for stage, d in sorted(prog.decisions.items()) if "tile" in d)


def spread(progs: list, n: int, share: float) -> list:
    """The first ``n`` of ``progs`` (best first) with at most ``ceil(share * n)`` per register block;
    when too few blocks remain for that, the best of the rest fill up.

    >>> from types import SimpleNamespace as Prog
    >>> progs = [Prog(decisions={"c": {"tile": {"f": [8, f]}}}, name=k) for k, f in enumerate([2, 2, 2, 4, 2])]
    >>> [p.name for p in spread(progs, 4, 0.5)]   # at most 2 of block f=2 while other blocks are left
    [0, 1, 3, 2]
    """
    cap = max(1, math.ceil(share * n))
    out, rest, count = [], [], {}
    for p in progs:
        if len(out) >= n:
            break
        b = register_block(p)
        if b and count.get(b, 0) >= cap:
            rest.append(p)
            continue
        count[b] = count.get(b, 0) + 1
        out.append(p)
    return out + rest[:n - len(out)]


def untried_blocks(progs: list, tried: set, n: int) -> list:
    """Up to ``n`` of ``progs`` (best first): the first of each register block not in ``tried``.

    >>> from types import SimpleNamespace as Prog
    >>> progs = [Prog(decisions={"c": {"tile": {"f": [8, f]}}}, name=k) for k, f in enumerate([2, 4, 4, 8, 16])]
    >>> [p.name for p in untried_blocks(progs, {(("c", (("f", 2),)),)}, 2)]   # block f=2 measured already
    [1, 3]
    """
    out, seen = [], set(tried)
    for p in progs:
        if len(out) >= n:
            break
        b = register_block(p)
        if b and b not in seen:
            seen.add(b)
            out.append(p)
    return out


def crossover(a: Program, b: Program, rng: random.Random) -> Program | None:
    """Each stage's decisions from ``a`` or ``b`` (same sketch only; None otherwise).

    >>> child = crossover(prog_a, prog_b, random.Random(0))   # doctest: +SKIP
    """
    if a.sketch is None or a.sketch is not b.sketch:
        return None
    d = {s: json.loads(json.dumps((a if rng.random() < 0.5 else b).decisions.get(s, a.decisions[s])))
         for s in a.decisions}
    return Program(a.sketch, d)


class EvolutionarySearch:
    """Propose batches of programs for ``task``, ranked by ``model`` (an ``AnsorCostModel``)."""

    def __init__(self, task, model, rng: random.Random, population: int = 96, generations: int = 3,
                 mutation_prob: float = 0.85, eps: float = 0.1, block_share: float = 0.25, novel: float = 0.25,
                 exploit: float = 0.125, neighbour_draws: int = 256, prior: float = 0.75, prior_pool: int = 256):
        shares = {"eps": eps, "block_share": block_share, "novel": novel, "exploit": exploit, "prior": prior}
        bad = {k: v for k, v in shares.items() if not 0 <= v <= 1}
        if bad or eps + novel + exploit > 1:
            raise TuningError(f"EvolutionarySearch: eps, block_share, novel, exploit and prior are shares of a batch, "
                              f"each in [0, 1], and eps + novel + exploit at most 1; got {shares}")
        if not isinstance(prior_pool, int) or prior_pool < 0:
            raise TuningError(f"EvolutionarySearch: prior_pool is how many random programs the roofline ranks for the "
                              f"first batch, an integer >= 0 (0: a random first batch); got {prior_pool!r}")
        self.task, self.model, self.rng = task, model, rng
        self.population, self.generations = population, generations
        self.mutation_prob, self.eps, self.block_share = mutation_prob, eps, block_share
        self.novel, self.exploit, self.neighbour_draws = novel, exploit, neighbour_draws
        self.prior, self.prior_pool = prior, prior_pool
        self.programs: dict = {}   # key -> program, of every program lowered (the measured ones among them)
        # program key -> (PrimFunc, features, trace text) or None when it does not lower. Programs with
        # different decisions can give the same schedule (e.g. the vector width of an inlined stage):
        # the trace text identifies what would actually run, so nothing is measured twice.
        self.cache: dict = {}

    def lowered(self, prog: Program):
        """``(PrimFunc, store features, trace text)`` of ``prog``, or None when it is not a legal program."""
        k = prog.key()
        if k not in self.cache:
            self.programs[k] = prog
            try:
                from ..lower import lower
                s = prog.apply()
                f = lower(s, self.task.inputs + self.task.outputs, self.task.name)
                self.cache[k] = (f, store_features(f), s.trace.python())
            except Exception:  # noqa: BLE001 - an illegal program is simply not a candidate
                self.cache[k] = None
        return self.cache[k]

    def _schedules(self, keys) -> set:
        """The trace texts of programs (by key) lowered so far."""
        return {self.cache[k][2] for k in keys if self.cache.get(k) is not None}

    def random_programs(self, n: int, exclude: set, tries: int = 8) -> list:
        """Up to ``n`` legal random programs with distinct schedules, none equal to a program in ``exclude``."""
        out, taken = [], self._schedules(exclude)
        for _ in range(n * tries):
            if len(out) >= n:
                break
            p = sample_program(self.rng.choice(self.task.sketches), self.rng)
            low = self.lowered(p)
            if low is None or low[2] in taken:
                continue
            taken.add(low[2])
            out.append(p)
        return out

    def first_batch(self, n: int, measured: set) -> list:
        """The batch before anything is learned: a ``prior`` share of it the best of ``prior_pool`` random
        programs by the roofline estimate (``roofline.estimate_cycles``), spread over register blocks; the
        rest random programs (what the estimate rates low still gets measured).

        >>> batch = search.first_batch(16, measured=set())   # doctest: +SKIP
        """
        k = round(self.prior * n) if self.prior_pool > 0 else 0
        pool = self.random_programs(self.prior_pool, measured) if k > 0 else []
        cycles = [estimate_cycles(self.lowered(p)[0]) for p in pool]
        best = spread([pool[i] for i in np.argsort(cycles, kind="stable")], k, self.block_share)
        return best + self.random_programs(n - len(best), set(measured) | {p.key() for p in best})

    def neighbours(self, prog: Program) -> list:
        """Legal programs one mutation away from ``prog`` (distinct schedules, ``prog``'s own excluded),
        from ``neighbour_draws`` random mutations.

        >>> near = search.neighbours(best)                  # doctest: +SKIP
        >>> all(search.lowered(p) is not None for p in near)   # doctest: +SKIP
        True
        """
        out, taken = [], {self.lowered(prog)[2]}
        for _ in range(self.neighbour_draws):
            c = mutate(prog, self.rng)
            low = None if c is None else self.lowered(c)
            if low is None or low[2] in taken:
                continue
            taken.add(low[2])
            out.append(c)
        return out

    def _best_neighbours(self, n: int, best: Program, done: set) -> list:
        """The ``n`` neighbours of ``best`` the model rates highest among those whose schedule is not in ``done``."""
        if n <= 0:
            return []
        near = [c for c in self.neighbours(best) if self.lowered(c)[2] not in done]
        if not near:
            return []
        sc = self._scores(near)
        return [near[i] for i in np.argsort(-sc)[:n]]

    def _scores(self, progs: list) -> np.ndarray:
        return self.model.predict([self.lowered(p)[1] for p in progs])

    def next_batch(self, n: int, measured: set, elites: list = ()) -> list:
        """``n`` programs not in ``measured`` (keys): neighbours of ``elites[0]`` (the best measured),
        untried register blocks, the rest evolved by predicted score, plus eps random ones."""
        n_random = max(1, int(round(self.eps * n))) if self.model.fitted else n
        if not self.model.fitted:
            return self.first_batch(n, measured)
        pop = [p for p in elites if self.lowered(p) is not None]
        pop += self.random_programs(max(0, self.population - len(pop)), {p.key() for p in pop})
        seen = {p.key(): p for p in pop}
        for _ in range(self.generations):
            scores = self._scores(pop)
            weights = np.exp((scores - scores.max()) / max(1e-9, scores.std() or 1.0))
            children = []
            for _ in range(self.population):
                a = self.rng.choices(pop, weights=weights)[0]
                if self.rng.random() < self.mutation_prob:
                    c = mutate(a, self.rng)
                else:
                    c = crossover(a, self.rng.choices(pop, weights=weights)[0], self.rng)
                if c is None or c.key() in seen or self.lowered(c) is None:
                    continue
                seen[c.key()] = c
                children.append(c)
            if not children:
                break
            everyone = pop + children
            sc = self._scores(everyone)
            order = np.argsort(-sc)
            pop = [everyone[i] for i in order[:self.population]]
        done = self._schedules(measured)
        near = []
        if self.exploit > 0 and elites and self.lowered(elites[0]) is not None:
            near = self._best_neighbours(round(self.exploit * n), elites[0], done)
            done |= {self.lowered(p)[2] for p in near}
        candidates = [p for p in seen.values() if self.lowered(p)[2] not in done]
        sc = self._scores(candidates) if candidates else np.zeros(0)
        ranked, chosen = [], set()
        for i in np.argsort(-sc):
            trace = self.lowered(candidates[i])[2]
            if trace not in chosen:
                chosen.add(trace)
                ranked.append(candidates[i])
        tried = {register_block(self.programs[k]) for k in measured if k in self.programs}
        fresh = untried_blocks(ranked, tried, round(self.novel * n))
        ranked = [p for p in ranked if all(p is not q for q in fresh)]
        best = near + fresh + spread(ranked, max(0, n - n_random - len(near) - len(fresh)), self.block_share)
        taken = set(measured) | {p.key() for p in best}
        return best + self.random_programs(n - len(best), taken)
