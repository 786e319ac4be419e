"""Statements → LLVM IR: loops, stores, allocations and branches of one LLVM function.

``FunctionEmitter`` turns a statement tree into the body of one LLVM function.
The kernel itself is one; each parallel loop is outlined into two more
(see ``parallel.py``), each emitted by its own ``FunctionEmitter`` so that
per-thread state (allocas, loop variables) stays in that thread's function.
Vector loops and masked memory accesses live in ``vector.py``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from llvmlite import ir

from ..errors import CodegenError
from ..tir import dtype as dt
from ..tir.analysis import Analyzer
from ..tir.expr import IntImm
from ..tir.stmt import ForKind
from .emit_expr import ExprEmitter
from .lltypes import I32, I64, PTR, lanes_of, mem_type, reg_type
from .parallel import ParallelMixin
from .vector import VectorMixin

SMALL_ALLOC_BYTES = 64 * 1024  # at most this goes on the stack (per thread); larger: posix_memalign/free
ALIGN = 64


@dataclass
class ModuleContext:
    """What all functions of one module share: the module, the thread-count global, notes."""
    module: ir.Module
    name: str
    num_threads: ir.GlobalVariable | None = None
    n_outlined: int = 0
    notes: list = field(default_factory=list)  # human-readable codegen decisions ("loop i: not vectorized: ...")


class FunctionEmitter(ExprEmitter, VectorMixin, ParallelMixin):
    """Emits a statement tree into the LLVM function ``fn``."""

    def __init__(self, ctx: ModuleContext, fn: ir.Function, *, in_parallel: bool = False):
        self.ctx = ctx
        self.module = ctx.module
        self.fn = fn
        self.in_parallel = in_parallel
        # allocas get a block of their own: llvmlite builders sharing a block would clobber each
        # other's insertion points
        self.entry = fn.append_basic_block("allocas")
        self._alloca_builder = ir.IRBuilder(self.entry)
        start = fn.append_basic_block("entry")
        self._alloca_builder.branch(start)
        self.builder = ir.IRBuilder(start)
        self.vars: dict = {}
        self.bufs: dict = {}
        self.analyzer = Analyzer()
        self.vec = None   # the active vectorized loop (vector.VecLoop) or None
        self.mask = None  # active lanes inside a masked vector region
        # remembered per node: loads and divisions of an expression, flat indices of an index tuple, and
        # (until the next statement, where loop ranges may change) whether a load stays in bounds
        self.ld_memo, self.flat_memo, self.bounds_memo = {}, {}, {}

    def finish(self):
        self.builder.ret_void()

    def entry_alloca(self, typ, align: int | None = None):
        """A stack slot in the entry block (so loops reuse it instead of growing the stack)."""
        self._alloca_builder.position_at_start(self.entry)
        slot = self._alloca_builder.alloca(typ)
        slot.type = PTR  # llvmlite types allocas as typed pointers; the module uses opaque ones
        if align:
            slot.align = align
        return slot

    # ------------------------------------------------------------ memory (scalar; vector in vector.py)
    def buffer_ptr(self, buf):
        try:
            return self.bufs[buf]
        except KeyError:
            raise CodegenError(f"llvm codegen: buffer {buf.name!r} is used but is neither a parameter of the "
                               "function nor allocated by an enclosing Allocate") from None

    def element_ptr(self, buf, index_value):
        return self.builder.gep(self.buffer_ptr(buf), [index_value], inbounds=True, source_etype=mem_type(buf.dtype))

    def to_mem(self, v, dtype: str):
        return self.builder.zext(v, mem_type(dtype, lanes_of(v))) if dtype == "bool" else v

    def from_mem(self, v, dtype: str):
        return self.builder.icmp_unsigned("!=", v, self.const_like(v, 0)) if dtype == "bool" else v

    def load(self, buf, indices):
        flat = self.flat(buf, indices)
        if self.vec is not None:
            return self.vector_load(buf, flat)
        p = self.element_ptr(buf, self.index(flat))
        return self.from_mem(self.builder.load(p, typ=mem_type(buf.dtype), align=dt.itemsize(buf.dtype)), buf.dtype)

    def store(self, buf, indices, value):
        flat = self.flat(buf, indices)
        if self.vec is not None:
            return self.vector_store(buf, flat, value)
        p = self.element_ptr(buf, self.index(flat))
        self.builder.store(self.to_mem(value, buf.dtype), p, align=dt.itemsize(buf.dtype))

    # ------------------------------------------------------------ statements
    def stmt(self, s):
        fn = getattr(self, "s_" + type(s).__name__, None)
        if fn is None:
            raise CodegenError(f"llvm codegen: cannot compile statement {type(s).__name__}")
        self.bounds_memo.clear()   # loop ranges may differ from here on
        fn(s)
        self.bounds_memo.clear()

    def s_SeqStmt(self, s):
        for x in s.stmts:
            self.stmt(x)

    def s_Evaluate(self, s):
        pass  # expressions have no side effects

    def s_Store(self, s):
        if s.value.dtype != s.buffer.dtype:
            raise CodegenError(f"llvm codegen: storing a {s.value.dtype} value into {s.buffer.dtype} buffer "
                               f"{s.buffer.name!r}; insert a Cast ({s.value.dtype} → {s.buffer.dtype})")
        self.store(s.buffer, s.indices, self.expr(s.value))

    def s_IfThenElse(self, s):
        cond = self.expr(s.cond)
        if lanes_of(cond) > 1:
            return self.masked_if(s, cond)
        bl = self.builder
        if s.else_case is None:
            with bl.if_then(cond):
                self.stmt(s.then_case)
        else:
            with bl.if_else(cond) as (then, other):
                with then:
                    self.stmt(s.then_case)
                with other:
                    self.stmt(s.else_case)

    def s_Allocate(self, s):
        buf = s.buffer
        if buf in self.bufs:
            raise CodegenError(f"llvm codegen: buffer {buf.name!r} is allocated twice")
        size = int(buf.size)
        nbytes = max(size, 1) * dt.itemsize(buf.dtype)
        bl = self.builder
        if nbytes <= SMALL_ALLOC_BYTES:
            self.bufs[buf] = self.entry_alloca(ir.ArrayType(mem_type(buf.dtype), max(size, 1)), ALIGN)
            self.stmt(s.body)
            del self.bufs[buf]
            return
        memalign = self.extern("posix_memalign", I32, [PTR, I64, I64])
        free = self.extern("free", ir.VoidType(), [PTR])
        slot = self.entry_alloca(PTR)
        bl.store(ir.Constant(PTR, None), slot)
        bl.call(memalign, [slot, ir.Constant(I64, ALIGN), ir.Constant(I64, nbytes)])
        p = bl.load(slot, typ=PTR)
        self.bufs[buf] = p
        self.stmt(s.body)
        del self.bufs[buf]
        bl.call(free, [p])

    def s_For(self, s):
        an = self.analyzer
        old = an.ranges.get(s.var)
        an.bind(s.var, an.bound(s.min)[0], an.bound(s.min + s.extent - 1)[1])
        try:
            self._for(s)
        finally:
            if old is None:
                del an.ranges[s.var]
            else:
                an.ranges[s.var] = old

    def _for(self, s):
        if s.kind is ForKind.VECTORIZED:
            return self.vector_for(s)
        if s.kind is ForKind.UNROLLED and isinstance(s.extent, IntImm) and s.extent.value <= 1024:
            return self.unrolled_for(s)
        if s.kind is ForKind.PARALLEL and not self.in_parallel and self.vec is None:
            return self.parallel_for(s)
        return self.serial_for(s)

    # ------------------------------------------------------------ loops
    def loop_bounds(self, s):
        """``(start, end)`` of ``s`` as values of the loop variable's type."""
        start = self.convert(self.expr(s.min), s.min.dtype, s.var.dtype)
        ext = self.convert(self.expr(s.extent), s.extent.dtype, s.var.dtype)
        if lanes_of(start) > 1 or lanes_of(ext) > 1:
            raise CodegenError(f"llvm codegen: bounds of loop {s.var.name!r} depend on a vectorized loop variable")
        return start, self.builder.add(start, ext)

    def serial_for(self, s):
        start, end = self.loop_bounds(s)
        self.counted_loop(s.var, start, end, lambda: self.stmt(s.body))

    def counted_loop(self, var, start, end, emit_body):
        """``for var in [start, end): emit_body()`` with the variable in a phi."""
        bl = self.builder
        pre = bl.block
        header = bl.append_basic_block(f"for.{var.name}")
        body = bl.append_basic_block(f"for.{var.name}.body")
        exit_ = bl.append_basic_block(f"for.{var.name}.end")
        bl.branch(header)
        bl.position_at_end(header)
        iv = bl.phi(start.type, name=var.name)
        iv.add_incoming(start, pre)
        signed = not dt.is_uint(var.dtype)
        cond = bl.icmp_signed("<", iv, end) if signed else bl.icmp_unsigned("<", iv, end)
        bl.cbranch(cond, body, exit_)
        bl.position_at_end(body)
        old = self.vars.get(var)
        self.vars[var] = iv
        emit_body()
        self._restore(var, old)
        nxt = bl.add(iv, ir.Constant(iv.type, 1), flags=("nsw",) if signed else ("nuw",))
        iv.add_incoming(nxt, bl.block)
        bl.branch(header)
        bl.position_at_end(exit_)

    def unrolled_for(self, s):
        start = self.convert(self.expr(s.min), s.min.dtype, s.var.dtype)
        old = self.vars.get(s.var)
        lo, hi = self.analyzer.ranges.get(s.var, (None, None))
        first = self.analyzer.bound(s.min)[0]
        for k in range(s.extent.value):
            self.vars[s.var] = self.builder.add(start, ir.Constant(reg_type(s.var.dtype), k)) if k else start
            if self.analyzer.bound(s.min)[1] == first:  # a constant start: each copy knows its value
                self.analyzer.bind(s.var, first + k, first + k)
            self.stmt(s.body)
        if lo is not None:
            self.analyzer.bind(s.var, lo, hi)
        self._restore(s.var, old)

    def _restore(self, var, old):
        if old is None:
            self.vars.pop(var, None)
        else:
            self.vars[var] = old
