"""schedule_softmax and schedule_layer_norm: rows in parallel, statistics per row, any axis."""
import pytest

from workbench import te, topi
from workbench.graph.op.schedules import schedule_layer_norm, schedule_softmax

SHAPES = [(12, 128, 128), (4, 10), (3, 1), (2, 5, 7), (1, 1000), (1,), (2, 3, 4, 5)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("axis", [-1, 0])
@pytest.mark.parametrize("fn", [topi.softmax, topi.log_softmax])
def test_softmax(check, shape, axis, fn):
    x = te.placeholder(shape, name="x")
    y = fn(topi.multiply(x, x) if len(shape) > 1 else x, axis=axis)
    check(schedule_softmax, [y], [x], anchor=y, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("shape", SHAPES[:5])
def test_layer_norm_with_epilogue(check, shape):
    x = te.placeholder(shape, name="x")
    g, b = te.placeholder(shape[-1:], name="g"), te.placeholder(shape[-1:], name="b")
    y = topi.layer_norm(x, g, b)
    check(schedule_layer_norm, [topi.gelu(y)], [x, g, b], anchor=y, rtol=1e-3, atol=1e-4)


def test_layer_norm_two_axes_no_affine(check):
    x = te.placeholder((3, 4, 20), name="x")
    y = topi.layer_norm(x, None, None, axis=(-2, -1))
    check(schedule_layer_norm, [y], [x], anchor=y, rtol=1e-3, atol=1e-4)
