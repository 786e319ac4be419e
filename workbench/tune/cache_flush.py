"""Evict arrays from the CPU caches before a timed run, so a kernel is timed as it runs in a model.

Timed back to back, a kernel finds its inputs (and its weights) in the caches the previous
run warmed; inside a model its weights come from memory and its data from wherever the
previous layer left it. A layer-4 conv of ResNet-18 (9.4 MB of weights) measured 0.49 ms warm
and 0.55-0.63 ms flushed. ``Measurer(flush_cache=True)`` times each run after ``clflush`` of
every line of the kernel's arrays (TVM's ``enable_cpu_cache_flush`` does the same, for the
same reason). Buffers a kernel allocates inside itself are not flushed.

The flush is a tiny compiled loop of ``llvm.x86.sse2.clflush`` (x86 only) followed by a fence.

>>> import numpy as np
>>> flush = cache_flusher()                          # doctest: +SKIP
>>> flush([np.ones(1 << 20, "float32")])             # doctest: +SKIP
"""
from __future__ import annotations

import ctypes
import platform

LINE = 64  # cache-line bytes

FLUSH_IR = r"""
declare void @llvm.x86.sse2.clflush(ptr)

define void @wb_cache_flush(ptr %p, i64 %n) {
entry:
  %empty = icmp eq i64 %n, 0
  br i1 %empty, label %done, label %loop
loop:
  %i = phi i64 [0, %entry], [%next, %loop]
  %q = getelementptr i8, ptr %p, i64 %i
  call void @llvm.x86.sse2.clflush(ptr %q)
  %next = add i64 %i, LINE
  %more = icmp ult i64 %next, %n
  br i1 %more, label %loop, label %done
done:
  fence seq_cst
  ret void
}
""".replace("LINE", str(LINE))


def supported() -> bool:
    """Whether this machine can flush lines from user code (x86-64)."""
    return platform.machine().lower() in ("x86_64", "amd64")


def cache_flusher(engine=None):
    """``flush(arrays)``: evict every cache line of the given numpy arrays.

    ``engine``: an llvmlite MCJIT engine to add the flush loop to (a new one when None; keep the
    returned function only as long as the engine lives).
    """
    if not supported():
        raise NotImplementedError(f"cache flushing needs x86-64 (clflush); this machine is {platform.machine()}")
    import llvmlite.binding as llvm

    from ..codegen.target import _new_target_machine
    mod = llvm.parse_assembly(FLUSH_IR)
    mod.verify()
    own = engine is None
    if own:
        engine = llvm.create_mcjit_compiler(mod, _new_target_machine())
    else:
        engine.add_module(mod)
    engine.finalize_object()
    fn = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int64)(engine.get_function_address("wb_cache_flush"))

    def flush(arrays) -> None:
        for a in arrays:
            fn(a.ctypes.data, a.nbytes)
    flush.engine = engine  # keeps the compiled code alive
    return flush
