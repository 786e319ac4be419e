"""A roofline estimate of a lowered program's run time, for Ansor's first round.

Before anything is measured the cost model knows nothing, and the first batch used to be
random programs, most of them far from good: on ResNet-18's 3x3 conv the 16 of a first
round averaged about 100 GFLOPS where the best programs run at 400. The model then learned
what is bad, and a search that found nothing good early stayed with what it had. This
module ranks programs by what any performance engineer would check first, so the first
round can measure the promising ones of a few hundred random programs instead.

``estimate_cycles(func)`` sums over the stores of the loop nest (``tune.features``' sites)
the largest of:

- **arithmetic**: vector instructions (fused multiply-adds count once) over the FMA ports;
  a vector whose lane count does not fit the register width costs more instructions (a
  short odd one is built of pieces, a wide odd one element by element, as LLVM does); an
  innermost loop the schedule leaves serial counts as LLVM's loop vectorizer makes it
  (``AUTO_LANES``) when every access is contiguous or invariant in it;
- **loads**: for the *register level* (the loops inside the innermost reduction loop of an
  accumulation, where LLVM keeps the accumulators in registers), the distinct elements each
  read touches there, a vector load per register when contiguous, one load per element when
  not (or when a loop reaches the index through a div or mod); over the load ports;
- **caches**: for each level (L1, L2, L3, sizes from ``/sys``), the bytes moved into it:
  each buffer's footprint in the outermost loop whose data fits, once per iteration of the
  loops around it up to the innermost that moves that buffer, over the bandwidth into that level;

plus penalties for what makes a kernel slow regardless of the roof: accumulators that do not
fit in ``ACC_REGISTERS`` (kept in memory, a load and a store per update), accumulating
straight into an output buffer (a store per update), and the overhead of a loop per
iteration of the innermost loop LLVM does not unroll. The total is divided by the parallel
speed-up: threads, with the imbalance of a parallel extent they do not divide.

It is a ranking, not a prediction: the constants are an AVX-512 core (two FMA and two load
ports, 16 float lanes; where the vector units are 8 lanes wide, ``codegen.target.datapath_lanes``, as on
AMD Zen 4, a 16-lane instruction issues twice and a row of 8 idles nothing), and what they miss the
learned model measures. On 256 random programs of ResNet-18's 3x3 conv, measured (Spearman rank
correlation 0.56; a core with 512-bit units), the 16 it rates highest averaged 234 GFLOPS against
118 for all, and held the best of the 256 (405); on 40 of the matrix 2-norm 0.92 (it knows that
LLVM vectorizes a plain reduction loop, and that a fused index reached through div and mod is read
element by element), on 40 of the transposed conv 0.82.
``benchmarks/ansor_first_round.py`` measures the first batch it picks against a random one.

>>> import workbench as wb
>>> from workbench import te
>>> A, B = te.placeholder((256, 256), name="A"), te.placeholder((256, 256), name="B")
>>> k = te.reduce_axis((0, 256), name="k")
>>> C = te.compute((256, 256), lambda i, j: te.sum(A[i, k] * B[k, j], axis=k), name="C")
>>> naive = te.create_schedule(C.op)
>>> s = te.create_schedule(C.op)
>>> i, j = C.op.axis
>>> io, ii = s[C].split(i, factor=4); jo, ji = s[C].split(j, factor=64)
>>> s[C].reorder(io, jo, C.op.reduce_axis[0], ii, ji); s[C].unroll(ii); s[C].vectorize(ji); s[C].parallel(io)
>>> slow, fast = (estimate_cycles(wb.lower(x, [A, B, C])) for x in (naive, s))
>>> slow > 10 * fast
True
"""
from __future__ import annotations

import functools
import math
import os

from ..codegen.target import datapath_lanes, default_num_threads
from ..graph.op.schedules.conv2d import ACC_REGISTERS
from ..tir import dtype as dt
from ..tir.analysis import linear
from ..tir.expr import Var
from ..tir.functor import free_vars
from ..tir.stmt import ForKind, PrimFunc
from ..tune.features import _collect, _flat_coefs, _footprint
from .features import _accumulator_registers
from .program import VECTOR_LANES

