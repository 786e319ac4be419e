"""Sketches: the high-level structure of a program, derived from the compute DAG by rules.

Ansor's derivation rules, applied to each compute stage from the outputs backwards:

=====================  ==========================================================  ==================
rule                   when                                                        plan
=====================  ==========================================================  ==================
always inline          strictly inlinable (elementwise, no branch, not an output)  ``inline``
multi-level tiling     data reuse (matmul, conv), no fusible consumer              ``tile``
tiling with fusion     data reuse and a fusible (elementwise) consumer             ``tile`` + consumer
add cache stage        data reuse, no fusible consumer: write into a local copy    ``tile`` (cache)
                       first, which becomes the fusible consumer
rfactor                a reduction with little parallelism (few outputs, long      ``rfactor``
                       reductions: norms, dot products)
placement              any other non-output stage (padding, a reduction feeding    ``place``
                       several readers): inline, at root, or inside a tiled reader
default                everything else (outputs, elementwise chains' last stage)   ``simple``
=====================  ==========================================================  ==================

A stage with data reuse is tiled SSRSRS (the CPU structure of the paper): each spatial
axis split into 4 levels, each reduction axis into 2, ordered
``S0 S1 R0 S2 R1 S3``. A sketch fixes these structures and leaves every size and
annotation open (``?``); ``program.sample_program`` fills them in.

>>> sketches = generate_sketches(dag)        # doctest: +SKIP
>>> print(sketches[1])                       # doctest: +SKIP
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .analysis import ComputeDAG

LOW_PARALLELISM = 64        # at most this many output points ...
LONG_REDUCTION = 256        # ... over a reduction at least this long: worth an rfactor sketch


@dataclass(frozen=True)
class Plan:
    """What a sketch does with one stage.

    ``kind``: ``"inline"``, ``"tile"`` (multi-level tiling; ``consumer`` is the stage it is
    fused into, ``cache`` says the consumer is a ``cache_write`` copy made for it),
    ``"consumer"`` (tiled in 2 levels to host ``producer``), ``"rfactor"``, ``"place"``
    (a compute location to choose) or ``"simple"`` (parallel outer loops, vector inner loop).
    """
    kind: str
    stage: str
    consumer: str | None = None
    producer: str | None = None
    cache: bool = False
    readers: tuple = ()           # for "place": the stages it could be computed inside
    unblock: tuple | None = None  # for "tile" into a consumer reading it unblocked: (axis k, lanes L)


@dataclass
class Sketch:
    """An ordered set of stage plans for one compute DAG, plus the rules that produced it."""
    dag: ComputeDAG
    plans: dict                    # stage name -> Plan (the tiled stage of a cache plan is "<stage>.local")
    rules: list = field(default_factory=list)
    index: int = 0

    @property
    def name(self) -> str:
        return f"sketch{self.index}"

    def tiled(self) -> list:
        """The plans of the stages tiled SSRSRS."""
        return [p for p in self.plans.values() if p.kind == "tile"]

    def describe(self) -> str:
        """The sketch as lines of schedule steps, ``?`` where the program fills in a value."""
        out = [f"{self.name}: " + ("; ".join(self.rules) or "no rule applies (default annotations only)")]
        for p in self.plans.values():
            st = p.stage
            if p.kind == "inline":
                out.append(f"  s[{st}].compute_inline()")
            elif p.kind == "tile":
                src = st[:-len(".local")] if p.cache else st
                if p.cache:
                    out.append(f"  {st} = s.cache_write({src}, 'local')")
                info = self.dag[src]
                out.append(f"  s[{st}]: split {len(info.spatial)} spatial axes into 4 levels (sizes ?), "
                           f"{len(info.reduction)} reduction axes into 2; reorder S0 S1 R0 S2 R1 S3")
                if p.consumer:
                    out.append(f"  s[{p.consumer}]: split spatial axes into 3 levels (tiles of {st}); "
                               f"s[{st}].compute_at(s[{p.consumer}], level ?)")
                if p.unblock:
                    k, lanes = p.unblock
                    out.append(f"  {p.consumer}'s axis {k} = {st}'s axis {k} x {lanes} + its last axis, whose "
                               f"{lanes} lanes stay innermost (tile [1, 1, {lanes}])")
                top = p.consumer or st
                out.append(f"  s[{top}]: fuse ? outer loops, parallel; vectorize the innermost loop; "
                           f"pragma auto_unroll_max_step=?")
            elif p.kind == "rfactor":
                out.append(f"  s[{st}]: fuse the reduction axes, split by ?, rfactor the ? part "
                           "(parallel or vector lanes)")
            elif p.kind == "place":
                where = ", ".join(["root"] + (["inline"] if self.dag[st].can_inline else [])
                                  + [f"inside {r}" for r in p.readers])
                out.append(f"  s[{st}]: compute location ? in ({where})")
            elif p.kind == "simple":
                out.append(f"  s[{st}]: fuse ? outer loops, parallel; split the innermost by ?, vectorize")
        return "\n".join(out)

    __str__ = describe

    def __repr__(self):
        return f"Sketch({self.name}: {'; '.join(self.rules)})"


def _low_parallelism(info) -> bool:
    return info.has_reduce and info.spatial_size <= LOW_PARALLELISM and info.reduce_size >= LONG_REDUCTION


def generate_sketches(dag: ComputeDAG) -> list:
    """Every sketch the derivation rules give for ``dag``, numbered in order.

    >>> from workbench import te
    >>> A = te.placeholder((64, 64), name="A"); B = te.placeholder((64, 64), name="B")
    >>> k = te.reduce_axis((0, 64), name="k")
    >>> C = te.compute((64, 64), lambda i, j: te.sum(A[i, k] * B[k, j], axis=k), name="C")
    >>> [s.rules for s in generate_sketches(ComputeDAG([A, B], [C]))]
    [['C: multi-level tiling'], ['C: multi-level tiling with a cache-write stage']]
    """
    states = [({}, [])]
    for info in reversed(list(dag)):
        nxt = []
        for plans, rules in states:
            for extra, rule in _options(dag, info, plans):
                p2 = dict(plans)
                p2.update(extra)
                nxt.append((p2, rules + ([rule] if rule else [])))
        states = nxt
    out = []
    for k, (plans, rules) in enumerate(states):
        ordered = {}
        for info in dag:  # topological order: producers first
            for name, p in plans.items():
                if name == info.name or name == info.name + ".local":
                    ordered[name] = p
        out.append(Sketch(dag, ordered, rules, k))
    return out


def _readers_after_inlining(dag: ComputeDAG, name: str, plans: dict) -> list:
    """The stages that will read ``name`` once inlined stages are substituted."""
    out, todo = [], list(dag[name].consumers)
    while todo:
        r = todo.pop(0)
        p = plans.get(r)
        if p is not None and p.kind == "inline":
            todo.extend(dag[r].consumers)
        elif r not in out:
            out.append(r)
    return out


def _options(dag: ComputeDAG, info, plans: dict) -> list:
    """``[(plans to add, rule text)]``: the ways the rules may treat stage ``info``."""
    name = info.name
    if info.strictly_inlinable:
        return [({name: Plan("inline", name)}, f"{name}: always inline")]
    if info.has_reuse:
        opts = []
        cons = info.fusible_consumer
        if cons is not None and plans.get(cons, Plan("simple", cons)).kind == "simple":
            opts.append(({name: Plan("tile", name, consumer=cons, unblock=info.fusible_unblock),
                          cons: Plan("consumer", cons, producer=name)},
                         f"{name}: multi-level tiling with fusion into {cons}"))
        else:
            opts.append(({name: Plan("tile", name)}, f"{name}: multi-level tiling"))
            local = name + ".local"
            opts.append(({local: Plan("tile", local, consumer=name, cache=True),
                          name: Plan("consumer", name, producer=local)},
                         f"{name}: multi-level tiling with a cache-write stage"))
        if _low_parallelism(info):
            opts.append(({name: Plan("rfactor", name)}, f"{name}: rfactor"))
        return opts
    if _low_parallelism(info):
        return [({name: Plan("rfactor", name)}, f"{name}: rfactor"), ({name: Plan("simple", name)}, "")]
    if not info.is_output:
        readers = _readers_after_inlining(dag, name, plans)
        hosts = tuple(r for r in readers if len(readers) == 1 and plans.get(r) is not None
                      and plans[r].kind == "tile")
        # a cache-write plan tiles "<reader>.local", which reads this stage
        hosts += tuple(r + ".local" for r in readers if len(readers) == 1 and plans.get(r + ".local") is not None)
        return [({name: Plan("place", name, readers=hosts)}, "")]
    return [({name: Plan("simple", name)}, "")]
