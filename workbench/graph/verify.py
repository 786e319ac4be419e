"""The verifier: a module is well formed, or a list of everything wrong with it.

Checks that every variable is a parameter of its function, every call's type
is what its op infers from its arguments now, fused (Primitive) functions hold
only operator calls and are called with matching argument types, and tuple
indices are in range.
"""
from __future__ import annotations

from ..errors import TypeCheckError, WorkbenchError
from .expr import Call, Function, Module, TupleGetItem, Var
from .functor import post_order


class VerifyError(WorkbenchError):
    """A graph module is not well formed; the message lists every problem."""


def _check_function(fn: Function, where: str, problems: list, inside_primitive: bool) -> None:
    params = {id(p) for p in fn.params}
    if len(params) != len(fn.params):
        problems.append(f"{where}: a parameter appears twice")
    for n in post_order(fn.body):
        if isinstance(n, Var) and id(n) not in params:
            problems.append(f"{where}: variable %{n.name} is not a parameter of this function")
        elif isinstance(n, Call):
            label = f"{where}: call {n.name or ''} ".replace("  ", " ")
            if isinstance(n.op, Function):
                if inside_primitive:
                    problems.append(f"{label}calls a function inside a fused group")
                if len(n.args) != len(n.op.params):
                    problems.append(f"{label}passes {len(n.args)} arguments to {n.op.name}, which takes "
                                    f"{len(n.op.params)}")
                for p, a in zip(n.op.params, n.args):
                    if p.type != a.type:
                        problems.append(f"{label}passes {a.type} for parameter %{p.name}: {p.type}")
                _check_function(n.op, f"{where} > {n.op.name or 'fn'}", problems,
                                inside_primitive or "Primitive" in n.op.attrs)
            else:
                try:
                    t = n.op.infer([a.type for a in n.args], n.attrs)
                except TypeCheckError as e:
                    problems.append(f"{label}({n.op.name}) no longer type-checks: {e}")
                    continue
                if t != n.type:
                    problems.append(f"{label}({n.op.name}) is typed {n.type} but its op infers {t}")
        elif isinstance(n, TupleGetItem):
            fields = getattr(n.tuple_value.type, "fields", None)
            if fields is None or not 0 <= n.index < len(fields):
                problems.append(f"{where}: tuple index {n.index} out of range")


def verify(mod: Module) -> Module:
    """Return ``mod`` if it is well formed, else raise a VerifyError listing every problem.

    >>> verify(mod)   # doctest: +SKIP
    """
    problems: list = []
    for name, fn in mod.functions.items():
        _check_function(fn, f"@{name}", problems, "Primitive" in fn.attrs)
    if problems:
        raise VerifyError("the module is not well formed:\n  " + "\n  ".join(problems))
    return mod
