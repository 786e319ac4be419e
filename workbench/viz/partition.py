"""The partitioned graph: every operator coloured by the backend that runs it, regions as clusters.

Draws the *annotated* module of a ``byoc.Partitioned`` (every operator, before
it is cut out), so nothing is hidden inside external functions: each region is
a cluster labelled with its partition name and backend, composites show the
operators they hold, and Workbench's nodes carry the reason no backend took
them as a tooltip and as a footnote number that points into the reasons table
(``reasons_html``). A legend lists the backends with their node counts.

>>> from workbench.byoc import partition_for, CBackend   # doctest: +SKIP
>>> dot = partition_dot(partition_for(mod, [CBackend()])); render_png(dot, "parts.png")   # doctest: +SKIP
"""
from __future__ import annotations

from ..graph.expr import Call, Constant, Function, Tuple, TupleGetItem, Var
from ..graph.functor import post_order
from .graph import _esc, _shape, render_png, render_svg

WORKBENCH = "workbench"
WORKBENCH_COLOR = "#e6e6e6"
PALETTE = ["#f4c2c2", "#cfe3f3", "#d8ecd6", "#fff1c2", "#e3d4f0", "#f6d5b8"]
BORDERS = ["#b23b3b", "#2f6ea5", "#3f8a3a", "#a8861a", "#6d4a91", "#b86a2a"]

__all__ = ["backend_colors", "partition_dot", "reasons_html", "render_png", "render_svg"]


def _is_target(e) -> bool:
    return isinstance(e, Call) and getattr(e.op, "name", "") == "byoc.target"


def backend_colors(partitioned) -> dict:
    """backend name -> (fill, border) colours, in the partition's priority order; Workbench grey."""
    out = {WORKBENCH: (WORKBENCH_COLOR, "#8a8a8a")}
    for k, b in enumerate(partitioned.backends):
        out[b.name] = (PALETTE[k % len(PALETTE)], BORDERS[k % len(BORDERS)])
    return out


def _label(call) -> str:
    if isinstance(call.op, Function):
        inner = " + ".join(m.op.name for m in post_order(call.op.body) if isinstance(m, Call))
        head = (f"<b>{_esc(call.op.attrs.get('Composite', call.op.name))}</b><br/>"
                f"<font point-size='9'>{_esc(inner)}</font>")
    else:
        head = f"<b>{_esc(call.op.name)}</b>"
    name = f"<br/><font point-size='9' color='#555555'>{_esc(call.name)}</font>" if call.name else ""
    return f"<{head}<br/><font point-size='10'>{_esc(_shape(call.type))}</font>{name}>"


