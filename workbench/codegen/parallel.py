"""Parallel loops on the OpenMP runtime (libgomp), the way a C compiler does it.

A ``PARALLEL`` loop is outlined into two functions:

- ``<kernel>.parN.body(ptr noalias buf..., scalars..., lo, hi)`` runs the loop over
  ``[lo, hi)``; buffer pointers are ``noalias`` arguments again, so the body
  vectorizes as well as the kernel would;
- ``<kernel>.parN(ptr data)`` is what every OpenMP thread runs: it unpacks the
  captured values from a struct, takes its static share of the iteration range
  from ``omp_get_thread_num()``/``omp_get_num_threads()`` and calls the body.

The kernel fills the struct (buffer pointers, the outer loop variables the body
uses, the range) and calls ``GOMP_parallel(fn, data, num_threads, 0)``, which
returns when all threads are done. A parallel loop nested inside another runs
serially in its thread; allocations inside the body are made by each thread.
The thread count is a global of the module, so it can change after compilation.
"""
from __future__ import annotations

from llvmlite import ir

from ..tir.expr import Load, Var
from ..tir.functor import post_order_visit
from ..tir.stmt import Store
from .lltypes import I32, PTR
from .target import load_openmp


def _captures(s, bufs: dict, vars_: dict):
    """Buffers and variables of the enclosing function that the body of loop ``s`` uses, in order."""
    used_bufs, used_vars = {}, {}

    def visit(n):
        if isinstance(n, (Load, Store)) and n.buffer in bufs:
            used_bufs[n.buffer] = None
        elif isinstance(n, Var) and n is not s.var and n in vars_:
            used_vars[n] = None
    post_order_visit(s.body, visit)
    return list(used_bufs), list(used_vars)


def _field(builder, ptr, struct, k: int):
    p = builder.gep(ptr, [ir.Constant(I32, 0), ir.Constant(I32, k)], inbounds=True, source_etype=struct)
    p.type = PTR
    return p


class ParallelMixin:
    """Outlining of parallel loops for ``FunctionEmitter``."""

    def num_threads_global(self):
        ctx = self.ctx
        if ctx.num_threads is None:
            ctx.num_threads = ir.GlobalVariable(self.module, I32, name=f"{ctx.name}.num_threads")
            ctx.num_threads.initializer = ir.Constant(I32, 0)  # set by build()
        return ctx.num_threads

    def parallel_for(self, s):
        from .emit_stmt import FunctionEmitter
        load_openmp()
        ctx, bl = self.ctx, self.builder
        start, end = self.loop_bounds(s)
        bufs, vars_ = _captures(s, self.bufs, self.vars)
        var_vals = [self.vars[v] for v in vars_]
        itype = start.type
        ctx.n_outlined += 1
        fname = f"{self.fn.name}.par{ctx.n_outlined}"

        # the loop over [lo, hi), with noalias buffer arguments
        body_ty = ir.FunctionType(ir.VoidType(), [PTR] * len(bufs) + [v.type for v in var_vals] + [itype, itype])
        body_fn = ir.Function(self.module, body_ty, fname + ".body")
        body_fn.linkage = "internal"
        body_fn.attributes.add("nounwind")
        for a in body_fn.args[:len(bufs)]:
            a.add_attribute("noalias")
        sub = FunctionEmitter(ctx, body_fn, in_parallel=True)
        sub.bufs = dict(zip(bufs, body_fn.args[:len(bufs)]))
        sub.vars = dict(zip(vars_, body_fn.args[len(bufs):len(bufs) + len(vars_)]))
        sub.analyzer.ranges = dict(self.analyzer.ranges)
        lo, hi = body_fn.args[-2:]
        sub.counted_loop(s.var, lo, hi, lambda: sub.stmt(s.body))
        sub.finish()

        # what each OpenMP thread runs: unpack, take a static share, call the body
        fields = [PTR] * len(bufs) + [v.type for v in var_vals] + [itype, itype]
        struct = ir.LiteralStructType(fields)
        omp_fn = ir.Function(self.module, ir.FunctionType(ir.VoidType(), [PTR]), fname)
        omp_fn.linkage = "internal"
        omp_fn.attributes.add("nounwind")
        ob = ir.IRBuilder(omp_fn.append_basic_block("entry"))
        data = omp_fn.args[0]
        vals = []
        for k, t in enumerate(fields):
            p = _field(ob, data, struct, k)
            vals.append(ob.load(p, typ=t))
        first, last = vals[-2:]
        tid = ob.call(self.extern("omp_get_thread_num", I32, []), [])
        nth = ob.call(self.extern("omp_get_num_threads", I32, []), [])
        tid, nth = ob.sext(tid, itype), ob.sext(nth, itype)
        one = ir.Constant(itype, 1)
        chunk = ob.sdiv(ob.add(ob.sub(last, first), ob.sub(nth, one)), nth)
        my_lo = ob.add(first, ob.mul(tid, chunk))
        my_hi = ob.add(my_lo, chunk)
        my_hi = ob.select(ob.icmp_signed("<", my_hi, last), my_hi, last)
        with ob.if_then(ob.icmp_signed("<", my_lo, my_hi)):
            ob.call(body_fn, vals[:-2] + [my_lo, my_hi])
        ob.ret_void()

        # the kernel side: fill the struct, run the team
        slot = self.entry_alloca(struct)
        for k, v in enumerate([self.bufs[b] for b in bufs] + var_vals + [start, end]):
            p = _field(bl, slot, struct, k)
            bl.store(v, p)
        gomp = self.extern("GOMP_parallel", ir.VoidType(), [PTR, PTR, I32, I32])
        nthreads = bl.load(self.num_threads_global(), typ=I32)
        bl.call(gomp, [omp_fn, slot, nthreads, ir.Constant(I32, 0)])
