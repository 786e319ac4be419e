"""schedule_reduce: sum/max/min/prod/mean over chosen axes, with prologue and epilogue, full reductions
(split into parallel partial results) and global pooling."""
import pytest
from hypothesis import given, settings, strategies as st

from workbench import te, topi
from workbench.graph.op.schedules import schedule_reduce
from schedule_check import run_and_compare

CASES = [((64, 300), 1), ((5, 7, 9), None), ((1000,), 0), ((3, 40, 50), 0), ((2, 3, 4, 5), (1, 3)),
         ((100000,), None), ((7, 1), 1), ((1, 1), None), ((4, 33), -1)]


@pytest.mark.parametrize("shape,axis", CASES)
@pytest.mark.parametrize("op", ["sum", "max", "min", "mean"])
def test_reduce_with_prologue_and_epilogue(check, shape, axis, op):
    x = te.placeholder(shape, name="x")
    red = getattr(topi, op)(topi.exp(x) if op in ("sum", "mean") else x, axis=axis)
    out = topi.relu(topi.multiply(red, red))
    check(schedule_reduce, [out], [x], anchor=red, rtol=1e-4, atol=1e-4)


def test_prod_keepdims(check):
    x = te.placeholder((6, 20), name="x")
    y = topi.prod(topi.add(topi.abs(x), x), axis=1, keepdims=True)  # values in [0, 2): a finite product
    check(schedule_reduce, [y], [x], anchor=y, rtol=1e-3, atol=1e-6)


@pytest.mark.parametrize("shape", [(1, 512, 7, 7), (2, 3, 5, 9), (1, 1, 1, 1)])
def test_global_pools(check, shape):
    x = te.placeholder(shape, name="x")
    check(schedule_reduce, [topi.global_avg_pool2d(x)], [x], anchor=None)
    check(schedule_reduce, [topi.global_max_pool2d(x)], [x], anchor=None)


@settings(max_examples=10)
@given(shape=st.lists(st.integers(1, 40), min_size=1, max_size=3), data=st.data())
def test_random_sums(shape, data):
    axes = data.draw(st.sets(st.integers(0, len(shape) - 1)))
    keep = data.draw(st.booleans())
    x = te.placeholder(tuple(shape), name="x")
    y = topi.sum(x, axis=tuple(sorted(axes)) or None, keepdims=keep)
    run_and_compare(schedule_reduce, [y], [x], anchor=y, rtol=1e-4, atol=1e-4)