FMA_PORTS = 2        # vector multiply-adds issued per cycle
LOAD_PORTS = 2       # vector loads issued per cycle
LOOP_OVERHEAD = 0.5  # cycles per iteration of the innermost loop LLVM keeps as a loop
AUTO_LANES = 8       # lanes LLVM's loop vectorizer gives a loop the schedule leaves serial
SHORT_LOOP = 256     # register-level iterations LLVM unrolls by itself
CACHE_USE = 0.7      # the share of a cache a working set may fill and still stay in it
# (capacity in bytes, bytes per cycle into it) of L1, L2 and L3, when /sys does not tell
DEFAULT_CACHES = ((48 << 10, 64.0), (1 << 20, 32.0), (16 << 20, 12.0))


@functools.lru_cache(maxsize=1)
def caches() -> tuple:
    """``(bytes, bytes per cycle into it)`` of each data cache level of this machine, L1 first
    (sizes from ``/sys/devices/system/cpu/cpu0/cache``; the bandwidths are typical ones).

    >>> [size >> 10 for size, _ in caches()]     # doctest: +SKIP
    [48, 1024, 32768]
    """
    sizes = {}
    root = "/sys/devices/system/cpu/cpu0/cache"
    try:
        for entry in os.listdir(root):
            if not entry.startswith("index"):
                continue
            with open(f"{root}/{entry}/type") as f:
                if f.read().strip() == "Instruction":
                    continue
            with open(f"{root}/{entry}/level") as f:
                level = int(f.read())
            with open(f"{root}/{entry}/size") as f:
                text = f.read().strip()
            units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
            sizes[level] = int(text.rstrip("KMG")) * units.get(text[-1], 1)
    except (OSError, ValueError):
        return DEFAULT_CACHES
    if sorted(sizes) != [1, 2, 3][:len(sizes)] or not sizes:
        return DEFAULT_CACHES
    return tuple((sizes[lv], bw) for lv, (_, bw) in zip(sorted(sizes), DEFAULT_CACHES))


