"""A schedule: the stages of a computation, in dependency order, and the dataflow primitives.

``cache_read``, ``cache_write`` and ``rfactor`` add stages and rewrite which
tensors the stages read; the per-stage loop primitives live in ``stage.py``.
Every primitive appends a step to ``s.trace``; ``s.replay(trace)`` applies a
trace to this schedule and ``s.undo()`` returns a schedule without the last step.
"""
from __future__ import annotations

from ..errors import ScheduleError
from ..te.reference import topo_order
from ..te.tensor import ComputeOp, IterKind, IterVar, Operation, PlaceholderOp, ProducerLoad, Reduce, Tensor
from ..tir.expr import Var, as_bool, select
from ..tir.functor import Mutator, post_order_visit, substitute
from . import iterspace
from .stage import AttachKind, Split, Stage
from .trace import Step, Trace


def _ops(x) -> list:
    xs = x if isinstance(x, (list, tuple)) else [x]
    out = []
    for t in xs:
        if isinstance(t, Tensor):
            out.append(t.op)
        elif isinstance(t, Operation):
            out.append(t)
        else:
            raise ScheduleError(f"create_schedule: expected tensors or operations, got {t!r}")
    return out


class _ReplaceLoads(Mutator):
    """Re-point reads of the stage ``stage`` to tensor ``new``."""

    def __init__(self, sch, stage, new: Tensor):
        super().__init__()
        self.sch, self.stage, self.new = sch, stage, new

    def visit_ProducerLoad(self, x):
        x = self.generic_visit(x)
        if self.sch.stage_map.get(x.tensor.op) is self.stage:
            return ProducerLoad(self.new, x.indices, x.dtype)
        return x


def _fresh_axes(ivs, kind=None) -> list:
    return [IterVar(Var(iv.name), iv.min, iv.extent, kind or iv.kind) for iv in ivs]


