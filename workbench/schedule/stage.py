"""A stage: how one operation's loops are arranged, and the primitives that rearrange them.

Splits and fuses are kept as relations between IterVars (the original axes are
the roots, the current loops are the leaves), so lowering can derive every
original index from the loop variables. Each primitive checks legality first
and raises a ``ScheduleError`` naming the stage, the axis and the reason;
an illegal primitive changes nothing.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

from ..errors import ScheduleError
from ..te.tensor import IterKind, IterVar, PlaceholderOp, Reduce
from ..tir.expr import Var
from ..tir.stmt import ForKind
from .trace import Step

MAX_VECTOR_LANES = 64
MAX_UNROLL = 512
PRAGMAS = ("auto_unroll_max_step",)


@dataclass(frozen=True, eq=False)
class Split:
    """``parent`` becomes ``outer * inner_extent + inner``."""
    parent: IterVar
    outer: IterVar
    inner: IterVar
    factor: int | None
    nparts: int | None


@dataclass(frozen=True, eq=False)
class Fuse:
    """``outer`` and ``inner`` become one loop ``fused = outer * inner_extent + inner``."""
    outer: IterVar
    inner: IterVar
    fused: IterVar


class AttachKind(enum.Enum):
    """Where a stage's loop nest goes."""
    ROOT = "root"      # its own loop nest at the top level
    INLINE = "inline"  # no loops: its expression is substituted into its readers
    SCOPE = "scope"    # inside a loop of another stage (compute_at)


