"""The host CPU as an LLVM target: optimise LLVM IR text and JIT it to native code.

Everything llvmlite-specific that is not IR construction lives here, so the
emitters only build ``llvmlite.ir`` modules. One MCJIT engine per compiled
module; an engine owns its target machine, so each gets a fresh one, while a
shared one (created once) runs the optimiser and prints assembly.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import functools
import glob
import os
import time

import llvmlite.binding as llvm

from ..errors import CodegenError

llvm.initialize_native_target()
llvm.initialize_native_asmprinter()


def _load_runtime_libraries() -> None:
    """Make the C math library (pow, exp, erf...) and the compiler's runtime builtins
    (``__powidf2``: LLVM turns ``pow(x, float(int))`` into it) resolvable by the JIT. A symbol
    MCJIT cannot find is silently resolved to address 0, and the kernel crashes when it calls it."""
    for lib in ("m", "gcc_s"):
        path = ctypes.util.find_library(lib) or f"lib{lib}.so.{6 if lib == 'm' else 1}"
        try:
            llvm.load_library_permanently(path)
        except RuntimeError as e:
            raise CodegenError(f"cannot load {path} for generated code: {e}") from None


_load_runtime_libraries()


def _vector_math_width() -> int:
    """Lanes of glibc's vector math entry points usable here (libmvec: ``_ZGVeN16v_expf`` on
    AVX-512, ``_ZGVdN8v_expf`` on AVX2), or 0 when there is no libmvec or no such vector unit."""
    feats = llvm.get_host_cpu_features()
    width = 16 if feats.get("avx512f") else 8 if feats.get("avx2") else 0
    if not width:
        return 0
    try:
        llvm.load_library_permanently(ctypes.util.find_library("mvec") or "libmvec.so.1")
    except RuntimeError:
        return 0
    probe = "_ZGVeN16v_erff" if width == 16 else "_ZGVdN8v_erff"
    return width if llvm.address_of_symbol(probe) else 0


VECTOR_MATH_WIDTH = _vector_math_width()


def _new_target_machine():
    target = llvm.Target.from_default_triple()
    return target.create_target_machine(cpu=llvm.get_host_cpu_name(),
                                        features=llvm.get_host_cpu_features().flatten(),
                                        opt=3, jit=True)


@functools.cache
def host_target_machine():
    """The shared target machine for the host CPU (name and features), at -O3.

    >>> host_target_machine().triple  # doctest: +SKIP
    'x86_64-unknown-linux-gnu'
    """
    return _new_target_machine()


def host_cpu() -> str:
    """The host CPU name LLVM tunes for, e.g. ``"znver4"``."""
    return llvm.get_host_cpu_name()


_KEEP: list = []


@functools.cache
def load_openmp() -> str:
    """Load libgomp into the process (once) so generated code can call ``GOMP_parallel``.

    Returns the path loaded; raises ``CodegenError`` when no libgomp is found.
    """
    candidates = []
    found = ctypes.util.find_library("gomp")
    if found:
        candidates.append(found)
    candidates += ["libgomp.so.1"] + sorted(glob.glob("/usr/lib/gcc/*/*/libgomp.so"))
    for path in candidates:
        try:
            # ctypes holds its own reference and never closes it: LLVM dlcloses the libraries it
            # loaded when the process exits, which would unmap libgomp under its (spinning) threads
            _KEEP.append(ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL))
            llvm.load_library_permanently(path)
            return path
        except (OSError, RuntimeError):
            continue
    raise CodegenError("parallel loops need the OpenMP runtime (libgomp.so.1), which was not found; "
                       "install the system compiler's libgomp (e.g. apt-get install libgomp1) "
                       "or schedule the loop as serial")


# LLVM CPU names whose vector units are half as wide as their AVX-512 registers: each 512-bit
# instruction runs as two 256-bit halves, so 8 lanes of a 16-lane register cost half an instruction
HALF_WIDTH_AVX512 = frozenset({"znver4"})


def datapath_lanes() -> int:
    """Float32 lanes the vector units process per issued operation: 16 on an AVX-512 core with 512-bit
    units, 8 where 512-bit instructions run as two 256-bit halves (AMD Zen 4, ``HALF_WIDTH_AVX512``) or
    the registers are 256-bit (AVX2), 4 otherwise. ``$WORKBENCH_DATAPATH_LANES`` overrides it (e.g. to
    tune for another machine of the same instruction set).

    On Zen 4 a conv's 4 x 4 x 8 register block (16 registers of 8 lanes each, all busy) ran faster than
    16 x 14 (14 of 16 lanes busy), in the same round 185-189 against 176 GFLOPS; on a core with 512-bit
    units half its lanes would idle.

    >>> datapath_lanes() in (4, 8, 16)
    True
    """
    env = os.environ.get("WORKBENCH_DATAPATH_LANES")
    if env:
        if env not in ("4", "8", "16"):
            raise CodegenError(f"WORKBENCH_DATAPATH_LANES must be 4, 8 or 16 (float32 lanes per vector "
                               f"operation), got {env!r}")
        return int(env)
    return _host_datapath_lanes()


@functools.cache
def _host_datapath_lanes() -> int:
    feats = llvm.get_host_cpu_features()
    if feats.get("avx512f"):
        return 8 if llvm.get_host_cpu_name() in HALF_WIDTH_AVX512 else 16
    return 8 if feats.get("avx2") else 4


def default_num_threads() -> int:
    """Threads for parallel loops: ``$WORKBENCH_NUM_THREADS`` if set, else ``os.cpu_count()``."""
    env = os.environ.get("WORKBENCH_NUM_THREADS")
    if env:
        try:
            n = int(env)
        except ValueError:
            raise CodegenError(f"WORKBENCH_NUM_THREADS must be a positive integer, got {env!r}") from None
        if n > 0:
            return n
        raise CodegenError(f"WORKBENCH_NUM_THREADS must be a positive integer, got {env!r}")
    return os.cpu_count() or 1


class JitModule:
    """An optimised LLVM module living in its own MCJIT engine (keep this alive while calling)."""

    def __init__(self, ir_text: str, opt_level: int = 3):
        t0 = time.perf_counter()
        tm = host_target_machine()
        try:
            mod = llvm.parse_assembly(ir_text)
            mod.verify()
        except RuntimeError as e:
            raise CodegenError(f"generated LLVM IR is invalid (a codegen bug): {e}") from None
        t1 = time.perf_counter()
        pto = llvm.create_pipeline_tuning_options(speed_level=opt_level)
        pb = llvm.create_pass_builder(tm, pto)
        pb.getModulePassManager().run(mod, pb)
        t2 = time.perf_counter()
        self.optimized_ir = str(mod)
        self.engine = llvm.create_mcjit_compiler(mod, _new_target_machine())
        self.engine.finalize_object()
        t3 = time.perf_counter()
        self.module = mod
        self.timings = {"parse": t1 - t0, "optimize": t2 - t1, "jit": t3 - t2}

    def function_address(self, name: str) -> int:
        addr = self.engine.get_function_address(name)
        if not addr:
            raise CodegenError(f"function {name!r} not found in the compiled module")
        return addr

    def global_address(self, name: str) -> int:
        return self.engine.get_global_value_address(name)


def emit_assembly(ir_text: str) -> str:
    """Host assembly for LLVM IR text (re-parsed, so the JIT's module is untouched)."""
    mod = llvm.parse_assembly(ir_text)
    return host_target_machine().emit_assembly(mod)
