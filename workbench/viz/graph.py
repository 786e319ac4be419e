"""A graph module as Graphviz DOT: operators as boxes coloured by fusion pattern, fused groups
as clusters, weights collapsed into the label of the op that takes them, and a legend.

Walking the graph (``_nodes``) is separate from drawing it (``graph_dot``), so the same walk can
feed other views. Colours use 6-digit hex (Graphviz 2.43 rejects 3-digit ones).

>>> from workbench.graph import Function, Module, ops
>>> x = ops.var("x", (1, 8))
>>> dot = graph_dot(Module(Function((x,), ops.nn.relu(x))))
>>> dot.startswith("digraph")
True
"""
from __future__ import annotations

import html

from ..graph.expr import Call, Constant, Function, Module, Tuple, TupleGetItem, Var
from ..graph.functor import post_order
from ..graph.op import OpPattern

PATTERN_COLORS = {
    OpPattern.ELEMWISE: "#d8ecd6", OpPattern.BROADCAST: "#cfe3f3", OpPattern.INJECTIVE: "#fff1c2",
    OpPattern.COMM_REDUCE: "#f6d5b8", OpPattern.OUT_ELEWISE_FUSABLE: "#f4c2c2", OpPattern.TUPLE: "#e6e6e6",
    OpPattern.OPAQUE: "#dddddd",
}
PATTERN_NAMES = {
    OpPattern.ELEMWISE: "elementwise", OpPattern.BROADCAST: "broadcast", OpPattern.INJECTIVE: "injective",
    OpPattern.COMM_REDUCE: "reduction", OpPattern.OUT_ELEWISE_FUSABLE: "conv / dense / pool (anchor)",
    OpPattern.TUPLE: "tuple", OpPattern.OPAQUE: "opaque",
}
CLUSTER_COLOR = "#7a7a9a"


def _shape(t) -> str:
    return f"{t.dtype}[{', '.join(map(str, t.shape))}]" if hasattr(t, "shape") else str(t)


def _esc(s) -> str:
    return html.escape(str(s), quote=True)


class _Drawer:
    def __init__(self):
        self.lines: list = []
        self.edges: list = []
        self.ids: dict = {}
        self.count = 0

    def new_id(self, node) -> str:
        self.count += 1
        self.ids[id(node)] = f"n{self.count}"
        return self.ids[id(node)]

    def op_node(self, n: Call, indent: str, weight_params=frozenset()) -> None:
        weights = [a for a in n.args if (isinstance(a, Constant) and a.data.size > 1) or id(a) in weight_params]
        extra = f"<br/><font point-size='9'>+{len(weights)} weight{'s' * (len(weights) > 1)}</font>" if weights else ""
        name = f"<br/><font point-size='9' color='#555555'>{_esc(n.name)}</font>" if n.name else ""
        label = (f"<<b>{_esc(n.op.name)}</b><br/><font point-size='10'>{_esc(_shape(n.type))}</font>"
                 f"{extra}{name}>")
        color = PATTERN_COLORS.get(n.op.pattern, "#dddddd")
        tip = ", ".join(f"{k}={v}" for k, v in n.attrs.items())
        self.lines.append(f'{indent}{self.new_id(n)} [shape=box, style="rounded,filled", fillcolor="{color}", '
                          f'label={label}, tooltip="{_esc(tip)}"];')

    def edges_into(self, n, args, env) -> None:
        # edges go at the top level: an edge written inside a cluster would pull both ends into it
        for a in args:
            src = env.get(id(a))
            if src is not None:
                self.edges.append(f"  {src} -> {self.ids[id(n)]};")


