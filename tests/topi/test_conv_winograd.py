"""conv2d_winograd_nchw16c: Winograd's F(2x2) and F(4x4) 3x3 convs on NCHW16c data, numpy's direct conv as
reference, compiled with the default schedule."""
import numpy as np
import pytest

import workbench as wb
from workbench import te, topi
from workbench.errors import WorkbenchError
from workbench.graph.op.schedules import schedule_conv2d_winograd
from workbench.topi import numpy_ref
from workbench.topi.conv_winograd import winograd_conv_ref, winograd_matrices


def blocked(x):
    n, c, h, w = x.shape
    return np.ascontiguousarray(x.reshape(n, c // 16, 16, h, w).transpose(0, 1, 3, 4, 2))


@pytest.mark.parametrize("tile", [2, 4])
def test_the_matrices_compute_a_1d_correlation(rng, tile):
    bt, g, at = winograd_matrices(tile)
    d, w = rng.standard_normal(tile + 2), rng.standard_normal(3)
    want = [d[i:i + 3] @ w for i in range(tile)]
    np.testing.assert_allclose(at @ ((g @ w) * (bt @ d)), want, rtol=1e-12, atol=1e-12)


def test_other_tiles_and_kernels_are_refused():
    with pytest.raises(ValueError, match="tile must be one of"):
        winograd_matrices(3)
    with pytest.raises(ValueError, match="3x3"):
        topi.transform_conv_kernel(np.zeros((16, 4, 5, 5), "float32"), 2)


@pytest.mark.parametrize("tile", [2, 4])
def test_the_numpy_reference_is_the_direct_conv(rng, tile):
    x = rng.standard_normal((2, 3, 10, 6))
    w = rng.standard_normal((16, 3, 3, 3))
    got = winograd_conv_ref(x, topi.transform_conv_kernel(w, tile), tile)
    np.testing.assert_allclose(got, numpy_ref.conv2d_nchw(x, w, 1, 0, 1), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("tile, c, f, hw, padding, epilogue", [
    (4, 16, 32, 8, 1, "bias_relu"),
    (2, 32, 16, 6, 1, "none"),
    (4, 16, 16, 12, (1, 2, 1, 0), "residual"),
    (2, 16, 16, 10, 0, "bias_relu"),
])
def test_compiled_matches_numpy(rng, tile, c, f, hw, padding, epilogue):
    x = te.placeholder((2, c // 16, hw, hw, 16), name="x")
    u = te.placeholder((tile + 2, tile + 2, c, f // 16, 16), name="u")
    y = topi.conv2d_winograd_nchw16c(x, u, tile=tile, padding=padding)
    inputs, out = [x, u], y
    if epilogue != "none":
        b = te.placeholder((f // 16, 1, 1, 16), name="b")
        inputs.append(b)
        out = topi.relu(topi.add(y, b))
    if epilogue == "residual":
        r = te.placeholder(y.shape, name="r")
        inputs.append(r)
        out = topi.add(out, r)
    s = schedule_conv2d_winograd([out], y)
    kernel = wb.build(s, inputs + [out])
    xv = rng.standard_normal((2, c, hw, hw)).astype("float32")
    w = (rng.standard_normal((f, c, 3, 3)) * 0.2).astype("float32")
    arrays = [blocked(xv), topi.transform_conv_kernel(w, tile)]
    want = blocked(numpy_ref.conv2d_nchw(xv, w, 1, padding, 1))
    if epilogue != "none":
        arrays.append(rng.standard_normal((f // 16, 1, 1, 16)).astype("float32"))
        want = np.maximum(want + arrays[-1], 0)
    if epilogue == "residual":
        arrays.append(rng.standard_normal(y.shape).astype("float32"))
        want = want + arrays[-1]
    got = np.full(out.shape, np.nan, np.float32)
    kernel(*arrays, got)
    assert y.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * np.abs(want).max())


def test_the_output_transform_goes_into_the_epilogue_and_the_tile_positions_unroll():
    x = te.placeholder((1, 1, 10, 10, 16), name="x")
    u = te.placeholder((6, 6, 16, 1, 16), name="u")
    y = topi.conv2d_winograd_nchw16c(x, u, tile=4, padding=0)
    out = topi.relu(y)
    text = str(wb.lower(schedule_conv2d_winograd([out], y), [x, u, out]))
    assert "conv2d_winograd_v = allocate" in text and "conv2d_winograd_m = allocate" in text  # per block
    assert "relu[" in text and "conv2d_winograd[" not in text   # the transform is the epilogue's body
    assert text.count("in parallel(") == 1


def test_bad_shapes_are_named():
    x = te.placeholder((1, 1, 7, 7, 16), name="x")
    with pytest.raises(WorkbenchError, match="whole 4x4 tiles"):
        topi.conv2d_winograd_nchw16c(x, te.placeholder((6, 6, 16, 1, 16), name="u"), tile=4, padding=1)
    with pytest.raises(WorkbenchError, match=r"expected \[6, 6, 16, F/16, 16\]"):
        topi.conv2d_winograd_nchw16c(x, te.placeholder((4, 4, 16, 1, 16), name="u"), tile=4, padding=1)
    with pytest.raises(WorkbenchError, match="NCHW16c"):
        topi.conv2d_winograd_nchw16c(te.placeholder((1, 16, 8, 8), name="x"), te.placeholder((6, 6, 16, 1, 16)))
