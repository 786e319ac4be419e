"""The two calls that turn a schedule into something to read or to run: ``lower`` and ``build``."""
from __future__ import annotations

import time

from .errors import CodegenError
from .lower import lower
from .runtime import Kernel, build_kernel

TARGETS = ("llvm",)


def build(s, args=None, target: str = "llvm", name: str = "main", num_threads: int | None = None,
          records=None) -> Kernel:
    """Lower a schedule and compile it to native code for this machine; returns a ``Kernel``.

    ``s`` may also be an AutoTVM task (``autotvm.task(...)``): it is built with the best config in
    ``records`` (a records path), or its fallback config when it was not tuned.

    >>> import numpy as np, workbench as wb
    >>> from workbench import te
    >>> A = te.placeholder((8,), name="A"); B = te.compute((8,), lambda i: A[i] * 2.0, name="B")
    >>> f = wb.build(te.create_schedule(B.op), [A, B])
    >>> a = np.arange(8, dtype="float32"); b = np.empty(8, "float32"); f(a, b); b[:3]
    array([0., 2., 4.], dtype=float32)
    """
    if target not in TARGETS:
        raise CodegenError(f"build: unknown target {target!r}; available: {', '.join(TARGETS)}")
    if hasattr(s, "instantiate") and hasattr(s, "space"):  # an autotvm Task
        from .autotvm import apply_history_best
        config = apply_history_best(records).best_config(s) if records is not None else None
        s, args = s.instantiate(config if config is not None else s.fallback)
    elif records is not None:
        raise CodegenError("build: records= applies to an autotvm task (wb.build(task, records=...)), "
                           "not to a schedule you made by hand")
    if args is None:
        raise CodegenError("build: give the tensors of the function, e.g. wb.build(s, [A, B, C])")
    t0 = time.perf_counter()
    func = lower(s, args, name)
    lower_time = time.perf_counter() - t0
    kernel = build_kernel(func, num_threads=num_threads)
    kernel.lower_time = lower_time
    return kernel
