"""schedule_pool: max/avg pool2d with padding, strides, ceil mode and count_include_pad; global pools."""
import pytest

from workbench import te, topi
from workbench.graph.op.schedules import schedule_pool

CASES = [((1, 8, 56, 56), dict(kernel=3, stride=2, padding=1)), ((2, 3, 9, 11), dict(kernel=2, stride=2)),
         ((1, 4, 7, 7), dict(kernel=3, stride=1, padding=1)), ((1, 1, 1, 1), dict(kernel=1)),
         ((1, 5, 10, 19), dict(kernel=3, stride=2, ceil_mode=True)),
         ((1, 2, 8, 8), dict(kernel=(2, 3), stride=(1, 2), padding=(1, 1), dilation=2)),
         # a block's padded window wider than 64 columns: the pad stage must not be vectorized
         ((1, 2, 9, 300), dict(kernel=7, stride=4, padding=3))]


@pytest.mark.parametrize("shape,kw", CASES)
def test_max_pool(check, shape, kw):
    x = te.placeholder(shape, name="x")
    y = topi.max_pool2d(x, **kw)
    check(schedule_pool, [y], [x], anchor=y)


@pytest.mark.parametrize("shape,kw", CASES)
@pytest.mark.parametrize("include_pad", [False, True])
def test_avg_pool_with_epilogue(check, shape, kw, include_pad):
    x = te.placeholder(shape, name="x")
    y = topi.avg_pool2d(x, count_include_pad=include_pad, **kw)
    check(schedule_pool, [topi.relu(y)], [x], anchor=y)


@pytest.mark.parametrize("shape", [(1, 64, 7, 7), (2, 3, 1, 5)])
def test_global_pools(check, shape):
    x = te.placeholder(shape, name="x")
    y = topi.global_avg_pool2d(x)
    check(schedule_pool, [topi.reshape(y, (shape[0], shape[1]))], [x], anchor=y)
    y = topi.global_max_pool2d(x)
    check(schedule_pool, [y], [x], anchor=y)


@pytest.mark.parametrize("shape,kw", [((1, 2, 23, 23, 16), dict(kernel=3, stride=2, padding=1)),
                                      ((1, 1, 9, 11, 16), dict(kernel=2, stride=2, ceil_mode=True)),
                                      ((2, 1, 7, 7, 16), dict(kernel=3, stride=1))])
def test_max_pool_of_blocked_channels(check, shape, kw):
    """NCHW16c data (pass block_layout): 16-lane vectors in register blocks, the padded window per block."""
    x = te.placeholder(shape, name="x")
    y = topi.max_pool2d(x, **kw)
    assert y.shape[4] == 16
    check(schedule_pool, [y], [x], anchor=y)


def test_global_avg_pool_of_blocked_channels(check):
    x = te.placeholder((1, 2, 7, 7, 16), name="x")
    y = topi.global_avg_pool2d(x)
    assert y.shape == (1, 2, 1, 1, 16)
    check(schedule_pool, [y], [x], anchor=y)
