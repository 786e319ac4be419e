"""Program analysis of a compute DAG: what each stage is, as Ansor's derivation rules ask it.

For every compute stage: does it reduce, is it *strictly inlinable* (no reduction, no
branch, only affine reads: inlining it costs nothing), does it have *data reuse* (a
reduction where some input is read without some output index, so tiling keeps data in
cache and registers: matmul, conv), which stages read it, and does it have a *fusible
consumer* (one reader that uses it elementwise, at its own output index, once the
strictly-inlinable stages between them are inlined; or that reads a channel-blocked stage
``[.., C/L, .., L]`` back at ``[.., c // L, .., c % L]``, as a packed-kernel conv's NCHW view
does: ``fusible_unblock`` then says which axis is blocked, by how many lanes). FLOPs count every float
arithmetic operation of every compute stage, times the points it runs over.

>>> from workbench import te
>>> A = te.placeholder((64, 64), name="A"); B = te.placeholder((64, 64), name="B")
>>> k = te.reduce_axis((0, 64), name="k")
>>> C = te.compute((64, 64), lambda i, j: te.sum(A[i, k] * B[k, j], axis=k), name="C")
>>> D = te.compute((64, 64), lambda i, j: te.max(C[i, j], 0.0), name="D")
>>> dag = ComputeDAG([A, B], [D])
>>> dag["C"].has_reuse, dag["C"].fusible_consumer, dag.flop
(True, 'D', 528384.0)
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

from ..errors import WorkbenchError
from ..te.reference import topo_order
from ..te.tensor import ComputeOp, PlaceholderOp, ProducerLoad, Reduce
from ..tir import dtype as dt
from ..tir.analysis import linear
from ..tir.expr import BINARY, Call, FloorDiv, FloorMod, IntImm, Select, Var
from ..tir.functor import post_order_visit
from ..tir.printer import expr_str


@dataclass(frozen=True)
class StageInfo:
    """What the sketch rules need to know about one compute stage."""
    name: str
    is_output: bool
    has_reduce: bool
    strictly_inlinable: bool
    has_reuse: bool
    consumers: tuple          # names of the stages that read this one
    fusible_consumer: str | None
    fusible_unblock: tuple | None  # (k, L): the consumer's axis k is this stage's axes k and -1 (k * L + last)
    spatial: tuple            # extents of the data-parallel axes
    reduction: tuple          # extents of the reduction axes
    flop: float
    rows_first: bool = False  # an NCHW16c stage whose threads split rows, as its default schedule does
    keep_stored: bool = False  # the compute asks to be stored, never inlined (``attrs={"keep_stored": True}``)

    @property
    def can_inline(self) -> bool:
        """Whether a program may inline this stage into its readers."""
        return not self.has_reduce and not self.keep_stored

    @property
    def spatial_size(self) -> int:
        return math.prod(self.spatial)

    @property
    def reduce_size(self) -> int:
        return math.prod(self.reduction)


def _splits_rows(op) -> bool:
    """A stage over NCHW16c data ``[N, C/16, H, W, 16]`` whose default schedule has the threads split rows:
    a packed conv whose weights are small next to its input (``conv2d_packed.split_rows``), or a windowed
    pool (no weights). Ansor's programs of it split rows too, so the kernels of a model keep finding
    their rows in the cache of the core that wrote them."""
    from ..graph.op.schedules.conv2d_packed import split_rows
    ins = getattr(op, "input_tensors", ())
    if not isinstance(getattr(op, "body", None), Reduce) or len(op.axis) != 5 or not all(t.ndim == 5 for t in ins):
        return False
    if len(ins) == 1:  # a windowed pool (a global pool's result has a single row: nothing to split)
        return len(op.reduce_axis) == 2 and int(op.axis[2].extent) > 1
    return len(ins) == 2 and len(op.reduce_axis) == 3 and split_rows(ins[1], ins[0])


def _keep_stored(op) -> bool:
    """A compute that asks to be stored, not inlined: each read of it would recompute a costly body (a Winograd
    transform picks one of 36 sums by tile position)."""
    return bool(getattr(op, "attrs", {}).get("keep_stored"))


def _loads(op) -> list:
    out: list = []
    post_order_visit(op.body, lambda n: out.append(n) if isinstance(n, ProducerLoad) else None)
    return out


def _float_ops(op) -> int:
    n = [0]

    def visit(e):
        if isinstance(e, BINARY) and dt.is_float(e.dtype):
            n[0] += 1
        elif isinstance(e, (Call, Select)) and dt.is_float(e.dtype):
            n[0] += 1
    post_order_visit(op.body, visit)
    if isinstance(op.body, Reduce) and dt.is_float(op.body.dtype):
        n[0] += 1  # the combine (the add of a sum)
    return n[0]


def _has_branch(op) -> bool:
    found = [False]
    post_order_visit(op.body, lambda e: found.__setitem__(0, True) if isinstance(e, Select) or (
        isinstance(e, Call) and getattr(e, "name", "") == "if_then_else") else None)
    return found[0]


def _is_elementwise_read(load: ProducerLoad, op) -> bool:
    """``load`` reads its tensor at exactly ``op``'s output index (same shape, same order)."""
    axes = [iv.var for iv in op.axis]
    return (tuple(load.tensor.shape) == tuple(op.shape) and len(load.indices) == len(axes)
            and all(isinstance(i, Var) and i is a for i, a in zip(load.indices, axes)))


