"""Loop-nest views for every schedule primitive: well-formed HTML, loop rows that match the
lowered IR, and visit orders checked against orders worked out by hand."""
import numpy as np
import pytest

import workbench as wb
from workbench import te
from workbench.errors import TypeCheckError
from workbench.tir.stmt import For
from workbench.tir.functor import post_order_visit
from workbench.viz import highlight_python, iteration_space_svg, loop_kinds, loop_tree, loopnest_html, visit_order

from viewcheck import parse_xml

N = 16


def matmul(n=N):
    A = te.placeholder((n, n), name="A")
    B = te.placeholder((n, n), name="B")
    k = te.reduce_axis((0, n), name="k")
    C = te.compute((n, n), lambda i, j: te.sum(A[i, k] * B[k, j], axis=k), name="C")
    return A, B, C


def elemwise(n=N):
    A = te.placeholder((n, n), name="A")
    B = te.compute((n, n), lambda i, j: A[i, j] * 2.0, name="B")
    C = te.compute((n, n), lambda i, j: B[i, j] + 1.0, name="C")
    return A, B, C


def sched_split():
    A, B, C = matmul(); s = te.create_schedule(C.op); s[C].split(C.op.axis[0], factor=4); return s, [A, B, C]
def sched_tile():
    A, B, C = matmul(); s = te.create_schedule(C.op); s[C].tile(*C.op.axis, 4, 8); return s, [A, B, C]
def sched_fuse():
    A, B, C = matmul(); s = te.create_schedule(C.op); s[C].fuse(*C.op.axis); return s, [A, B, C]
def sched_reorder():
    A, B, C = matmul(); s = te.create_schedule(C.op); s[C].reorder(C.op.axis[1], C.op.axis[0]); return s, [A, B, C]
def sched_vectorize():
    A, B, C = matmul(); s = te.create_schedule(C.op); s[C].vectorize(C.op.axis[1]); return s, [A, B, C]
def sched_parallel():
    A, B, C = matmul(); s = te.create_schedule(C.op); s[C].parallel(C.op.axis[0]); return s, [A, B, C]
def sched_unroll():
    A, B, C = matmul(); s = te.create_schedule(C.op)
    ko, ki = s[C].split(C.op.reduce_axis[0], factor=4); s[C].unroll(ki); return s, [A, B, C]
def sched_pragma():
    A, B, C = matmul(); s = te.create_schedule(C.op)
    s[C].pragma(C.op.axis[0], "auto_unroll_max_step", 16); return s, [A, B, C]
def sched_compute_at():
    A, B, C = elemwise(); s = te.create_schedule(C.op); s[B].compute_at(s[C], C.op.axis[0]); return s, [A, C]
def sched_compute_inline():
    A, B, C = elemwise(); s = te.create_schedule(C.op); s[B].compute_inline(); return s, [A, C]
def sched_compute_root():
    A, B, C = elemwise(); s = te.create_schedule(C.op)
    s[B].compute_inline(); s[B].compute_root(); return s, [A, C]
def sched_cache_read():
    A, B, C = matmul(); s = te.create_schedule(C.op); s.cache_read(A, "local", [C]); return s, [A, B, C]
def sched_cache_write():
    A, B, C = matmul(); s = te.create_schedule(C.op); CC = s.cache_write(C, "local")
    io, jo, ii, ji = s[C].tile(*C.op.axis, 8, 8); s[CC].compute_at(s[C], jo); return s, [A, B, C]
def sched_rfactor():
    A, B, C = matmul(); s = te.create_schedule(C.op)
    ko, ki = s[C].split(C.op.reduce_axis[0], factor=4); s.rfactor(C, ki); return s, [A, B, C]


PRIMITIVES = {name[6:]: fn for name, fn in globals().items() if name.startswith("sched_")}


def test_every_primitive_is_covered():
    from workbench.widgets.schedule_editor import PRIMITIVES as ALL
    assert set(PRIMITIVES) == set(ALL)


@pytest.mark.parametrize("prim", sorted(PRIMITIVES))
def test_loopnest_view_for_every_primitive(prim):
    s, args = PRIMITIVES[prim]()
    f = wb.lower(s, args)
    html = loopnest_html(f, s, title=prim)
    parse_xml(html)
    assert "wbv-looptree" in html and "wbv-code" in html and "wbv-iterspace" in html
    rows = loop_tree(f, s)
    loops = []
    post_order_visit(f.body, lambda n: loops.append(n) if isinstance(n, For) else None)
    assert sorted(r.name for r in rows if r.what == "loop") == sorted(lp.var.name for lp in loops)
    stages = {st.name for st in s.stages}
    assert all(r.stage in stages for r in rows if r.what == "loop")
    kinds = loop_kinds(f)
    assert sum(kinds.values()) == len(loops)
    for lp in loops:  # every loop's kind and extent is shown
        assert f"{lp.kind.value}</span><b>{lp.var.name}</b>" in html


