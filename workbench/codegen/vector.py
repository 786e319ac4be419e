"""Vectorized loops as explicit vector IR.

A ``VECTORIZED`` loop of constant extent L runs its body once with the loop
variable bound to ``<base+0, ..., base+L-1>``. Each memory access is classified
by the coefficient of the loop variable in its flattened index:

- 1: contiguous → one vector load/store;
- 0 (and no other dependence): scalar load, broadcast where it meets a vector;
- 2 to 4 (loads): one masked load of the span, then every c-th lane picked by a shuffle;
- anything else: a gather through a vector of pointers for loads; for stores, one scalar
  store per lane (a scatter only under a mask: AVX-512's scatter measured slower than
  extracting the lanes, e.g. a conv's transposing epilogue 310 -> 360 GFLOPS).

Inside a ``Select`` or ``if`` whose condition differs per lane, accesses are
masked (``llvm.masked.*``), so lanes whose guard is false never touch memory,
and integer divisors of inactive lanes are replaced by 1. A loop that cannot be
vectorized this way (it contains a loop or an allocation, stores every lane to
the same element, or is too long) is emitted as a scalar loop and the reason is
recorded in the compiled function's ``notes``.
"""
from __future__ import annotations

from dataclasses import dataclass

from llvmlite import ir

from ..tir import dtype as dt
from ..tir.analysis import linear
from ..tir.expr import IntImm, Var
from ..tir.functor import free_vars, post_order_visit
from ..tir.stmt import Allocate, For, Store
from .emit_expr import flat_index
from .lltypes import I1, I32, PTR, mem_type, reg_type, type_suffix

MAX_LANES = 256


@dataclass
class VecLoop:
    """The vectorized loop being emitted: its variable, lane count and scalar first value."""
    var: Var
    lanes: int
    base: ir.Value


MAX_STRIDE = 4  # strides up to this load one wide vector and pick lanes, instead of a gather


def access_kind(flat, var) -> str:
    """``"contiguous"``, ``"broadcast"``, ``"strided"`` (a small constant stride) or ``"gather"``."""
    lin = linear(flat)
    for atom, _ in lin.terms.values():
        if atom is not var and var in free_vars(atom):
            return "gather"
    c = lin.coef(var)
    return "contiguous" if c == 1 else "broadcast" if c == 0 else "strided" if 1 < c <= MAX_STRIDE else "gather"


def stride_of(flat, var) -> int:
    return linear(flat).coef(var)


def why_not_vectorizable(s: For) -> str | None:
    """Why the loop ``s`` cannot become vector IR, or None when it can."""
    if not isinstance(s.extent, IntImm):
        return "its extent is not a constant"
    if not 1 < s.extent.value <= MAX_LANES:
        return f"its extent {s.extent.value} is not between 2 and {MAX_LANES}"
    problems = []

    def visit(n):
        if isinstance(n, For):
            problems.append(f"it contains loop {n.var.name!r}")
        elif isinstance(n, Allocate):
            problems.append(f"it allocates buffer {n.buffer.name!r}")
        elif isinstance(n, Store) and access_kind(flat_index(n.buffer, n.indices), s.var) == "broadcast":
            problems.append(f"every lane stores to the same element of {n.buffer.name!r} (a reduction)")
    post_order_visit(s.body, visit)
    return problems[0] if problems else None


