"""Random legal schedules: apply random primitives with random arguments, keep the legal ones.

Used by the property tests (every sampled schedule must compute what the
unscheduled one does) and handy in a notebook to see how varied legal loop
nests are. Illegal picks raise ``ScheduleError`` and are skipped; a step that
makes lowering illegal (a ``compute_at`` whose readers run outside the loop)
is undone.

>>> import random
>>> from workbench import te
>>> A = te.placeholder((16, 16), name="A"); B = te.compute((16, 16), lambda i, j: A[j, i] * 2.0, name="B")
>>> s = sample_schedule([B], [A, B], random.Random(0), steps=4)
"""
from __future__ import annotations

import random as _random

from ..errors import ScheduleError
from ..te.tensor import ComputeOp, IterKind, Reduce
from .schedule import Schedule, create_schedule
from .stage import MAX_VECTOR_LANES

PRIMITIVES = ("split", "split", "tile", "fuse", "reorder", "vectorize", "parallel", "unroll", "pragma",
              "compute_at", "compute_at", "compute_inline", "compute_root", "cache_read", "cache_write", "rfactor")


def _extent(st, iv):
    return st.extent_of(iv) or 1


def _try_step(s: Schedule, rng: _random.Random, prim: str) -> None:
    computes = [st for st in s.stages if isinstance(st.op, ComputeOp)]
    st = rng.choice(computes)
    leaves = st.leaf_iter_vars
    if prim == "split" and leaves:
        iv = rng.choice(leaves)
        e = _extent(st, iv)
        f = rng.choice([d for d in range(1, e + 1) if e % d == 0] + [rng.randint(1, max(1, e))])
        if rng.random() < 0.2:
            st.split(iv, nparts=f)
        else:
            st.split(iv, factor=f)
    elif prim == "tile" and len(leaves) >= 2:
        k = rng.randrange(len(leaves) - 1)
        x, y = leaves[k], leaves[k + 1]
        st.tile(x, y, rng.randint(1, _extent(st, x)), rng.randint(1, _extent(st, y)))
    elif prim == "fuse" and len(leaves) >= 2:
        k = rng.randrange(len(leaves) - 1)
        st.fuse(leaves[k], leaves[k + 1])
    elif prim == "reorder" and len(leaves) >= 2:
        order = list(leaves)
        rng.shuffle(order)
        st.reorder(*order)
    elif prim == "vectorize" and leaves:
        data = [iv for iv in leaves if iv.kind is IterKind.DATA and _extent(st, iv) <= MAX_VECTOR_LANES]
        if data:
            st.vectorize(data[-1] if rng.random() < 0.8 else rng.choice(data))
    elif prim == "parallel" and leaves:
        data = [iv for iv in leaves if iv.kind is IterKind.DATA]
        if data:
            st.parallel(data[0] if rng.random() < 0.7 else rng.choice(data))
    elif prim == "unroll" and leaves:
        small = [iv for iv in leaves if _extent(st, iv) <= 16]
        if small:
            st.unroll(rng.choice(small))
    elif prim == "pragma" and leaves:
        st.pragma(rng.choice(leaves), "auto_unroll_max_step", rng.choice([4, 16, 64]))
    elif prim == "compute_at":
        readers = s.readers(st)
        if readers:
            target = rng.choice(readers)
            if target.leaf_iter_vars:
                st.compute_at(target, rng.choice(target.leaf_iter_vars))
    elif prim == "compute_inline":
        st.compute_inline()
    elif prim == "compute_root":
        st.compute_root()
    elif prim == "cache_read":
        inputs = [x for x in s.stages if s.readers(x)]
        if inputs:
            src = rng.choice(inputs)
            s.cache_read(src.op.output(0), "local", [rng.choice(s.readers(src)).op])
    elif prim == "cache_write":
        s.cache_write(st.op.output(0), "local")
    elif prim == "rfactor":
        if isinstance(st.op.body, Reduce):
            red = [iv for iv in leaves if iv.kind is IterKind.REDUCE]
            if red:
                iv = rng.choice(red)
                if rng.random() < 0.7 and _extent(st, iv) > 1:
                    iv = st.split(iv, factor=rng.randint(1, _extent(st, iv)))[rng.randrange(2)]
                s.rfactor(st.op.output(0), iv, rng.randint(0, len(st.op.axis)))


def sample_schedule(outputs, args, rng: _random.Random, steps: int = 6, primitives=PRIMITIVES) -> Schedule:
    """A schedule of ``outputs`` after up to ``steps`` random legal primitives; it lowers with ``args``."""
    from ..lower import lower
    s = create_schedule([t.op for t in outputs])
    for _ in range(steps):
        n = len(s.trace)
        try:
            _try_step(s, rng, rng.choice(primitives))
        except ScheduleError:
            if len(s.trace) != n:  # a composite step (split then rfactor) failed half-way
                s = s.undo(len(s.trace) - n)
            continue
        if len(s.trace) != n:
            try:
                lower(s, args)
            except ScheduleError:
                s = s.undo(len(s.trace) - n)
    return s
