"""Layout and indexing operators against numpy: transpose, reshape, concatenate, slice, take..."""
import numpy as np
import pytest

from workbench import te, topi
from workbench.te.reference import evaluate


def run(op_out, x, a):
    return evaluate([op_out], {x: a})[0]


@pytest.fixture
def x3(rng):
    x = te.placeholder((2, 3, 4), name="x")
    return x, rng.standard_normal(x.shape).astype("float32")


@pytest.mark.parametrize("axes", [None, (0, 1, 2), (2, 0, 1), (1, 2, 0), (-1, 0, -2)], ids=str)
def test_transpose(axes, x3):
    x, a = x3
    np.testing.assert_array_equal(run(topi.transpose(x, axes), x, a), np.transpose(a, axes))


@pytest.mark.parametrize("shape", [(24,), (4, 6), (6, -1), (3, 2, 4), (1, 24, 1), (2, 1, 3, 4), (8, 3)], ids=str)
def test_reshape(shape, x3):
    x, a = x3
    np.testing.assert_array_equal(run(topi.reshape(x, shape), x, a), a.reshape(shape))


def test_reshape_from_size_one_dims(rng):
    x = te.placeholder((1, 6, 1, 2), name="x")
    a = rng.standard_normal(x.shape).astype("float32")
    np.testing.assert_array_equal(run(topi.reshape(x, (3, 4)), x, a), a.reshape(3, 4))


@pytest.mark.parametrize("axis", [0, 1, 2, 3, -1])
def test_flatten(axis, x3):
    x, a = x3
    lead = int(np.prod(a.shape[:axis + 3 if axis < 0 else axis]))
    y = topi.flatten(x, axis)
    np.testing.assert_array_equal(run(y, x, a), a.reshape(lead, -1))


def test_expand_dims_and_squeeze(x3):
    x, a = x3
    np.testing.assert_array_equal(run(topi.expand_dims(x, 1), x, a), a[:, None])
    np.testing.assert_array_equal(run(topi.expand_dims(x, -1, 2), x, a), a[..., None, None])
    y = te.placeholder((1, 3, 1, 4), name="y")
    b = a[:1].reshape(1, 3, 1, 4)
    np.testing.assert_array_equal(run(topi.squeeze(y), y, b), b.reshape(3, 4))
    np.testing.assert_array_equal(run(topi.squeeze(y, axis=-2), y, b), b.reshape(1, 3, 4))


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concatenate(axis, rng):
    shapes = [[2, 3, 4], [2, 3, 4], [2, 3, 4]]
    for k, s in enumerate(shapes):
        s[axis] = k + 1
    ts = [te.placeholder(tuple(s), name=f"t{k}") for k, s in enumerate(shapes)]
    arrs = [rng.standard_normal(s).astype("float32") for s in shapes]
    y = topi.concatenate(ts, axis)
    np.testing.assert_array_equal(evaluate([y], dict(zip(ts, arrs)))[0], np.concatenate(arrs, axis))


def test_concatenate_single(x3):
    x, a = x3
    np.testing.assert_array_equal(run(topi.concatenate([x], 1), x, a), a)


SLICES = [
    ([0, 1], [2, 3], None, None),
    ([1], [3], [1], [2]),
    ([-1, 0, 3], [-3, 3, 0], [-1, 2, -2], None),
    ([0, 0], [100, 100], [2, 3], [2, 1]),
    ([-100], [100], [1], [-1]),
    ([2], [-100], [-1], [-2]),
]


@pytest.mark.parametrize("begin,end,strides,axes", SLICES, ids=str)
def test_strided_slice(begin, end, strides, axes, x3):
    x, a = x3
    index = [slice(None)] * 3
    for k, ax in enumerate(axes if axes is not None else range(len(begin))):
        index[ax] = slice(begin[k], end[k], strides[k] if strides else 1)
    y = topi.strided_slice(x, begin, end, strides, axes)
    np.testing.assert_array_equal(run(y, x, a), a[tuple(index)])
    assert topi.slice is topi.strided_slice


def test_split(x3):
    x, a = x3
    parts = topi.split(x, 2, axis=-1)
    got = evaluate(parts, {x: a})
    for g, e in zip(got, np.split(a, 2, axis=-1)):
        np.testing.assert_array_equal(g, e)
    parts = topi.split(x, [1], axis=1)
    got = evaluate(parts, {x: a})
    for g, e in zip(got, np.split(a, [1], axis=1)):
        np.testing.assert_array_equal(g, e)
    assert [p.name for p in parts] == ["split_0", "split_1"]


@pytest.mark.parametrize("axis", [0, 1, -1, None])
def test_take(axis, x3, rng):
    x, a = x3
    n = a.size if axis is None else a.shape[axis]
    ind = te.placeholder((2, 3), "int32", name="ind")
    iv = rng.integers(-n, n, ind.shape).astype("int32")
    y = topi.take(x, ind, axis=axis)
    np.testing.assert_array_equal(evaluate([y], {x: a, ind: iv})[0], np.take(a, iv, axis=axis))


def test_take_clamps_out_of_range(x3):
    x, a = x3
    ind = te.placeholder((3,), "int64", name="ind")
    iv = np.array([5, -9, 1])
    got = evaluate([topi.take(x, ind, axis=1)], {x: a, ind: iv})[0]
    np.testing.assert_array_equal(got, a[:, [2, 0, 1]])


def test_gather(x3, rng):
    x, a = x3
    ind = te.placeholder((2, 2, 4), "int64", name="ind")
    iv = rng.integers(-3, 3, ind.shape)
    got = evaluate([topi.gather(x, 1, ind)], {x: a, ind: iv})[0]
    np.testing.assert_array_equal(got, np.take_along_axis(a, np.where(iv < 0, iv + 3, iv), axis=1))


@pytest.mark.parametrize("before,after,value", [((1, 0, 2), (0, 2, 1), 0.0), ((0, 1), None, -1.5),
                                                 ((0, 0, 0), (0, 0, 0), 0.0), ((2,), (3,), float("-inf"))], ids=str)
def test_pad(before, after, value, x3):
    x, a = x3
    b = list(before) + [0] * (3 - len(before))
    f = list(after if after is not None else before) + [0] * (3 - len(after if after is not None else before))
    y = topi.pad(x, before, after, value)
    expected = np.pad(a, list(zip(b, f)), constant_values=value)
    np.testing.assert_array_equal(run(y, x, a), expected)
    assert y.name == "pad"
