"""``partition_for``: the whole BYOC pipeline, pass by pass, and the report of who took what and why.

The passes, each a ``Pass`` run in the given ``PassContext`` (so a ``Recorder``
sees every step): the default optimizations up to fusion, ``merge_composite``,
``annotate_target``, ``merge_compiler_regions``, ``partition_graph``, then
``fuse_ops`` around the external calls. The result keeps the annotated module
(every node with its backend, region and reason: what the partition view draws)
and the report (one row per operator).

>>> from workbench.byoc import partition_for, CBackend      # doctest: +SKIP
>>> part = partition_for(mod, [CBackend()]); print(part.report)   # doctest: +SKIP
"""
from __future__ import annotations

from dataclasses import dataclass

from ..graph.expr import Call, Function, Module
from ..graph.functor import post_order
from ..graph.passes import DEFAULT_PIPELINE, PassContext, fuse_ops
from ..graph.verify import verify
from .annotate import annotate_target
from .annotation import WORKBENCH, is_target
from .composite import merge_composite
from .partition import is_external, partition_graph
from .regions import merge_compiler_regions

PRE_FUSION = tuple(p for p in DEFAULT_PIPELINE if p is not fuse_ops)


@dataclass(frozen=True)
class Decision:
    """One operator (or composite) of the model: the backend that runs it, its region, and why."""
    node: str        # "nn.conv2d (layer1.0.conv1)"
    op: str          # operator or composite name
    backend: str     # a backend name, or "workbench"
    region: int      # -1 for Workbench
    reason: str      # why no backend took it (Workbench) or notes (offloaded)


class Report(list):
    """The decisions, in graph order; prints as a table (a slice is a Report too)."""

    def __getitem__(self, k):
        r = super().__getitem__(k)
        return Report(r) if isinstance(k, slice) else r

    def workbench(self) -> list:
        """The decisions of nodes Workbench keeps (each with its reason)."""
        return [d for d in self if d.backend == WORKBENCH]

    def counts(self) -> dict:
        """backend -> number of nodes (operators or composites) it runs."""
        out: dict = {}
        for d in self:
            out[d.backend] = out.get(d.backend, 0) + 1
        return out

    def __repr__(self):
        lines = [f"{'node':44s} {'backend':12s} {'region':>6s}  reason / notes"]
        for d in self:
            lines.append(f"{d.node[:44]:44s} {d.backend:12s} {d.region if d.region >= 0 else '':>6}  {d.reason}")
        return "\n".join(lines)


def _node_label(call) -> tuple:
    if isinstance(call.op, Function):
        op = call.op.attrs.get("Composite", call.op.name)
        inner = "+".join(n.op.name.split(".")[-1] for n in post_order(call.op.body)
                         if isinstance(n, Call) and not isinstance(n.op, Function))
        op = f"{op} [{inner}]"
    else:
        op = call.op.name
    return (f"{op} ({call.name})" if call.name else op), op


def report_of(annotated: Module) -> Report:
    """The decisions recorded in an annotated module (after ``merge_compiler_regions``)."""
    rows = Report()
    for n in post_order(annotated.main.body):
        if is_target(n):
            node, op = _node_label(n.args[0])
            rows.append(Decision(node, op, n.attrs["compiler"], n.attrs["region"], n.attrs["reason"]))
    return rows


@dataclass
class Partitioned:
    """What ``partition_for`` returns: the partitioned module, the annotated one, the report."""
    module: Module        # external functions called from main; the rest fused
    annotated: Module     # every operator wrapped in byoc.target(compiler, region, reason)
    report: Report
    backends: list

    @property
    def partitions(self) -> list:
        """The external functions, in the order main calls them."""
        return [n.op for n in post_order(self.module.main.body) if is_external(n)]

    def partition(self, k: int):
        """The ``k``-th external partition, as the ``byoc.Partition`` its backend builds."""
        from .backends.base import Partition
        fns = self.partitions
        if not 0 <= k < len(fns):
            from .backends.base import ExternalBackendError
            raise ExternalBackendError(f"partition {k}: there are {len(fns)} partitions (0..{len(fns) - 1})")
        return Partition(fns[k].attrs["global_symbol"], fns[k])

    def __repr__(self):
        by = {}
        for f in self.partitions:
            by[f.attrs["Compiler"]] = by.get(f.attrs["Compiler"], 0) + 1
        parts = ", ".join(f"{k}: {v}" for k, v in by.items()) or "none"
        return f"<Partitioned: {len(self.partitions)} partitions ({parts}), {len(self.report.workbench())} " \
               f"of {len(self.report)} nodes kept by Workbench>"


def partition_for(mod: Module | Function, backends, ctx: PassContext | None = None, fuse: bool = True) -> Partitioned:
    """Partition ``mod`` between ``backends`` (in priority order) and Workbench.

    ``fuse=False`` leaves what Workbench keeps unfused (for looking at, or for the interpreter).
    """
    from .backends.base import Backend, ExternalBackendError
    if isinstance(mod, Function):
        mod = Module(mod)
    backends = list(backends)
    for b in backends:
        if not isinstance(b, Backend):
            raise ExternalBackendError(f"partition_for: {b!r} is not a byoc.Backend (give instances, e.g. CBackend())")
    if any(isinstance(n, Call) and isinstance(n.op, Function) for n in post_order(mod.main.body)):
        raise ExternalBackendError("partition_for: the module is already fused or partitioned; partition the "
                                   "module from the frontend (before optimize/fuse_ops)")
    ctx = ctx or PassContext()
    for p in PRE_FUSION:
        mod = ctx.run(p, mod)
    mod = ctx.run(merge_composite(backends), mod)
    mod = ctx.run(annotate_target(backends), mod)
    annotated = ctx.run(merge_compiler_regions(), mod)
    mod = ctx.run(partition_graph(), annotated)
    if fuse:
        mod = ctx.run(fuse_ops, mod)
    return Partitioned(verify(mod), annotated, report_of(annotated), backends)
