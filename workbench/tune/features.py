"""Features of a lowered loop nest, for learned cost models.

``loop_features(primfunc)`` turns a ``tir.PrimFunc`` into a fixed-length vector
(``FEATURE_NAMES`` names each entry) that a cost model can compare across configs,
and across tasks of the same template. It looks at the loop nest the way a
performance engineer would:

- the *main* nest (the store executed most often, weighted by its arithmetic):
  its loops by depth, innermost first (log2 extent and kind: serial, parallel,
  vectorized, unrolled), the innermost vector length, parallel and unrolled extents;
- per buffer (parameters in order, then allocations): accesses in the innermost
  body, the stride of the innermost loop variable in the flattened index, bytes
  touched per iteration of the outermost loop and of the innermost two loops, and reuse;
- arithmetic op counts of the whole function weighted by how often they run;
- allocations: count and sizes; guards (``if``) around stores.

Counts and sizes are ``log2(1 + x)``: costs span orders of magnitude and trees
split on ratios better than on raw values. The walk is a single pass and costs
about a millisecond for a typical kernel, so a tuner can afford it per candidate.

    >>> f = wb.lower(s, [A, B, C])
    >>> x = loop_features(f)        # np.ndarray, len(x) == len(FEATURE_NAMES)
"""
from __future__ import annotations

import math

import numpy as np

from ..tir import dtype as dt
from ..tir.analysis import linear
from ..tir.expr import (BINARY, COMPARE, LOGICAL, Add, Call, Cast, Div, FloorDiv, FloorMod, IntImm, Load, Max,
                        Min, Mul, Not, PrimExpr, Select, Sub)
from ..tir.stmt import Allocate, Evaluate, For, ForKind, IfThenElse, PrimFunc, SeqStmt, Store

MAX_DEPTH = 10     # loop slots of the main nest, innermost first
MAX_BUFFERS = 5    # buffer slots: parameters in order, then allocations
KINDS = (ForKind.SERIAL, ForKind.PARALLEL, ForKind.VECTORIZED, ForKind.UNROLLED)
OPS = ("float_addsub", "float_mul", "float_div", "float_other", "int_addsub", "int_mul", "int_divmod",
       "compare", "cast")
BUFFER_FEATURES = ("present", "accesses", "writes", "inner_stride", "inner_stride_is_0", "inner_stride_is_1",
                   "bytes_per_outer_iter", "bytes_inner2", "reuse", "total_accesses")


def _names() -> list:
    names = []
    for d in range(MAX_DEPTH):
        names.append(f"loop{d}.log_extent")
        names += [f"loop{d}.{k.value}" for k in KINDS]
    names += ["nest.depth", "nest.log_iters", "nest.log_vector_len", "nest.n_parallel", "nest.log_parallel_extent",
              "nest.log_unrolled_extent", "nest.n_guards", "nest.body_float_ops"]
    names += [f"ops.{o}" for o in OPS]
    names += [f"buf{b}.{f}" for b in range(MAX_BUFFERS) for f in BUFFER_FEATURES]
    names += ["func.n_loops", "func.n_stores", "func.log_store_iters", "func.n_guards",
              "alloc.count", "alloc.log_total_bytes", "alloc.log_max_bytes"]
    return names


FEATURE_NAMES: list = _names()
"""The meaning of each entry of ``loop_features``' vector, in order."""


def _log(x: float) -> float:
    return math.log2(1.0 + max(0.0, float(x)))


def _extent(loop: For) -> int:
    e = loop.extent
    if isinstance(e, IntImm):
        return max(1, e.value)
    lin = linear(e) if not dt.is_float(e.dtype) else None
    return max(1, lin.const) if lin is not None and lin.is_const() else 1


