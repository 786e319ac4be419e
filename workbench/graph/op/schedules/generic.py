"""Building blocks shared by the default schedules, and the injective schedule itself.

A fused group is a small DAG of computes: prologue stages (pad, elementwise ops
on inputs), one anchor (conv, dense, pool, reduction...) and an epilogue
(bias add, relu, cast...). The default schedules all follow the same plan:

1. inline every cheap stage (``inline_injective``), so the group becomes one
   or two loop nests;
2. place the anchor: computed inside the output's tiles when the output is a
   same-shaped epilogue of it (``place_anchor``), else stored whole;
3. give every remaining root stage a vectorized, parallel loop nest
   (``schedule_loop_nest``).

Vectorized loops are always innermost and contiguous in the output: fusing
axes would turn each access into a gather (``i // W``, ``i % W`` per lane).

>>> from workbench import te, topi
>>> x = te.placeholder((4, 100), name="x")
>>> y = topi.relu(topi.add(x, x))
>>> s = schedule_injective([y])
"""
from __future__ import annotations

from ....schedule import Schedule, create_schedule
from ....schedule.stage import AttachKind
from ....te.tensor import ComputeOp, PlaceholderOp, Reduce, Tensor

VECTOR = 16             # float32 lanes of one 512-bit register
MIN_PARALLEL = 32768    # elements below which a loop nest stays on one thread
MIN_PARALLEL_MACS = 1 << 19  # multiply-adds below which a conv/matmul stays on one thread (waking
                             # the other thread costs more than the few microseconds it saves)


def is_reduction(op) -> bool:
    """True for a compute whose body folds over reduction axes."""
    return isinstance(op, ComputeOp) and isinstance(op.body, Reduce)


def numel(shape) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def vector_factor(extent: int, limit: int = VECTOR) -> int:
    """Lanes for a vectorized loop over ``extent``: the extent itself when it fits, else ``limit``."""
    return extent if extent <= limit else limit


def best_divisor(extent: int, lo: int, hi: int) -> int | None:
    """The largest divisor of ``extent`` in ``[lo, hi]``, preferring multiples of 8 (None if none)."""
    divs = [d for d in range(min(hi, extent), lo - 1, -1) if extent % d == 0]
    eights = [d for d in divs if d % 8 == 0]
    return (eights or divs or [None])[0]


def inline_injective(s: Schedule, keep=()) -> None:
    """Inline every stage that is not an output, not a reduction, not in ``keep`` and still at root.

    ``keep`` holds tensors (or operations) to leave stored. A stage read many
    times (a pad read by each tap of a window) is still computed correctly when
    inlined, at the cost of recomputing it per read.
    """
    kept = {t.op if isinstance(t, Tensor) else t for t in keep}
    for st in s.stages:
        if isinstance(st.op, PlaceholderOp) or st.is_output or st.op in kept or st.origin_op in kept:
            continue
        if is_reduction(st.op) or st.attach is not AttachKind.ROOT or st.relations or st.iter_kinds:
            continue
        st.compute_inline()


SHORT_ROW = 16  # a vector of at most this many lanes is too little work for one parallel iteration ...
MIN_ROWS = 8    # ... when the loops outside the next one still give this many parallel iterations