def unblocking_read(load: ProducerLoad, op) -> tuple | None:
    """``(k, L)`` when ``load`` reads a channel-blocked tensor ``t[.., X/L, .., L]`` at
    ``[.., x // L, .., x % L]`` with ``x`` the ``k``-th axis of ``op`` (the others in order), else None.

    >>> from workbench import te
    >>> b = te.placeholder((2, 3, 16), name="b")
    >>> v = te.compute((2, 48), lambda i, c: b[i, c // 16, c % 16], name="v")
    >>> unblocking_read(v.op.body, v.op)
    (1, 16)
    """
    axes = [iv.var for iv in op.axis]
    idx = load.indices
    if len(idx) != len(axes) + 1 or not isinstance(idx[-1], FloorMod):
        return None
    mod = idx[-1]
    if not (isinstance(mod.a, Var) and isinstance(mod.b, IntImm)):
        return None
    lanes = int(mod.b.value)
    found = None
    for k, (i, a) in enumerate(zip(idx[:-1], axes)):
        if isinstance(i, FloorDiv) and i.a is a and mod.a is a and isinstance(i.b, IntImm) and int(i.b.value) == lanes:
            found = k
        elif not (isinstance(i, Var) and i is a):
            return None
    if found is None or int(load.tensor.shape[-1]) != lanes \
            or int(load.tensor.shape[found]) * lanes != int(op.shape[found]):
        return None
    return found, lanes


def _affine(load: ProducerLoad) -> bool:
    return all(linear(i) is not None for i in load.indices)