class _StoreSite:
    """One Store with what encloses it."""
    __slots__ = ("store", "loops", "extents", "guards", "iters", "ops", "accesses")

    def __init__(self, store, loops, guards):
        self.store = store
        self.loops = loops
        self.extents = [_extent(f) for f in loops]
        self.guards = guards
        self.iters = math.prod(self.extents)
        self.ops = dict.fromkeys(OPS, 0)
        self.accesses = [(store.buffer, store.indices, True)]
        for i in store.indices:
            _count(i, self.ops, self.accesses)
        _count(store.value, self.ops, self.accesses)


def _count(x: PrimExpr, ops: dict, accesses: list) -> None:
    """Add the op counts of ``x`` to ``ops`` and its loads to ``accesses``."""
    stack = [x]
    while stack:
        e = stack.pop()
        if isinstance(e, Load):
            accesses.append((e.buffer, e.indices, False))
            stack.extend(e.indices)
            continue
        if isinstance(e, BINARY):
            fl = dt.is_float(e.dtype)
            if isinstance(e, (Add, Sub)):
                ops["float_addsub" if fl else "int_addsub"] += 1
            elif isinstance(e, Mul):
                ops["float_mul" if fl else "int_mul"] += 1
            elif isinstance(e, Div):
                ops["float_div" if fl else "int_divmod"] += 1
            elif isinstance(e, (FloorDiv, FloorMod)):
                ops["int_divmod"] += 1
            elif isinstance(e, (Min, Max)):
                ops["float_other" if fl else "int_addsub"] += 1
            stack += (e.a, e.b)
        elif isinstance(e, COMPARE + LOGICAL):
            ops["compare"] += 1
            stack += (e.a, e.b)
        elif isinstance(e, Not):
            ops["compare"] += 1
            stack.append(e.a)
        elif isinstance(e, Select):
            ops["float_other" if dt.is_float(e.dtype) else "compare"] += 1
            stack += (e.cond, e.true_value, e.false_value)
        elif isinstance(e, Call):
            ops["float_other"] += 1
            stack.extend(e.args)
        elif isinstance(e, Cast):
            ops["cast"] += 1
            stack.append(e.value)


def _collect(func: PrimFunc):
    sites, allocs, n_loops, n_guards = [], [], 0, 0
    stack = [(func.body, (), 0)]
    while stack:
        s, loops, guards = stack.pop()
        if isinstance(s, For):
            n_loops += 1
            stack.append((s.body, loops + (s,), guards))
        elif isinstance(s, SeqStmt):
            stack.extend((c, loops, guards) for c in reversed(s.stmts))
        elif isinstance(s, Allocate):
            allocs.append(s.buffer)
            stack.append((s.body, loops, guards))
        elif isinstance(s, IfThenElse):
            n_guards += 1
            stack.append((s.then_case, loops, guards + 1))
            if s.else_case is not None:
                stack.append((s.else_case, loops, guards + 1))
        elif isinstance(s, Store):
            sites.append(_StoreSite(s, loops, guards))
        elif not isinstance(s, Evaluate):
            raise TypeError(f"loop_features: unexpected statement {type(s).__name__}")
    return sites, allocs, n_loops, n_guards


def _flat_coefs(buffer, indices, loops) -> list:
    """Coefficient of each loop variable in the row-major flattened index."""
    coefs = [0] * len(loops)
    stride = 1
    for dim in range(len(indices) - 1, -1, -1):
        lin = linear(indices[dim])
        for j, f in enumerate(loops):
            c = lin.coef(f.var)
            if c:
                coefs[j] += c * stride
        stride *= buffer.shape[dim] if dim < len(buffer.shape) else 1
    return coefs


def _footprint(buffer, indices, loops, extents, first: int) -> float:
    """Distinct elements of ``buffer`` touched while loops ``first..`` run (a box estimate)."""
    inner = range(first, len(loops))
    elems = 1
    for dim, idx in enumerate(indices):
        lin = linear(idx)
        span = 1 + sum(abs(lin.coef(loops[j].var)) * (extents[j] - 1) for j in inner)
        if dim < len(buffer.shape):
            span = min(span, buffer.shape[dim])
        elems *= span
    return min(elems, math.prod(extents[first:]) if first < len(loops) else 1, max(1, buffer.size))


