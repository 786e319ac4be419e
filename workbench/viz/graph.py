"""A graph module as Graphviz DOT: operators as boxes coloured by fusion pattern, fused groups
as clusters, weights collapsed into the label of the op that takes them, and a legend.

Large graphs stay readable: where the graph narrows to one value between blocks (a residual
block, an encoder layer), consecutive blocks that are the same (same ops, same shapes) are drawn
once and the repeats collapse into one box saying how many there were. ``highlight`` marks
nodes as removed / added / merged (see ``graph_diff.py``, which compares a pass's before/after).

Walking the graph (``_units``) is separate from drawing it (``graph_dot``). Colours use 6-digit
hex (Graphviz 2.43 rejects 3-digit ones).

>>> from workbench.graph import Function, Module, ops
>>> x = ops.var("x", (1, 8))
>>> dot = graph_dot(Module(Function((x,), ops.nn.relu(x))))
>>> dot.startswith("digraph")
True
"""
from __future__ import annotations

import html

from ..errors import TypeCheckError
from ..graph.expr import Call, Constant, Function, Module, Tuple, TupleGetItem, Var
from ..graph.functor import children, post_order
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
# how a node changed in a pass: border colour, line style, legend text
HIGHLIGHTS = {
    "removed": ("#c62828", "dashed", "removed by the pass"),
    "added": ("#2e7d32", "bold", "added by the pass"),
    "merged": ("#6a1b9a", "bold", "merged into a fused group"),
}
AUTO_COLLAPSE = 60  # collapse repeated blocks when the graph has more units than this
AUTO_FOLD = 48      # fold_groups="auto": draw groups as single boxes when they hold more operators than this


def _shape(t) -> str:
    return f"{t.dtype}[{', '.join(map(str, t.shape))}]" if hasattr(t, "shape") else str(t)


def _esc(s) -> str:
    return html.escape(str(s), quote=True)


def _is_group(n) -> bool:
    return isinstance(n, Call) and isinstance(n.op, Function)


def _units(fn: Function) -> list:
    """The drawn top-level nodes of ``fn`` in dataflow order: params, op calls, group calls, tuples."""
    out = list(fn.params)
    out += [n for n in post_order(fn.body) if isinstance(n, (Call, Tuple)) and n not in fn.params]
    return out


def _source(n):
    """The unit that carries ``n``'s value (tuple-get-items see through to their tuple)."""
    while isinstance(n, TupleGetItem):
        n = n.tuple_value
    return n


def _inputs(n) -> list:
    return [_source(a) for a in children(n) if not isinstance(_source(a), Constant)]


def _signature(n) -> tuple:
    if _is_group(n):
        ops = tuple(m.op.name for m in post_order(n.op.body) if isinstance(m, Call))
        return ("group", ops, _shape(n.type))
    if isinstance(n, Call):
        return (n.op.name, tuple(sorted(n.attrs.items())), _shape(n.type))
    return (type(n).__name__, _shape(n.type))


def repeated_blocks(fn: Function, min_units: int = 2) -> list:
    """Runs of identical consecutive blocks: ``[(first_unit, last_unit, repeats), ...]`` as unit indices.

    A block is the part of the graph between two cut points (nodes every later node depends
    on only through them, like the output of a residual block). ``repeats`` counts the copies
    after the first one, which are ``units[first_unit..last_unit]``.
    """
    units = _units(fn)
    index = {id(u): k for k, u in enumerate(units)}
    reach = [k for k in range(len(units))]  # furthest unit that reads unit k
    for k, u in enumerate(units):
        for a in _inputs(u):
            j = index.get(id(a))
            if j is not None:
                reach[j] = max(reach[j], k)
    cuts, far = [], -1
    for k in range(len(units)):  # k is a cut when nothing before it is read after it
        if far <= k and not isinstance(units[k], Var):
            cuts.append(k)
        far = max(far, reach[k])

    def sig(block):
        a, b = block
        rel = []
        for k in range(a, b + 1):
            ins = tuple(index.get(id(x), -1) - a for x in _inputs(units[k]))
            rel.append((_signature(units[k]), ins))
        return tuple(rel)

    def runs_of(cuts):
        blocks = [(a + 1, b) for a, b in zip(cuts, cuts[1:])]
        runs, k = [], 0
        while k < len(blocks):
            j = k
            while j + 1 < len(blocks) and sig(blocks[j + 1]) == sig(blocks[k]):
                j += 1
            if j > k and blocks[k][1] - blocks[k][0] + 1 >= min_units:
                runs.append((blocks[k + 1][0], blocks[j][1], j - k))
            k = j + 1
        return runs
    # two ways to cut: at every cut point, or only at the last of adjacent ones (a residual add and
    # the relu after it); keep the one that hides more
    last = [c for k, c in enumerate(cuts) if k + 1 == len(cuts) or cuts[k + 1] != c + 1]
    return max((runs_of(cuts), runs_of(last)), key=lambda rs: sum(b - a + 1 for a, b, _ in rs))


