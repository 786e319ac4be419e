"""Property-based tests (hypothesis): broadcasting, reshape and transpose over random shapes."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench import te, topi
from workbench.te.reference import evaluate


@st.composite
def broadcastable_pair(draw):
    out = draw(st.lists(st.integers(1, 4), min_size=1, max_size=4))

    def operand():
        rank = draw(st.integers(0, len(out)))
        return tuple(1 if draw(st.booleans()) else n for n in out[len(out) - rank:])

    a, b = operand(), operand()
    return a or (1,), b or (1,)


@settings(max_examples=40)
@given(broadcastable_pair(), st.integers(0, 2**31 - 1))
def test_broadcast_add_matches_numpy(shapes, seed):
    rng = np.random.default_rng(seed)
    a_t, b_t = te.placeholder(shapes[0], name="a"), te.placeholder(shapes[1], name="b")
    a, b = rng.standard_normal(shapes[0]).astype("float32"), rng.standard_normal(shapes[1]).astype("float32")
    y = topi.subtract(a_t, b_t)
    assert y.shape == np.broadcast_shapes(shapes[0], shapes[1])
    np.testing.assert_array_equal(evaluate([y], {a_t: a, b_t: b})[0], a - b)


@settings(max_examples=40)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=4), st.data())
def test_reshape_transpose_roundtrip(shape, data):
    shape = tuple(shape)
    perm = tuple(data.draw(st.permutations(range(len(shape)))))
    size = int(np.prod(shape))
    divisors = [d for d in range(1, size + 1) if size % d == 0]
    lead = data.draw(st.sampled_from(divisors))
    x = te.placeholder(shape, name="x")
    a = np.arange(size, dtype="float32").reshape(shape)
    y = topi.reshape(topi.transpose(x, perm), (lead, -1))
    np.testing.assert_array_equal(evaluate([y], {x: a})[0], np.transpose(a, perm).reshape(lead, -1))
