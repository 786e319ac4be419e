"""A lowered loop nest as HTML: an indented tree of loops (kind, extent, the stage each belongs
to), the iteration space of the output drawn as a grid, and the Python-like text with colours.

``loop_tree`` walks the IR into plain rows (depth, what, details); ``loopnest_html`` draws them.
A loop's stage comes from the schedule when one is given (the stage whose loop variable it is),
otherwise from the buffer its body stores to last (a stage's own store is innermost in its nest,
after the stages attached inside it).

>>> import workbench as wb
>>> from workbench import te
>>> A = te.placeholder((16,), name="A"); B = te.compute((16,), lambda i: A[i] * 2.0, name="B")
>>> s = te.create_schedule(B.op); io, ii = s[B].split(B.op.axis[0], factor=4); s[B].vectorize(ii)
>>> [(r.depth, r.name, r.kind, r.extent, r.stage) for r in loop_tree(wb.lower(s, [A, B]), s) if r.what == "loop"]
[(0, 'i.outer', 'serial', 4, 'B'), (1, 'i.inner', 'vectorized', 4, 'B')]
"""
from __future__ import annotations

import html
from dataclasses import dataclass

from ..errors import TypeCheckError, WorkbenchError
from ..tir.printer import _expr, func_str, stmt_str
from ..tir.stmt import Allocate, Evaluate, For, ForKind, IfThenElse, PrimFunc, SeqStmt, Store
from .code import highlight_python

KIND_COLORS = {"serial": "#9e9e9e", "parallel": "#c62828", "vectorized": "#1565c0", "unrolled": "#ef6c00"}
STAGE_COLORS = ["#e3f2fd", "#fce4ec", "#e8f5e9", "#fff3e0", "#ede7f6", "#e0f7fa", "#f9fbe7", "#efebe9"]


@dataclass(frozen=True)
class LoopRow:
    """One line of the loop tree: a loop, an allocation, a guard or a store."""
    depth: int
    what: str          # "loop", "allocate", "if", "store"
    name: str          # loop variable, buffer name, or condition text
    kind: str = ""     # loop kind (ForKind value)
    extent: int | None = None
    stage: str = ""
    detail: str = ""


def _last_store(s):
    if isinstance(s, Store):
        return s.buffer.name
    kids = []
    if isinstance(s, For):
        kids = [s.body]
    elif isinstance(s, SeqStmt):
        kids = list(s.stmts)
    elif isinstance(s, Allocate):
        kids = [s.body]
    elif isinstance(s, IfThenElse):
        kids = [s.then_case] + ([s.else_case] if s.else_case is not None else [])
    for k in reversed(kids):
        name = _last_store(k)
        if name:
            return name
    return ""


def _stage_of_var(schedule) -> dict:
    out = {}
    if schedule is None:
        return out
    for st in schedule.stages:
        for iv in st.all_iter_vars:
            out[iv.var] = st.name
    return out


def _func_of(x) -> PrimFunc:
    if isinstance(x, PrimFunc):
        return x
    if hasattr(x, "func") and isinstance(x.func, PrimFunc):  # a runtime Kernel
        return x.func
    raise TypeCheckError(f"loop nest view: expected a lowered function (wb.lower(s, args)) or a Kernel, "
                         f"got {type(x).__name__}")


def loop_tree(func, schedule=None) -> list:
    """The loop nest of ``func`` (a PrimFunc or Kernel) as a list of ``LoopRow``, outermost first."""
    func = _func_of(func)
    by_var = _stage_of_var(schedule)
    rows: list = []

    def walk(s, depth):
        if isinstance(s, For):
            ext = s.extent.value if hasattr(s.extent, "value") else None
            stage = by_var.get(s.var) or _last_store(s.body)
            note = ", ".join(f"{k}={v}" for k, v in s.annotations)
            rows.append(LoopRow(depth, "loop", s.var.name, s.kind.value, ext, stage, note))
            walk(s.body, depth + 1)
        elif isinstance(s, SeqStmt):
            for x in s.stmts:
                walk(x, depth)
        elif isinstance(s, Allocate):
            b = s.buffer
            rows.append(LoopRow(depth, "allocate", b.name, stage=b.name,
                                detail=f"{b.dtype}{list(b.shape)} {b.scope}"))
            walk(s.body, depth)
        elif isinstance(s, IfThenElse):
            rows.append(LoopRow(depth, "if", _expr(s.cond), stage=_last_store(s.then_case)))
            walk(s.then_case, depth + 1)
            if s.else_case is not None:
                rows.append(LoopRow(depth, "if", "else", stage=_last_store(s.else_case)))
                walk(s.else_case, depth + 1)
        elif isinstance(s, Store):
            text = stmt_str(s)
            rows.append(LoopRow(depth, "store", s.buffer.name, stage=s.buffer.name,
                                detail=text if len(text) <= 90 else text[:87] + "..."))
        elif isinstance(s, Evaluate):
            pass
    walk(func.body, 0)
    return rows


def _stage_colors(rows) -> dict:
    names = []
    for r in rows:
        if r.stage and r.stage not in names:
            names.append(r.stage)
    return {n: STAGE_COLORS[k % len(STAGE_COLORS)] for k, n in enumerate(names)}


