"""2-D convolution: NCHW (also grouped and depthwise) and NHWC.

A convolution is a padding stage (``pad``, skipped when there is no padding)
followed by one reduction over input channels and kernel rows and columns::

    out[n, f, y, x] = sum(pad[n, g*C/G + rc, y*sh + ry*dh, x*sw + rx*dw] * kernel[f, rc, ry, rx])

where ``g = f // (F/G)`` is the group of output channel ``f``. ``out_dtype``
casts both operands before multiplying (int8 data accumulating in int32).

>>> from workbench import te, topi
>>> x = te.placeholder((1, 3, 16, 16), name="x"); w = te.placeholder((8, 3, 3, 3), name="w")
>>> y = topi.conv2d_nchw(x, w, stride=1, padding=1)    # [1, 8, 16, 16]
"""
from __future__ import annotations

from .. import te
from ..te.tensor import Tensor
from ._util import check_rank, check_tensor, fail, int_tuple, multiply_as, padding_2d, positive
from .padding import pad


def conv_output_size(op: str, size: int, kernel: int, stride: int, dilation: int, pad_lo: int, pad_hi: int) -> int:
    """Output length along one spatial axis; raises when the (dilated) kernel does not fit."""
    span = dilation * (kernel - 1) + 1
    padded = size + pad_lo + pad_hi
    if span > padded:
        fail(op, f"dilated kernel extent {span} is larger than the padded input extent {padded}")
    return (padded - span) // stride + 1


def _conv_args(op: str, stride, padding, dilation):
    stride = positive(op, int_tuple(op, stride, 2, "stride"), "stride")
    dilation = positive(op, int_tuple(op, dilation, 2, "dilation"), "dilation")
    return stride, padding_2d(op, padding), dilation


def nchw_window(op: str, data: Tensor, KH: int, KW: int, stride, padding, dilation) -> tuple:
    """What an NCHW conv of a ``KH x KW`` kernel needs of its data: ``(padded, (sh, sw), (dh, dw), OH, OW)``,
    ``padded`` being a ``pad`` stage (or ``data`` itself when there is no padding).

    >>> x = te.placeholder((1, 3, 9, 9), name="x")
    >>> nchw_window("conv", x, 3, 3, stride=2, padding=1, dilation=1)[1:]
    ((2, 2), (1, 1), 5, 5)
    """
    (sh, sw), (pt, pl, pb, pr), (dh, dw) = _conv_args(op, stride, padding, dilation)
    H, W = data.shape[2:4]  # NCHW, or channel-blocked NCHW16c
    OH = conv_output_size(op, H, KH, sh, dh, pt, pb)
    OW = conv_output_size(op, W, KW, sw, dw, pl, pr)
    padded = pad(data, (0, 0, pt, pl), (0, 0, pb, pr), 0, name="pad") if any((pt, pl, pb, pr)) else data
    return padded, (sh, sw), (dh, dw), OH, OW


def _check_groups(op: str, groups, channels: int, filters: int, kernel_channels: int, data: Tensor, kernel: Tensor):
    if not isinstance(groups, int) or groups <= 0:
        fail(op, f"groups must be a positive int, got {groups!r}")
    if channels % groups or filters % groups:
        fail(op, f"groups={groups} must divide the input channels ({channels}) and output channels ({filters}); "
                 f"data {list(data.shape)}, kernel {list(kernel.shape)}")
    if kernel_channels * groups != channels:
        fail(op, f"channel mismatch: data {list(data.shape)} has {channels} channels but kernel "
                 f"{list(kernel.shape)} expects {kernel_channels} per group x {groups} groups = "
                 f"{kernel_channels * groups}")


