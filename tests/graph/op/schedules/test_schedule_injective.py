"""schedule_injective (and inline_injective): chains of elementwise, broadcast and layout ops, small and
big (parallel) tensors, several outputs."""
import pytest

from workbench import te, topi
from workbench.graph.op.schedules import inline_injective, schedule_injective
from workbench.schedule.stage import AttachKind


@pytest.mark.parametrize("shape", [(1,), (7,), (2, 8, 7, 37), (1, 64, 112, 112), (100003,), (3, 1, 1)])
def test_elementwise_chain(check, shape):
    x, y = te.placeholder(shape, name="x"), te.placeholder(shape[-1:], name="y")
    out = topi.sigmoid(topi.relu(topi.add(topi.multiply(x, y), x)))
    check(schedule_injective, [out], [x, y])


def test_layout_ops_and_two_outputs(check):
    x = te.placeholder((4, 6, 10), name="x")
    t = topi.transpose(topi.exp(x), (2, 0, 1))
    r = topi.reshape(t, (10, 24))
    check(schedule_injective, [r, topi.negative(t)], [x])


def test_pad_and_strided_slice(check):
    x = te.placeholder((2, 3, 9, 9), name="x")
    out = topi.strided_slice(topi.pad(x, (0, 0, 1, 2), (0, 0, 3, 0)), (0, 0, 1, 1), (2, 3, 12, 11), (1, 1, 2, 1))
    check(schedule_injective, [out], [x])


def test_inline_injective_keeps_outputs_reductions_and_kept():
    x = te.placeholder((4, 8), name="x")
    a = topi.exp(x)
    b = topi.sum(a, axis=1)
    c = topi.relu(b)
    d = topi.negative(c)
    s = te.create_schedule([d.op])
    inline_injective(s, keep=[c])
    assert s[a].attach is AttachKind.INLINE
    assert s[b].attach is AttachKind.ROOT and s[c].attach is AttachKind.ROOT and s[d].attach is AttachKind.ROOT


def test_short_vectors_get_a_serial_row_loop_per_parallel_iteration(check):
    """A channel-blocked pad ([.., W, 16]): parallel over (n, c, h), a serial loop over w, 16 lanes."""
    from workbench.lower import lower
    x = te.placeholder((1, 4, 30, 30, 16), name="x")
    out = topi.pad(x, (0, 0, 1, 1), (0, 0, 1, 1))
    check(schedule_injective, [out], [x])
    text = str(lower(schedule_injective([out]), [x, out], "pad"))
    assert "in parallel(128)" in text and "in range(32)" in text and "in vectorized(16)" in text