def loop_features(func: PrimFunc) -> np.ndarray:
    """A fixed-length float32 vector describing the loop nest of ``func`` (see ``FEATURE_NAMES``).

        >>> x = loop_features(wb.lower(s, [A, B, C]))
        >>> dict(zip(FEATURE_NAMES, x))["nest.log_vector_len"]   # log2(1 + 16) for a 16-wide vector
    """
    sites, allocs, n_loops, n_guards = _collect(func)
    out: list = []
    if sites:
        main = max(sites, key=lambda st: (st.iters * (1 + sum(st.ops.values())), len(st.loops)))
    else:
        main = None
    loops = main.loops if main else ()
    extents = main.extents if main else []

    # loops of the main nest, innermost first
    for d in range(MAX_DEPTH):
        j = len(loops) - 1 - d
        if j >= 0:
            out.append(_log(extents[j]))
            out += [1.0 if loops[j].kind is k else 0.0 for k in KINDS]
        else:
            out += [0.0] * (1 + len(KINDS))
    vec = next((e for f, e in zip(reversed(loops), reversed(extents)) if f.kind is ForKind.VECTORIZED), 0)
    par = [e for f, e in zip(loops, extents) if f.kind is ForKind.PARALLEL]
    unr = [e for f, e in zip(loops, extents) if f.kind is ForKind.UNROLLED]
    body_float = sum(v for k, v in main.ops.items() if k.startswith("float")) if main else 0
    out += [len(loops), _log(main.iters if main else 0), _log(vec), len(par), _log(math.prod(par) if par else 0),
            _log(math.prod(unr) if unr else 0), main.guards if main else 0, body_float]

    # arithmetic of the whole function, weighted by how often each store runs
    for o in OPS:
        out.append(_log(sum(st.ops[o] * st.iters for st in sites)))

    # per buffer: parameters in order, then allocations
    slots = list(func.params) + [b for b in allocs if b not in func.params]
    total_acc: dict = {}
    for st in sites:
        for buf, _, _ in st.accesses:
            total_acc[id(buf)] = total_acc.get(id(buf), 0) + st.iters
    for b in range(MAX_BUFFERS):
        if b >= len(slots) or main is None:
            out += [0.0] * len(BUFFER_FEATURES)
            continue
        buf = slots[b]
        acc = [(idx, w) for bb, idx, w in main.accesses if bb is buf]
        if not acc:
            out += [1.0] + [0.0] * (len(BUFFER_FEATURES) - 2) + [_log(total_acc.get(id(buf), 0))]
            continue
        idx = acc[0][0]
        coefs = _flat_coefs(buf, idx, loops)
        stride = abs(coefs[-1]) if loops else 0
        isz = dt.itemsize(buf.dtype)
        outer = _footprint(buf, idx, loops, extents, 1 if len(loops) > 1 else 0) * isz
        inner2 = _footprint(buf, idx, loops, extents, max(0, len(loops) - 2)) * isz
        distinct = _footprint(buf, idx, loops, extents, 0)
        out += [1.0, len(acc), sum(1 for _, w in acc if w), _log(stride), float(stride == 0), float(stride == 1),
                _log(outer), _log(inner2), _log(main.iters * len(acc) / max(1.0, distinct)),
                _log(total_acc.get(id(buf), 0))]

    alloc_bytes = [b.size * dt.itemsize(b.dtype) for b in allocs]
    out += [n_loops, len(sites), _log(sum(st.iters for st in sites)), n_guards,
            len(allocs), _log(sum(alloc_bytes)), _log(max(alloc_bytes, default=0))]
    assert len(out) == len(FEATURE_NAMES)
    return np.asarray(out, dtype=np.float32)