def conv2d_nchw(data: Tensor, kernel: Tensor, stride=1, padding=0, dilation=1, groups: int = 1,
                out_dtype: str | None = None, name: str = "conv2d") -> Tensor:
    """2-D convolution of ``data[N, C, H, W]`` with ``kernel[F, C/groups, KH, KW]`` -> ``[N, F, OH, OW]``.

    ``stride`` and ``dilation`` are an int or ``(h, w)``; ``padding`` is an int,
    ``(ph, pw)`` or ``(top, left, bottom, right)``. ``groups > 1`` is grouped
    convolution (ONNX Conv ``group``); ``groups == C`` with ``F == C*mult`` is depthwise.

    >>> x = te.placeholder((1, 4, 9, 9), name="x"); w = te.placeholder((6, 2, 3, 3), name="w")
    >>> y = conv2d_nchw(x, w, stride=2, padding=(1, 1, 0, 0), groups=2)   # [1, 6, 4, 4]
    """
    op = name
    check_tensor(op, data, "data")
    check_tensor(op, kernel, "kernel")
    check_rank(op, data, 4, "data", "NCHW")
    check_rank(op, kernel, 4, "kernel", "F, C/groups, KH, KW")
    _conv_args(op, stride, padding, dilation)  # argument errors before shape errors
    N, C, _, _ = data.shape
    F, CG, KH, KW = kernel.shape
    _check_groups(op, groups, C, F, CG, data, kernel)
    padded, (sh, sw), (dh, dw), OH, OW = nchw_window(op, data, KH, KW, stride, padding, dilation)
    rc = te.reduce_axis((0, CG), name="rc")
    ry = te.reduce_axis((0, KH), name="ry")
    rx = te.reduce_axis((0, KW), name="rx")
    fpg = F // groups

    def body(n, f, oh, ow):
        c = rc if groups == 1 else (f // fpg) * CG + rc
        a = padded[n, c, oh * sh + ry * dh, ow * sw + rx * dw]
        return te.sum(multiply_as(a, kernel[f, rc, ry, rx], out_dtype), axis=[rc, ry, rx])

    return te.compute((N, F, OH, OW), body, name=name)


def group_conv2d_nchw(data: Tensor, kernel: Tensor, stride=1, padding=0, dilation=1, groups: int = 1,
                      out_dtype: str | None = None, name: str = "group_conv2d") -> Tensor:
    """Grouped convolution (TVM's name): ``conv2d_nchw`` with ``groups``.

    >>> x = te.placeholder((1, 4, 8, 8), name="x"); w = te.placeholder((4, 2, 3, 3), name="w")
    >>> y = group_conv2d_nchw(x, w, padding=1, groups=2)   # [1, 4, 8, 8]
    """
    return conv2d_nchw(data, kernel, stride, padding, dilation, groups, out_dtype, name)


def depthwise_conv2d_nchw(data: Tensor, kernel: Tensor, stride=1, padding=0, dilation=1,
                          out_dtype: str | None = None, name: str = "depthwise_conv2d") -> Tensor:
    """Depthwise convolution: ``data[N, C, H, W]``, ``kernel[C*mult, 1, KH, KW]`` -> ``[N, C*mult, OH, OW]``.

    The kernel layout is ONNX's (a Conv with ``group=C``), not TVM's ``[C, mult, KH, KW]``:
    output channel ``f`` reads input channel ``f // mult``.

    >>> x = te.placeholder((1, 4, 8, 8), name="x"); w = te.placeholder((8, 1, 3, 3), name="w")
    >>> y = depthwise_conv2d_nchw(x, w, padding=1)   # [1, 8, 8, 8]
    """
    check_tensor(name, data, "data")
    check_tensor(name, kernel, "kernel")
    check_rank(name, data, 4, "data", "NCHW")
    check_rank(name, kernel, 4, "kernel", "C*multiplier, 1, KH, KW")
    if kernel.shape[1] != 1 or kernel.shape[0] % data.shape[1]:
        fail(name, f"kernel {list(kernel.shape)} must be [C*multiplier, 1, KH, KW] for data "
                   f"{list(data.shape)} with C={data.shape[1]}")
    return conv2d_nchw(data, kernel, stride, padding, dilation, data.shape[1], out_dtype, name)


def conv2d_nhwc(data: Tensor, kernel: Tensor, stride=1, padding=0, dilation=1, groups: int = 1,
                out_dtype: str | None = None, name: str = "conv2d_nhwc") -> Tensor:
    """2-D convolution of ``data[N, H, W, C]`` with ``kernel[KH, KW, C/groups, F]`` (HWIO) -> ``[N, OH, OW, F]``.

    Arguments as in ``conv2d_nchw``.

    >>> x = te.placeholder((1, 16, 16, 3), name="x"); w = te.placeholder((3, 3, 3, 8), name="w")
    >>> y = conv2d_nhwc(x, w, stride=2, padding=1)   # [1, 8, 8, 8]
    """
    op = name
    check_tensor(op, data, "data")
    check_tensor(op, kernel, "kernel")
    check_rank(op, data, 4, "data", "NHWC")
    check_rank(op, kernel, 4, "kernel", "KH, KW, C/groups, F")
    (sh, sw), (pt, pl, pb, pr), (dh, dw) = _conv_args(op, stride, padding, dilation)
    N, H, W, C = data.shape
    KH, KW, CG, F = kernel.shape
    _check_groups(op, groups, C, F, CG, data, kernel)
    OH = conv_output_size(op, H, KH, sh, dh, pt, pb)
    OW = conv_output_size(op, W, KW, sw, dw, pl, pr)
    padded = pad(data, (0, pt, pl, 0), (0, pb, pr, 0), 0, name="pad") if any((pt, pl, pb, pr)) else data
    ry = te.reduce_axis((0, KH), name="ry")
    rx = te.reduce_axis((0, KW), name="rx")
    rc = te.reduce_axis((0, CG), name="rc")
    fpg = F // groups

    def body(n, oh, ow, f):
        c = rc if groups == 1 else (f // fpg) * CG + rc
        a = padded[n, oh * sh + ry * dh, ow * sw + rx * dw, c]
        return te.sum(multiply_as(a, kernel[ry, rx, rc, f], out_dtype), axis=[ry, rx, rc])

    return te.compute((N, OH, OW, F), body, name=name)


def conv2d_transpose_nchw(data: Tensor, kernel: Tensor, stride=1, padding=0, dilation=1, groups: int = 1,
                          output_padding=0, out_dtype: str | None = None, name: str = "conv2d_transpose") -> Tensor:
    """Transposed convolution of ``data[N, C, H, W]`` with ``kernel[C, F/groups, KH, KW]`` (ONNX ConvTranspose).

    The output is ``[N, F, OH, OW]`` with ``OH = (H - 1) * sh + dh * (KH - 1) + 1 + output_padding_h - top - bottom``.
    Written as a stage ``{name}_dilate`` (the input spread ``stride`` apart and padded so that
    every tap is in range) and a stride-1 convolution with the flipped kernel::

        out[n, f, y, x] = sum(dilate[n, g*C/G + rc, y + ry*dh, x + rx*dw]
                              * kernel[g*C/G + rc, f % (F/G), KH-1-ry, KW-1-rx])

    >>> x = te.placeholder((1, 4, 5, 5), name="x"); w = te.placeholder((4, 3, 3, 3), name="w")
    >>> y = conv2d_transpose_nchw(x, w, stride=2, padding=1, output_padding=1)   # [1, 3, 10, 10]
    """
    op = name
    check_tensor(op, data, "data")
    check_tensor(op, kernel, "kernel")
    check_rank(op, data, 4, "data", "NCHW")
    check_rank(op, kernel, 4, "kernel", "C, F/groups, KH, KW")
    (sh, sw), (pt, pl, pb, pr), (dh, dw) = _conv_args(op, stride, padding, dilation)
    oph, opw = int_tuple(op, output_padding, 2, "output_padding")
    N, C, H, W = data.shape
    CK, FG, KH, KW = kernel.shape
    if not isinstance(groups, int) or groups <= 0 or C % groups:
        fail(op, f"groups={groups!r} must be a positive int dividing the input channels of data {list(data.shape)}")
    if CK != C:
        fail(op, f"channel mismatch: data {list(data.shape)} has {C} channels but kernel {list(kernel.shape)} "
                 f"has {CK} (the kernel is [C, F/groups, KH, KW])")
    if not (0 <= oph < max(sh, dh) and 0 <= opw < max(sw, dw)):
        fail(op, f"output_padding {[oph, opw]} must be smaller than the stride or the dilation")
    OH = (H - 1) * sh + dh * (KH - 1) + 1 + oph - pt - pb
    OW = (W - 1) * sw + dw * (KW - 1) + 1 + opw - pl - pr
    if OH <= 0 or OW <= 0:
        fail(op, f"padding {[pt, pl, pb, pr]} leaves no output for data {list(data.shape)} and "
                 f"kernel {list(kernel.shape)}")
    F, CG = FG * groups, C // groups
    top, left = dh * (KH - 1) - pt, dw * (KW - 1) - pl  # where input row 0 lands in the dilated stage (may be < 0)

    def spread(n, c, i, j):
        y, x = i - top, j - left
        inside = (y >= 0) & (y < (H - 1) * sh + 1) & (x >= 0) & (x < (W - 1) * sw + 1)
        if sh > 1:
            inside = inside & (y % sh == 0)
        if sw > 1:
            inside = inside & (x % sw == 0)
        return te.if_then_else(inside, data[n, c, y // sh if sh > 1 else y, x // sw if sw > 1 else x],
                               te.const(0, data.dtype))

    dilated = te.compute((N, C, OH + dh * (KH - 1), OW + dw * (KW - 1)), spread, name=f"{name}_dilate")
    rc = te.reduce_axis((0, CG), name="rc")
    ry = te.reduce_axis((0, KH), name="ry")
    rx = te.reduce_axis((0, KW), name="rx")

    def body(n, f, oh, ow):
        c = rc if groups == 1 else (f // FG) * CG + rc
        fk = f if groups == 1 else f % FG
        a = dilated[n, c, oh + ry * dh, ow + rx * dw]
        return te.sum(multiply_as(a, kernel[c, fk, KH - 1 - ry, KW - 1 - rx], out_dtype), axis=[rc, ry, rx])

    return te.compute((N, F, OH, OW), body, name=name)
