"""Statements of the loop-nest IR: loops, stores, allocations, branches.

A lowered kernel is a ``PrimFunc``: buffers in, one statement tree as body.
Loop kinds (``ForKind``) carry what the schedule asked for; codegen honours
them (vector instructions, the OpenMP runtime, unrolled copies).
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

from .expr import Buffer, PrimExpr, Var


def stmt_node(cls):
    return dataclass(frozen=True, slots=True, eq=False)(cls)


class Stmt:
    """Base of every statement."""

    __slots__ = ()

    def __repr__(self):
        from .printer import stmt_str
        return stmt_str(self)

    __str__ = __repr__


class ForKind(enum.Enum):
    """How a loop runs."""
    SERIAL = "serial"
    PARALLEL = "parallel"
    VECTORIZED = "vectorized"
    UNROLLED = "unrolled"


@stmt_node
class For(Stmt):
    """Run ``body`` for ``var`` in ``[min, min + extent)``, as ``kind`` says."""
    var: Var
    min: PrimExpr
    extent: PrimExpr
    kind: ForKind
    body: Stmt
    annotations: tuple = ()  # ((key, value), ...), e.g. (("auto_unroll_max_step", 16),)


@stmt_node
class Store(Stmt):
    """Write ``value`` into ``buffer`` at multi-dimensional ``indices``."""
    buffer: Buffer
    value: PrimExpr
    indices: tuple


@stmt_node
class Allocate(Stmt):
    """Give ``buffer`` memory for the duration of ``body``, then free it."""
    buffer: Buffer
    body: Stmt


@stmt_node
class IfThenElse(Stmt):
    """Run ``then_case`` when ``cond`` holds, else ``else_case`` (which may be None)."""
    cond: PrimExpr
    then_case: Stmt
    else_case: Stmt | None = None


@stmt_node
class SeqStmt(Stmt):
    """Run statements one after another."""
    stmts: tuple


@stmt_node
class Evaluate(Stmt):
    """A statement that does nothing but compute ``value`` (used for no-ops)."""
    value: PrimExpr


@dataclass(frozen=True, eq=False)
class PrimFunc:
    """A lowered kernel: named buffer parameters and a body."""
    name: str
    params: tuple  # of Buffer
    body: Stmt

    def __repr__(self):
        from .printer import func_str
        return func_str(self)

    __str__ = __repr__

    def _repr_html_(self):
        from .printer import func_str
        import html
        return f"<pre>{html.escape(func_str(self))}</pre>"

    def _repr_mimebundle_(self, include=None, exclude=None):
        """Notebook display: loop tree, iteration space, coloured code; viz is imported only here."""
        from ..viz.display import display_bundle
        return display_bundle(self)


def seq(*stmts) -> Stmt:
    """A sequence, flattening nested sequences and dropping no-ops."""
    out = []
    for s in stmts:
        if s is None:
            continue
        if isinstance(s, SeqStmt):
            out.extend(s.stmts)
        elif isinstance(s, Evaluate):
            continue
        else:
            out.append(s)
    if not out:
        return Evaluate(IntImm0)
    return out[0] if len(out) == 1 else SeqStmt(tuple(out))


from .expr import IntImm  # noqa: E402

IntImm0 = IntImm(0)
