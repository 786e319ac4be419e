"""Per-store features of a lowered program, for Ansor's cost model.

Ansor's model scores each *buffer store* of a program and adds the scores up, so one
model covers programs of any number of stages. ``store_features(func)`` returns one
row per ``Store`` of the loop nest (``STORE_FEATURE_NAMES`` names the columns):

- arithmetic: float add/sub, mul, div, other (max, select, calls), integer ops,
  compares, casts, each counted over every time the store runs;
- annotations: the innermost vector length and how many loops are vectorized,
  unrolled extent, parallel extent, and how many of each;
- loop extents: total iterations, depth, the four innermost extents, guards;
- per buffer it touches (the store's target first, then the loads by bytes, 4 slots):
  read/write, bytes touched over the whole nest and inside the 1..4 innermost loops,
  the stride of the innermost loop, cache lines touched, reuse (accesses per
  distinct element);
- an arithmetic intensity curve: float ops per byte touched by the innermost 1, 2, ... 10
  loops (Ansor's roofline-like signal of where data is reused);
- whether the target is a local (cache) buffer, and its size;
- for an accumulation, the vector registers its accumulators need inside the innermost
  reduction loop, and whether they fit the register file.

Values that span orders of magnitude are ``log2(1 + x)``.

>>> rows = store_features(wb.lower(s, [A, B, C]))     # doctest: +SKIP
>>> rows.shape[1] == len(STORE_FEATURE_NAMES)           # doctest: +SKIP
True
"""
from __future__ import annotations

import math

import numpy as np

from ..graph.op.schedules.conv2d import ACC_REGISTERS
from ..tir import dtype as dt
from ..tir.stmt import ForKind, PrimFunc
from ..tune.features import OPS, _collect, _flat_coefs, _footprint, _log

N_BUFFERS = 4
N_INNER = 4
N_CURVE = 10
BUFFER_COLUMNS = ("present", "is_write", "is_read", "log_bytes", "log_bytes_inner1", "log_bytes_inner2",
                  "log_bytes_inner3", "log_bytes_inner4", "log_stride", "stride_is_0", "stride_is_1", "log_lines",
                  "log_reuse")


def _names() -> list:
    names = [f"ops.{o}" for o in OPS]
    names += ["vec.log_len", "vec.count", "unroll.log_extent", "unroll.count", "par.log_extent", "par.count"]
    names += ["loop.log_iters", "loop.depth", "loop.guards"] + [f"loop.inner{k}.log_extent" for k in range(N_INNER)]
    names += [f"buf{b}.{c}" for b in range(N_BUFFERS) for c in BUFFER_COLUMNS]
    names += [f"intensity.{k}" for k in range(N_CURVE)]
    names += ["target.is_local", "target.log_bytes"]
    names += ["acc.log_registers", "acc.fits"]
    return names


STORE_FEATURE_NAMES: list = _names()


def _store_row(site, func_params: set) -> list:
    loops, ext = site.loops, site.extents
    row = [_log(site.ops[o] * site.iters) for o in OPS]
    vec = [e for f, e in zip(loops, ext) if f.kind is ForKind.VECTORIZED]
    unr = [e for f, e in zip(loops, ext) if f.kind is ForKind.UNROLLED]
    par = [e for f, e in zip(loops, ext) if f.kind is ForKind.PARALLEL]
    row += [_log(vec[-1] if vec else 0), len(vec), _log(math.prod(unr) if unr else 0), len(unr),
            _log(math.prod(par) if par else 0), len(par)]
    inner = list(reversed(ext))[:N_INNER]
    row += [_log(site.iters), len(loops), site.guards] + [_log(e) for e in inner] + [0.0] * (N_INNER - len(inner))

    # buffers: the target first, then loads by bytes touched
    per: dict = {}
    for buf, idx, is_write in site.accesses:
        e = per.setdefault(id(buf), {"buf": buf, "idx": idx, "w": False, "r": False, "n": 0})
        e["w"] |= is_write
        e["r"] |= not is_write
        e["n"] += 1
    entries = []
    for e in per.values():
        buf, idx = e["buf"], e["idx"]
        isz = dt.itemsize(buf.dtype)
        distinct = _footprint(buf, idx, loops, ext, 0)
        inner = [_footprint(buf, idx, loops, ext, max(0, len(loops) - k)) for k in (1, 2, 3, 4)]
        coefs = _flat_coefs(buf, idx, loops) if loops else []
        stride = abs(coefs[-1]) if coefs else 0
        lines = distinct * isz / 64.0
        entries.append((e["w"], distinct * isz, [1.0, float(e["w"]), float(e["r"]), _log(distinct * isz)]
                        + [_log(v * isz) for v in inner]
                        + [_log(stride), float(stride == 0), float(stride == 1), _log(lines),
                           _log(site.iters * e["n"] / max(1.0, distinct))]))
    entries.sort(key=lambda t: (not t[0], -t[1]))
    for b in range(N_BUFFERS):
        row += entries[b][2] if b < len(entries) else [0.0] * len(BUFFER_COLUMNS)

    # arithmetic intensity of the innermost 1, 2, ... loops (where registers and caches reuse data)
    flops = sum(v for k, v in site.ops.items() if k.startswith("float")) or 1
    curve = []
    for k in range(len(loops) - 1, -1, -1):
        iters = math.prod(ext[k:])
        touched = sum(_footprint(e["buf"], e["idx"], loops, ext, k) * dt.itemsize(e["buf"].dtype)
                      for e in per.values())
        curve.append(_log(flops * iters / max(1.0, touched)))
    curve = curve[:N_CURVE]
    row += curve + [curve[-1] if curve else 0.0] * (N_CURVE - len(curve))
    target = site.store.buffer
    local = target not in func_params
    row += [float(local), _log(target.size * dt.itemsize(target.dtype)) if local else 0.0]
    regs = _accumulator_registers(site)
    row += [_log(regs), float(0 < regs <= ACC_REGISTERS)]
    return row


def _accumulator_registers(site) -> float:
    """Registers the accumulators of a reduction store need: the elements of its target touched inside
    the innermost loop that does not move the target (a reduction loop), one 64-byte register per
    vector row started (or per element when nothing is vectorized). 0 for a store that is not an
    accumulation."""
    st, loops = site.store, site.loops
    if not any(buf is st.buffer and not w for buf, _, w in site.accesses[1:]):
        return 0.0
    coefs = _flat_coefs(st.buffer, st.indices, loops)
    red = [k for k, c in enumerate(coefs) if c == 0 and site.extents[k] > 1]
    if not red:
        return 0.0
    elems = _footprint(st.buffer, st.indices, loops, site.extents, red[-1] + 1)
    vec = [e for f, e in zip(loops[red[-1] + 1:], site.extents[red[-1] + 1:]) if f.kind is ForKind.VECTORIZED]
    if not vec:  # scalar accumulators: one register each
        return float(elems)
    per_row = -(-vec[-1] * dt.itemsize(st.buffer.dtype) // 64)
    return max(1.0, elems / vec[-1]) * per_row


def store_features(func: PrimFunc) -> np.ndarray:
    """One row of ``STORE_FEATURE_NAMES`` per store of ``func`` (float32, ``n_stores × n_features``)."""
    sites, _, _, _ = _collect(func)
    params = set(func.params)
    rows = [_store_row(st, params) for st in sites] or [[0.0] * len(STORE_FEATURE_NAMES)]
    out = np.asarray(rows, dtype=np.float32)
    assert out.shape[1] == len(STORE_FEATURE_NAMES)
    return out
