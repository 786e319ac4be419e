"""Every legality rule of every primitive: a ScheduleError that names stage, axis and reason,
and the schedule left unchanged."""
import pytest

from workbench import te
from workbench.errors import ScheduleError
from workbench.lower import lower


def mm(n=16):
    A = te.placeholder((n, n), name="A")
    B = te.placeholder((n, n), name="B")
    k = te.reduce_axis((0, n), name="k")
    C = te.compute((n, n), lambda i, j: te.sum(A[i, k] * B[k, j], axis=k), name="C")
    return A, B, C


def chain():
    A = te.placeholder((16,), name="A")
    B = te.compute((16,), lambda i: A[i] * 2.0, name="B")
    C = te.compute((16,), lambda i: B[i] + 1.0, name="C")
    D = te.compute((16,), lambda i: B[i] - 1.0, name="D")
    return A, B, C, D


def raises(match, fn):
    with pytest.raises(ScheduleError, match=match) as e:
        fn()
    return str(e.value)


def test_split_rules():
    A, B, C = mm()
    s = te.create_schedule(C.op)
    i, j = C.op.axis
    msg = raises("factor must be a positive int, got 0", lambda: s[C].split(i, factor=0))
    assert 'stage "C"' in msg and 'axis "i"' in msg
    raises("positive int", lambda: s[C].split(i, nparts=-2))
    raises("positive int", lambda: s[C].split(i, factor=2.5))
    raises("exactly one of", lambda: s[C].split(i))
    raises("exactly one of", lambda: s[C].split(i, factor=2, nparts=2))
    s[C].split(i, factor=4)
    raises("already split", lambda: s[C].split(i, factor=2))
    A2, B2, C2 = mm()
    raises("does not belong", lambda: s[C].split(C2.op.axis[0], factor=2))
    raises("placeholder", lambda: s[A].compute_inline())
    assert len(s.trace) == 1  # only the legal split was recorded


def test_split_after_annotation_and_attach():
    A, B, C, D = chain()
    s = te.create_schedule([C.op, D.op])
    io, ii = s[C].split(C.op.axis[0], factor=8)
    s[C].vectorize(ii)
    raises("already vectorized", lambda: s[C].split(ii, factor=2))


def test_fuse_rules():
    A, B, C = mm()
    s = te.create_schedule(C.op)
    i, j = C.op.axis
    k, = C.op.reduce_axis
    raises("at least two", lambda: s[C].fuse(i))
    raises("adjacent", lambda: s[C].fuse(j, i))
    raises("data-parallel axis with a reduction", lambda: s[C].fuse(j, k))
    s[C].reorder(i, k, j)
    raises("adjacent", lambda: s[C].fuse(i, j))
    raises("data-parallel axis with a reduction", lambda: s[C].fuse(k, j))


def test_reorder_rules():
    A, B, C = mm()
    s = te.create_schedule(C.op)
    i, j = C.op.axis
    raises("given twice", lambda: s[C].reorder(i, i))
    _, _, C2 = mm()
    raises("does not belong", lambda: s[C].reorder(C2.op.axis[0], i))


def test_tile_rejects_same_axis():
    A, B, C = mm()
    s = te.create_schedule(C.op)
    i, j = C.op.axis
    raises("different axes", lambda: s[C].tile(i, i, 4, 4))
    raises("positive int", lambda: s[C].tile(i, j, 4, 0))
    assert s[C].leaf_iter_vars == [i, j, C.op.reduce_axis[0]]  # a failed tile changes nothing


def test_vectorize_parallel_unroll_rules():
    A, B, C = mm(128)
    s = te.create_schedule(C.op)
    i, j = C.op.axis
    k, = C.op.reduce_axis
    msg = raises("cannot vectorize a reduction axis", lambda: s[C].vectorize(k))
    assert 'axis "k"' in msg
    raises("cannot parallelize a reduction axis", lambda: s[C].parallel(k))
    s2 = te.create_schedule(C.op)
    s2[C].vectorize(j)  # the lane count is only known after bound inference: checked by lower
    raises("more than 64 lanes", lambda: lower(s2, [A, B, C]))
    s3 = te.create_schedule(C.op)
    s3[C].unroll(s3[C].fuse(*C.op.axis))
    raises("too large to unroll", lambda: lower(s3, [A, B, C]))
    jo, ji = s[C].split(j, factor=8)
    s[C].vectorize(ji)
    raises("already vectorized", lambda: s[C].parallel(ji))


def test_pragma_rules():
    A, B, C = mm()
    s = te.create_schedule(C.op)
    i = C.op.axis[0]
    raises("unknown pragma", lambda: s[C].pragma(i, "unroll_everything", 1))
    raises("non-negative int", lambda: s[C].pragma(i, "auto_unroll_max_step", -1))


