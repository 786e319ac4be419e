"""Compile a loop-nest ``PrimFunc`` to native code for the host CPU with llvmlite.

The generated function has the C signature ``void name(T0* noalias p0, T1* noalias p1, ...)``:
one pointer per parameter buffer, in order, each a dense row-major array.
The pipeline is: tir → ``llvmlite.ir`` (``emit_stmt``/``emit_expr``/``vector``/``parallel``)
→ LLVM IR text → -O3 with the new pass manager for the host CPU → MCJIT.

>>> from workbench.tir import Buffer, For, ForKind, PrimFunc, Store, Var, const
>>> A = Buffer("A", (8,), "float32"); B = Buffer("B", (8,), "float32"); i = Var("i")
>>> f = build(PrimFunc("double", (A, B), For(i, const(0), const(8), ForKind.SERIAL, Store(B, A[i] * 2.0, (i,)))))
>>> f.address > 0
True
"""
from __future__ import annotations

import ctypes
import time

from llvmlite import ir

from ..errors import CodegenError
from ..tir import dtype as dt
from ..tir.expr import Buffer
from ..tir.stmt import PrimFunc
from .lltypes import PTR
from .emit_stmt import FunctionEmitter, ModuleContext
from .target import JitModule, default_num_threads, emit_assembly, host_target_machine


class CompiledFunc:
    """A natively compiled ``PrimFunc``: its address, its IR and assembly, how long it took.

    Keeps the JIT engine alive: the code at ``address`` is valid as long as this object lives.

    >>> f = build(func)                                     # doctest: +SKIP
    >>> f.address, f.compile_time, f.llvm_ir[:40], f.asm[:40]  # doctest: +SKIP
    """

    def __init__(self, func: PrimFunc, jit: JitModule, llvm_ir_unopt: str, timings: dict, notes: tuple,
                 has_parallel: bool, num_threads: int):
        self.func = func
        self.name = func.name
        self._jit = jit
        self.address: int = jit.function_address(func.name)
        self.llvm_ir_unopt = llvm_ir_unopt
        self.llvm_ir: str = jit.optimized_ir
        self.timings = timings  # seconds per phase: emit, parse, optimize, jit
        self.compile_time: float = sum(timings.values())
        self.notes = notes
        self._asm = None
        self._nthreads_addr = jit.global_address(f"{func.name}.num_threads") if has_parallel else None
        if self._nthreads_addr:
            self.num_threads = num_threads

    @property
    def asm(self) -> str:
        """Host assembly of the optimised module (produced on first use)."""
        if self._asm is None:
            self._asm = emit_assembly(self.llvm_ir)
        return self._asm

    @property
    def num_threads(self) -> int:
        """Threads the parallel loops use (settable; 1 for a function without parallel loops)."""
        if not self._nthreads_addr:
            return 1
        return ctypes.c_int32.from_address(self._nthreads_addr).value

    @num_threads.setter
    def num_threads(self, n: int):
        if not isinstance(n, int) or n < 1:
            raise CodegenError(f"num_threads must be a positive int, got {n!r}")
        if self._nthreads_addr:
            ctypes.c_int32.from_address(self._nthreads_addr).value = n

    def __repr__(self):
        return f"<CompiledFunc {self.name} at {self.address:#x}, compiled in {self.compile_time * 1e3:.1f} ms>"


def _check(func: PrimFunc) -> None:
    if not isinstance(func, PrimFunc):
        raise CodegenError(f"build expects a tir.PrimFunc, got {type(func).__name__}")
    for b in func.params:
        if not isinstance(b, Buffer):
            raise CodegenError(f"parameter {b!r} of {func.name!r} is not a Buffer; PrimFunc parameters are buffers")
        dt.check(b.dtype)
        if not all(isinstance(d, int) and d >= 0 for d in b.shape):
            raise CodegenError(f"buffer {b.name!r} of {func.name!r} has shape {b.shape}; "
                               "llvm codegen needs constant non-negative extents")
    if len(set(map(id, func.params))) != len(func.params):
        raise CodegenError(f"a buffer appears twice among the parameters of {func.name!r}")


def emit_module(func: PrimFunc) -> tuple:
    """The ``llvmlite.ir.Module`` for ``func`` (unoptimised), and its ``ModuleContext``."""
    _check(func)
    tm = host_target_machine()
    module = ir.Module(name=func.name)
    module.triple = tm.triple
    module.data_layout = str(tm.target_data)
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), [PTR] * len(func.params)), func.name)
    fn.attributes.add("nounwind")
    for arg, buf in zip(fn.args, func.params):
        arg.name = buf.name
        arg.add_attribute("noalias")
    ctx = ModuleContext(module, func.name)
    em = FunctionEmitter(ctx, fn)
    em.bufs = dict(zip(func.params, fn.args))
    em.stmt(func.body)
    em.finish()
    return module, ctx


def build(func: PrimFunc, *, num_threads: int | None = None, opt_level: int = 3) -> CompiledFunc:
    """Compile ``func`` to native code for this machine.

    ``num_threads`` (default ``$WORKBENCH_NUM_THREADS`` or ``os.cpu_count()``) is used by
    parallel loops; it can be changed later through ``CompiledFunc.num_threads``.

    >>> f = build(my_primfunc); f.compile_time < 0.3  # doctest: +SKIP
    True
    """
    t0 = time.perf_counter()
    module, ctx = emit_module(func)
    text = str(module)
    t1 = time.perf_counter()
    jit = JitModule(text, opt_level)
    timings = {"emit": t1 - t0, **jit.timings}
    n = num_threads if num_threads is not None else default_num_threads()
    return CompiledFunc(func, jit, text, timings, tuple(ctx.notes), ctx.num_threads is not None, n)