class Schedule:
    """How to compute a set of output tensors: one ``Stage`` per operation."""

    def __init__(self, outputs: list):
        self.outputs = outputs
        self.stages: list = []
        self.stage_map: dict = {}
        self.trace = Trace()
        taken: set = set()
        for op in topo_order(outputs):
            self._add_stage(op, len(self.stages), taken)
        for op in outputs:
            self.stage_map[op].is_output = True

    def _add_stage(self, op, pos: int, taken: set | None = None) -> Stage:
        taken = {st.name for st in self.stages} if taken is None else taken
        name, k = op.name, 1
        while name in taken:
            name, k = f"{op.name}_{k}", k + 1
        taken.add(name)
        st = Stage(op, self, name)
        self.stages.insert(pos, st)
        self.stage_map[op] = st
        return st

    # ---------------------------------------------------------------- lookup
    def __getitem__(self, x) -> Stage:
        op = x.op if isinstance(x, Tensor) else x
        st = self.stage_map.get(op)
        if st is None:
            name = getattr(x, "name", repr(x))
            raise ScheduleError(f"{name!r} is not part of this schedule; its stages are "
                                + ", ".join(s.name for s in self.stages))
        return st

    def stage_by_name(self, name: str) -> Stage:
        """The stage called ``name``."""
        for st in self.stages:
            if st.name == name:
                return st
        raise ScheduleError(f"no stage named {name!r}; stages: {', '.join(s.name for s in self.stages)}")

    def __repr__(self):
        return "Schedule(\n" + "\n".join(f"  {st!r}" for st in self.stages) + "\n)"

    def _record(self, step: Step) -> None:
        self.trace.append(step)

    def reads(self, stage: Stage) -> list:
        """The stages whose tensors ``stage`` reads directly."""
        if isinstance(stage.op, PlaceholderOp):
            return []
        out: list = []
        post_order_visit(stage.op.body, lambda n: out.append(self.stage_map[n.tensor.op])
                         if isinstance(n, ProducerLoad) and self.stage_map[n.tensor.op] not in out else None)
        return out

    def readers(self, stage: Stage) -> list:
        """The stages that read ``stage`` directly."""
        return [st for st in self.stages if stage in self.reads(st)]

    def _reads_transitively(self, consumer: Stage, producer: Stage) -> bool:
        todo, seen = [consumer], set()
        while todo:
            st = todo.pop()
            for p in self.reads(st):
                if p is producer:
                    return True
                if p not in seen:
                    seen.add(p)
                    todo.append(p)
        return False

    def _full_extents(self, stage: Stage) -> dict:
        return iterspace.extents(stage.relations, {iv: iv.extent for iv in stage.root_iter_vars})

    # ---------------------------------------------------------------- dataflow primitives
    def cache_read(self, tensor: Tensor, scope: str, readers) -> Tensor:
        """A stage that copies ``tensor``; the given readers read the copy instead.

        >>> AA = s.cache_read(A, "local", [C])   # doctest: +SKIP
        """
        st = self[tensor]
        readers = readers if isinstance(readers, (list, tuple)) else [readers]
        reader_stages = [self[r] for r in readers]
        if not reader_stages:
            raise ScheduleError(f'cache_read: give at least one reader of "{st.name}"')
        for r in reader_stages:
            if st not in self.reads(r):
                raise ScheduleError(f'cache_read: stage "{r.name}" does not read "{st.name}" (stage "{st.name}")')
        src = st.op.output(0)
        axes = [IterVar(Var(f"ax{d}"), 0, n, IterKind.DATA) for d, n in enumerate(src.shape)]
        name = f"{st.name}.{scope}"
        op = ComputeOp(name, axes, (), src[tuple(iv.var for iv in axes)])
        new = self._add_stage(op, self.stages.index(st) + 1)
        new.scope = scope
        for r in reader_stages:
            r.op = r.op.with_body(_ReplaceLoads(self, st, op.output(0)).visit(r.op.body))
            self.stage_map[r.op] = r
        self._record(Step("cache_read", st.name, {"scope": scope, "readers": [r.name for r in reader_stages]},
                          (new.name,)))
        return op.output(0)

    def cache_write(self, tensor: Tensor, scope: str) -> Tensor:
        """Compute ``tensor`` into a new stage, then copy it out; returns the new (cache) tensor.

        The stage of ``tensor`` becomes the copy. Call before scheduling that stage.

        >>> CC = s.cache_write(C, "local")   # doctest: +SKIP
        """
        st = self[tensor]
        if not isinstance(st.op, ComputeOp):
            raise ScheduleError(f'cache_write: "{st.name}" is a placeholder, nothing computes it (stage "{st.name}")')
        if st.attach is AttachKind.INLINE:
            raise ScheduleError(f'cache_write: stage "{st.name}" is inlined; call compute_root() first')
        if st.relations or st.iter_kinds or st.pragmas or any(x.attach_stage is st for x in self.stages):
            raise ScheduleError(f'cache_write: stage "{st.name}" already has loop transformations or attached '
                                "stages; call cache_write before scheduling the stage")
        old = st.op
        axes = _fresh_axes(old.axis)
        raxes = _fresh_axes(old.reduce_axis)
        vmap = {a.var: b.var for a, b in zip(list(old.axis) + list(old.reduce_axis), axes + raxes)}
        body = old.body
        if isinstance(body, Reduce):
            body = Reduce(body.combiner, substitute(body.source, vmap), tuple(raxes),
                          None if body.condition is None else substitute(body.condition, vmap), body.dtype)
        else:
            body = substitute(body, vmap)
        cache_op = ComputeOp(f"{st.name}.{scope}", axes, raxes, body, old.tag, old.attrs)
        cache = self._add_stage(cache_op, self.stages.index(st))
        cache.scope = scope
        st.op = ComputeOp(old.name, old.axis, (), cache_op.output(0)[tuple(iv.var for iv in old.axis)], old.tag,
                          old.attrs)
        self.stage_map[st.op] = st
        st._reset_axes()
        self._record(Step("cache_write", st.name, {"scope": scope}, (cache.name,)))
        return cache_op.output(0)

    def rfactor(self, tensor: Tensor, axis: IterVar, factor_axis: int = 0) -> Tensor:
        """Factor a reduction: a new stage reduces everything but ``axis``, keeping ``axis`` as a
        data dimension at position ``factor_axis``; the original stage then reduces over it.

        >>> ko, ki = s[C].split(k, factor=16); CF = s.rfactor(C, ki)   # doctest: +SKIP
        """
        st = self[tensor]
        op = st.op
        if not isinstance(op, ComputeOp) or not isinstance(op.body, Reduce):
            raise ScheduleError(f'rfactor: stage "{st.name}" is not a reduction')
        if not isinstance(axis, IterVar) or axis not in st.leaf_iter_vars or axis.kind is not IterKind.REDUCE:
            name = getattr(axis, "name", repr(axis))
            raise ScheduleError(f'rfactor: axis {name} is not a reduction loop of stage "{st.name}" '
                                f"(its loops: {', '.join(iv.name for iv in st.leaf_iter_vars)})")
        if not isinstance(factor_axis, int) or not 0 <= factor_axis <= len(op.axis):
            raise ScheduleError(f'rfactor: factor_axis must be in [0, {len(op.axis)}], got {factor_axis!r} '
                                f'(stage "{st.name}")')
        if any(x.attach_stage is st for x in self.stages):
            raise ScheduleError(f'rfactor: stages are attached to "{st.name}"; rfactor before compute_at')
        ext = self._full_extents(st)
        red = op.body
        leaf_red = [iv for iv in st.leaf_iter_vars if iv.kind is IterKind.REDUCE]
        # the factored stage: data axes + the rfactor axis, reducing the other reduction loops
        data = _fresh_axes(op.axis)
        fax = IterVar(Var(axis.name), 0, ext[axis], IterKind.DATA)
        new_data = data[:factor_axis] + [fax] + data[factor_axis:]
        others = [IterVar(Var(iv.name), 0, ext[iv], IterKind.REDUCE) for iv in leaf_red if iv is not axis]
        leaf_vals = {axis: fax.var}
        leaf_vals.update({iv: o.var for iv, o in zip([x for x in leaf_red if x is not axis], others)})
        red_rel = [r for r in st.relations if self._is_reduce_rel(r)]
        vals = iterspace.root_values(red_rel, leaf_vals, ext)
        vmap = {a.var: b.var for a, b in zip(op.axis, data)}
        vmap.update({rv.var: vals[rv] for rv in op.reduce_axis})
        cond = None if red.condition is None else substitute(red.condition, vmap)
        for _, g in iterspace.split_guards(red_rel, vals, ext):
            cond = g if cond is None else as_bool(cond) & g
        if not others:  # nothing left to reduce: a plain compute of the source
            body = substitute(red.source, vmap)
            if cond is not None:
                body = select(cond, body, red.combiner.identity(red.dtype))
        else:
            body = Reduce(red.combiner, substitute(red.source, vmap), tuple(others), cond, red.dtype)
        rf_op = ComputeOp(f"{st.name}.rf", new_data, tuple(others), body)
        rf = self._add_stage(rf_op, self.stages.index(st))
        # the original stage now reduces the factored dimension
        rv = IterVar(Var(axis.name), 0, ext[axis], IterKind.REDUCE)

        def final(*idx):
            idx = list(idx)
            return rf_op.output(0)[tuple(idx[:factor_axis] + [rv.var] + idx[factor_axis:])]
        new_body = Reduce(red.combiner, final(*[iv.var for iv in op.axis]), (rv,), None, red.dtype)
        st.op = ComputeOp(op.name, op.axis, (rv,), new_body, op.tag, op.attrs)
        self.stage_map[st.op] = st
        keep = [r for r in st.relations if not self._is_reduce_rel(r)]
        data_leaves = [iv for iv in st.leaf_iter_vars if iv.kind is IterKind.DATA]
        st.relations = keep
        st.root_iter_vars = list(op.axis) + [rv]
        st.leaf_iter_vars = data_leaves + [rv]
        st.all_iter_vars = [iv for iv in st.all_iter_vars if iv.kind is IterKind.DATA] + [rv]
        st.iter_kinds = {k: v for k, v in st.iter_kinds.items() if k.kind is IterKind.DATA}
        st.pragmas = {k: v for k, v in st.pragmas.items() if k.kind is IterKind.DATA}
        self._record(Step("rfactor", st.name, {"axis": axis.name, "factor_axis": factor_axis}, (rf.name,)))
        return rf_op.output(0)

    @staticmethod
    def _is_reduce_rel(r) -> bool:
        iv = r.parent if isinstance(r, Split) else r.outer
        return iv.kind is IterKind.REDUCE

    # ---------------------------------------------------------------- traces
    def replay(self, trace) -> "Schedule":
        """Apply the steps of ``trace`` (a Trace, its JSON, or a list of Steps) to this schedule."""
        if isinstance(trace, list) and not all(isinstance(x, Step) for x in trace):
            trace = Trace.from_json(trace)  # decoded JSON: a list of step dicts
        steps = trace if isinstance(trace, (Trace, list)) else Trace.from_json(trace)
        for step in steps:
            apply_step(self, step)
        return self

    def fork(self) -> "Schedule":
        """A new, independent schedule of the same outputs with the same steps applied."""
        return Schedule(list(self.outputs)).replay(list(self.trace))

    def undo(self, n: int = 1) -> "Schedule":
        """A new schedule with the last ``n`` steps taken back."""
        return Schedule(list(self.outputs)).replay(list(self.trace)[: max(0, len(self.trace) - n)])