def _lanes_per_issue(v: int, datapath: int = VECTOR_LANES) -> float:
    """Useful float lanes per vector operation the units issue, for a vectorized loop of ``v`` lanes,
    on vector units ``datapath`` lanes wide (``codegen.target.datapath_lanes``: where it is 8, a 16-lane
    instruction issues twice)."""
    if v % VECTOR_LANES == 0 or VECTOR_LANES % v == 0:
        width = min(v, VECTOR_LANES)
        return width / -(-width // datapath)
    if v < VECTOR_LANES:   # legalized as pieces (14 = 8 + 4 + 2), a whole register issuing at least once per part
        return min(v / 1.5, v / -(-VECTOR_LANES // datapath))
    return 4.0             # wide and odd (28, 56): built element by element with inserts


def _hidden(indices, loops) -> set:
    """Positions of the loops an access depends on through a non-linear term (the div and mod of a fused
    loop): its linear coefficients and box footprint do not see them."""
    position = {f.var: k for k, f in enumerate(loops)}
    out = set()
    for idx in indices:
        for atom, _ in linear(idx).terms.values():
            if not isinstance(atom, Var):
                out |= {position[v] for v in free_vars(atom) if v in position}
    return out


def _distinct(buf, idx, loops, ext, first: int) -> float:
    """Elements of ``buf`` an access touches while loops ``first..`` run: the box footprint, or one element per
    iteration (at most the buffer) when a loop among them reaches the index through a div or mod."""
    if any(k >= first for k in _hidden(idx, loops)):
        return float(min(math.prod(ext[first:]), max(1, buf.size)))
    return _footprint(buf, idx, loops, ext, first)


def _auto_vectorized(site) -> bool:
    """Whether LLVM's loop vectorizer takes the innermost loop: a serial loop of at least ``AUTO_LANES``
    iterations where every access is contiguous or invariant (a scalar reduction included: reassociation
    is allowed)."""
    loops, ext = site.loops, site.extents
    if not loops or loops[-1].kind is not ForKind.SERIAL or ext[-1] < AUTO_LANES:
        return False
    last = len(loops) - 1
    return all(_flat_coefs(b, i, loops)[last] in (0, 1) and last not in _hidden(i, loops)
               for b, i, _ in site.accesses)


def _site_cycles(site, params: set, threads: int) -> float:
    """Estimated cycles of one store site (``tune.features._StoreSite``), ``threads`` sharing its parallel loop."""
    loops, ext = site.loops, site.extents
    kinds = [f.kind for f in loops]
    vec = [k for k, kd in enumerate(kinds) if kd is ForKind.VECTORIZED]
    v = ext[vec[-1]] if vec else 1
    lanes = _lanes_per_issue(v, datapath_lanes()) if vec else 1.0
    if not vec and _auto_vectorized(site):
        vec, v, lanes = [len(loops) - 1], ext[-1], float(AUTO_LANES)
    instructions = site.iters / lanes
    # the register level: inside the innermost reduction loop of an accumulation, else the innermost loop
    target = site.store.buffer
    accum = any(b is target and not w for b, _, w in site.accesses[1:])
    coefs = _flat_coefs(target, site.store.indices, loops) if loops else []
    hidden = _hidden(site.store.indices, loops)
    red = [k for k, c in enumerate(coefs) if c == 0 and k not in hidden and ext[k] > 1] if accum else []
    r = red[-1] + 1 if red else max(0, len(loops) - 1)
    inside = math.prod(ext[r:])
    loads = 0.0
    for buf, idx, is_write in site.accesses:
        if accum and buf is target:
            continue            # the accumulators: in registers (or see below)
        fp = _distinct(buf, idx, loops, ext, r)
        contiguous = (bool(vec) and _flat_coefs(buf, idx, loops)[vec[-1]] == 1
                      and vec[-1] not in _hidden(idx, loops))
        loads += fp / lanes if contiguous or is_write else fp
    o = site.ops
    if accum:   # fused multiply-adds; a select (an inlined pad) goes with the loads it guards
        arith = max(o["float_addsub"], o["float_mul"]) + 4 * o["float_div"]
        loads *= 1 + o["float_other"]
    else:
        arith = o["float_addsub"] + o["float_mul"] + 4 * o["float_div"] + o["float_other"]
    cycles = max(instructions * arith / FMA_PORTS, site.iters / max(1, inside) * loads / LOAD_PORTS)
    if accum and red and target in params:
        cycles += instructions * max(1, arith) * 0.5        # accumulating in the output: a store per update
    if _accumulator_registers(site) > ACC_REGISTERS:
        cycles += instructions * max(1, arith)              # accumulators in memory: a load and a store each
    loop = [k for k, kd in enumerate(kinds) if kd in (ForKind.SERIAL, ForKind.PARALLEL)
            and not (k >= r and inside <= SHORT_LOOP)]
    if loop:
        turns = math.prod(ext[:loop[-1] + 1])
        cycles += (turns / lanes if vec and loop[-1] == vec[-1] else turns) * LOOP_OVERHEAD
    cycles = max([cycles] + [_traffic(site, capacity) / bandwidth for capacity, bandwidth in caches()])
    par = [ext[k] for k, kd in enumerate(kinds) if kd is ForKind.PARALLEL]
    if par:
        p = math.prod(par)
        cycles /= p / math.ceil(p / threads)
    return cycles


def _traffic(site, capacity: int) -> float:
    """Bytes brought into a cache of ``capacity`` bytes: find the outermost loop whose data fits; each buffer's
    footprint there comes in once per iteration of the loops around it, up to the innermost of them that
    moves that buffer (while only loops it does not depend on turn, its data stays in the cache)."""
    loops, ext = site.loops, site.extents
    accesses = {}
    for b, i, _ in site.accesses:
        accesses.setdefault((id(b), str(i)), (b, i))
    k = 0
    while k < len(loops) and sum(_distinct(b, i, loops, ext, k) * dt.itemsize(b.dtype)
                                 for b, i in accesses.values()) > capacity * CACHE_USE:
        k += 1
    total = 0.0
    for b, i in accesses.values():
        coefs, hidden = _flat_coefs(b, i, loops), _hidden(i, loops)
        moves = [j for j in range(k) if (coefs[j] != 0 or j in hidden) and ext[j] > 1]
        turns = math.prod(ext[:moves[-1] + 1]) if moves else 1
        total += _distinct(b, i, loops, ext, k) * dt.itemsize(b.dtype) * turns
    return total


def estimate_cycles(func: PrimFunc, threads: int | None = None) -> float:
    """Estimated cycles of one run of ``func`` with ``threads`` sharing its parallel loops (lower is
    faster; for ranking programs, see the module's example).

    >>> estimate_cycles(wb.lower(naive, [A, B, C]), threads=1)     # doctest: +SKIP
    33587328.0
    """
    threads = default_num_threads() if threads is None else threads
    if not isinstance(threads, int) or threads < 1:
        raise ValueError(f"estimate_cycles: threads must be a positive integer (None: this machine's), "
                         f"got {threads!r}")
    sites, _, _, _ = _collect(func)
    params = set(func.params)
    return sum(_site_cycles(s, params, threads) for s in sites)
