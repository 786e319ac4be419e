"""Lowering: a schedule becomes one loop-nest function (``tir.PrimFunc``).

The steps, each a plain function of the previous result:
1. check the arguments and the placement of stages;
2. substitute inlined stages into their readers;
3. infer the region each attached stage computes (``bounds.py``), consumers first;
4. build each stage's loop nest from its leaf axes, with guards for splits that
   overshoot, a reduction's init nest before its first reduction loop, and the
   stages attached to each loop (with their buffers) at the top of its body;
5. auto-unroll, simplify (removing guards that always hold), split vector tails.
"""
from __future__ import annotations

from ..errors import LoweringError, ScheduleError
from ..schedule import iterspace
from ..schedule.schedule import Schedule
from ..schedule.stage import AttachKind
from ..te.tensor import IterKind, PlaceholderOp, ProducerLoad, Reduce, Tensor
from ..tir.analysis import Analyzer
from ..tir.expr import And, Buffer, Load, const
from ..tir.functor import Mutator, free_vars, post_order_visit, substitute
from ..tir.simplify import simplify
from ..tir.stmt import Allocate, For, ForKind, IfThenElse, PrimFunc, Store, seq
from . import bounds, passes


class _Inline(Mutator):
    """Replace reads of inlined stages by their expressions."""

    def __init__(self, lw):
        super().__init__()
        self.lw = lw

    def visit_ProducerLoad(self, x):
        x = self.generic_visit(x)
        st = self.lw.sch.stage_map[x.tensor.op]
        if st.attach is not AttachKind.INLINE:
            return x
        body = self.lw.body_of(st)
        return substitute(body, {iv.var: i for iv, i in zip(st.op.axis, x.indices)})


class _ToTIR(Mutator):
    """Rewrite a stage's expression in loop variables and buffer loads."""

    def __init__(self, lw, vmap):
        super().__init__()
        self.lw, self.vmap = lw, vmap

    def visit_Var(self, v):
        return self.vmap.get(v, v)

    def visit_ProducerLoad(self, x):
        st = self.lw.sch.stage_map[x.tensor.op]
        mins = self.lw.region_min.get(st)
        idx = tuple(self.visit(i) for i in x.indices)
        if mins is not None:
            idx = tuple(i - m for i, m in zip(idx, mins))
        return Load(self.lw.buffer[st], idx, x.dtype)


def _reads_tensor(e) -> bool:
    found = []
    post_order_visit(e, lambda n: found.append(n) if isinstance(n, ProducerLoad) else None)
    return bool(found)


def _and(conds):
    out = None
    for c in conds:
        out = c if out is None else And(out, c, "bool")
    return out


