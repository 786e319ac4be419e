"""schedule_conv2d_packed: packed-kernel convs (strided, dilated, 1x1, odd sizes) with pad and epilogues,
checked against the te interpreter, for the default register block and random ones."""
import pytest
from hypothesis import given, settings, strategies as st

from workbench import te, topi
from workbench.graph.op.schedules import schedule_conv2d_packed
from workbench.graph.op.schedules.conv2d_packed import ACCUMULATORS, packed_blocking
from schedule_check import run_and_compare, with_epilogue

# (N, C, H, W, F, K, stride, padding, dilation)
CASES = [
    (1, 3, 23, 23, 16, 7, 2, 3, 1),          # ResNet stem, odd size
    (1, 16, 7, 7, 32, 3, 1, 1, 1),           # layer-4 shape: 7-wide rows
    (1, 8, 17, 19, 32, 3, 2, 1, 1),          # stride 2, non-square
    (2, 8, 9, 9, 16, 1, 1, 0, 1),            # 1x1, batch 2
    (1, 8, 10, 10, 48, 1, 2, 0, 1),          # 1x1 stride 2 (downsample), 3 kernel blocks
    (1, 8, 12, 12, 16, 3, 1, 2, 2),          # dilation
    (1, 1, 1, 1, 16, 1, 1, 0, 1),            # 1x1 image, 1 channel
    (1, 4, 5, 37, 16, 3, 1, (0, 1, 2, 1), 1),  # asymmetric pad, a prime-ish width (guarded tail)
]


