"""The iteration space of a loop nest, drawn: which output element is computed when.

The store that writes the chosen buffer is found in the lowered function; its indices are
evaluated (with numpy) over every iteration of the data loops around it, in loop order, so
each element gets the step at which it is first written. An SVG grid (the last two buffer
dimensions, other dimensions at 0) colours each cell from dark (early) to yellow (late):
row-major order shows as horizontal bands, tiling as square blocks, a reordering as columns.
Large buffers are drawn as at most ``max_cells`` cells per side, each cell a block of elements.

Two drawings of the same grid: ``iteration_space_svg`` (a rectangle per cell, each with its own
tooltip) and ``iteration_space_html``, the compact one the loop-nest view uses: one ``<div>`` per
row of cells, painted by a CSS gradient (~10x smaller, and it survives the HTML sanitizer that
JupyterLab applies to a saved notebook's outputs, which removes inline SVG).

>>> import workbench as wb
>>> from workbench import te
>>> A = te.placeholder((8, 8), name="A"); B = te.compute((8, 8), lambda i, j: A[i, j] * 2.0, name="B")
>>> s = te.create_schedule(B.op); _ = s[B].tile(B.op.axis[0], B.op.axis[1], 4, 4)
>>> order = visit_order(wb.lower(s, [A, B]))
>>> bool(order[:4, :4].max() < order[4:, :].min())      # the first 4x4 tile is done before the rest
True
"""
from __future__ import annotations

import html
import math

import numpy as np

from ..errors import TypeCheckError, WorkbenchError
from ..tir import expr as E
from ..tir.stmt import Allocate, For, IfThenElse, PrimFunc, SeqStmt, Store

MAX_POINTS = 1 << 22  # more iterations than this are not enumerated
BIG = np.iinfo(np.int64).max  # "never written", while taking minimums
LEVELS = 48  # colours of the compact grid (the ramp quantized, so neighbouring cells of one colour merge)
# a viridis-like ramp, dark (first) to yellow (last)
RAMP = [(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)]

_OPS = {E.Add: np.add, E.Sub: np.subtract, E.Mul: np.multiply, E.FloorDiv: np.floor_divide,
        E.FloorMod: np.mod, E.Min: np.minimum, E.Max: np.maximum}


def _eval(e, env: dict):
    t = type(e)
    if t is E.IntImm:
        return e.value
    if t is E.Var:
        if e not in env:
            raise WorkbenchError(f"iteration space: index uses {e.name}, which is not a loop around the store")
        return env[e]
    if t in _OPS:
        return _OPS[t](_eval(e.a, env), _eval(e.b, env))
    if t is E.Div:
        return np.floor_divide(_eval(e.a, env), _eval(e.b, env))
    if t is E.Cast:
        return _eval(e.value, env)
    raise WorkbenchError(f"iteration space: cannot evaluate index expression {e!r} ({t.__name__})")


def _stores(s, loops: tuple, out: list) -> None:
    if isinstance(s, For):
        _stores(s.body, loops + (s,), out)
    elif isinstance(s, SeqStmt):
        for x in s.stmts:
            _stores(x, loops, out)
    elif isinstance(s, Allocate):
        _stores(s.body, loops, out)
    elif isinstance(s, IfThenElse):
        _stores(s.then_case, loops, out)
        if s.else_case is not None:
            _stores(s.else_case, loops, out)
    elif isinstance(s, Store):
        out.append((s, loops))


def _vars_of(e) -> set:
    from ..tir.functor import free_vars
    return set(free_vars(e))


def _output_buffer(func: PrimFunc):
    written = []
    _stores(func.body, (), written)
    names = [s.buffer.name for s, _ in written]
    for b in reversed(func.params):
        if b.name in names:
            return b
    raise WorkbenchError(f"iteration space: function {func.name!r} writes none of its parameters")


