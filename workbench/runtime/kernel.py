"""``Kernel``: one compiled operator you call with numpy arrays.

Arguments are checked (count, type, dtype, shape, C-contiguity or, for a view
parameter, its strides, writability of outputs) before native code runs, so a
wrong call raises ``RuntimeCallError`` with the parameter's name and a fix
instead of corrupting memory. The call goes
through ctypes, which releases the GIL while the kernel runs.
"""
from __future__ import annotations

import ctypes
import math
import time as _time

import numpy as np

from ..codegen.llvm import CompiledFunc, build
from ..errors import RuntimeCallError
from ..tir.functor import post_order_visit
from ..tir.printer import func_str
from ..tir.stmt import PrimFunc, Store
from .timing import TimeResult, format_seconds

SOURCE_KINDS = ("tir", "llvm", "llvm-unopt", "asm")


def _written_buffers(func: PrimFunc) -> set:
    out = set()
    post_order_visit(func.body, lambda n: out.add(n.buffer) if isinstance(n, Store) else None)
    return out


class Kernel:
    """A compiled ``PrimFunc``, callable with one numpy array per parameter buffer.

    >>> k = build_kernel(primfunc)           # doctest: +SKIP
    >>> k(a, b, c)                           # results are written into the arrays  # doctest: +SKIP
    >>> k.time(a, b, c)                      # doctest: +SKIP
    1.23 ms ± 0.02 ms (median 1.22 ms, 5 repeats × 10 runs)
    """

    def __init__(self, compiled: CompiledFunc):
        self.compiled = compiled
        self.func: PrimFunc = compiled.func
        self._cfunc = ctypes.CFUNCTYPE(None, *[ctypes.c_void_p] * len(self.func.params))(compiled.address)
        self._written = _written_buffers(self.func)

    @property
    def name(self) -> str:
        """The kernel's name (its symbol in the compiled module)."""
        return self.func.name

    @property
    def params(self) -> tuple:
        """The parameter buffers, in call order."""
        return self.func.params

    @property
    def compile_time(self) -> float:
        """Seconds spent compiling (emit + optimise + JIT)."""
        return self.compiled.compile_time

    @property
    def num_threads(self) -> int:
        """Threads used by parallel loops; assign to change it."""
        return self.compiled.num_threads

    @num_threads.setter
    def num_threads(self, n: int):
        self.compiled.num_threads = n

    # ------------------------------------------------------------ calling
    def _pointers(self, arrays) -> list:
        params = self.func.params
        if len(arrays) != len(params):
            sig = ", ".join(f"{b.name}: {b.dtype}{list(b.shape)}" for b in params)
            raise RuntimeCallError(f"kernel {self.name!r} takes {len(params)} arrays ({sig}), got {len(arrays)}")
        ptrs = []
        for k, (buf, a) in enumerate(zip(params, arrays)):
            where = f"kernel {self.name!r}, argument {k} ({buf.name!r})"
            want = f"{buf.dtype}{list(buf.shape)}"
            if not isinstance(a, np.ndarray):
                raise RuntimeCallError(f"{where}: expected a numpy array {want}, got {type(a).__name__}; "
                                       f"pass np.asarray(x, dtype={buf.dtype!r})")
            if a.dtype != np.dtype(buf.dtype):
                raise RuntimeCallError(f"{where}: expected dtype {buf.dtype}, got {a.dtype}; "
                                       f"convert with x.astype({buf.dtype!r})")
            if a.shape != tuple(buf.shape):
                raise RuntimeCallError(f"{where}: expected shape {tuple(buf.shape)}, got {a.shape}")
            if buf.strides:  # a view parameter: the array must have exactly these strides
                want_strides = tuple(int(x) * a.itemsize for x in buf.strides)
                if a.strides != want_strides:
                    raise RuntimeCallError(f"{where}: this parameter is a view with element strides "
                                           f"{list(buf.strides)}; got an array with byte strides {list(a.strides)} "
                                           f"(pass the matching slice of a padded array)")
            elif not a.flags.c_contiguous:
                raise RuntimeCallError(f"{where}: the array is not C-contiguous (a view, a transpose or a slice?); "
                                       "pass np.ascontiguousarray(x) (and copy results back if it is an output)")
            if buf in self._written and not a.flags.writeable:
                raise RuntimeCallError(f"{where}: the kernel writes into this array but it is read-only; pass a copy")
            ptrs.append(a.ctypes.data)
        return ptrs

    def __call__(self, *arrays) -> None:
        """Run the kernel on ``arrays`` (one per parameter, in order); outputs are written in place.

        >>> k(a, b, c)   # doctest: +SKIP
        """
        self._cfunc(*self._pointers(arrays))

    def call_addresses(self, *addresses: int) -> None:
        """Run on raw data addresses, with no checks: for executables that checked once when planning.

        >>> k.call_addresses(a.ctypes.data, b.ctypes.data, c.ctypes.data)   # doctest: +SKIP
        """
        self._cfunc(*addresses)

    def time(self, *arrays, number: int | None = None, repeat: int = 5, min_repeat_ms: float = 20.0,
             warmup: int = 1) -> TimeResult:
        """Time the kernel: ``repeat`` figures, each the mean of ``number`` back-to-back runs.

        When ``number`` is None it is chosen so one repeat lasts at least ``min_repeat_ms``.

        >>> k.time(a, b, c, repeat=3)   # doctest: +SKIP
        1.23 ms ± 0.02 ms (median 1.22 ms, 3 repeats × 17 runs)
        """
        if repeat < 1 or (number is not None and number < 1):
            raise RuntimeCallError(f"time: repeat and number must be positive, got repeat={repeat}, number={number}")
        ptrs, fn, clock = self._pointers(arrays), self._cfunc, _time.perf_counter
        for _ in range(warmup):
            fn(*ptrs)

        def run(times: int) -> float:
            t0 = clock()
            for _ in range(times):
                fn(*ptrs)
            return clock() - t0

        if number is None:  # calibrate on batches (x10) until a batch lasts a tenth of the target
            target, number = min_repeat_ms * 1e-3, 1
            while True:
                t = run(number)
                if t >= target / 10 or number >= 10**8:
                    number = max(1, math.ceil(number * target / max(t, 1e-9)))
                    break
                number *= 10
        return TimeResult.from_results([run(number) / number for _ in range(repeat)], number)

    # ------------------------------------------------------------ looking inside
    def source(self, kind: str = "tir") -> str:
        """The kernel as text: ``"tir"`` (loop nest), ``"llvm"`` (optimised IR), ``"llvm-unopt"``, ``"asm"``.

        >>> print(k.source("asm"))   # doctest: +SKIP
        """
        if kind == "tir":
            return func_str(self.func)
        if kind == "llvm":
            return self.compiled.llvm_ir
        if kind == "llvm-unopt":
            return self.compiled.llvm_ir_unopt
        if kind == "asm":
            return self.compiled.asm
        raise RuntimeCallError(f"source: unknown kind {kind!r}; choose one of {', '.join(map(repr, SOURCE_KINDS))}")

    def __repr__(self):
        sig = ", ".join(f"{b.name}: {b.dtype}{list(b.shape)}" for b in self.func.params)
        return f"<Kernel {self.name}({sig}), compiled in {format_seconds(self.compile_time)}>"

    def _repr_mimebundle_(self, include=None, exclude=None):
        """Notebook display: its loop-nest view, its summary as fall-back; viz is imported only here."""
        from ..viz.display import display_bundle
        return display_bundle(self)


def build_kernel(func: PrimFunc, *, num_threads: int | None = None) -> Kernel:
    """Compile a ``PrimFunc`` for the host CPU and wrap it as a ``Kernel``.

    >>> from workbench.tir import Buffer, For, ForKind, PrimFunc, Store, Var, const
    >>> import numpy as np
    >>> A = Buffer("A", (4,), "float32"); B = Buffer("B", (4,), "float32"); i = Var("i")
    >>> k = build_kernel(PrimFunc("inc", (A, B), For(i, const(0), const(4), ForKind.SERIAL, Store(B, A[i] + 1.0, (i,)))))
    >>> a = np.arange(4, dtype="float32"); b = np.empty_like(a); k(a, b); b
    array([1., 2., 3., 4.], dtype=float32)
    """
    return Kernel(build(func, num_threads=num_threads))
