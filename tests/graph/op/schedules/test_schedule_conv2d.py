"""schedule_conv2d: regular, grouped, depthwise and 1x1 NCHW convs with pad and epilogues, checked
against the te interpreter over many shapes."""
import pytest
from hypothesis import given, settings, strategies as st

from workbench import te, topi
from workbench.graph.op.schedules import schedule_conv2d
from workbench.graph.op.schedules.conv2d import conv_blocking
from schedule_check import run_and_compare, with_epilogue

# (N, C, H, W, F, K, stride, padding, dilation, groups)
CASES = [
    (1, 3, 23, 23, 16, 7, 2, 3, 1, 1),     # ResNet stem, odd size
    (1, 16, 14, 14, 16, 3, 1, 1, 1, 1),
    (1, 8, 17, 19, 12, 3, 2, 1, 1, 1),     # stride 2, non-square, F not a multiple of 8
    (2, 8, 9, 9, 8, 1, 1, 0, 1, 1),        # 1x1, batch 2
    (1, 8, 10, 10, 16, 1, 2, 0, 1, 1),     # 1x1 stride 2 (downsample)
    (1, 8, 12, 12, 8, 3, 1, 2, 2, 1),      # dilation
    (1, 8, 11, 11, 8, 3, 1, 1, 1, 8),      # depthwise
    (1, 8, 11, 11, 16, 3, 2, 1, 1, 8),     # depthwise, multiplier 2, stride 2
    (1, 8, 9, 9, 12, 3, 1, 1, 1, 4),       # grouped
    (1, 1, 1, 1, 1, 1, 1, 0, 1, 1),        # 1x1 image, 1 channel
    (1, 4, 5, 37, 5, 3, 1, (0, 1, 2, 1), 1, 1),  # asymmetric pad, width not a multiple of 16
    (1, 5, 7, 7, 9, 3, 1, 1, 1, 1),        # 7x7 (odd rows with guarded row blocks)
]


def conv_group(N, C, H, W, F, K, stride, padding, dilation, groups, epilogue="bias_relu"):
    x = te.placeholder((N, C, H, W), name="x")
    w = te.placeholder((F, C // groups, K, K), name="w")
    conv = topi.conv2d_nchw(x, w, stride=stride, padding=padding, dilation=dilation, groups=groups)
    extra, out = with_epilogue(conv, epilogue)
    return [x, w] + extra, conv, out


@pytest.mark.parametrize("case", CASES, ids=lambda c: "x".join(map(str, c[:6])) + f"_s{c[6]}_g{c[9]}")
def test_conv2d_with_bias_relu(check, case):
    inputs, conv, out = conv_group(*case)
    check(schedule_conv2d, [out], inputs, anchor=conv, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("epilogue", ["none", "residual"])
def test_conv2d_epilogues(check, epilogue):
    inputs, conv, out = conv_group(1, 8, 13, 13, 16, 3, 1, 1, 1, 1, epilogue)
    check(schedule_conv2d, [out], inputs, anchor=conv)


def test_conv2d_anchor_is_also_an_output(check):
    inputs, conv, out = conv_group(1, 8, 10, 10, 8, 3, 1, 1, 1, 1)
    check(schedule_conv2d, [conv, out], inputs, anchor=conv)


def test_conv2d_prologue_and_reshape_epilogue(check):
    x = te.placeholder((1, 4, 9, 9), name="x")
    w = te.placeholder((8, 4, 3, 3), name="w")
    conv = topi.conv2d_nchw(topi.relu(x), w, padding=1)
    out = topi.reshape(topi.sigmoid(conv), (1, 8 * 81))
    check(schedule_conv2d, [out], [x, w], anchor=conv)


def test_blocking_fits_registers():
    for F, OH, OW, stride, dw in [(64, 56, 56, 1, False), (512, 7, 7, 1, False), (128, 28, 28, 2, False),
                                  (96, 112, 112, 1, True), (10, 3, 1000, 1, False)]:
        fb, ohb, owb = conv_blocking(F, OH, OW, stride, dw)
        assert owb <= 16 and fb * ohb <= 16 and F % fb == 0


@settings(max_examples=8)
@given(n=st.integers(1, 2), c=st.integers(1, 6), hw=st.integers(1, 12), f=st.integers(1, 10),
       k=st.sampled_from([1, 3]), stride=st.integers(1, 2), pad=st.integers(0, 1), depthwise=st.booleans())
def test_conv2d_random_shapes(n, c, hw, f, k, stride, pad, depthwise):
    if hw + 2 * pad < k:
        return
    groups = c if depthwise else 1
    f = c * (1 + f % 2) if depthwise else f
    inputs, conv, out = conv_group(n, c, hw, hw + 3, f, k, stride, pad, 1, groups)
    run_and_compare(schedule_conv2d, [out], inputs, anchor=conv)
