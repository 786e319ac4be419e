"""Programs: a sketch with every open value decided, applied as ordinary schedule primitives.

A program's ``decisions`` are plain JSON, grouped by stage (so crossover can take a
stage's decisions from either parent):

- ``tile``: for a tiled stage, the inner factors of each axis (3 per spatial axis for
  levels 1..3, 1 per reduction axis); the outermost level gets the rest;
- ``at``: the consumer level (0 or 1) a tiled stage is computed inside;
- ``par``: how many outer loops longer than 1 are fused into the parallel loop (0 = none);
- ``vec``: the vector width of a simple stage's innermost loop (1 = none);
- ``unroll``: the ``auto_unroll_max_step`` pragma (0 = none);
- ``loc``: a placed stage's compute location (``"root"``, ``"inline"`` or a reader's name);
- ``rf``: the split factor of an rfactor and which part (``"outer"``: parallel partial
  sums, ``"inner"``: vector lanes of partial sums).

``apply`` replays the sketch with these decisions through the same primitives a user
calls, so the result is an ordinary ``Schedule`` whose ``trace`` prints as Python,
replays, and is what the records store.

>>> prog = sample_program(sketch, random.Random(0))      # doctest: +SKIP
>>> s = prog.apply(); print(s.trace)                      # doctest: +SKIP
"""
from __future__ import annotations

import functools
import json
import math
import random

from ..errors import ScheduleError
from ..graph.op.schedules.conv2d import ACC_REGISTERS
from ..graph.op.schedules.generic import VECTOR
from ..schedule import create_schedule
from ..te.tensor import IterKind
from .sketch import Sketch

UNROLL_STEPS = (0, 16, 64, 512)
MAX_INNER = 64          # the innermost tile factor (vector lanes) is at most this
VECTOR_WIDTHS = (1, 4, 8, 16, 32, 64)
VECTOR_LANES = VECTOR           # float32 lanes of one vector register (AVX-512)
REGISTER_PRIOR = 0.75   # share of random tilings whose innermost level is a register block (the rest: uniform)
SAMPLE_TRIES = 32       # draws of a tiling before giving up on the thread split of its leading axis


