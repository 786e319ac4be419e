"""Readable, Python-like text for expressions, statements and lowered functions.

Loop kinds show in the loop header (``for i.outer in parallel(32):``), a store
that accumulates prints as ``+=``, and parentheses appear only where needed.
"""
from __future__ import annotations

from .expr import (EQ, GE, GT, LE, LT, NE, Add, And, Call, Cast, Div, FloatImm, FloorDiv, FloorMod, IntImm,
                   Load, Max, Min, Mul, Not, Or, Select, Sub, Var)
from .stmt import Allocate, Evaluate, For, ForKind, IfThenElse, PrimFunc, SeqStmt, Store

_BIN = {Add: ("+", 5), Sub: ("-", 5), Mul: ("*", 6), Div: ("/", 6), FloorDiv: ("//", 6), FloorMod: ("%", 6),
        LT: ("<", 4), LE: ("<=", 4), GT: (">", 4), GE: (">=", 4), EQ: ("==", 4), NE: ("!=", 4),
        And: ("and", 2), Or: ("or", 1)}


class _Names(dict):
    """Var -> display name, unique within one printed function (shadowed names get a suffix)."""

    def __missing__(self, v):
        used = set(self.values())
        name, k = v.name, 1
        while name in used:
            name, k = f"{v.name}_{k}", k + 1
        self[v] = name
        return name


_names: _Names | None = None  # set while a whole function is printed


def _idx(indices) -> str:
    return ", ".join(_expr(i) for i in indices) if indices else "()"


def _expr(x, parent_prec: int = 0, right: bool = False) -> str:
    t = type(x)
    if t in _BIN:
        op, prec = _BIN[t]
        s = f"{_expr(x.a, prec)} {op} {_expr(x.b, prec, right=True)}"
        need = prec < parent_prec or (prec == parent_prec and right)
        return f"({s})" if need else s
    if t is IntImm:
        return ("True" if x.value else "False") if x.dtype == "bool" else str(x.value)
    if t is FloatImm:
        v = x.value
        return repr(v) if v == v and abs(v) != float("inf") else f"{x.dtype}({repr(v)!r})"
    if t is Var:
        return _names[x] if _names is not None else x.name
    if t is Not:
        s = f"not {_expr(x.a, 3)}"
        return f"({s})" if parent_prec > 3 else s
    if t in (Min, Max):
        return f"{t.__name__.lower()}({_expr(x.a)}, {_expr(x.b)})"
    if t is Cast:
        return f"{x.dtype}({_expr(x.value)})"
    if t is Select:
        return f"select({_expr(x.cond)}, {_expr(x.true_value)}, {_expr(x.false_value)})"
    if t is Call:
        return f"{x.op}({', '.join(_expr(a) for a in x.args)})"
    if t is Load:
        return f"{x.buffer.name}[{_idx(x.indices)}]"
    if hasattr(x, "tensor") and hasattr(x, "indices"):  # te.ProducerLoad
        return f"{x.tensor.name}[{_idx(x.indices)}]"
    if hasattr(x, "combiner"):  # te.Reduce
        axes = ", ".join(iv.var.name for iv in x.axis)
        cond = "" if getattr(x, "condition", None) is None else f", where={_expr(x.condition)}"
        return f"{x.combiner.name}({_expr(x.source)}, axis=[{axes}]{cond})"
    return repr(x)


def expr_str(x) -> str:
    """One expression as text."""
    return _expr(x)


def _loop_header(s: For) -> str:
    ext = _expr(s.extent)
    rng = ext if isinstance(s.min, IntImm) and s.min.value == 0 else f"{_expr(s.min)}, {_expr(s.min + s.extent)}"
    kind = {ForKind.SERIAL: "range", ForKind.PARALLEL: "parallel", ForKind.VECTORIZED: "vectorized",
            ForKind.UNROLLED: "unrolled"}[s.kind]
    note = "  # " + ", ".join(f"{k}={v}" for k, v in s.annotations) if s.annotations else ""
    return f"for {_expr(s.var)} in {kind}({rng}):{note}"


def _stmt(s, ind: int, out: list) -> None:
    pad = "    " * ind
    if isinstance(s, For):
        out.append(pad + _loop_header(s))
        _stmt(s.body, ind + 1, out)
    elif isinstance(s, SeqStmt):
        for x in s.stmts:
            _stmt(x, ind, out)
    elif isinstance(s, Store):
        lhs = f"{s.buffer.name}[{_idx(s.indices)}]"
        v = s.value
        if isinstance(v, Add) and isinstance(v.a, Load) and v.a.buffer is s.buffer and \
                all(str(a) == str(b) for a, b in zip(v.a.indices, s.indices)):
            out.append(f"{pad}{lhs} += {_expr(v.b)}")
        else:
            out.append(f"{pad}{lhs} = {_expr(v)}")
    elif isinstance(s, Allocate):
        b = s.buffer
        out.append(f"{pad}{b.name} = allocate({list(b.shape)}, {b.dtype})  # {b.scope}")
        _stmt(s.body, ind, out)
    elif isinstance(s, IfThenElse):
        out.append(f"{pad}if {_expr(s.cond)}:")
        _stmt(s.then_case, ind + 1, out)
        if s.else_case is not None:
            out.append(f"{pad}else:")
            _stmt(s.else_case, ind + 1, out)
    elif isinstance(s, Evaluate):
        out.append(f"{pad}pass")
    else:
        out.append(pad + repr(s))


def _with_names(fn):
    def wrapper(*args):
        global _names
        outer = _names
        if outer is None:
            _names = _Names()
        try:
            return fn(*args)
        finally:
            _names = outer
    wrapper.__doc__ = fn.__doc__
    return wrapper


@_with_names
def stmt_str(s) -> str:
    """A statement tree as indented text; a loop variable that shadows another gets a suffix."""
    out: list = []
    _stmt(s, 0, out)
    return "\n".join(out)


@_with_names
def func_str(f: PrimFunc) -> str:
    """A lowered function as text: a signature line, then the loop nest."""
    params = ", ".join(f"{b.name}: {b.dtype}{list(b.shape)}" + (f" strides {list(b.strides)}" if b.strides else "")
                       for b in f.params)
    out = [f"def {f.name}({params}):"]
    _stmt(f.body, 1, out)
    return "\n".join(out)