class _Drawer:
    def __init__(self, highlight):
        self.lines: list = []
        self.edges: list = []
        self.ids: dict = {}
        self.count = 0
        self.highlight = highlight or {}
        self.used_highlights: set = set()

    def new_id(self, node) -> str:
        self.count += 1
        self.ids[id(node)] = f"n{self.count}"
        return self.ids[id(node)]

    def mark(self, node) -> str:
        how = self.highlight.get(id(node))
        if how is None:
            return ""
        self.used_highlights.add(how)
        color, style, _ = HIGHLIGHTS[how]
        return f', color="{color}", penwidth=2.5, style="rounded,filled,{style}"'

    def op_node(self, n: Call, indent: str, weight_params=frozenset()) -> None:
        weights = [a for a in n.args if (isinstance(a, Constant) and a.data.size > 1) or id(a) in weight_params]
        extra = f"<br/><font point-size='9'>+{len(weights)} weight{'s' * (len(weights) > 1)}</font>" if weights else ""
        name = f"<br/><font point-size='9' color='#555555'>{_esc(n.name)}</font>" if n.name else ""
        label = (f"<<b>{_esc(n.op.name)}</b><br/><font point-size='10'>{_esc(_shape(n.type))}</font>"
                 f"{extra}{name}>")
        color = PATTERN_COLORS.get(n.op.pattern, "#dddddd")
        tip = ", ".join(f"{k}={v}" for k, v in n.attrs.items())
        self.lines.append(f'{indent}{self.new_id(n)} [shape=box, style="rounded,filled", fillcolor="{color}", '
                          f'label={label}, tooltip="{_esc(tip)}"{self.mark(n)}];')

    def edge(self, src, dst) -> None:
        # edges go at the top level: an edge written inside a cluster would pull both ends into it
        e = f"  {src} -> {dst};"
        if src != dst and e not in self.edges:
            self.edges.append(e)


def _function_of(mod):
    if isinstance(mod, Module):
        return mod.main
    if isinstance(mod, Function):
        return mod
    raise TypeCheckError(f"graph_dot: expected a graph Module or Function, got {type(mod).__name__}; "
                         "import a model with wb.frontend.from_onnx(...) or build one with workbench.graph.ops")


def _group_ops(n) -> list:
    return [m for m in post_order(n.op.body) if isinstance(m, Call) and not isinstance(m.op, Function)]