class Lowerer:
    """Holds the per-stage facts (bodies, regions, extents, buffers) while one schedule is lowered."""

    def __init__(self, sch: Schedule, args: list, name: str, strides: dict | None = None):
        self.sch, self.args, self.name = sch, args, name
        self.strides = strides or {}  # argument position -> element strides (a view); else dense
        self.bodies: dict = {}
        self.region_min: dict = {}   # stage -> tuple of min expressions (attached stages only)
        self.region_ext: dict = {}   # stage -> tuple of extents
        self.ext: dict = {}          # stage -> {IterVar: extent}
        self.root_vals: dict = {}    # stage -> {IterVar: expression in loop vars}
        self.offsets: dict = {}      # stage -> {IterVar: offset expression in leaf vars}
        self.buffer: dict = {}
        self.an = Analyzer()

    # ------------------------------------------------------------ 1. checks
    def check(self):
        arg_stages = []
        for a in self.args:
            if not isinstance(a, Tensor):
                raise LoweringError(f"lower: arguments must be tensors, got {a!r}")
            st = self.sch[a]
            if st.attach is not AttachKind.ROOT:
                raise ScheduleError(f'lower: "{st.name}" is a function argument, so it must be stored whole; '
                                    f"it is {st.attach.value} (stage \"{st.name}\"); call compute_root()")
            arg_stages.append(st)
        self.arg_stages = arg_stages
        for st in self.sch.stages:
            if st.is_output and st not in arg_stages:
                raise LoweringError(f'lower: output "{st.name}" is not in the argument list; add its tensor')
            if isinstance(st.op, PlaceholderOp) and st not in arg_stages and self.sch.readers(st):
                raise LoweringError(f'lower: the computation reads placeholder "{st.name}", which is not in the '
                                    "argument list; add it")

    # ------------------------------------------------------------ 2. inlining
    def body_of(self, st):
        b = self.bodies.get(st)
        if b is None:
            b = self.bodies[st] = _Inline(self).visit(st.op.body)
        return b

    def stored(self):
        return [st for st in self.sch.stages
                if not isinstance(st.op, PlaceholderOp) and st.attach is not AttachKind.INLINE]

    def loads_of(self, consumer, producer) -> list:
        out = []
        post_order_visit(self.body_of(consumer), lambda n: out.append(n) if isinstance(n, ProducerLoad)
                         and self.sch.stage_map[n.tensor.op] is producer else None)
        return out

    # ------------------------------------------------------------ 3. bounds
    def enclosing(self, st, ivar) -> set:
        out = {iv.var for iv in st.leaf_iter_vars[: st.leaf_iter_vars.index(ivar) + 1]}
        if st.attach is AttachKind.SCOPE:
            out |= self.enclosing(st.attach_stage, st.attach_ivar)
        return out

    @staticmethod
    def inside(c, p, x) -> bool:
        if c is p:
            return True
        node = c
        while node.attach is AttachKind.SCOPE:
            if node.attach_stage is p:
                return p.leaf_iter_vars.index(node.attach_ivar) >= p.leaf_iter_vars.index(x)
            node = node.attach_stage
        return False

    def infer_bounds(self):
        stored = self.stored()
        for st in reversed(stored):
            op = st.op
            if st.attach is AttachKind.SCOPE:
                self.region_of_attached(st, stored)
            else:
                self.region_ext[st] = tuple(iv.extent for iv in op.axis)
            roots = {iv: e for iv, e in zip(op.axis, self.region_ext[st])}
            roots.update({iv: iv.extent for iv in op.reduce_axis})
            ext = self.ext[st] = iterspace.extents(st.relations, roots)
            st.check_loop_sizes(ext)
            for iv in st.leaf_iter_vars:
                self.an.bind(iv.var, 0, ext[iv] - 1)
            off = self.offsets[st] = iterspace.root_values(st.relations, {iv: iv.var for iv in st.leaf_iter_vars}, ext)
            vals = {}
            mins = self.region_min.get(st, (const(0),) * len(op.axis))
            for iv, m in zip(op.axis, mins):
                vals[iv] = simplify(m + off[iv], self.an)
            for iv in op.reduce_axis:
                vals[iv] = off[iv] + iv.min if iv.min else off[iv]
            self.root_vals[st] = vals

    def region_of_attached(self, st, stored):
        p, x = st.attach_stage, st.attach_ivar
        fixed = self.enclosing(p, x)
        acc = [None] * len(st.op.axis)
        for c in stored:
            loads = self.loads_of(c, st) if c is not st else []
            if not loads:
                continue
            if not self.inside(c, p, x):
                raise ScheduleError(
                    f'compute_at: stage "{st.name}" is attached inside loop {x.name} of "{p.name}", but stage '
                    f'"{c.name}" reads it outside that loop; attach it at a loop enclosing all its readers, '
                    "or call compute_root()")
            relax = {v: r for v, r in self.an.ranges.items() if v not in fixed}
            vmap = {iv.var: e for iv, e in self.root_vals[c].items()}
            for ld in loads:
                for d, i in enumerate(ld.indices):
                    if _reads_tensor(i):  # a data-dependent index (take, gather): any element may be read
                        lo, hi = const(0), const(st.op.axis[d].extent - 1)
                    else:
                        lo, hi = bounds.interval(simplify(substitute(i, vmap), self.an), relax, self.an)
                    acc[d] = bounds.union(acc[d], (lo, hi), self.an)
        mins, exts = [], []
        for d, iv in enumerate(st.op.axis):
            if acc[d] is None:
                mins.append(const(0))
                exts.append(iv.extent)
                continue
            m, e = bounds.region(acc[d][0], acc[d][1], iv.extent, self.an, f'"{st.name}" axis {iv.name}')
            mins.append(m)
            exts.append(e)
        self.region_min[st], self.region_ext[st] = tuple(mins), tuple(exts)

    # ------------------------------------------------------------ 4. buffers and nests
    def make_buffers(self):
        for k, (a, st) in enumerate(zip(self.args, self.arg_stages)):
            self.buffer[st] = Buffer(st.name, tuple(a.shape), a.dtype, strides=tuple(self.strides.get(k, ())))
        for st in self.stored():
            if st not in self.buffer:
                self.buffer[st] = Buffer(st.name, tuple(self.region_ext[st]), st.op.dtype, "local")

    def attached_at(self, st) -> dict:
        out: dict = {}
        for x in self.stored():
            if x.attach is AttachKind.SCOPE and x.attach_stage is st:
                out.setdefault(x.attach_ivar, []).append(x)
        return out

    def guards(self, st) -> list:
        """(condition, applies to init) for the stage: overshooting splits and region edges."""
        ext, off = self.ext[st], self.offsets[st]
        out = []
        for parent, cond in iterspace.split_guards(st.relations, off, ext):
            out.append((cond, parent.kind is IterKind.DATA))
        if st.attach is AttachKind.SCOPE:
            for iv, m in zip(st.op.axis, self.region_min[st]):
                v = self.root_vals[st][iv]
                for cond in (v < iv.extent, v >= 0):
                    if not isinstance(simplify(cond, self.an), type(const(True))) or not simplify(cond, self.an).value:
                        out.append((cond, True))
        return out

    def nest(self, st):
        op, leaves, ext = st.op, st.leaf_iter_vars, self.ext[st]
        n = len(leaves)
        level = {iv.var: k for k, iv in enumerate(leaves)}
        buf = self.buffer[st]
        vmap = {iv.var: e for iv, e in self.root_vals[st].items()}
        idx = tuple(simplify(self.offsets[st][iv], self.an) for iv in op.axis)
        body = self.body_of(st)
        tir = _ToTIR(self, vmap)

        def lvl(cond):
            ks = [level[v] for v in free_vars(cond) if v in level]
            return max(ks) if ks else -1

        guards = self.guards(st)
        at = self.attached_at(st)
        is_red = isinstance(body, Reduce)
        if is_red:
            comb = body.combiner
            src = tir.visit(body.source)
            update = Store(buf, comb.combine(Load(buf, idx, buf.dtype), src), idx)
            if body.condition is not None:
                cond = tir.visit(body.condition)
                guards.append((cond, False))
            first_red = next((k for k, iv in enumerate(leaves) if iv.kind is IterKind.REDUCE), n)
            init_store = Store(buf, comb.identity(buf.dtype), idx)
        else:
            update = Store(buf, tir.visit(body), idx)
            first_red = n
        by_level: dict = {}
        for cond, in_init in guards:
            by_level.setdefault(lvl(cond), []).append((cond, in_init))

        def loop(iv, inner):
            kind = st.iter_kinds.get(iv, ForKind.SERIAL)
            ann = tuple(sorted(st.pragmas.get(iv, {}).items()))
            return For(iv.var, const(0), const(ext[iv]), kind, inner, ann)

        def guarded(k, inner, init_only):
            cs = [c for c, in_init in by_level.get(k, []) if in_init or not init_only]
            return IfThenElse(_and(cs), inner) if cs else inner

        init = None
        if is_red:
            init = init_store
            for k in range(n - 1, first_red - 1, -1):
                if leaves[k].kind is IterKind.DATA:
                    init = loop(leaves[k], guarded(k, init, True))
        stmt = update
        for k in range(n - 1, -1, -1):
            stmt = guarded(k, stmt, False)
            for b in reversed(at.get(leaves[k], [])):
                stmt = Allocate(self.buffer[b], seq(self.nest(b), stmt))
            stmt = loop(leaves[k], stmt)
            if k == first_red and is_red:
                stmt = seq(init, stmt)
        if is_red and first_red == n:
            stmt = seq(init, stmt) if n == 0 else stmt
        return guarded(-1, stmt, False)

    # ------------------------------------------------------------ driver
    def run(self) -> PrimFunc:
        self.check()
        self.infer_bounds()
        self.make_buffers()
        stmt = None
        for st in reversed(self.stored()):
            if st.attach is not AttachKind.ROOT:
                continue
            stmt = seq(self.nest(st), stmt)
            if st not in self.arg_stages:
                stmt = Allocate(self.buffer[st], stmt)
        stmt = passes.auto_unroll(stmt)
        stmt = simplify(stmt)
        stmt = simplify(passes.split_vector_tails(stmt))
        params = tuple(self.buffer[st] for st in self.arg_stages)
        return PrimFunc(self.name, params, stmt)