def graph_dot(mod, title: str | None = None) -> str:
    """DOT text for ``mod`` (a Module or Function): the graph of its main function.

    Fused groups (calls of ``Primitive`` functions) are drawn as clusters holding their operators,
    labelled with the group name and why it formed (as a tooltip).
    """
    fn = mod.main if isinstance(mod, Module) else mod
    d = _Drawer()
    d.lines += ["digraph workbench {", '  graph [rankdir=TB, fontname="Helvetica", fontsize=11, nodesep=0.25, '
                'ranksep=0.3' + (f', label="{_esc(title)}", labelloc=t' if title else "") + '];',
                '  node [fontname="Helvetica", fontsize=11];', '  edge [color="#666666", arrowsize=0.6];']
    env: dict = {}  # node id -> drawn id that carries its value
    used_patterns: set = set()
    for p in fn.params:
        env[id(p)] = d.new_id(p)
        d.lines.append(f'  {env[id(p)]} [shape=ellipse, style=filled, fillcolor="#ffffff", '
                       f'label=<<b>{_esc(p.name)}</b><br/><font point-size="10">{_esc(_shape(p.type))}</font>>];')
    groups = 0
    for n in post_order(fn.body):
        if id(n) in env or isinstance(n, (Var, Constant, Function)):
            continue
        if isinstance(n, Call) and isinstance(n.op, Function):
            groups += 1
            g = n.op
            reason = g.attrs.get("reason", "")
            d.lines.append(f"  subgraph cluster_{groups} {{")
            d.lines.append(f'    label=<<font point-size="10" color="{CLUSTER_COLOR}">{_esc(g.name or "group")}</font>>; '
                           f'tooltip="{_esc(reason)}"; style="rounded,dashed"; color="{CLUSTER_COLOR}";')
            inner = {id(p): env.get(id(a)) for p, a in zip(g.params, n.args)}
            weights = {id(p) for p, a in zip(g.params, n.args) if isinstance(a, Constant) and a.data.size > 1}
            for m in post_order(g.body):
                if isinstance(m, Call) and not isinstance(m.op, Function):
                    d.op_node(m, "    ", weights)
                    used_patterns.add(m.op.pattern)
                    d.edges_into(m, m.args, inner)
                    inner[id(m)] = d.ids[id(m)]
                elif isinstance(m, (Tuple, TupleGetItem)):
                    inner[id(m)] = inner.get(id(m.fields[0] if isinstance(m, Tuple) else m.tuple_value))
            d.lines.append("  }")
            env[id(n)] = inner.get(id(g.body))
        elif isinstance(n, Call):
            d.op_node(n, "  ")
            used_patterns.add(n.op.pattern)
            d.edges_into(n, n.args, env)
            env[id(n)] = d.ids[id(n)]
        elif isinstance(n, Tuple):
            tid = d.new_id(n)
            d.lines.append(f'  {tid} [shape=point, width=0.08];')
            d.edges_into(n, n.fields, env)
            env[id(n)] = tid
        elif isinstance(n, TupleGetItem):
            env[id(n)] = env.get(id(n.tuple_value))
    out = d.new_id(fn)
    d.lines.append(f'  {out} [shape=ellipse, style=filled, fillcolor="#ffffff", '
                   f'label=<<b>output</b><br/><font point-size="10">{_esc(_shape(fn.body.type))}</font>>];')
    if env.get(id(fn.body)):
        d.edges.append(f"  {env[id(fn.body)]} -> {out};")
    d.lines += d.edges
    rows = "".join(f'<tr><td bgcolor="{PATTERN_COLORS[p]}" width="14"></td><td align="left">{PATTERN_NAMES[p]}</td></tr>'
                   for p in sorted(used_patterns))
    if groups:
        rows += f'<tr><td border="1" style="dashed" color="{CLUSTER_COLOR}"></td><td align="left">fused group ({groups})</td></tr>'
    if rows:
        d.lines.append(f'  legend [shape=plaintext, fontsize=10, label=<<table border="0" cellspacing="2">{rows}</table>>];')
    d.lines.append("}")
    return "\n".join(d.lines)


def render_svg(dot: str) -> str:
    """SVG text of DOT, laid out by Graphviz's ``dot`` (which must be installed)."""
    import graphviz
    return graphviz.Source(dot).pipe(format="svg").decode()


def render_png(dot: str, path) -> str:
    """Write a PNG of DOT to ``path`` (``.png`` added if missing); returns the file written."""
    import graphviz
    path = str(path)
    stem = path[:-4] if path.endswith(".png") else path
    return graphviz.Source(dot).render(stem, format="png", cleanup=True)
