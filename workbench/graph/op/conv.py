"""Convolution operators: ``nn.conv2d``, its packed-kernel and Winograd forms, ``nn.conv2d_transpose``.

Layouts are NCHW for data and OIHW for weights (IOHW for ``nn.conv2d_transpose``, ONNX's
ConvTranspose layout; packed ``F/16 x C x KH x KW x 16`` for ``nn.conv2d_packed``, transformed
``a x a x C x F/16 x 16`` for ``nn.conv2d_winograd``); 2-D padding is ``(top, left, bottom, right)``.
Type rules check every shape the compute relies on, so an op that type-checks always has a
compute of the inferred type.

>>> from workbench.graph.op import get_op
>>> get_op("nn.conv2d_winograd").attr_defaults["tile"]
4
"""
from __future__ import annotations

import numpy as np

from ... import topi
from ...topi import numpy_ref
from ...topi.conv_winograd import winograd_conv_ref, winograd_output_shape
from ..types import TensorType
from .layout import BLOCKED, blocked_to_nchw, layout_attr, nchw_or_blocked, nchw_to_blocked
from .registry import Op, OpPattern
from .rules import check_attr_names, fail, int_attr, int_tuple, require_float, require_numeric, require_rank, \
    same_dtype, tensors

# ------------------------------------------------------------------ convolution


def _conv_attrs(name, attrs):
    strides = int_tuple(name, attrs, "strides", 2, minimum=1)
    padding = int_tuple(name, attrs, "padding", 4, minimum=0)
    dilation = int_tuple(name, attrs, "dilation", 2, minimum=1)
    groups = int_attr(name, attrs, "groups", minimum=1)
    return strides, padding, dilation, groups


def _conv_out_hw(name, data, weight, kh, kw, strides, padding, dilation) -> tuple:
    """``(oh, ow)`` of an NCHW conv of a ``kh x kw`` kernel; fails when the dilated kernel does not fit."""
    (sh, sw), (pt, pl, pb, pr), (dh, dw) = strides, padding, dilation
    h, w = data.shape[2:4]
    if h + pt + pb < dh * (kh - 1) + 1 or w + pl + pr < dw * (kw - 1) + 1:
        fail(name, f"the dilated kernel of weight {weight} (dilation {[dh, dw]}) is larger than the padded "
                   f"input of data {data} (padding {[pt, pl, pb, pr]})")
    return (h + pt + pb - dh * (kh - 1) - 1) // sh + 1, (w + pl + pr - dw * (kw - 1) - 1) // sw + 1


def _conv2d_infer(types, attrs):
    name = "nn.conv2d"
    data, weight = tensors(name, types, 2)
    require_rank(name, data, 4, "data", "NCHW")
    require_rank(name, weight, 4, "weight", "OIHW")
    same_dtype(name, [data, weight], ["data", "weight"])
    require_numeric(name, data, "data")
    strides, padding, dilation, groups = _conv_attrs(name, attrs)
    n, c = data.shape[:2]
    f, cg, kh, kw = weight.shape
    if cg * groups != c:
        fail(name, f"data {data} has {c} channels but weight {weight} expects {cg} x groups {groups}")
    if f % groups:
        fail(name, f"weight {weight} has {f} output channels, not a multiple of groups {groups}")
    oh, ow = _conv_out_hw(name, data, weight, kh, kw, strides, padding, dilation)
    return TensorType((n, f, oh, ow), data.dtype)


def _conv2d_ref(data, weight, strides, padding, dilation, groups):
    return numpy_ref.conv2d_nchw(data, weight, strides, padding, dilation, groups).astype(data.dtype)


def _conv2d(data, weight, strides, padding, dilation, groups):
    return topi.conv2d_nchw(data, weight, strides, padding, dilation, groups)


def _conv2d_packed_infer(types, attrs):
    name = "nn.conv2d_packed"
    data, weight = tensors(name, types, 2)
    n, c, _, _ = nchw_or_blocked(name, data)
    require_rank(name, weight, 5, "weight", "F/L, C, KH, KW, L (topi.pack_conv_kernel)")
    same_dtype(name, [data, weight], ["data", "weight"])
    require_numeric(name, data, "data")
    strides, padding, dilation, _ = _conv_attrs(name, {**attrs, "groups": 1})
    out_layout = layout_attr(name, attrs, "out_layout")
    fo, ck, kh, kw, lanes = weight.shape
    if ck != c:
        fail(name, f"data {data} has {c} channels but the packed weight {weight} expects {ck}")
    oh, ow = _conv_out_hw(name, data, weight, kh, kw, strides, padding, dilation)
    if out_layout == BLOCKED:
        return TensorType((n, fo, oh, ow, lanes), data.dtype)
    return TensorType((n, fo * lanes, oh, ow), data.dtype)


def _conv2d_packed_ref(data, weight, strides, padding, dilation, out_layout):
    x = blocked_to_nchw(data) if data.ndim == 5 else data
    y = numpy_ref.conv2d_nchw(x, topi.unpack_conv_kernel(weight), strides, padding, dilation, 1).astype(data.dtype)
    return nchw_to_blocked(y, weight.shape[4]) if out_layout == BLOCKED else y


def _conv2d_packed(data, weight, strides, padding, dilation, out_layout):
    return topi.conv2d_nchw_packed(data, weight, strides, padding, dilation, out_blocked=out_layout == BLOCKED)