def schedule_loop_nest(s: Schedule, tensor: Tensor, lanes: int = VECTOR, min_parallel: int = MIN_PARALLEL,
                       parallel: bool = True, rows_first: bool = False) -> None:
    """A root stage as one loop nest: the last axis split into vectors, all outer loops fused and
    run in parallel when the tensor is big enough. When the vectors are short (the 16 lanes of a
    channel-blocked pad), the loop just outside them stays serial inside each parallel iteration:
    one iteration per 16 floats spent more on its index arithmetic than on the copy (a 3x3 conv's
    blocked pad, 64 x 58 x 58: 35 us of a 0.5 ms conv).

    Reduction stages keep their reduction loops innermost but one: the vector
    loop over the last data axis goes inside them (``out[.., j:j+16] += ...``).

    ``rows_first`` (an NCHW16c stage ``[N, C/16, H, W, 16]`` or an NCHW one ``[N, C, H, W]``): the rows
    go before the channels, so the threads share out rows, as a packed conv that ``split_rows`` does
    (or whose blocks hold all its output channels, like an RGB stem's); an NCHW row is then one
    parallel iteration. The stem's pad (3 x 230 x 230) so ordered: the stem 0.553 -> 0.531 ms.
    """
    st = s[tensor]
    axes = list(st.op.axis)
    if not axes:
        return
    row_loop = False
    if rows_first and len(axes) in (4, 5) and not st.op.reduce_axis:
        axes[1], axes[2] = axes[2], axes[1]
        st.reorder(*axes)
        row_loop = len(axes) == 4
    last = axes[-1]
    ext = last.extent
    red = list(st.op.reduce_axis)
    inner = None
    if ext >= 2 and lanes >= 2:
        v = vector_factor(ext, lanes)
        if v < ext:
            outer, inner = st.split(last, factor=v)
            axes[-1] = outer
            if row_loop:
                axes.pop()  # the row's vectors: a serial loop inside its parallel iteration
        else:
            axes.pop()
            inner = last
        if red:
            st.reorder(*axes, *red, inner)
        st.vectorize(inner)
    if not axes:
        return
    if inner is not None and (inner.extent or ext) <= SHORT_ROW and len(axes) >= 2 and not red \
            and numel(a.extent for a in axes[:-1]) >= MIN_ROWS:
        axes.pop()  # short vectors: a serial loop over them per parallel iteration, not one each
    fused = st.fuse(*axes) if len(axes) > 1 else axes[0]
    if parallel and numel(st.op.shape) >= min_parallel and (st.extent_of(fused) or 1) > 1:
        st.parallel(fused)


def schedule_injective(outs: list, anchor: Tensor | None = None) -> Schedule:
    """The default schedule of a group of elementwise, broadcast and injective ops.

    Every non-output stage is inlined; each output (and any reduction left
    stored) is one vectorized loop nest, parallel when it has at least
    ``MIN_PARALLEL`` elements.

    >>> from workbench import te, topi
    >>> x = te.placeholder((2, 64), name="x")
    >>> s = schedule_injective([topi.sigmoid(x)])
    """
    s = create_schedule([o.op for o in outs])
    inline_injective(s)
    for st in list(s.stages):
        if isinstance(st.op, ComputeOp) and st.attach is AttachKind.ROOT and not st.relations:
            schedule_loop_nest(s, st.op.output(0))
    return s


def reads_transitively(s: Schedule, consumer: Tensor, producer: Tensor) -> bool:
    """True when stage ``consumer`` reads ``producer``, directly or through other stages."""
    return s._reads_transitively(s[consumer], s[producer])


def place_anchor(s: Schedule, outs: list, anchor: Tensor):
    """Decide where the anchor's loops go; returns ``(out, acc)``.

    ``out`` is the stage whose tiles are scheduled (a same-shaped output that is
    the anchor's only reader, or the anchor itself), ``acc`` the tensor that
    accumulates (the anchor, attached inside ``out``'s tiles by the caller, or a
    ``cache_write`` copy of it). Other outputs are left for ``schedule_loop_nest``.
    """
    readers = [o for o in outs if o.op is not anchor.op and reads_transitively(s, o, anchor)]
    stored_readers = [st for st in s.readers(s[anchor]) if st.attach is not AttachKind.INLINE]
    if (anchor.op not in [o.op for o in outs] and len(readers) == 1 and readers[0].shape == anchor.shape
            and all(st is s[readers[0]] for st in stored_readers)):
        return readers[0], anchor
    s[anchor].compute_root() if s[anchor].attach is not AttachKind.ROOT else None
    return anchor, s.cache_write(anchor, "local")


def schedule_rest(s: Schedule, done=()) -> None:
    """Give every root compute stage not yet scheduled (and not in ``done``) a vectorized loop nest."""
    skip = {t.op if isinstance(t, Tensor) else t for t in done}
    for st in list(s.stages):
        attached = any(x.attach_stage is st for x in s.stages)
        if (isinstance(st.op, ComputeOp) and st.attach is AttachKind.ROOT and not st.relations
                and not st.iter_kinds and not attached and st.op not in skip and st.origin_op not in skip):
            schedule_loop_nest(s, st.op.output(0))