def graph_dot(mod, title: str | None = None, collapse="auto", highlight: dict | None = None,
              fold_groups=False) -> str:
    """DOT text for ``mod`` (a Module or Function): the graph of its main function.

    Fused groups (calls of ``Primitive`` functions) are drawn as clusters holding their operators,
    labelled with the group name and why it formed (as a tooltip). ``collapse``: True, False or
    "auto" (when the graph has more than 60 nodes) draws each run of identical blocks once and a
    box "×N more" for the repeats. ``highlight`` maps ``id(node)`` to "removed", "added" or "merged".
    ``fold_groups``: True draws each group as one box listing its operators, a summary about a
    quarter the size (what a big model's static picture uses); "auto" does so when the groups hold
    more than 48 operators in all.

    >>> from workbench.graph import Function, Module, ops
    >>> x = ops.var("x", (2, 4))
    >>> "nn.relu" in graph_dot(Module(Function((x,), ops.nn.relu(x))), title="tiny")
    True
    """
    fn = _function_of(mod)
    if collapse not in (True, False, "auto"):
        raise TypeCheckError(f"graph_dot: collapse must be True, False or 'auto', got {collapse!r}")
    if fold_groups not in (True, False, "auto"):
        raise TypeCheckError(f"graph_dot: fold_groups must be True, False or 'auto', got {fold_groups!r}")
    units = _units(fn)
    if fold_groups == "auto":
        fold_groups = sum(len(_group_ops(n)) for n in units if _is_group(n)) > AUTO_FOLD
    d = _Drawer(highlight)
    d.lines += ["digraph workbench {", '  graph [rankdir=TB, fontname="Helvetica", fontsize=11, nodesep=0.25, '
                'ranksep=0.3' + (f', label="{_esc(title)}", labelloc=t' if title else "") + '];',
                '  node [fontname="Helvetica", fontsize=11];', '  edge [color="#666666", arrowsize=0.6];']
    hidden: dict = {}  # unit index -> id of the box standing for its collapsed run
    if collapse is True or (collapse == "auto" and len(units) > AUTO_COLLAPSE):
        for k, (a, b, reps) in enumerate(repeated_blocks(fn)):
            box = f"rep{k}"
            nops = sum(1 for u in units[a:b + 1] if isinstance(u, Call))
            d.lines.append(f'  {box} [shape=box3d, style=filled, fillcolor="#f3f3f8", color="{CLUSTER_COLOR}", '
                           f'label=<<b>× {reps} more</b><br/><font point-size="10">the same block again '
                           f'({nops // reps} nodes each)<br/>out: {_esc(_shape(units[b].type))}</font>>];')
            for j in range(a, b + 1):
                hidden[j] = box
    env: dict = {}  # node id -> drawn id that carries its value
    used_patterns: set = set()
    groups = 0
    for k, n in enumerate(units):
        if k in hidden:
            env[id(n)] = hidden[k]
            for a in _inputs(n):
                if id(a) in env:
                    d.edge(env[id(a)], hidden[k])
            continue
        if isinstance(n, Var):
            env[id(n)] = d.new_id(n)
            d.lines.append(f'  {env[id(n)]} [shape=ellipse, style=filled, fillcolor="#ffffff", '
                           f'label=<<b>{_esc(n.name)}</b><br/><font point-size="10">{_esc(_shape(n.type))}</font>>];')
        elif _is_group(n) and fold_groups:
            groups += 1
            members = _group_ops(n)
            anchor = next((m for m in members if m.op.pattern == OpPattern.OUT_ELEWISE_FUSABLE), members[0]
                          if members else None)
            pattern = anchor.op.pattern if anchor is not None else OpPattern.OPAQUE
            used_patterns.add(pattern)
            env[id(n)] = d.new_id(n)
            names = " + ".join(m.op.name for m in members)
            d.lines.append(f'  {env[id(n)]} [shape=box, style="rounded,filled", fillcolor="{PATTERN_COLORS[pattern]}", '
                           f'color="{CLUSTER_COLOR}", label=<<b>{_esc(n.op.name or "group")}</b><br/><font '
                           f'point-size="9">{_esc(names)}</font><br/><font point-size="10">{_esc(_shape(n.type))}'
                           f'</font>>, tooltip="{_esc(n.op.attrs.get("reason", ""))}"{d.mark(n)}];')
            for a in _inputs(n):
                if env.get(id(a)):
                    d.edge(env[id(a)], env[id(n)])
        elif _is_group(n):
            groups += 1
            g = n.op
            reason = g.attrs.get("reason", "")
            d.lines.append(f"  subgraph cluster_{groups} {{")
            hl = d.highlight.get(id(n))
            ccolor = HIGHLIGHTS[hl][0] if hl else CLUSTER_COLOR
            if hl:
                d.used_highlights.add(hl)
            d.lines.append(f'    label=<<font point-size="10" color="{ccolor}">{_esc(g.name or "group")}</font>>; '
                           f'tooltip="{_esc(reason)}"; style="rounded,dashed"; color="{ccolor}";'
                           + (" penwidth=2;" if hl else ""))
            inner = {id(p): env.get(id(_source(a))) for p, a in zip(g.params, n.args)}
            weights = {id(p) for p, a in zip(g.params, n.args) if isinstance(a, Constant) and a.data.size > 1}
            for m in post_order(g.body):
                if isinstance(m, Call) and not isinstance(m.op, Function):
                    d.op_node(m, "    ", weights)
                    used_patterns.add(m.op.pattern)
                    for a in m.args:
                        src = inner.get(id(_source(a)))
                        if src is not None:
                            d.edge(src, d.ids[id(m)])
                    inner[id(m)] = d.ids[id(m)]
                elif isinstance(m, (Tuple, TupleGetItem)):
                    inner[id(m)] = inner.get(id(m.fields[0] if isinstance(m, Tuple) else m.tuple_value))
            d.lines.append("  }")
            env[id(n)] = inner.get(id(g.body))
        elif isinstance(n, Call):
            d.op_node(n, "  ")
            used_patterns.add(n.op.pattern)
            env[id(n)] = d.ids[id(n)]
            for a in _inputs(n):
                if env.get(id(a)):
                    d.edge(env[id(a)], env[id(n)])
        elif isinstance(n, Tuple):
            env[id(n)] = d.new_id(n)
            d.lines.append(f'  {env[id(n)]} [shape=point, width=0.08];')
            for a in _inputs(n):
                if env.get(id(a)):
                    d.edge(env[id(a)], env[id(n)])
    out = d.new_id(fn)
    d.lines.append(f'  {out} [shape=ellipse, style=filled, fillcolor="#ffffff", '
                   f'label=<<b>output</b><br/><font point-size="10">{_esc(_shape(fn.body.type))}</font>>];')
    if env.get(id(_source(fn.body))):
        d.edge(env[id(_source(fn.body))], out)
    d.lines += d.edges
    rows = "".join(f'<tr><td bgcolor="{PATTERN_COLORS[p]}" width="14"></td><td align="left">{PATTERN_NAMES[p]}</td></tr>'
                   for p in sorted(used_patterns))
    if groups and fold_groups:
        rows += (f'<tr><td border="1" color="{CLUSTER_COLOR}"></td><td align="left">fused group, one box '
                 f'({groups}), coloured by its main operator</td></tr>')
    elif groups:
        rows += f'<tr><td border="1" style="dashed" color="{CLUSTER_COLOR}"></td><td align="left">fused group ({groups})</td></tr>'
    if hidden:
        rows += '<tr><td bgcolor="#f3f3f8" border="1"></td><td align="left">repeated blocks, collapsed</td></tr>'
    for how in ("removed", "added", "merged"):
        if how in d.used_highlights:
            color, _, text = HIGHLIGHTS[how]
            rows += f'<tr><td border="2" color="{color}"></td><td align="left">{text}</td></tr>'
    if rows:
        d.lines.append(f'  legend [shape=plaintext, fontsize=10, label=<<table border="0" cellspacing="2">{rows}</table>>];')
    d.lines.append("}")
    return "\n".join(d.lines)


def render_svg(dot: str) -> str:
    """SVG text of DOT, laid out by Graphviz's ``dot`` (which must be installed).

    >>> render_svg("digraph { a -> b }").count("<svg")   # doctest: +SKIP
    1
    """
    import graphviz
    try:
        return graphviz.Source(dot).pipe(format="svg").decode()
    except graphviz.ExecutableNotFound:
        from ..errors import WorkbenchError
        raise WorkbenchError("render_svg: Graphviz's `dot` is not installed; install it with "
                             "`apt-get install -y graphviz` (or run `make setup` as root)") from None


def render_png(dot: str, path) -> str:
    """Write a PNG of DOT to ``path`` (``.png`` added if missing); returns the file written."""
    import graphviz
    path = str(path)
    stem = path[:-4] if path.endswith(".png") else path
    return graphviz.Source(dot).render(stem, format="png", cleanup=True)