def packed_group(N, C, H, W, F, K, stride, padding, dilation, epilogue="bias_relu"):
    x = te.placeholder((N, C, H, W), name="x")
    wp = te.placeholder((F // 16, C, K, K, 16), name="wp")
    conv = topi.conv2d_nchw_packed(x, wp, stride=stride, padding=padding, dilation=dilation)
    extra, out = with_epilogue(conv, epilogue)
    return [x, wp] + extra, conv, out


@pytest.mark.parametrize("case", CASES, ids=lambda c: "x".join(map(str, c[:6])) + f"_s{c[6]}")
def test_packed_conv_with_bias_relu(check, case):
    inputs, conv, out = packed_group(*case)
    check(schedule_conv2d_packed, [out], inputs, anchor=conv)


@pytest.mark.parametrize("epilogue", ["none", "residual"])
def test_packed_conv_epilogues(check, epilogue):
    inputs, conv, out = packed_group(1, 8, 13, 13, 32, 3, 1, 1, 1, epilogue)
    check(schedule_conv2d_packed, [out], inputs, anchor=conv)


def test_packed_conv_read_by_two_outputs(check):
    """The blocked stage is then stored whole, each block still accumulated in registers."""
    inputs, conv, out = packed_group(1, 8, 10, 10, 32, 3, 1, 1, 1)
    check(schedule_conv2d_packed, [conv, out], inputs, anchor=conv)


@pytest.mark.parametrize("shape, want", [((32, 7, 7), (2, 1, 7)), ((16, 14, 14), (1, 1, 14)),
                                         ((4, 56, 56), (1, 1, 14)), ((4, 112, 112), (1, 1, 14)),
                                         ((8, 1, 1), (8, 1, 1)), ((1, 5, 37), (1, 1, 14))])
def test_blocking_fills_the_accumulators(shape, want):
    fb, ohb, owb = packed_blocking(*shape)
    assert (fb, ohb, owb) == want
    assert fb * ohb * owb <= ACCUMULATORS


@settings(max_examples=12, deadline=None)
@given(fb=st.integers(1, 3), ohb=st.integers(1, 4), owb=st.integers(1, 9), stride=st.integers(1, 2),
       k=st.sampled_from([1, 3]), h=st.integers(3, 11))
def test_random_register_blocks_compute_the_conv(fb, ohb, owb, stride, k, h):
    inputs, conv, out = packed_group(1, 4, h, h + 2, 48, k, stride, k // 2, 1)
    run_and_compare(lambda outs, anchor: schedule_conv2d_packed(outs, anchor, blocking=(fb, ohb, owb)),
                    [out], inputs, anchor=conv)


def blocked_group(N, C, H, W, F, K, stride, padding, dilation, blocked_in=True, epilogue="bias_relu"):
    """The conv of pass block_layout: NCHW16c data (or NCHW), NCHW16c result, bias [F/16, 1, 1, 16]."""
    x = te.placeholder((N, C // 16, H, W, 16) if blocked_in else (N, C, H, W), name="x")
    wp = te.placeholder((F // 16, C, K, K, 16), name="wp")
    conv = topi.conv2d_nchw_packed(x, wp, stride=stride, padding=padding, dilation=dilation, out_blocked=True)
    inputs, out = [x, wp], conv
    if epilogue in ("bias_relu", "residual"):
        b = te.placeholder((F // 16, 1, 1, 16), name="b")
        inputs.append(b)
        out = topi.relu(topi.add(conv, b))
    if epilogue == "residual":
        r = te.placeholder(conv.shape, name="r")
        inputs.append(r)
        out = topi.relu(topi.add(out, r))
    return inputs, conv, out


@pytest.mark.parametrize("case, blocked_in, epilogue", [
    ((1, 3, 23, 23, 16, 7, 2, 3, 1), False, "bias_relu"),   # the stem: NCHW in, blocked out
    ((1, 32, 9, 9, 32, 3, 1, 1, 1), True, "residual"),
    ((1, 16, 10, 10, 48, 1, 2, 0, 1), True, "none"),       # downsample, no epilogue: stored via a local block
    ((1, 16, 5, 37, 16, 3, 1, (0, 1, 2, 1), 1), True, "bias_relu"),  # guarded tail
])
def test_blocked_conv(check, case, blocked_in, epilogue):
    inputs, conv, out = blocked_group(*case, blocked_in=blocked_in, epilogue=epilogue)
    check(schedule_conv2d_packed, [out], inputs, anchor=conv)


@settings(max_examples=8, deadline=None)
@given(fb=st.integers(1, 3), ohb=st.integers(1, 4), owb=st.integers(1, 9), stride=st.integers(1, 2),
       h=st.integers(3, 11))
def test_random_register_blocks_compute_the_blocked_conv(fb, ohb, owb, stride, h):
    inputs, conv, out = blocked_group(1, 32, h, h + 2, 48, 3, stride, 1, 1)
    run_and_compare(lambda outs, anchor: schedule_conv2d_packed(outs, anchor, blocking=(fb, ohb, owb)),
                    [out], inputs, anchor=conv)


@pytest.mark.parametrize("C, F, rows", [(64, 64, True), (256, 256, False)])
def test_threads_split_rows_while_the_weights_are_small(C, F, rows):
    """ResNet-18's layer-1 conv (weights 0.15 MB, input 0.8 MB) splits rows across the threads, its pad
    too; a layer-3 conv (weights 2.4 MB, input 0.2 MB, here at 28x28) splits output channels."""
    from workbench.lower import lower
    inputs, conv, out = blocked_group(1, C, 28, 28, F, 3, 1, 1, 1)
    text = str(lower(schedule_conv2d_packed([out], conv), inputs + [out], "k"))
    order = ("i0.i2.outer.i1.outer", "i0.i2.i1.fused") if rows else ("i0.i1.outer.i2.outer", "i0.i1.i2.fused")
    assert all(f"for {o}" in text for o in order), text[:1500]


def test_the_stem_pads_whole_rows_rows_first():
    """An RGB stem (NCHW data, its blocks holding every output channel) splits rows: its pad goes row by
    row, (n, h, c) in parallel and a serial loop over the row's vectors, each core padding what it reads."""
    from workbench.lower import lower
    x = te.placeholder((1, 3, 40, 40), name="x")
    wp = te.placeholder((4, 3, 7, 7, 16), name="wp")
    conv = topi.conv2d_nchw_packed(x, wp, stride=2, padding=3, out_blocked=True)
    out = topi.relu(conv)
    text = str(lower(schedule_conv2d_packed([out], conv), [x, wp, out], "k"))
    assert "for i0.i2.i1.fused in range(138):" in text, text[:800]  # 46 rows x 3 channels (too few to parallelize)
    assert "    for i3.outer in range(3):" in text
    run_and_compare(schedule_conv2d_packed, [out], [x, wp], anchor=conv)
