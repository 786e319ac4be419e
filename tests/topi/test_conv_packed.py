"""conv2d_nchw_packed and the kernel packing: the same convolution as conv2d_nchw, numpy as reference."""
import numpy as np
import pytest

from workbench import te, topi
from workbench.errors import WorkbenchError
from workbench.te.reference import evaluate
from workbench.topi import numpy_ref


def test_pack_and_unpack_are_inverse(rng):
    w = rng.standard_normal((48, 5, 3, 2)).astype("float32")
    wp = topi.pack_conv_kernel(w)
    assert wp.shape == (3, 5, 3, 2, 16) and wp.flags.c_contiguous
    assert wp[2, 4, 1, 0, 7] == w[2 * 16 + 7, 4, 1, 0]
    np.testing.assert_array_equal(topi.unpack_conv_kernel(wp), w)


def test_pack_needs_whole_kernel_blocks():
    with pytest.raises(ValueError, match="not a multiple of 16"):
        topi.pack_conv_kernel(np.zeros((24, 3, 3, 3), "float32"))


@pytest.mark.parametrize("stride, padding, dilation", [(1, 1, 1), (2, 3, 1), (1, (0, 1, 2, 1), 2), (2, 0, 1)])
def test_packed_conv_matches_numpy(rng, stride, padding, dilation):
    w = rng.standard_normal((32, 3, 3, 3)).astype("float32")
    x = te.placeholder((2, 3, 11, 9), name="x")
    wp = te.placeholder((2, 3, 3, 3, 16), name="wp")
    y = topi.conv2d_nchw_packed(x, wp, stride=stride, padding=padding, dilation=dilation)
    xv = rng.standard_normal(x.shape).astype("float32")
    got, = evaluate([y], {x: xv, wp: topi.pack_conv_kernel(w)})
    want = numpy_ref.conv2d_nchw(xv, w, stride, padding, dilation)
    assert y.shape == want.shape and y.name == "conv2d_packed_nchw"
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_packed_conv_names_a_channel_mismatch():
    x = te.placeholder((1, 4, 8, 8), name="x")
    with pytest.raises(WorkbenchError, match="has 4 channels but the packed kernel"):
        topi.conv2d_nchw_packed(x, te.placeholder((1, 3, 3, 3, 16), name="wp"))
    with pytest.raises(WorkbenchError, match="kernel"):
        topi.conv2d_nchw_packed(x, te.placeholder((16, 4, 3, 3), name="w"))


@pytest.mark.parametrize("stride, padding", [(1, 1), (2, (0, 1, 2, 1))])
def test_blocked_data_and_result_match_numpy(rng, stride, padding):
    """NCHW16c in (to_blocked), NCHW16c out (out_blocked=True), and back with from_blocked."""
    w = rng.standard_normal((32, 32, 3, 3)).astype("float32")
    x = te.placeholder((1, 32, 9, 10), name="x")
    wp = te.placeholder((2, 32, 3, 3, 16), name="wp")
    xb = topi.to_blocked(x)
    y = topi.conv2d_nchw_packed(xb, wp, stride=stride, padding=padding, out_blocked=True)
    back = topi.from_blocked(y)
    xv = rng.standard_normal(x.shape).astype("float32")
    got_b, got = evaluate([y, back], {x: xv, wp: topi.pack_conv_kernel(w)})
    want = numpy_ref.conv2d_nchw(xv, w, stride, padding, 1)
    assert xb.shape == (1, 2, 9, 10, 16) and y.shape == (1, 2) + want.shape[2:] + (16,)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(got_b[0, 1, :, :, 3], want[0, 19], rtol=1e-4, atol=1e-4)


def test_to_blocked_needs_whole_channel_blocks():
    with pytest.raises(WorkbenchError, match="not a multiple of 16 lanes"):
        topi.to_blocked(te.placeholder((1, 24, 4, 4), name="x"))
