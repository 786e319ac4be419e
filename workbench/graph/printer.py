"""Text form of graph modules: one line per operator, shapes and names on the right.

Weights print as ``@name`` (collapsed), scalars inline, fused groups once as a
nested ``fn`` before their first use, so a 200-node model still reads top to
bottom::

    def @main(%input: float32[1, 3, 8, 8]) -> float32[1, 4, 8, 8]:
      %0 = nn.conv2d(%input, @w, padding=(1, 1, 1, 1))  # float32[1, 4, 8, 8]  conv1
      nn.relu(%0)  # float32[1, 4, 8, 8]
"""
from __future__ import annotations


from .expr import Call, Constant, Function, Module, Tuple, TupleGetItem, Var
from .functor import post_order


def _attr(v) -> str:
    if isinstance(v, float):
        return repr(v)
    return repr(v)


def _const(c: Constant, names: dict) -> str:
    if c.data.size == 1 and c.data.ndim <= 1:
        v = c.data.reshape(()).item()
        return f"{v!r}" if c.data.ndim == 0 else f"[{v!r}]"
    if id(c) not in names:
        names[id(c)] = f"@{c.name}" if c.name else f"@const{len([k for k in names.values() if k.startswith('@const')])}"
    return names[id(c)]


class _Printer:
    def __init__(self):
        self.names: dict = {}
        self.fn_names: dict = {}
        self.lines: list = []

    def ref(self, e) -> str:
        if isinstance(e, Constant):
            return _const(e, self.names)
        return self.names[id(e)]

    def function(self, fn: Function, name: str, indent: int) -> None:
        pad = "  " * indent
        for p in fn.params:
            self.names[id(p)] = f"%{p.name}"
        params = ", ".join(f"%{p.name}: {p.type}" for p in fn.params)
        tag = ", ".join(f"{k}={v}" for k, v in fn.attrs.items())
        self.lines.append(f"{pad}{'fn' if indent else 'def'} {name}({params}) -> {fn.ret_type}:"
                          + (f"  # {tag}" if tag else ""))
        nodes = [n for n in post_order(fn.body) if isinstance(n, (Call, Tuple, TupleGetItem))]
        counter = 0
        for n in nodes:
            if isinstance(n, Call) and isinstance(n.op, Function) and id(n.op) not in self.fn_names:
                fname = f"%{n.op.name or 'fn'}_{len(self.fn_names)}"
                self.fn_names[id(n.op)] = fname
                self.function(n.op, fname, indent + 1)
            if isinstance(n, Call):
                head = self.fn_names[id(n.op)] if isinstance(n.op, Function) else n.op.name
                args = [self.ref(a) for a in n.args] + [f"{k}={_attr(v)}" for k, v in n.attrs.items()]
                text = f"{head}({', '.join(args)})"
            elif isinstance(n, Tuple):
                text = "(" + ", ".join(self.ref(f) for f in n.fields) + ("," if len(n.fields) == 1 else "") + ")"
            else:
                text = f"{self.ref(n.tuple_value)}.{n.index}"
            note = f"  # {n.type}" + (f"  {n.name}" if getattr(n, "name", "") else "")
            if n is fn.body:
                self.lines.append(f"{pad}  {text}{note}")
            else:
                self.names[id(n)] = f"%{counter}"
                self.lines.append(f"{pad}  %{counter} = {text}{note}")
                counter += 1
        if not nodes:
            self.lines.append(f"{pad}  {self.ref(fn.body)}")


def module_str(mod: Module) -> str:
    """The whole module as text."""
    p = _Printer()
    for name, fn in mod.functions.items():
        p.function(fn, f"@{name}", 0)
    return "\n".join(p.lines)


def function_str(fn: Function, name: str = "@main") -> str:
    """One function as text, fused groups nested: ``print(function_str(mod.main))``."""
    p = _Printer()
    p.function(fn, name, 0)
    return "\n".join(p.lines)


def expr_summary(e) -> str:
    """A one-line description of a node (its kind, op and type)."""
    if isinstance(e, Call):
        head = e.op.name if not isinstance(e.op, Function) else f"fn {e.op.name}"
        return f"<Call {head}{' ' + repr(e.name) if e.name else ''}: {e.type}>"
    if isinstance(e, Var):
        return f"<Var %{e.name}: {e.type}>"
    if isinstance(e, Constant):
        return f"<Constant {e.name or ''}{e.type}>"
    if isinstance(e, Function):
        return f"<Function {e.name} ({len(e.params)} params) -> {e.ret_type}>"
    return f"<{type(e).__name__}: {e.type}>"