def _conv2d_winograd_infer(types, attrs):
    name = "nn.conv2d_winograd"
    data, weight = tensors(name, types, 2)
    require_rank(name, data, 5, "data", f"{BLOCKED}: N, C/16, H, W, 16")
    require_rank(name, weight, 5, "weight", "a, a, C, F/16, 16 (topi.transform_conv_kernel)")
    same_dtype(name, [data, weight], ["data", "weight"])
    require_float(name, data, "data")
    tile = int_attr(name, attrs, "tile", minimum=1)
    padding = int_tuple(name, attrs, "padding", 4, minimum=0)
    return TensorType(winograd_output_shape(name, data.shape, weight.shape, tile, padding), data.dtype)


def _conv2d_winograd_ref(data, weight, padding, tile):
    pt, pl, pb, pr = padding
    x = np.pad(blocked_to_nchw(data), ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    y = winograd_conv_ref(x, weight, tile).astype(data.dtype)
    return nchw_to_blocked(y, weight.shape[4])


def _conv2d_winograd(data, weight, padding, tile):
    return topi.conv2d_winograd_nchw16c(data, weight, tile=int(tile), padding=padding)


def _conv2d_transpose_infer(types, attrs):
    name = "nn.conv2d_transpose"
    data, weight = tensors(name, types, 2)
    require_rank(name, data, 4, "data", "NCHW")
    require_rank(name, weight, 4, "weight", "IOHW: C_in, C_out / groups, KH, KW")
    same_dtype(name, [data, weight], ["data", "weight"])
    require_numeric(name, data, "data")
    (sh, sw), (pt, pl, pb, pr), (dh, dw), groups = _conv_attrs(name, attrs)
    oph, opw = int_tuple(name, attrs, "output_padding", 2, minimum=0)
    n, c, h, w = data.shape
    ci, fg, kh, kw = weight.shape
    if ci != c:
        fail(name, f"data {data} has {c} channels but weight {weight} (C_in, C_out / groups, KH, KW) has {ci}")
    if c % groups:
        fail(name, f"groups {groups} does not divide the {c} channels of data {data}")
    if oph >= max(sh, dh) or opw >= max(sw, dw):
        fail(name, f"output_padding {[oph, opw]} must be smaller than the stride {[sh, sw]} or the dilation")
    oh = (h - 1) * sh + dh * (kh - 1) + 1 + oph - pt - pb
    ow = (w - 1) * sw + dw * (kw - 1) + 1 + opw - pl - pr
    if oh <= 0 or ow <= 0:
        fail(name, f"padding {[pt, pl, pb, pr]} leaves no output for data {data} and weight {weight}")
    return TensorType((n, fg * groups, oh, ow), data.dtype)


def _conv2d_transpose_ref(data, weight, strides, padding, dilation, groups, output_padding):
    (sh, sw), (pt, pl, pb, pr), (dh, dw) = strides, padding, dilation
    n, c, h, w = data.shape
    _, fg, kh, kw = weight.shape
    full = np.zeros((n, fg * groups, (h - 1) * sh + dh * (kh - 1) + 1 + output_padding[0],
                     (w - 1) * sw + dw * (kw - 1) + 1 + output_padding[1]))
    x, wt, cg = data.astype("float64"), weight.astype("float64"), c // groups
    for g in range(groups):
        xs, ws = x[:, g * cg:(g + 1) * cg], wt[g * cg:(g + 1) * cg]
        for ry in range(kh):
            for rx in range(kw):
                contrib = np.einsum("nchw,cf->nfhw", xs, ws[:, :, ry, rx])
                full[:, g * fg:(g + 1) * fg, ry * dh: ry * dh + (h - 1) * sh + 1: sh,
                     rx * dw: rx * dw + (w - 1) * sw + 1: sw] += contrib
    oh, ow = full.shape[2] - pt - pb, full.shape[3] - pl - pr
    return full[:, :, pt:pt + oh, pl:pl + ow].astype(data.dtype)


def _conv2d_transpose(data, weight, strides, padding, dilation, groups, output_padding):
    return topi.conv2d_transpose_nchw(data, weight, strides, padding, dilation, groups, output_padding)


_CONV = {"strides": (1, 1), "padding": (0, 0, 0, 0), "dilation": (1, 1), "groups": 1}
_HEAVY = OpPattern.OUT_ELEWISE_FUSABLE

OPS = check_attr_names([
    Op("nn.conv2d", _conv2d_infer, _HEAVY, _conv2d_ref, _conv2d,
       doc="2-D convolution, data NCHW, weight OIHW", attr_defaults=dict(_CONV)),
    Op("nn.conv2d_packed", _conv2d_packed_infer, _HEAVY, _conv2d_packed_ref, _conv2d_packed,
       doc="2-D convolution, data NCHW or NCHW16c, weight packed F/16 x C x KH x KW x 16 (pass "
           "pack_conv_kernels), result NCHW or NCHW16c (out_layout)",
       attr_defaults={**{k: v for k, v in _CONV.items() if k != "groups"}, "out_layout": "NCHW"}),
    Op("nn.conv2d_winograd", _conv2d_winograd_infer, _HEAVY, _conv2d_winograd_ref, _conv2d_winograd,
       doc="3x3 convolution, stride 1, by Winograd's F(tile x tile, 3x3): data and result NCHW16c, weight "
           "transformed a x a x C x F/16 x 16 (pass winograd)",
       attr_defaults={"padding": (1, 1, 1, 1), "tile": 4}),
    Op("nn.conv2d_transpose", _conv2d_transpose_infer, _HEAVY, _conv2d_transpose_ref, _conv2d_transpose,
       doc="2-D transposed convolution, data NCHW, weight IOHW (ONNX ConvTranspose)",
       attr_defaults={**_CONV, "output_padding": (0, 0)}),
])
