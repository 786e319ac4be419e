"""The iteration space of a loop nest, drawn: which output element is computed when.

The store that writes the chosen buffer is found in the lowered function; its indices are
evaluated (with numpy) over every iteration of the data loops around it, in loop order, so
each element gets the step at which it is first written. An SVG grid (the last two buffer
dimensions, other dimensions at 0) colours each cell from dark (early) to yellow (late):
row-major order shows as horizontal bands, tiling as square blocks, a reordering as columns.
Large buffers are drawn as at most ``max_cells`` cells per side, each cell a block of elements.

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


def iteration_space_svg(func: PrimFunc, buffer: str | None = None, max_cells: int = 32, cell: int = 10) -> str:
    """An SVG grid of the visit order (see ``visit_order``) of the last two dimensions of ``buffer``.

    >>> import workbench as wb
    >>> from workbench import te
    >>> A = te.placeholder((4, 4), name="A"); B = te.compute((4, 4), lambda i, j: A[i, j] + 1.0, name="B")
    >>> iteration_space_svg(wb.lower(te.create_schedule(B.op), [A, B])).startswith("<svg")
    True
    """
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
    big = np.iinfo(np.int64).max
    first = np.where(blocks >= 0, blocks, big).min(axis=2)
    seen = first[first < big]
    hi = max(int(seen.max()) if seen.size else 1, 1)
    # rank the cells, so colours spread evenly even when steps cluster
    ranks = np.zeros_like(first, dtype=float)
    flat = first.ravel()
    valid = flat < big
    ranks.ravel()[valid] = np.argsort(np.argsort(flat[valid])) / max(valid.sum() - 1, 1)
    top, left = 18, 4
    w, h = left + nc * cell + 4, top + nr * cell + 22
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="wbv-iterspace" width="{w}" height="{h}" '
           f'viewBox="0 0 {w} {h}" font-family="Helvetica, Arial, sans-serif" font-size="10">']
    block = f" (each cell {br}×{bc} elements)" if br * bc > 1 else ""
    out.append(f'<text x="{left}" y="12">{html.escape(name)}{list(full_shape)}: visit order{html.escape(block)}</text>')
    for r in range(nr):
        for c in range(nc):
            v = first[r, c]
            fill = "#ffffff" if v == big else _ramp(ranks[r, c])
            tip = "never written" if v == big else f"element ({r * br}, {c * bc}) first written at step {v}"
            out.append(f'<rect x="{left + c * cell}" y="{top + r * cell}" width="{cell}" height="{cell}" '
                       f'fill="{fill}" stroke="#ffffff" stroke-width="0.5"><title>{tip}</title></rect>')
    y = top + nr * cell + 14
    for k in range(20):
        out.append(f'<rect x="{left + 30 + k * 4}" y="{y - 8}" width="4" height="8" fill="{_ramp(k / 19)}"/>')
    out.append(f'<text x="{left}" y="{y}">first</text><text x="{left + 34 + 80}" y="{y}">last ({hi + 1} steps)</text>')
    out.append("</svg>")
    return "".join(out)