class Stage:
    """The schedule of one operation. Get it with ``s[tensor]``."""

    def __init__(self, op, schedule, name: str):
        self.op = op
        self.origin_op = op
        self.schedule = schedule
        self.name = name
        self.is_output = False
        self.scope = "global"
        self._reset_axes()
        self.attach = AttachKind.ROOT
        self.attach_stage: Stage | None = None
        self.attach_ivar: IterVar | None = None

    def _reset_axes(self):
        op = self.op
        self.root_iter_vars = list(op.axis) + list(op.reduce_axis)
        self.all_iter_vars = list(self.root_iter_vars)
        self.leaf_iter_vars = list(self.root_iter_vars)
        self.relations: list = []
        self.iter_kinds: dict = {}      # IterVar -> ForKind
        self.pragmas: dict = {}         # IterVar -> {key: value}

    # ---------------------------------------------------------------- helpers
    def __repr__(self):
        leaves = ", ".join(iv.name for iv in self.leaf_iter_vars)
        return f"Stage({self.name}: {leaves}; {self.attach.value})"

    def _err(self, prim: str, msg: str, axis: IterVar | None = None) -> ScheduleError:
        where = f'stage "{self.name}"' + (f', axis "{axis.name}"' if axis is not None else "")
        return ScheduleError(f"{prim}: {msg} ({where})")

    def _record(self, kind: str, outputs=(), **args) -> None:
        self.schedule._record(Step(kind, self.name, args, tuple(outputs)))

    def _check_compute(self, prim: str):
        if isinstance(self.op, PlaceholderOp):
            raise self._err(prim, f"{self.name} is an input placeholder and has no loops to schedule; "
                                  "use s.cache_read to make a stage that copies it")
        if self.attach is AttachKind.INLINE:
            raise self._err(prim, "the stage is inlined into its readers and has no loops; call compute_root() first")

    def _check_leaf(self, prim: str, axis) -> IterVar:
        self._check_compute(prim)
        if not isinstance(axis, IterVar):
            raise self._err(prim, f"expected an axis (IterVar), got {axis!r}")
        if axis not in self.leaf_iter_vars:
            if axis in self.all_iter_vars:
                raise self._err(prim, "the axis was already split or fused; use the axes that replaced it: "
                                      + ", ".join(iv.name for iv in self.leaf_iter_vars), axis)
            raise self._err(prim, "the axis does not belong to this stage; its loops are "
                                  + ", ".join(iv.name for iv in self.leaf_iter_vars), axis)
        return axis

    def check_loop_sizes(self, ext: dict) -> None:
        """Raise if a vectorized or unrolled loop is too long, given the extents lowering inferred."""
        for iv, kind in self.iter_kinds.items():
            e = ext.get(iv)
            if kind is ForKind.VECTORIZED and e is not None and e > MAX_VECTOR_LANES:
                raise self._err("vectorize", f"extent {e} is more than {MAX_VECTOR_LANES} lanes; split it "
                                             "(e.g. factor=8 or 16) and vectorize the inner axis", iv)
            if kind is ForKind.UNROLLED and e is not None and e > MAX_UNROLL:
                raise self._err("unroll", f"extent {e} is too large to unroll (max {MAX_UNROLL}); split it first", iv)

    def extent_of(self, iv: IterVar) -> int | None:
        """The constant trip count of an axis over the full domain (None before bounds are known)."""
        return self.schedule._full_extents(self).get(iv)

    def find_axis(self, name: str) -> IterVar:
        """The axis of this stage called ``name``."""
        for iv in self.all_iter_vars:
            if iv.name == name:
                return iv
        raise ScheduleError(f'stage "{self.name}" has no axis named {name!r}; it has '
                            + ", ".join(iv.name for iv in self.all_iter_vars))

    def _new_iv(self, name: str, kind: IterKind) -> IterVar:
        taken = {iv.name for iv in self.all_iter_vars}
        base, k = name, 1
        while name in taken:
            name, k = f"{base}{k}", k + 1
        iv = IterVar(Var(name), None, None, kind)
        self.all_iter_vars.append(iv)
        return iv

    # ---------------------------------------------------------------- loop structure
    def split(self, axis, factor: int | None = None, nparts: int | None = None):
        """Split ``axis`` into ``(outer, inner)``: by inner extent ``factor`` or outer extent ``nparts``.

        >>> io, ii = s[C].split(C.op.axis[0], factor=32)   # doctest: +SKIP
        """
        outer, inner = self._split(axis, factor, nparts)
        self._record("split", (outer.name, inner.name), axis=axis.name, factor=factor, nparts=nparts)
        return outer, inner

    def _split(self, axis, factor, nparts):
        axis = self._check_leaf("split", axis)
        if (factor is None) == (nparts is None):
            raise self._err("split", "give exactly one of factor= or nparts=", axis)
        val = factor if factor is not None else nparts
        label = "factor" if factor is not None else "nparts"
        if not isinstance(val, int) or isinstance(val, bool) or val <= 0:
            raise self._err("split", f"{label} must be a positive int, got {val!r}", axis)
        if self.iter_kinds.get(axis) is not None or axis in self.pragmas:
            raise self._err("split", f"the axis is already {self.iter_kinds.get(axis, ForKind.SERIAL).value}/annotated; "
                                     "split before vectorize/parallel/unroll/pragma", axis)
        for st in self.schedule.stages:
            if st.attach_ivar is axis:
                raise self._err("split", f'stage "{st.name}" is attached at this axis with compute_at; '
                                         "split before compute_at", axis)
        outer = self._new_iv(f"{axis.name}.outer", axis.kind)
        inner = self._new_iv(f"{axis.name}.inner", axis.kind)
        self.relations.append(Split(axis, outer, inner, factor, nparts))
        k = self.leaf_iter_vars.index(axis)
        self.leaf_iter_vars[k: k + 1] = [outer, inner]
        return outer, inner

    def tile(self, x, y, x_factor: int, y_factor: int):
        """Split ``x`` and ``y`` and order the loops ``(x.outer, y.outer, x.inner, y.inner)``.

        >>> xo, yo, xi, yi = s[C].tile(i, j, x_factor=32, y_factor=32)   # doctest: +SKIP
        """
        self._check_leaf("tile", x)
        self._check_leaf("tile", y)
        if x is y:
            raise self._err("tile", "x and y must be different axes", x)
        snapshot = self._snapshot()
        try:
            xo, xi = self._split(x, x_factor, None)
            yo, yi = self._split(y, y_factor, None)
            self._reorder([xo, yo, xi, yi])
        except ScheduleError:
            self._restore(snapshot)
            raise
        self._record("tile", (xo.name, yo.name, xi.name, yi.name), x=x.name, y=y.name, x_factor=x_factor,
                     y_factor=y_factor)
        return xo, yo, xi, yi

    def _snapshot(self):
        return (list(self.all_iter_vars), list(self.leaf_iter_vars), list(self.relations))

    def _restore(self, snap):
        self.all_iter_vars, self.leaf_iter_vars, self.relations = (list(x) for x in snap)

    def fuse(self, *axes):
        """Fuse adjacent axes (outer to inner) into one loop; returns it.

        >>> f = s[C].fuse(i, j)   # doctest: +SKIP
        """
        if len(axes) == 1 and isinstance(axes[0], (list, tuple)):
            axes = tuple(axes[0])
        if len(axes) < 2:
            raise self._err("fuse", f"needs at least two axes, got {len(axes)}")
        for a in axes:
            self._check_leaf("fuse", a)
        pos = [self.leaf_iter_vars.index(a) for a in axes]
        for p, q, a in zip(pos, pos[1:], axes[1:]):
            if q != p + 1:
                order = ", ".join(iv.name for iv in self.leaf_iter_vars)
                raise self._err("fuse", f"axes must be adjacent and given outer to inner; current loop order is {order}", a)
        kinds = {a.kind for a in axes}
        if len(kinds) > 1:
            raise self._err("fuse", "cannot fuse a data-parallel axis with a reduction axis", axes[-1])
        for a in axes:
            if self.iter_kinds.get(a) is not None or a in self.pragmas:
                raise self._err("fuse", "the axis is already annotated; fuse before vectorize/parallel/unroll", a)
        for st in self.schedule.stages:
            if st.attach_ivar is not None and st.attach_ivar in axes:
                raise self._err("fuse", f'stage "{st.name}" is attached at this axis; fuse before compute_at', st.attach_ivar)
        fused = axes[0]
        for a in axes[1:]:
            new = self._new_iv(f"{fused.name}.{a.name}.fused" if not fused.name.endswith(".fused")
                               else f"{fused.name[:-6]}.{a.name}.fused", a.kind)
            self.relations.append(Fuse(fused, a, new))
            k = self.leaf_iter_vars.index(fused)
            self.leaf_iter_vars[k: k + 2] = [new]
            fused = new
        self._record("fuse", (fused.name,), axes=[a.name for a in axes])
        return fused

    def reorder(self, *axes):
        """Put the given axes in this order, in the loop positions they occupy now.

        >>> s[C].reorder(io, jo, k, ii, ji)   # doctest: +SKIP
        """
        if len(axes) == 1 and isinstance(axes[0], (list, tuple)):
            axes = tuple(axes[0])
        self._reorder(list(axes))
        self._record("reorder", axes=[a.name for a in axes])

    def _reorder(self, axes):
        for a in axes:
            self._check_leaf("reorder", a)
        if len(set(map(id, axes))) != len(axes):
            raise self._err("reorder", "an axis is given twice: " + ", ".join(a.name for a in axes))
        pos = sorted(self.leaf_iter_vars.index(a) for a in axes)
        for p, a in zip(pos, axes):
            self.leaf_iter_vars[p] = a

    # ---------------------------------------------------------------- loop kinds
    def _annotate(self, prim: str, axis, kind: ForKind):
        axis = self._check_leaf(prim, axis)
        old = self.iter_kinds.get(axis)
        if old is not None and old is not kind:
            raise self._err(prim, f"the axis is already {old.value}", axis)
        return axis

    def vectorize(self, axis):
        """Run ``axis`` as one vector instruction sequence (lanes = its extent); must be data-parallel.

        >>> s[C].vectorize(ji)   # doctest: +SKIP
        """
        axis = self._annotate("vectorize", axis, ForKind.VECTORIZED)
        if axis.kind is IterKind.REDUCE:
            raise self._err("vectorize", "cannot vectorize a reduction axis (lanes would race on one "
                                         "accumulator); vectorize a data-parallel axis, or rfactor first", axis)
        # the lane count is checked when lowering: compute_at can still shrink the axis
        self.iter_kinds[axis] = ForKind.VECTORIZED
        self._record("vectorize", axis=axis.name)

    def parallel(self, axis):
        """Run the iterations of ``axis`` on all cores; must be data-parallel.

        >>> s[C].parallel(io)   # doctest: +SKIP
        """
        axis = self._annotate("parallel", axis, ForKind.PARALLEL)
        if axis.kind is IterKind.REDUCE:
            raise self._err("parallel", "cannot parallelize a reduction axis (threads would race on one "
                                        "accumulator); parallelize a data-parallel axis, or rfactor first", axis)
        self.iter_kinds[axis] = ForKind.PARALLEL
        self._record("parallel", axis=axis.name)

    def unroll(self, axis):
        """Replace the loop ``axis`` with copies of its body; needs a constant extent.

        >>> s[C].unroll(ki)   # doctest: +SKIP
        """
        axis = self._annotate("unroll", axis, ForKind.UNROLLED)
        self.iter_kinds[axis] = ForKind.UNROLLED  # the size is checked when lowering, like vectorize
        self._record("unroll", axis=axis.name)

    def pragma(self, axis, key: str, value: int):
        """Annotate a loop: ``"auto_unroll_max_step"`` unrolls inner loops of at most ``value`` iterations.

        >>> s[C].pragma(io, "auto_unroll_max_step", 16)   # doctest: +SKIP
        """
        axis = self._check_leaf("pragma", axis)
        if key not in PRAGMAS:
            raise self._err("pragma", f"unknown pragma {key!r}; known: {', '.join(PRAGMAS)}", axis)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise self._err("pragma", f"{key} must be a non-negative int, got {value!r}", axis)
        self.pragmas.setdefault(axis, {})[key] = value
        self._record("pragma", axis=axis.name, key=key, value=value)

    # ---------------------------------------------------------------- placement
    def compute_at(self, parent: "Stage", axis):
        """Compute this stage inside loop ``axis`` of stage ``parent``, only the part that iteration reads.

        >>> s[B].compute_at(s[C], jo)   # doctest: +SKIP
        """
        self._check_compute("compute_at")
        if not isinstance(parent, Stage):
            raise self._err("compute_at", f"the target must be a stage (s[tensor]), got {parent!r}")
        if parent is self:
            raise self._err("compute_at", "a stage cannot be attached to itself")
        if self.is_output:
            raise self._err("compute_at", "the stage is an output of the schedule; outputs are computed at root")
        if parent.attach is AttachKind.INLINE:
            raise self._err("compute_at", f'target stage "{parent.name}" is inlined and has no loops')
        if not isinstance(axis, IterVar) or axis not in parent.leaf_iter_vars:
            name = getattr(axis, "name", repr(axis))
            raise self._err("compute_at", f'axis {name} is not a loop of target stage "{parent.name}" '
                                          f"(its loops: {', '.join(iv.name for iv in parent.leaf_iter_vars)})")
        if not self.schedule._reads_transitively(parent, self):
            raise self._err("compute_at", f'target stage "{parent.name}" does not read this stage, '
                                          "so its loop is not an ancestor of any use")
        if parent.iter_kinds.get(axis) is ForKind.VECTORIZED:
            raise self._err("compute_at", f'axis {axis.name} of "{parent.name}" is vectorized; attach outside it')
        p = parent
        while p is not None:
            if p is self:
                raise self._err("compute_at", f'target stage "{parent.name}" is itself attached inside this stage')
            p = p.attach_stage
        self.attach, self.attach_stage, self.attach_ivar = AttachKind.SCOPE, parent, axis
        self._record("compute_at", target=parent.name, axis=axis.name)

    def compute_inline(self):
        """Substitute this stage's expression into every reader; it gets no loops or buffer.

        >>> s[B].compute_inline()   # doctest: +SKIP
        """
        self._check_compute("compute_inline")
        if self.is_output:
            raise self._err("compute_inline", "the stage is an output of the schedule and must be stored")
        if isinstance(self.op.body, Reduce):
            raise self._err("compute_inline", "cannot inline a reduction (it would be recomputed per read); "
                                              "use compute_at instead")
        if self.relations or self.iter_kinds or self.pragmas:
            raise self._err("compute_inline", "the stage has loop transformations that inlining would discard")
        for st in self.schedule.stages:
            if st.attach_stage is self:
                raise self._err("compute_inline", f'stage "{st.name}" is attached to this stage\'s loops')
        self.attach, self.attach_stage, self.attach_ivar = AttachKind.INLINE, None, None
        self._record("compute_inline")

    def compute_root(self):
        """Undo compute_at/compute_inline: compute the whole stage in its own top-level loop nest."""
        if isinstance(self.op, PlaceholderOp):
            raise self._err("compute_root", "an input placeholder is not computed")
        self.attach, self.attach_stage, self.attach_ivar = AttachKind.ROOT, None, None
        self._record("compute_root")