class VectorMixin:
    """Vector loops and vector memory accesses for ``FunctionEmitter``."""

    def vector_for(self, s):
        reason = "it is nested in another vectorized loop" if self.vec is not None else why_not_vectorizable(s)
        if reason:
            self.ctx.notes.append(f"loop {s.var.name}: not vectorized, emitted as a scalar loop: {reason}")
            return self.serial_for(s)
        lanes = s.extent.value
        base = self.convert(self.expr(s.min), s.min.dtype, s.var.dtype)
        vt = reg_type(s.var.dtype, lanes)
        ramp = self.builder.add(self.splat(base, lanes), ir.Constant(vt, list(range(lanes))))
        old = self.vars.get(s.var)
        self.vars[s.var] = ramp
        self.vec = VecLoop(s.var, lanes, base)
        try:
            self.stmt(s.body)
        finally:
            self.vec = None
            self._restore(s.var, old)

    def masked_if(self, s, cond):
        """An ``if`` whose condition differs per lane: both branches run, masked."""
        outer, bl = self.mask, self.builder
        self.mask = cond if outer is None else bl.and_(outer, cond)
        self.stmt(s.then_case)
        if s.else_case is not None:
            notc = bl.not_(cond)
            self.mask = notc if outer is None else bl.and_(outer, notc)
            self.stmt(s.else_case)
        self.mask = outer

    # ------------------------------------------------------------ addresses
    def _scalar_index_at_base(self, flat):
        """The flattened index of lane 0 (the vector variable replaced by its first value)."""
        var = self.vec.var
        ramp = self.vars[var]
        self.vars[var] = self.vec.base
        try:
            return self.index(flat)
        finally:
            self.vars[var] = ramp

    def _lane_pointers(self, buf, flat):
        lanes = self.vec.lanes
        idx = self.splat(self.index(flat), lanes)
        p = self.builder.gep(self.buffer_ptr(buf), [idx], inbounds=True, source_etype=mem_type(buf.dtype))
        p.type = ir.VectorType(PTR, lanes)  # llvmlite types a GEP with a vector index as a scalar pointer
        return p

    def _full_mask(self):
        if self.mask is not None:
            return self.mask
        return ir.Constant(ir.VectorType(I1, self.vec.lanes), [1] * self.vec.lanes)

    # ------------------------------------------------------------ loads and stores
    def vector_load(self, buf, flat):
        kind = access_kind(flat, self.vec.var)
        lanes, bl = self.vec.lanes, self.builder
        align = ir.Constant(I32, dt.itemsize(buf.dtype))
        vt = mem_type(buf.dtype, lanes)
        if kind == "broadcast" and self.mask is None:
            p = self.element_ptr(buf, self.index(flat))
            v = bl.load(p, typ=mem_type(buf.dtype), align=dt.itemsize(buf.dtype))
            return self.from_mem(v, buf.dtype)  # stays scalar; splatted where it meets a vector
        if kind == "contiguous":
            p = self.element_ptr(buf, self._scalar_index_at_base(flat))
            if self.mask is None:
                v = bl.load(p, typ=vt, align=dt.itemsize(buf.dtype))
            else:
                v = self.intrinsic(f"llvm.masked.load.{type_suffix(vt)}.p0", vt,
                                   [p, align, self.mask, ir.Constant(vt, None)])
            return self.from_mem(v, buf.dtype)
        if kind == "strided" and self.mask is None:
            # one load of the span the lanes cover (masked, so nothing past the last lane's element is
            # read), then keep every c-th element: on x86 a load and a permute instead of a gather
            c = stride_of(flat, self.vec.var)
            span = (lanes - 1) * c + 1
            wt = mem_type(buf.dtype, lanes * c)
            p = self.element_ptr(buf, self._scalar_index_at_base(flat))
            wide_mask = ir.Constant(ir.VectorType(I1, lanes * c), [int(j < span) for j in range(lanes * c)])
            wide = self.intrinsic(f"llvm.masked.load.{type_suffix(wt)}.p0", wt,
                                  [p, align, wide_mask, ir.Constant(wt, None)])
            v = bl.shuffle_vector(wide, ir.Constant(wt, None), ir.Constant(ir.VectorType(I32, lanes),
                                                                           [j * c for j in range(lanes)]))
            return self.from_mem(v, buf.dtype)
        ptrs = self._lane_pointers(buf, flat)
        v = self.intrinsic(f"llvm.masked.gather.{type_suffix(vt)}.{type_suffix(ptrs.type)}", vt,
                           [ptrs, align, self._full_mask(), ir.Constant(vt, None)])
        return self.from_mem(v, buf.dtype)

    def vector_store(self, buf, flat, value):
        kind = access_kind(flat, self.vec.var)
        lanes, bl = self.vec.lanes, self.builder
        value = self.to_mem(self.splat(value, lanes), buf.dtype)
        align = ir.Constant(I32, dt.itemsize(buf.dtype))
        void = ir.VoidType()
        if kind == "contiguous":
            p = self.element_ptr(buf, self._scalar_index_at_base(flat))
            if self.mask is None:
                bl.store(value, p, align=dt.itemsize(buf.dtype))
            else:
                self.intrinsic(f"llvm.masked.store.{type_suffix(value.type)}.p0", void, [value, p, align, self.mask])
            return
        ptrs = self._lane_pointers(buf, flat)
        if self.mask is None:  # one scalar store per lane: on AVX-512 hosts a scatter is microcoded and slower
            for j in range(lanes):
                bl.store(bl.extract_element(value, ir.Constant(I32, j)), bl.extract_element(ptrs, ir.Constant(I32, j)),
                         align=dt.itemsize(buf.dtype))
            return
        self.intrinsic(f"llvm.masked.scatter.{type_suffix(value.type)}.{type_suffix(ptrs.type)}", void,
                       [value, ptrs, align, self._full_mask()])