def test_compute_at_rules():
    A, B, C, D = chain()
    s = te.create_schedule([C.op, D.op])
    i = C.op.axis[0]
    raises("must be a stage", lambda: s[B].compute_at(C, i))
    raises("to itself", lambda: s[B].compute_at(s[B], B.op.axis[0]))
    raises("output", lambda: s[C].compute_at(s[D], D.op.axis[0]))
    raises("not a loop of target", lambda: s[B].compute_at(s[C], D.op.axis[0]))
    raises("placeholder", lambda: s[A].compute_at(s[C], i))
    io, ii = s[C].split(i, factor=4)
    s[C].vectorize(ii)
    raises("vectorized", lambda: s[B].compute_at(s[C], ii))
    # attached inside C, but D reads B outside C's loop: caught when lowering
    s[B].compute_at(s[C], io)
    raises('stage "D" reads it outside that loop', lambda: lower(s, [A, C, D]))


def test_compute_at_target_must_read():
    A = te.placeholder((8,), name="A")
    B = te.compute((8,), lambda i: A[i] + 1.0, name="B")
    C = te.compute((8,), lambda i: A[i] * 2.0, name="C")
    D = te.compute((8,), lambda i: B[i] * 3.0, name="D")
    s = te.create_schedule([C.op, D.op])
    raises("does not read this stage", lambda: s[B].compute_at(s[C], C.op.axis[0]))
    s[B].compute_at(s[D], D.op.axis[0])


def test_compute_inline_rules():
    A, B, C = mm()
    R = te.compute((16,), lambda i: C[i, 0] * 2.0, name="R")
    s = te.create_schedule(R.op)
    raises("output", lambda: s[R].compute_inline())
    raises("cannot inline a reduction", lambda: s[C].compute_inline())
    A2, B2, C2, D2 = chain()
    s2 = te.create_schedule([C2.op, D2.op])
    s2[B2].split(B2.op.axis[0], factor=2)
    raises("loop transformations", lambda: s2[B2].compute_inline())


def test_inlined_stage_has_no_loops():
    A, B, C, D = chain()
    s = te.create_schedule([C.op, D.op])
    s[B].compute_inline()
    raises("inlined", lambda: s[B].split(B.op.axis[0], factor=2))
    raises("inlined", lambda: s[B].compute_at(s[C], C.op.axis[0]))
    s[B].compute_root()
    s[B].split(B.op.axis[0], factor=2)


def test_dataflow_rules():
    A, B, C = mm()
    s = te.create_schedule(C.op)
    X = te.placeholder((4,), name="X")
    Y = te.compute((4,), lambda i: X[i] + 1.0, name="Y")
    raises("not part of this schedule", lambda: s[Y])
    s2 = te.create_schedule(Y.op)
    raises('"A" does not read "A"', lambda: s.cache_read(A, "local", [A]))
    raises("placeholder", lambda: s.cache_write(A, "local"))
    raises("not a reduction", lambda: s2.rfactor(Y, Y.op.axis[0]))
    raises("not a reduction loop", lambda: s.rfactor(C, C.op.axis[0]))
    raises("factor_axis", lambda: s.rfactor(C, C.op.reduce_axis[0], factor_axis=5))
    s[C].split(C.op.axis[0], factor=4)
    raises("before scheduling", lambda: s.cache_write(C, "local"))


def test_lower_argument_errors():
    from workbench.errors import LoweringError
    A, B, C = mm()
    s = te.create_schedule(C.op)
    with pytest.raises(LoweringError, match='output "C" is not in the argument list'):
        lower(s, [A, B])
    with pytest.raises(LoweringError, match='placeholder "B"'):
        lower(s, [A, C])
    with pytest.raises(LoweringError, match="must be tensors"):
        lower(s, [A, B, "C"])


def three_stage():
    A = te.placeholder((16,), name="A")
    B = te.compute((16,), lambda i: A[i] * 2.0, name="B")
    k = te.reduce_axis((0, 4), name="k")
    C = te.compute((16,), lambda i: te.sum(B[(i + k) % 16], axis=k), name="C")
    D = te.compute((16,), lambda i: C[i] + 1.0, name="D")
    return A, B, C, D


def test_compute_at_cycle_is_rejected():
    A, B, C, D = three_stage()
    s = te.create_schedule(D.op)
    s[C].compute_at(s[D], D.op.axis[0])
    s[B].compute_at(s[C], C.op.axis[0])
    # C reads B, so B's loops can never contain C
    raises("does not read this stage", lambda: s[C].compute_at(s[B], B.op.axis[0]))


def test_attached_stages_block_restructuring():
    A, B, C, D = three_stage()
    s = te.create_schedule(D.op)
    s[B].compute_at(s[C], C.op.axis[0])
    raises("attached", lambda: s.rfactor(C, C.op.reduce_axis[0]))
    raises("before scheduling", lambda: s.cache_write(C, "local"))
    raises("attached at this axis", lambda: s[C].split(C.op.axis[0], factor=4))
    E = te.compute((16,), lambda i: B[i] * 3.0, name="E")
    F = te.compute((16,), lambda i: E[i] + E[(i + 1) % 16], name="F")
    s2 = te.create_schedule(F.op)
    s2[B].compute_at(s2[E], E.op.axis[0])
    raises("attached to this stage", lambda: s2[E].compute_inline())