@functools.lru_cache(maxsize=4096)
def factorizations(extent: int, parts: int, max_inner: int = MAX_INNER) -> tuple:
    """Every way to write ``extent`` as ``outer * f1 * ... * f_parts`` exactly, as tuples ``(f1..f_parts)``
    (innermost last, at most ``max_inner``).

    >>> factorizations(8, 2)[:4]
    ((1, 1), (2, 1), (4, 1), (8, 1))
    """
    divs = [d for d in range(1, extent + 1) if extent % d == 0]

    def rec(rest: int, k: int) -> list:
        if k == 0:
            return [()]
        out = []
        for d in divs:
            if rest % d == 0:
                out += [t + (d,) for t in rec(rest // d, k - 1)]
        return out
    return tuple(t for t in rec(extent, parts) if t[-1] <= max_inner)


class Program:
    """A complete program: a sketch of a task plus its decisions."""

    def __init__(self, sketch: Sketch, decisions: dict):
        self.sketch = sketch
        self.decisions = decisions

    @property
    def dag(self):
        return self.sketch.dag

    def key(self) -> str:
        """A canonical string of the program (equal programs, equal keys)."""
        return f"{self.sketch.index}:" + json.dumps(self.decisions, sort_keys=True)

    def to_json(self) -> dict:
        """The records ``config``: sketch, decisions and the resulting schedule trace."""
        s = self.apply()
        return {"sketch": self.sketch.index, "decisions": self.decisions,
                "trace": json.loads(s.trace.to_json()), "flop": self.dag.flop}

    def apply(self, outputs=None):
        """The schedule of this program (a fresh ``Schedule`` with its trace); raises ``ScheduleError``."""
        s = create_schedule([t.op for t in (outputs or self.dag.outputs)])
        _Applier(self, s).run()
        return s

    def copy(self) -> "Program":
        return Program(self.sketch, json.loads(json.dumps(self.decisions)))

    def __repr__(self):
        return f"Program({self.sketch.name}, {json.dumps(self.decisions, sort_keys=True)})"


class BaselineProgram:
    """The schedule a task gets without tuning (e.g. an op's hand-written default), measured like any
    program, so that tuning never ends up slower than not tuning: records keep it beside the programs
    the search found, and compiling picks whichever was fastest."""

    sketch = None
    decisions: dict = {}

    def __init__(self, dag, make=None, trace=None):
        self.dag, self._make, self._trace = dag, make, trace

    def key(self) -> str:
        return "baseline"

    def apply(self, outputs=None):
        if self._trace is not None:
            return create_schedule([t.op for t in (outputs or self.dag.outputs)]).replay(self._trace)
        return self._make()

    def to_json(self) -> dict:
        return {"sketch": -1, "decisions": {}, "trace": json.loads(self.apply().trace.to_json()),
                "flop": self.dag.flop, "baseline": True}

    def copy(self) -> "BaselineProgram":
        return self

    def __repr__(self):
        return "BaselineProgram(the default schedule)"


def _rows_before_channels(loops: list) -> list:
    """NCHW16c loops ``(n, c, h, w, l)`` as ``(n, h, c, w, l)`` (other ranks unchanged)."""
    return [loops[0], loops[2], loops[1], *loops[3:]] if len(loops) == 5 else loops


class _Applier:
    def __init__(self, prog: Program, s):
        self.p, self.s = prog, s
        self.d = prog.decisions
        self.levels: dict = {}   # tiled stage -> {"S0": [...], "S1": [...], "R0": [...], ...}
        self.attach: dict = {}   # tiled stage -> (consumer stage, axis) it is computed at

    def dec(self, stage: str) -> dict:
        return self.d.get(stage, {})

    def run(self):
        plans = self.p.sketch.plans
        for p in plans.values():                       # cache stages first (before any loop change)
            if p.kind == "tile" and p.cache:
                self.s.cache_write(self.s.stage_by_name(p.consumer).op.output(0), "local")
        for p in plans.values():
            if p.kind == "inline" or (p.kind == "place" and self.dec(p.stage).get("loc") == "inline"):
                self.s.stage_by_name(p.stage).compute_inline()
        for p in plans.values():
            if p.kind == "rfactor":
                self._rfactor(p)
        for p in plans.values():
            if p.kind == "tile":
                self._tile(p)
        for p in plans.values():
            if p.kind == "simple" or (p.kind == "place" and self.dec(p.stage).get("loc", "root") == "root"):
                self._simple(p.stage)
        for p in plans.values():
            if p.kind == "place" and self.dec(p.stage).get("loc", "root") not in ("root", "inline"):
                self._place(p)

    # ------------------------------------------------------------------ tiling
    def _split_levels(self, st, axis, factors):
        """Split ``axis`` by ``factors`` (innermost last): returns the loops outermost first."""
        loops = []
        cur = axis
        for f in reversed(factors):
            cur, inner = st.split(cur, factor=int(f))
            loops.insert(0, inner)
        return [cur] + loops

    def _tile(self, p):
        s, name = self.s, p.stage
        st = s.stage_by_name(name)
        d = self.dec(name)
        tiles = d.get("tile", {})
        spatial = list(st.op.axis)
        reduce = list(st.op.reduce_axis)
        at = d.get("at", 1) if p.consumer else None
        # the consumer first: 3 levels (rest, f1, f2*f3); this stage is computed inside level ``at``
        if p.consumer:
            cs = s.stage_by_name(p.consumer)
            c_levels = [[], [], []]
            k_unblock, lanes = p.unblock or (None, 1)
            for k, (ax, cax) in enumerate(zip(spatial, cs.op.axis)):
                f1, f2, f3 = tiles[ax.name]
                inner = f2 * f3 * (lanes if k == k_unblock else 1)   # an unblocked axis also spans the lanes
                loops = self._split_levels(cs, cax, [f1, inner])
                for k in range(3):
                    c_levels[k].append(loops[k])
            if self._rows_first(name):
                c_levels[0] = _rows_before_channels(c_levels[0])
            cs.reorder(*(c_levels[0] + c_levels[1] + c_levels[2]))
            attach_axis = c_levels[at][-1]
            outer = self._parallel_prefix(cs, c_levels[0], int(d.get("par", 1)))
            if outer:
                fused = cs.fuse(*outer) if len(outer) > 1 else outer[0]
                cs.parallel(fused)
                if at == 0 and len(outer) == len(c_levels[0]):
                    attach_axis = fused
            if c_levels[2] and self._vec_ok(cs, c_levels[2][-1]):
                cs.vectorize(c_levels[2][-1])
            if d.get("unroll", 0):
                cs.pragma(cs.leaf_iter_vars[0], "auto_unroll_max_step", int(d["unroll"]))
            st.compute_at(cs, attach_axis)
            self.attach[name] = (cs, attach_axis)
        # this stage: SSRSRS, minus the levels the consumer already covers
        first = 0 if at is None else at + 1
        lv = {k: [] for k in ("S0", "S1", "R0", "S2", "R1", "S3")}
        for ax in spatial:
            f = list(tiles[ax.name])
            loops = self._split_levels(st, ax, f[first:])
            for k, loop in zip(range(first, 4), loops):
                lv[f"S{k}"].append(loop)
        for ax in reduce:
            (g,) = tiles[ax.name]
            k0, k1 = self._split_levels(st, ax, [g])
            lv["R0"].append(k0)
            lv["R1"].append(k1)
        if self._rows_first(name):
            lv["S0"] = _rows_before_channels(lv["S0"])
        order = lv["S0"] + lv["S1"] + lv["R0"] + lv["S2"] + lv["R1"] + lv["S3"]
        st.reorder(*order)
        self.levels[name] = lv
        if at is None:
            outer = self._parallel_prefix(st, lv["S0"], int(d.get("par", 1)))
            if outer:
                fused = st.fuse(*outer) if len(outer) > 1 else outer[0]
                st.parallel(fused)
                lv["S0"] = [fused] + lv["S0"][len(outer):]
        if lv["S3"] and self._vec_ok(st, lv["S3"][-1]):
            st.vectorize(lv["S3"][-1])
        if d.get("unroll", 0):
            st.pragma(st.leaf_iter_vars[0], "auto_unroll_max_step", int(d["unroll"]))

    def _rows_first(self, name: str) -> bool:
        src = name[:-len(".local")] if name.endswith(".local") else name
        return self.p.dag[src].rows_first

    @staticmethod
    def _parallel_prefix(st, axes: list, par: int) -> list:
        """The outer ``axes`` to fuse into the parallel loop: up to and including the ``par``-th one
        longer than 1 (loops of extent 1 add no parallelism, so they do not count)."""
        if par <= 0:
            return []
        seen = 0
        for k, iv in enumerate(axes):
            if (st.extent_of(iv) or 1) > 1:
                seen += 1
                if seen == par:
                    return axes[:k + 1]
        return list(axes)

    @staticmethod
    def _vec_ok(st, iv) -> bool:
        e = st.extent_of(iv)
        return iv.kind is IterKind.DATA and e is not None and 1 < e <= MAX_INNER

    # ------------------------------------------------------------------ other plans
    def _simple(self, name: str):
        st = self.s.stage_by_name(name)
        d = self.dec(name)
        data = [iv for iv in st.leaf_iter_vars if iv.kind is IterKind.DATA]
        has_reduce = any(iv.kind is IterKind.REDUCE for iv in st.leaf_iter_vars)
        if self._rows_first(name) and len(data) == 5 and not has_reduce:  # the pad of a conv that splits rows
            data = _rows_before_channels(data)
            st.reorder(*data)
        vec = int(d.get("vec", 1))
        inner = None
        if vec > 1 and data and not has_reduce:
            last = data[-1]
            if (st.extent_of(last) or 0) >= vec:
                outer, inner = st.split(last, factor=vec)
                data = data[:-1] + [outer]
        outer = self._parallel_prefix(st, data, int(d.get("par", 0)))
        if outer:
            fused = st.fuse(*outer) if len(outer) > 1 else outer[0]
            st.parallel(fused)
        if inner is not None:
            st.vectorize(inner)
        if d.get("unroll", 0) and st.leaf_iter_vars:
            st.pragma(st.leaf_iter_vars[0], "auto_unroll_max_step", int(d["unroll"]))

    def _place(self, p):
        target = self.dec(p.stage)["loc"]
        if target not in p.readers:
            raise ScheduleError(f'ansor: stage "{p.stage}" cannot be placed inside "{target}"; '
                                f"choices: root, inline, {', '.join(p.readers)}")
        where = self.dec(p.stage).get("level", 0)
        lv = self.levels[target]
        spatial_outer = lv["S1"] or lv["S0"]
        candidates = [spatial_outer[-1] if spatial_outer else None, lv["R0"][-1] if lv["R0"] else None]
        axis = candidates[min(int(where), 1)]
        host = self.s.stage_by_name(target)
        if axis is None:  # the tiled stage has no own loop there: use where it is attached
            if target not in self.attach:
                raise ScheduleError(f'ansor: stage "{target}" has no loop to place "{p.stage}" in')
            host, axis = self.attach[target]
        self.s.stage_by_name(p.stage).compute_at(host, axis)

    def _rfactor(self, p):
        s, name = self.s, p.stage
        st = s.stage_by_name(name)
        d = self.dec(name)
        red = [iv for iv in st.leaf_iter_vars if iv.kind is IterKind.REDUCE]
        k = st.fuse(*red) if len(red) > 1 else red[0]
        factor, part = d.get("rf", [16, "inner"])
        ko, ki = st.split(k, factor=int(factor))
        rf = s.rfactor(st.op.output(0), ki if part == "inner" else ko, 0)
        rs = s[rf]
        lanes = rs.op.axis[0]
        if part == "inner":
            others = [iv for iv in rs.leaf_iter_vars if iv is not lanes]
            rs.reorder(*others, lanes)
            if self._vec_ok(rs, lanes):
                rs.vectorize(lanes)
        else:
            rs.parallel(lanes)


# ---------------------------------------------------------------------- sampling
def sample_tile(rng: random.Random, extent: int, parts: int) -> list:
    """Random inner factors of one axis (an exact factorization; innermost at most ``MAX_INNER``)."""
    return list(rng.choice(factorizations(int(extent), parts)))


def register_blocks(extents: list, lanes: int = VECTOR_LANES, registers: int = ACC_REGISTERS,
                    datapath: int | None = None) -> list:
    """The innermost tiles (one factor per spatial axis, the last axis vectorized) whose
    accumulators fit the register file: ``prod(others) * ceil(last / lanes) <= registers``,
    with at least a quarter of them busy (the most that fit when the axes are too short for that)
    and at least 3/4 of the vector lanes doing work where the last axis allows it (a 56-wide row in
    rows of 14 or 28, never of 8: half the lanes idle measured half the speed). A quarter, not
    more: a matmul's single 64-wide row (4 registers) with the reduction unrolled beside it measured
    faster than 8x32 blocks (16), the out-of-order core overlapping the rows.

    Lanes count as doing work by the vector units (``datapath``, default ``codegen.target.datapath_lanes``):
    where they are 8 lanes wide (AMD Zen 4 runs a 512-bit instruction as two halves) a row of 8 in a
    register costs half an instruction and idles nothing, so rows of 8 join.

    >>> register_blocks([1, 64, 56, 56], datapath=16)[:3]
    [(1, 1, 4, 14), (1, 1, 7, 14), (1, 1, 8, 14)]
    >>> register_blocks([1, 64, 56, 56], datapath=8)[:3]
    [(1, 1, 4, 8), (1, 1, 7, 8), (1, 1, 8, 8)]
    """
    from ..codegen.target import datapath_lanes
    datapath = datapath or datapath_lanes()
    extents = [int(e) for e in extents]
    *others, last = extents
    divs = lambda e, hi: [d for d in range(1, min(e, hi) + 1) if e % d == 0]

    def busy(v: int) -> float:   # the share of the lanes doing work: whole operations of the units, or of registers
        whole = v % datapath == 0 and (v % lanes == 0 or lanes % v == 0)
        return 1.0 if whole else v / (-(-v // lanes) * lanes)
    use = {v: busy(v) for v in divs(last, MAX_INNER)}
    widths = [v for v, u in use.items() if u >= 0.75] or [v for v, u in use.items() if u == max(use.values())]
    fit = {}   # block -> registers
    for v in widths:
        rows = -(-v // lanes)
        blocks = [()]
        for e in others:
            blocks = [b + (d,) for b in blocks for d in divs(e, registers // rows) if math.prod(b) * d * rows <= registers]
        fit.update({b + (v,): math.prod(b) * rows for b in blocks})
    least = min(registers // 4, max(fit.values()))
    return sorted((b for b, r in fit.items() if r >= least), key=lambda b: (b[-1], b))


def _sample_register_tiles(rng: random.Random, extents: list) -> list:
    """Tiles (3 inner factors per spatial axis) whose innermost level is a register block."""
    block = rng.choice(register_blocks(extents))
    return [sample_tile(rng, e // b, 2) + [b] for e, b in zip(extents, block)]


def thread_split_axis(extents, rows_first: bool = False) -> int | None:
    """The axis whose outer tile the threads split, as the default schedules split it: the first
    one longer than 1 (a conv's output channels, a matmul's rows), when the threads divide it.

    Static parallel loops give each thread a contiguous share of the fused outer loops. The
    default schedules all put the output channels there, so a kernel finds the channels it reads
    in the cache of the core that wrote them. A program that splits rows instead measures as fast
    on its own, but the kernel after it in a model then reads from the other core's cache (ResNet-18:
    the max pool after a tuned stem conv, 0.14 -> 0.28 ms; the tuned model slower than the untuned one).
    NCHW16c convs whose default schedule splits rows (``rows_first``, see ``conv2d_packed.split_rows``)
    have their rows (axis 2) split, and put them first among the outer loops.

    >>> import os; os.environ["WORKBENCH_NUM_THREADS"] = "2"
    >>> thread_split_axis([1, 64, 56, 56]), thread_split_axis([1, 3, 8]), splits_for_threads(64, [8, 2, 1])  # 3: no split
    (1, None, True)
    >>> del os.environ["WORKBENCH_NUM_THREADS"]
    """
    from ..codegen.target import default_num_threads
    threads = default_num_threads()
    if rows_first and len(extents) == 5 and extents[2] > 1:
        return 2 if threads > 1 and extents[2] % threads == 0 else None
    k = next((k for k, e in enumerate(extents) if e > 1), None)
    return k if k is not None and threads > 1 and extents[k] % threads == 0 else None


def splits_for_threads(extent: int, inner: list) -> bool:
    """Whether the outer tile of the thread-split axis (``extent`` over the ``inner`` factors) is
    a multiple of the thread count (see ``thread_split_axis``)."""
    from ..codegen.target import default_num_threads
    return (extent // math.prod(inner)) % default_num_threads() == 0


def _non_unit(extents) -> int:
    return sum(e > 1 for e in extents)


def sample_program(sketch: Sketch, rng: random.Random) -> Program:
    """Random annotation: fill every open value of ``sketch``: tile sizes, parallel loops,
    vector widths, unroll depth, compute locations.

    A stage at the root runs its outer loops in parallel, as every stage of Ansor's annotation does;
    only how many of them are fused varies (``par`` >= 1 where the stage has a loop longer than 1).
    With a serial choice, a conv's pad stage (a 0.9 MB copy) left one core idle: 5-10% of the kernel,
    and the search, whose mutations seldom touch the pad, kept it.

    >>> prog = sample_program(task.sketches[0], random.Random(0))   # doctest: +SKIP
    """
    dag, d = sketch.dag, {}
    for name, p in sketch.plans.items():
        if p.kind in ("inline", "consumer"):  # nothing open: the consumer's tiles are its producer's
            continue
        src = name[:-len(".local")] if p.cache else name
        info = dag[src]
        if p.kind == "tile":
            op = dag.op(src)
            split = thread_split_axis(info.spatial, info.rows_first)
            for _ in range(SAMPLE_TRIES):
                if rng.random() < REGISTER_PRIOR:
                    tiles = dict(zip((iv.name for iv in op.axis), _sample_register_tiles(rng, info.spatial)))
                else:
                    tiles = {iv.name: sample_tile(rng, e, 3) for iv, e in zip(op.axis, info.spatial)}
                if split is None or splits_for_threads(info.spatial[split], tiles[op.axis[split].name]):
                    break
            tiles.update({iv.name: sample_tile(rng, e, 1) for iv, e in zip(op.reduce_axis, info.reduction)})
            if p.unblock:  # the blocked lanes stay innermost, whole: the consumer reads them as one channel axis
                tiles[op.axis[-1].name] = [1, 1, p.unblock[1]]
            d[name] = {"tile": tiles, "par": rng.randint(1, max(1, _non_unit(info.spatial))),
                       "unroll": rng.choice(UNROLL_STEPS)}
            if p.consumer:
                d[name]["at"] = rng.randint(0, 1)
        elif p.kind == "rfactor":
            d[name] = {"rf": [rng.choice([4, 8, 16, 32, 64]), rng.choice(["inner", "outer"])]}
        else:  # simple or place
            d[name] = {"par": rng.randint(min(1, _non_unit(info.spatial)), _non_unit(info.spatial)),
                       "vec": rng.choice(VECTOR_WIDTHS),
                       "unroll": rng.choice(UNROLL_STEPS)}
            if p.kind == "place":
                d[name]["loc"] = rng.choice(["root"] + (["inline"] if info.can_inline else []) + list(p.readers))
                d[name]["level"] = rng.randint(0, 1)
    return Program(sketch, d)
