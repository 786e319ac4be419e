"""``annotate_target``: decide, node by node, which backend takes it, and keep the reason when none does.

A composite call goes to the backend whose pattern made it. Any other operator
call goes to the first backend (in priority order) with a single-operator rule
that matches and whose checks pass. Nodes no backend takes stay with Workbench,
annotated with every backend's reason ("c: rule conv2d: check 'groups == 1'
failed; onnxruntime: no pattern for nn.softmax").

>>> annotated = annotate_target([CBackend()])(merged)   # doctest: +SKIP
"""
from __future__ import annotations

from ..graph.expr import Function, Module
from ..graph.functor import ExprMutator
from ..graph.passes.context import Pass
from ..graph.types import TensorType
from .annotation import WORKBENCH, annotate, is_offloadable


def decide(node, backends) -> tuple:
    """(backend name, reason) for one operator or composite call (before annotation)."""
    if isinstance(node.op, Function):
        return node.op.attrs["backend"], ""
    if not all(isinstance(t, TensorType) for t in [node.type] + [a.type for a in node.args]):
        return WORKBENCH, "takes or makes a tuple; external partitions exchange tensors only"
    reasons, notes = [], []
    for be in backends:
        for rule in be.table.singles:
            roots = rule.pattern.root_ops()
            if roots is not None and node.op.name not in roots:
                continue
            if rule.try_match(node):
                return be.name, "; ".join(notes)
        why = "; ".join(be.table.explain(node))
        reasons.append(f"{be.name}: {why}")
        notes.append(f"not {be.name}: {why}")
    return WORKBENCH, " | ".join(reasons) if reasons else "no backend given"


class _Annotate(ExprMutator):
    def __init__(self, backends):
        super().__init__()
        self.backends = backends

    def visit_Call(self, e):
        new = self.rebuild(e)
        if not is_offloadable(e):
            return new
        compiler, reason = decide(e, self.backends)
        return annotate(new, compiler, reason)


def annotate_target(backends) -> Pass:
    """The pass that annotates every operator call with the backend that takes it (or the reason none does)."""
    backends = list(backends)
    names = [b.name for b in backends]
    dup = {n for n in names if names.count(n) > 1 or n == WORKBENCH or not n}
    if dup:
        from .backends.base import ExternalBackendError
        raise ExternalBackendError(f"backend names must be unique, non-empty and not {WORKBENCH!r}; "
                                   f"got {', '.join(map(repr, sorted(dup)))}")

    def run(mod: Module, ctx) -> Module:
        fn = mod.main
        body = _Annotate(backends).visit(fn.body)
        return mod.with_function("main", Function(fn.params, body, fn.attrs, fn.name))
    return Pass("annotate_target", run, "mark each operator with the backend that takes it, or why none does")