def test_stage_of_each_loop_with_and_without_the_schedule():
    s, args = sched_cache_write()
    f = wb.lower(s, args)
    exact = {(r.name, r.depth): r.stage for r in loop_tree(f, s) if r.what == "loop"}
    guessed = {(r.name, r.depth): r.stage for r in loop_tree(f) if r.what == "loop"}
    assert exact == guessed
    assert exact[("i.outer", 0)] == "C" and exact[("k", 4)] == "C.local"


def rank(order):
    return order.ravel().argsort().argsort().reshape(order.shape)


def test_visit_order_matches_hand_worked_orders():
    n = N
    row_major = np.arange(n * n).reshape(n, n)
    for prim in ("split", "fuse", "vectorize", "parallel", "unroll", "pragma"):
        s, args = PRIMITIVES[prim]()
        assert (rank(visit_order(wb.lower(s, args))) == row_major).all(), prim
    s, args = sched_reorder()
    assert (rank(visit_order(wb.lower(s, args))) == row_major.T).all()
    s, args = sched_tile()  # 4x8 tiles, tiles row-major, elements row-major inside a tile
    i, j = np.indices((n, n))
    expected = ((i // 4) * (n // 8) + j // 8) * 32 + (i % 4) * 8 + j % 8
    assert (rank(visit_order(wb.lower(s, args))) == expected).all()
    s, args = sched_cache_write()  # C is copied out in 8x8 tiles
    expected = ((i // 8) * (n // 8) + j // 8) * 64 + (i % 8) * 8 + j % 8
    assert (rank(visit_order(wb.lower(s, args))) == expected).all()


def test_visit_order_of_an_uneven_split_covers_every_element_once():
    A = te.placeholder((10, 7), name="A")
    B = te.compute((10, 7), lambda i, j: A[i, j] + 1.0, name="B")
    s = te.create_schedule(B.op)
    s[B].split(B.op.axis[1], factor=3)
    order = visit_order(wb.lower(s, [A, B]))
    assert sorted(order.ravel().tolist()) == sorted(set(order.ravel().tolist())) and (order >= 0).all()


def test_iteration_space_svg_blocks_large_buffers():
    s, args = sched_tile()
    A, B, C = matmul(256)
    s = te.create_schedule(C.op)
    s[C].tile(*C.op.axis, 32, 32)
    svg = iteration_space_svg(wb.lower(s, [A, B, C]), max_cells=32)
    parse_xml(svg)
    assert svg.count("<rect") == 32 * 32 + 20 and "each cell 8×8 elements" in svg


def test_highlight_keeps_the_text():
    import html
    import re
    s, args = sched_cache_write()
    text = str(wb.lower(s, args))
    out = highlight_python(text)
    assert html.unescape(re.sub(r"<[^>]+>", "", out)) == text
    assert "wbv-keyword" in out and "wbv-loop" in out and "wbv-number" in out


def test_kernel_view_and_bad_input():
    s, args = sched_vectorize()
    k = wb.build(s, args)
    assert "wbv-looptree" in loopnest_html(k)
    with pytest.raises(TypeCheckError, match="wb.lower"):
        loopnest_html(s)


def test_loopnest_view_object_shows_the_grid_and_prints_the_text():
    from workbench.viz import LoopNestView
    s, args = sched_tile()
    f = wb.lower(s, args)
    v = LoopNestView(f, s, title="tiled")
    html = v._repr_html_()
    parse_xml(html)
    assert "wbv-iterspace" in html and "tiled" in html and repr(v) == str(f)


@pytest.mark.parametrize("name", ["mlp", "transformer_encoder"])
def test_loopnest_view_of_every_kernel_of_a_dataset_model(name):
    from workbench.graph.passes import optimize
    from viewcheck import dataset_module
    exe = wb.compile(optimize(dataset_module(name)))
    for step in exe.steps:
        html = loopnest_html(step.kernel)
        parse_xml(html)
        assert "wbv-looptree" in html and ("wbv-iterspace" in html or "no iteration-space picture" in html)