def visit_order(func: PrimFunc, buffer: str | None = None) -> np.ndarray:
    """For each element of ``buffer`` (default: the last parameter written), the step at which it is
    first written by the loop nest (0 first; -1 for elements never written).

    The main store to the buffer is its last one in program order (a reduction's update, not its
    init); loops that do not appear in its indices (reduction loops) are left out.
    """
    if not isinstance(func, PrimFunc):
        raise TypeCheckError(f"visit_order: expected a lowered function (wb.lower(...)), got {type(func).__name__}")
    buf = _output_buffer(func) if buffer is None else next(
        (b for b in func.params if b.name == buffer), None)
    written: list = []
    _stores(func.body, (), written)
    mine = [(s, loops) for s, loops in written if buf is not None and s.buffer.name == buf.name]
    if not mine:
        raise WorkbenchError(f"visit_order: no store to buffer {buffer!r} in {func.name!r}; it writes "
                             + ", ".join(sorted({s.buffer.name for s, _ in written})))
    store, loops = mine[-1]
    used = set().union(*[_vars_of(i) for i in store.indices]) if store.indices else set()
    loops = [lp for lp in loops if lp.var in used]
    exts = []
    for lp in loops:
        if not isinstance(lp.extent, E.IntImm) or not isinstance(lp.min, E.IntImm):
            raise WorkbenchError(f"visit_order: loop {lp.var.name} has a non-constant range")
        exts.append(lp.extent.value)
    total = math.prod(exts)
    if total > MAX_POINTS:
        raise WorkbenchError(f"visit_order: {total} iterations are too many to draw (max {MAX_POINTS}); "
                             "draw a smaller instance of the computation")
    grids = np.indices(exts, dtype=np.int64).reshape(len(exts), -1) if exts else np.zeros((0, 1), np.int64)
    env = {lp.var: grids[k] + lp.min.value for k, lp in enumerate(loops)}
    idx = [np.broadcast_to(np.asarray(_eval(i, env), dtype=np.int64), (max(total, 1),)) for i in store.indices]
    shape = tuple(buf.shape)
    ok = np.ones(max(total, 1), bool)
    for d, i in enumerate(idx):
        ok &= (i >= 0) & (i < shape[d])
    step = np.arange(max(total, 1))[ok]
    flat = np.ravel_multi_index(tuple(i[ok] for i in idx), shape) if shape else np.zeros(len(step), np.int64)
    order = np.full(math.prod(shape), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(order, flat, step)
    order[order == np.iinfo(np.int64).max] = -1
    return order.reshape(shape)


def _ramp(t: float) -> str:
    t = min(max(t, 0.0), 1.0) * (len(RAMP) - 1)
    k = min(int(t), len(RAMP) - 2)
    f = t - k
    r, g, b = (round(a + (c - a) * f) for a, c in zip(RAMP[k], RAMP[k + 1]))
    return f"#{r:02x}{g:02x}{b:02x}"


def _cells(func: PrimFunc, buffer: str | None, max_cells: int):
    """The grid to draw: ``(name, full shape, first step per cell or BIG, rank per cell in [0, 1],
    elements per cell (rows, cols), steps in all)``."""
    order = visit_order(func, buffer)
    name = buffer or _output_buffer(func).name
    full_shape = order.shape
    while order.ndim > 2:
        order = order[0]
    if order.ndim == 1:
        order = order[None, :]
    if order.ndim == 0:
        order = order.reshape(1, 1)
    rows, cols = order.shape
    br, bc = math.ceil(rows / max_cells), math.ceil(cols / max_cells)  # elements per drawn cell
    nr, nc = math.ceil(rows / br), math.ceil(cols / bc)
    pad = np.full((nr * br, nc * bc), -1, dtype=np.int64)
    pad[:rows, :cols] = order
    blocks = pad.reshape(nr, br, nc, bc).swapaxes(1, 2).reshape(nr, nc, br * bc)
    first = np.where(blocks >= 0, blocks, BIG).min(axis=2)
    seen = first[first < BIG]
    hi = max(int(seen.max()) if seen.size else 1, 1)
    # rank the cells, so colours spread evenly even when steps cluster
    ranks = np.zeros_like(first, dtype=float)
    flat = first.ravel()
    valid = flat < BIG
    ranks.ravel()[valid] = np.argsort(np.argsort(flat[valid])) / max(valid.sum() - 1, 1)
    return name, full_shape, first, ranks, (br, bc), hi + 1


def iteration_space_html(func: PrimFunc, buffer: str | None = None, max_cells: int = 32, cell: int = 10) -> str:
    """The visit-order grid (see ``visit_order``) as compact HTML: a gradient-painted ``<div>`` per
    row of cells, whose tooltip gives the steps that row's elements are first written at.
    (One plain gradient per row: JupyterLab's sanitizer drops layered or repeating backgrounds.)

    Plain ``<div>``s with inline styles: it renders the same live, in a saved notebook opened
    without trusting it (JupyterLab then strips inline SVG), on GitHub and in exported HTML.

    >>> import workbench as wb
    >>> from workbench import te
    >>> A = te.placeholder((4, 4), name="A"); B = te.compute((4, 4), lambda i, j: A[i, j] + 1.0, name="B")
    >>> html_text = iteration_space_html(wb.lower(te.create_schedule(B.op), [A, B]))
    >>> html_text.count("wbv-iterspace-row")
    4
    """
    name, full_shape, first, ranks, (br, bc), steps = _cells(func, buffer, max_cells)
    nr, nc = first.shape
    width = nc * cell
    out = ['<div class="wbv-iterspace" style="font-family:Helvetica, Arial, sans-serif; font-size:10px; '
           'line-height:1.3; padding:0 4px">']
    block = f" (each cell {br}×{bc} elements)" if br * bc > 1 else ""
    out.append(f"<div>{html.escape(name)}{list(full_shape)}: visit order{html.escape(block)}</div>")
    for r in range(nr):
        stops, c = [], 0
        while c < nc:  # runs of one colour become one stop
            fill = _level_color(first[r, c], ranks[r, c])
            e = c + 1
            while e < nc and _level_color(first[r, e], ranks[r, e]) == fill:
                e += 1
            stops.append(f"{fill} {c * cell}px {e * cell}px")
            c = e
        written = first[r][first[r] < BIG]
        rows_of = f"row {r * br}" if br == 1 else f"rows {r * br}–{(r + 1) * br - 1}"
        tip = (f"{rows_of}: first written at steps {int(written.min())}–{int(written.max())}" if written.size
               else f"{rows_of}: never written")
        paint = stops[0].split(" ")[0] if len(stops) == 1 else f"linear-gradient(90deg, {', '.join(stops)})"
        out.append(f'<div class="wbv-iterspace-row" title="{tip}" style="width:{width}px; height:{cell - 1}px; '
                   f'margin-top:1px; background:{paint}"></div>')
    ramp = ", ".join(_ramp(k / (len(RAMP) - 1)) for k in range(len(RAMP)))
    out.append('<div style="margin-top:4px; white-space:nowrap">first '
               f'<span style="display:inline-block; width:80px; height:8px; vertical-align:middle; '
               f'background:linear-gradient(90deg, {ramp})"></span> last ({steps} steps)</div>')
    out.append("</div>")
    return "".join(out)


def _level_color(first: int, rank: float) -> str:
    if first == BIG:
        return "#ffffff"
    return _ramp(round(rank * (LEVELS - 1)) / (LEVELS - 1))


def iteration_space_svg(func: PrimFunc, buffer: str | None = None, max_cells: int = 32, cell: int = 10) -> str:
    """An SVG grid of the visit order (see ``visit_order``) of the last two dimensions of ``buffer``.

    >>> import workbench as wb
    >>> from workbench import te
    >>> A = te.placeholder((4, 4), name="A"); B = te.compute((4, 4), lambda i, j: A[i, j] + 1.0, name="B")
    >>> iteration_space_svg(wb.lower(te.create_schedule(B.op), [A, B])).startswith("<svg")
    True
    """
    name, full_shape, first, ranks, (br, bc), steps = _cells(func, buffer, max_cells)
    nr, nc = first.shape
    top, left = 18, 4
    w, h = left + nc * cell + 4, top + nr * cell + 22
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="wbv-iterspace" width="{w}" height="{h}" '
           f'viewBox="0 0 {w} {h}" font-family="Helvetica, Arial, sans-serif" font-size="10">']
    block = f" (each cell {br}×{bc} elements)" if br * bc > 1 else ""
    out.append(f'<text x="{left}" y="12">{html.escape(name)}{list(full_shape)}: visit order{html.escape(block)}</text>')
    for r in range(nr):
        for c in range(nc):
            v = first[r, c]
            fill = "#ffffff" if v == BIG else _ramp(ranks[r, c])
            tip = "never written" if v == BIG else f"element ({r * br}, {c * bc}) first written at step {v}"
            out.append(f'<rect x="{left + c * cell}" y="{top + r * cell}" width="{cell}" height="{cell}" '
                       f'fill="{fill}" stroke="#ffffff" stroke-width="0.5"><title>{tip}</title></rect>')
    y = top + nr * cell + 14
    for k in range(20):
        out.append(f'<rect x="{left + 30 + k * 4}" y="{y - 8}" width="4" height="8" fill="{_ramp(k / 19)}"/>')
    out.append(f'<text x="{left}" y="{y}">first</text><text x="{left + 34 + 80}" y="{y}">last ({steps} steps)</text>')
    out.append("</svg>")
    return "".join(out)