def partition_dot(partitioned, title: str | None = None) -> str:
    """DOT text of a ``byoc.Partitioned``: regions as clusters coloured by backend, reasons as tooltips."""
    fn = partitioned.annotated.main
    colors = backend_colors(partitioned)
    names = {f.attrs["global_symbol"]: f.attrs["Compiler"] for f in partitioned.partitions}
    lines = ["digraph partition {",
             '  graph [rankdir=TB, fontname="Helvetica", fontsize=11, nodesep=0.25, ranksep=0.3'
             + (f', label="{_esc(title)}", labelloc=t' if title else "") + "];",
             '  node [fontname="Helvetica", fontsize=11];', '  edge [color="#666666", arrowsize=0.6];']
    ids: dict = {}
    edges: list = []
    regions: dict = {}   # region -> [node lines]
    counts: dict = {}
    notes: list = []     # (number, node label, reason) for Workbench nodes
    for p in fn.params:
        ids[id(p)] = f"n{len(ids)}"
        lines.append(f'  {ids[id(p)]} [shape=ellipse, style=filled, fillcolor="#ffffff", '
                     f'label=<<b>{_esc(p.name)}</b><br/><font point-size="10">{_esc(_shape(p.type))}</font>>];')

    def source(a):
        while isinstance(a, TupleGetItem):
            a = a.tuple_value
        return ids.get(id(a))

    nodes = post_order(fn.body)
    wrapped = {id(n.args[0]) for n in nodes if _is_target(n)}  # drawn with their annotation
    for n in nodes:
        if isinstance(n, (Var, Constant, Function)) or id(n) in ids or id(n) in wrapped:
            continue
        if _is_target(n):
            call = n.args[0]
            backend, region, reason = n.attrs["compiler"], n.attrs["region"], n.attrs["reason"]
            fill, border = colors.get(backend, (WORKBENCH_COLOR, "#8a8a8a"))
            nid = ids[id(n)] = ids[id(call)] = f"n{len(ids)}"
            counts[backend] = counts.get(backend, 0) + 1
            label = _label(call)
            if backend == WORKBENCH and reason:
                notes.append((len(notes) + 1, call, reason))
                label = label[:-1] + f"<br/><font point-size='9' color='#b23b3b'>[{len(notes)}] why not offloaded</font>>"
            tip = reason or f"{backend}, region {region}"
            line = (f'{nid} [shape=box, style="rounded,filled", fillcolor="{fill}", color="{border}", '
                    f'label={label}, tooltip="{_esc(tip)}"];')
            if backend != WORKBENCH:
                regions.setdefault((backend, region), []).append(line)
            else:
                lines.append("  " + line)
            edges += [f"  {s} -> {nid};" for s in map(source, call.args) if s]
        elif isinstance(n, Tuple):
            nid = ids[id(n)] = f"n{len(ids)}"
            lines.append(f"  {nid} [shape=point, width=0.08];")
            edges += [f"  {s} -> {nid};" for s in map(source, n.fields) if s]
        elif isinstance(n, Call):  # not annotated (a module partitioned by hand): drawn plainly
            nid = ids[id(n)] = f"n{len(ids)}"
            lines.append(f'  {nid} [shape=box, style=rounded, label={_label(n)}];')
            edges += [f"  {s} -> {nid};" for s in map(source, n.args) if s]
    for (backend, region), body in regions.items():
        fill, border = colors.get(backend, (WORKBENCH_COLOR, "#8a8a8a"))
        sym = f"{backend}_{region}"
        tip = f"partition {sym}: {len(body)} node{'s' * (len(body) != 1)} run by {backend}"
        lines.append(f"  subgraph cluster_{backend}_{region} {{")
        lines.append(f'    label=<<font point-size="10" color="{border}"><b>{_esc(sym)}</b> · {_esc(backend)}</font>>; '
                     f'tooltip="{_esc(tip)}"; style="rounded,filled"; fillcolor="#fbfbfb"; color="{border}"; '
                     f'penwidth=1.6;')
        lines += ["    " + b for b in body]
        lines.append("  }")
    out = f"n{len(ids)}"
    lines.append(f'  {out} [shape=ellipse, style=filled, fillcolor="#ffffff", '
                 f'label=<<b>output</b><br/><font point-size="10">{_esc(_shape(fn.body.type))}</font>>];')
    s = source(fn.body)
    if s:
        edges.append(f"  {s} -> {out};")
    lines += edges
    per_backend = {}
    for sym, b in names.items():
        per_backend[b] = per_backend.get(b, 0) + 1
    rows = ""
    for b, (fill, border) in colors.items():
        if b not in counts:
            continue
        k = per_backend.get(b, 0)
        parts = f", {k} partition{'s' * (k != 1)}" if b != WORKBENCH else ""
        rows += (f'<tr><td bgcolor="{fill}" border="1" color="{border}" width="14"></td>'
                 f'<td align="left">{_esc(b)}: {counts[b]} node{"s" * (counts[b] != 1)}{parts}</td></tr>')
    lines.append(f'  legend [shape=plaintext, fontsize=10, label=<<table border="0" cellspacing="2">{rows}</table>>];')
    lines.append("}")
    return "\n".join(lines)


def reasons_rows(partitioned) -> list:
    """(number, node, reason) for each node Workbench keeps, numbered as in ``partition_dot``."""
    rows = []
    for d in partitioned.report:
        if d.backend == WORKBENCH and d.reason:
            rows.append((len(rows) + 1, d.node, d.reason))
    return rows


def reasons_html(partitioned, notes: bool = True) -> str:
    """An HTML table: each node Workbench keeps and why (numbered as in the graph), and, with ``notes``,
    the offloaded nodes that carry a note (e.g. a merge refused because of a cycle)."""
    cell = 'style="text-align:left; padding:2px 8px; border-bottom:1px solid #eeeeee"'
    out = ['<table style="border-collapse:collapse; font-family:Helvetica, sans-serif; font-size:12px">',
           f'<tr><th {cell}>#</th><th {cell}>node</th><th {cell}>backend</th><th {cell}>why</th></tr>']
    colors = backend_colors(partitioned)
    k = 0
    for d in partitioned.report:
        if not d.reason or (d.backend != WORKBENCH and not notes):
            continue
        if d.backend == WORKBENCH:
            k += 1
        num = str(k) if d.backend == WORKBENCH else ""
        fill = colors.get(d.backend, (WORKBENCH_COLOR,))[0]
        out.append(f'<tr><td {cell}>{num}</td><td {cell}>{_esc(d.node)}</td>'
                   f'<td {cell}><span style="background:{fill}; padding:0 4px">{_esc(d.backend)}</span></td>'
                   f'<td {cell}>{_esc(d.reason)}</td></tr>')
    out.append("</table>")
    return "\n".join(out)