def lower(s: Schedule, args, name: str = "main", strides: dict | None = None) -> PrimFunc:
    """The loop nest of a schedule, as a ``tir.PrimFunc`` whose parameters are ``args`` in order.

    ``strides`` maps an argument's position to its element strides, for an argument that is a view
    into a bigger array (e.g. the interior of a zero-bordered one); the others are dense row-major.

    >>> from workbench import te
    >>> A = te.placeholder((8,), name="A"); B = te.compute((8,), lambda i: A[i] * 2.0, name="B")
    >>> s = te.create_schedule(B.op); _ = s[B].split(B.op.axis[0], factor=4)
    >>> print(lower(s, [A, B]))
    def main(A: float32[8], B: float32[8]):
        for i.outer in range(2):
            for i.inner in range(4):
                B[i.outer * 4 + i.inner] = A[i.outer * 4 + i.inner] * 2.0
    """
    if not isinstance(s, Schedule):
        raise LoweringError(f"lower: expected a Schedule (te.create_schedule), got {type(s).__name__}")
    args = list(args)
    strides = dict(strides or {})
    for k, st in strides.items():
        if not 0 <= k < len(args) or len(st) != len(args[k].shape):
            raise LoweringError(f"lower: strides {list(st)} for argument {k}: give one stride per dimension of "
                                f"an argument in 0..{len(args) - 1}")
    return Lowerer(s, args, name, strides).run()