def loop_tree_html(func, schedule=None) -> str:
    """The loop tree as indented HTML rows: kind badges, extents and stage tags.

    >>> import workbench as wb
    >>> from workbench import te
    >>> A = te.placeholder((4,), name="A"); B = te.compute((4,), lambda i: A[i] + 1.0, name="B")
    >>> "wbv-loop-row" in loop_tree_html(wb.lower(te.create_schedule(B.op), [A, B]))
    True
    """
    rows = loop_tree(func, schedule)
    colors = _stage_colors(rows)
    out = ['<div class="wbv-looptree" style="font-family: var(--jp-code-font-family, monospace); font-size: 12px; '
           'line-height: 1.6">']
    for r in rows:
        pad = 4 + 18 * r.depth
        tag = (f'<span style="background:{colors.get(r.stage, "#eeeeee")}; border-radius:3px; padding:0 5px; '
               f'margin-left:8px; font-size:11px">{html.escape(r.stage)}</span>') if r.stage else ""
        if r.what == "loop":
            kc = KIND_COLORS.get(r.kind, "#9e9e9e")
            badge = (f'<span style="background:{kc}; color:#ffffff; border-radius:3px; padding:0 5px; '
                     f'font-size:10px; margin-right:6px">{r.kind}</span>')
            ext = "?" if r.extent is None else r.extent
            note = f' <span style="color:#8a8a8a">{html.escape(r.detail)}</span>' if r.detail else ""
            body = f'{badge}<b>{html.escape(r.name)}</b> <span style="color:#555555">× {ext}</span>{note}{tag}'
        elif r.what == "allocate":
            body = f'<span style="color:#6a1b9a">allocate</span> <b>{html.escape(r.name)}</b> ' \
                   f'<span style="color:#555555">{html.escape(r.detail)}</span>{tag}'
        elif r.what == "if":
            body = f'<span style="color:#7b1fa2">if</span> {html.escape(r.name)}'
        else:
            body = f'<span style="color:#2e7d32">store</span> {html.escape(r.detail)}'
        out.append(f'<div class="wbv-loop-row wbv-{r.what}" style="padding-left:{pad}px; white-space:nowrap">'
                   f'{body}</div>')
    out.append("</div>")
    return "".join(out)


def loopnest_html(func, schedule=None, iteration_space: bool = True, code: bool = True, title: str = "") -> str:
    """The whole loop-nest view: tree, iteration-space grid and coloured code, side by side.

    ``func`` is a lowered function (``wb.lower``) or a ``Kernel``; ``schedule`` (optional) names
    each loop's stage exactly. The grid is ``iteration_space_html`` (compact, and it survives the
    sanitizer of an untrusted saved notebook); it is left out, with a note, when it cannot be drawn.

    >>> import workbench as wb
    >>> from workbench import te
    >>> A = te.placeholder((8, 8), name="A"); B = te.compute((8, 8), lambda i, j: A[i, j] * 2.0, name="B")
    >>> s = te.create_schedule(B.op)
    >>> html_text = loopnest_html(wb.lower(s, [A, B]), s)
    >>> "wbv-iterspace" in html_text and "wbv-looptree" in html_text
    True
    """
    func = _func_of(func)
    parts = ['<div class="wbv-loopnest" style="display:flex; flex-wrap:wrap; gap:16px; align-items:flex-start">']
    head = f'<div style="font-weight:bold; margin-bottom:4px">{html.escape(title)}</div>' if title else ""
    parts.append(f'<div style="min-width:260px">{head}{loop_tree_html(func, schedule)}</div>')
    if iteration_space:
        from .iteration_space import iteration_space_html
        try:
            grid = iteration_space_html(func)
        except WorkbenchError as e:
            grid = (f'<div style="color:#8a8a8a; max-width:260px">(no iteration-space picture: '
                    f'{html.escape(str(e))})</div>')
        parts.append(f"<div>{grid}</div>")
    if code:
        parts.append(f'<div style="flex:1 1 360px; min-width:300px">{highlight_python(func_str(func))}</div>')
    parts.append("</div>")
    return "".join(parts)


def loop_kinds(func) -> dict:
    """How many loops of each kind ``func`` has: ``{"serial": 3, "vectorized": 1, ...}``."""
    out = {k.value: 0 for k in ForKind}
    for r in loop_tree(func):
        if r.what == "loop":
            out[r.kind] += 1
    return out


class LoopNestView:
    """The loop-nest view as a notebook object: displays as ``loopnest_html`` (HTML only, so it
    shows the same everywhere, iteration-space grid included), prints as the loop-nest text.

    >>> import workbench as wb
    >>> from workbench import te
    >>> A = te.placeholder((4,), name="A"); B = te.compute((4,), lambda i: A[i] + 1.0, name="B")
    >>> s = te.create_schedule(B.op)
    >>> "wbv-looptree" in LoopNestView(wb.lower(s, [A, B]), s)._repr_html_()
    True
    """

    def __init__(self, func, schedule=None, title: str = ""):
        self.func, self.schedule, self.title = _func_of(func), schedule, title

    def _repr_html_(self) -> str:
        return loopnest_html(self.func, self.schedule, title=self.title)

    def __repr__(self):
        return func_str(self.func)