class ComputeDAG:
    """The stages of a computation (te tensors) in topological order, with their analysis.

    ``dag[name]`` is a stage's ``StageInfo``; ``dag.flop`` the float operations of one run;
    ``dag.key`` a short hash of the canonical text of the computation (equal computations
    built twice get the same key); ``str(dag)`` that text.
    """

    def __init__(self, inputs: list, outputs: list):
        if not outputs:
            raise WorkbenchError("ComputeDAG: give at least one output tensor")
        self.inputs, self.outputs = list(inputs), list(outputs)
        self.ops = topo_order([t.op for t in self.outputs])
        missing = [op.name for op in self.ops if isinstance(op, PlaceholderOp)
                   and all(op is not t.op for t in self.inputs)]
        if missing:
            raise WorkbenchError(f"ComputeDAG: the computation reads {', '.join(missing)}, which are not among "
                                 "the inputs; pass every placeholder it reads as an input")
        self.names = self._stage_names()
        readers: dict = {op: [] for op in self.ops}
        for op in self.ops:
            if isinstance(op, ComputeOp):
                for t in op.input_tensors:
                    if op not in readers[t.op]:
                        readers[t.op].append(op)
        self.readers = readers
        outs = {t.op for t in self.outputs}
        self.infos: dict = {}
        for op in self.ops:
            if isinstance(op, ComputeOp):
                self.infos[self.names[op]] = self._info(op, op in outs)
        self.flop = float(sum(i.flop for i in self.infos.values()))
        self.text = self._canonical_text()
        self.key = hashlib.sha1(self.text.encode()).hexdigest()[:12]

    def _stage_names(self) -> dict:
        """Stage names as ``create_schedule`` gives them (a repeated op name gets ``_1``, ``_2``...)."""
        taken: set = set()
        names: dict = {}
        for op in self.ops:
            name, k = op.name, 1
            while name in taken:
                name, k = f"{op.name}_{k}", k + 1
            taken.add(name)
            names[op] = name
        return names

    def _inlinable(self, op, is_output: bool) -> bool:
        return (not is_output and not isinstance(op.body, Reduce) and not _has_branch(op) and not _keep_stored(op)
                and all(_affine(ld) for ld in _loads(op)))

    def _info(self, op, is_output: bool) -> StageInfo:
        has_reduce = isinstance(op.body, Reduce)
        axes = {iv.var for iv in op.axis if int(iv.extent) > 1}  # a kept dimension of size 1 is no reuse
        reuse = False
        if has_reduce:
            for ld in _loads(op):
                used: set = set()
                for i in ld.indices:
                    post_order_visit(i, lambda e: used.add(e) if isinstance(e, Var) else None)
                if not axes <= used:
                    reuse = True
        inlinable = self._inlinable(op, is_output)
        spatial = tuple(int(iv.extent) for iv in op.axis)
        reduction = tuple(int(iv.extent) for iv in op.reduce_axis)
        flop = _float_ops(op) * math.prod(spatial) * math.prod(reduction)
        fusible, unblock = self._fusible(op, is_output)
        rows = _splits_rows(op) or (not has_reduce and len(spatial) == 5
                                    and any(_splits_rows(r) for r in self.readers[op]))
        return StageInfo(self.names[op], is_output, has_reduce, inlinable, reuse,
                         tuple(self.names[r] for r in self.readers[op]), fusible, unblock,
                         spatial, reduction, float(flop), rows, _keep_stored(op))

    def _fusible(self, op, is_output: bool) -> tuple:
        """``(name, unblock)``: the one stage reading ``op`` elementwise (or unblocking its channels,
        first hop only), through strictly-inlinable elementwise stages; ``(None, None)`` if none."""
        if is_output:
            return None, None
        cur, unblock = op, None
        while True:
            readers = self.readers[cur]
            if len(readers) != 1:
                return None, None
            r = readers[0]
            reads = [ld for ld in _loads(r) if ld.tensor.op is cur]
            if isinstance(r.body, Reduce) or not reads:
                return None, None
            if not all(_is_elementwise_read(ld, r) for ld in reads):
                maps = {unblocking_read(ld, r) for ld in reads}
                if cur is not op or len(maps) != 1 or None in maps:
                    return None, None
                unblock = maps.pop()
            outs = {t.op for t in self.outputs}
            if self._inlinable(r, r in outs):
                cur = r  # it will be inlined: look at its reader
                continue
            return self.names[r], unblock

    def __getitem__(self, name: str) -> StageInfo:
        try:
            return self.infos[name]
        except KeyError:
            raise WorkbenchError(f"ComputeDAG: no compute stage {name!r}; stages: {', '.join(self.infos)}") from None

    def __iter__(self):
        return iter(self.infos.values())

    def op(self, name: str):
        """The operation of stage ``name``."""
        for op, n in self.names.items():
            if n == name:
                return op
        raise WorkbenchError(f"ComputeDAG: no stage {name!r}")

    def _canonical_text(self) -> str:
        lines = []
        for op in self.ops:
            name = self.names[op]
            if isinstance(op, PlaceholderOp):
                lines.append(f"{name} = placeholder({list(op.shape)}, {op.dtype})")
            else:
                ax = ", ".join(f"{iv.name}:{iv.extent}" for iv in op.axis)
                red = ", ".join(f"{iv.name}:{iv.extent}" for iv in op.reduce_axis)
                lines.append(f"{name}[{ax}]{' reduce ' + red if red else ''} = {expr_str(op.body)}")
        return "\n".join(lines)

    def __str__(self):
        return self.text

    def summary(self) -> str:
        """One line per compute stage: what the analysis found."""
        rows = []
        for i in self:
            what = []
            if i.is_output:
                what.append("output")
            if i.strictly_inlinable:
                what.append("strictly inlinable")
            if i.has_reduce:
                what.append("reduction" + (" with data reuse" if i.has_reuse else ""))
            if i.fusible_consumer:
                what.append(f"fusible consumer {i.fusible_consumer}"
                            + (f" (reads axis {i.fusible_unblock[0]} unblocked, {i.fusible_unblock[1]} lanes)"
                               if i.fusible_unblock else ""))
            rows.append(f"{i.name:<14} {list(i.spatial)}{' x ' + str(list(i.reduction)) if i.reduction else ''}: "
                        f"{', '.join(what) or 'elementwise/injective'}; {i.flop:.3g} flop")
        return "\n".join(rows)