def apply_step(s: Schedule, step: Step) -> None:
    """Apply one recorded step, finding stages and axes by name."""
    st = s.stage_by_name(step.stage)
    a, k = step.args, step.kind
    ax = st.find_axis
    try:
        if k == "split":
            st.split(ax(a["axis"]), factor=a.get("factor"), nparts=a.get("nparts"))
        elif k == "tile":
            st.tile(ax(a["x"]), ax(a["y"]), a["x_factor"], a["y_factor"])
        elif k == "fuse":
            st.fuse(*[ax(n) for n in a["axes"]])
        elif k == "reorder":
            st.reorder(*[ax(n) for n in a["axes"]])
        elif k in ("vectorize", "parallel", "unroll"):
            getattr(st, k)(ax(a["axis"]))
        elif k == "pragma":
            st.pragma(ax(a["axis"]), a["key"], a["value"])
        elif k == "compute_at":
            target = s.stage_by_name(a["target"])
            st.compute_at(target, target.find_axis(a["axis"]))
        elif k in ("compute_inline", "compute_root"):
            getattr(st, k)()
        elif k == "cache_read":
            s.cache_read(st.op.output(0), a["scope"], [s.stage_by_name(r).op for r in a["readers"]])
        elif k == "cache_write":
            s.cache_write(st.op.output(0), a["scope"])
        elif k == "rfactor":
            s.rfactor(st.op.output(0), ax(a["axis"]), a.get("factor_axis", 0))
        else:
            raise ScheduleError(f"unknown schedule step kind {k!r} in trace (stage {step.stage!r})")
    except KeyError as e:
        raise ScheduleError(f"trace step {step.kind} on stage {step.stage!r} is missing argument {e}") from None


def create_schedule(ops) -> Schedule:
    """A schedule for the given output operation(s) (or tensors), every stage at its default.

    >>> from workbench import te
    >>> A = te.placeholder((8,), name="A"); B = te.compute((8,), lambda i: A[i] + 1.0, name="B")
    >>> s = create_schedule(B.op)
    """
    return Schedule(_ops(ops))
