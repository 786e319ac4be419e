"""Reductions (pattern COMM_REDUCE): sum, mean, max, min, prod over axes; argmax and argmin along one axis.

``axis=None`` reduces every axis (with ``keepdims=False`` the result is 0-d).
``argmax``/``argmin`` give int64 positions; NaN counts as the extreme, as in numpy.
"""
from __future__ import annotations

import numpy as np

from ... import topi
from ..types import TensorType
from .registry import Op, OpPattern
from .rules import axes_attr, check_attr_names, fail, normalize_axis, require_float, require_numeric, tensors


def _reduce_infer(name, require):
    def infer(types, attrs):
        (x,) = tensors(name, types, 1)
        require(name, x, "input")
        axes = axes_attr(name, attrs["axis"], x.ndim)
        keep = bool(attrs["keepdims"])
        shape = tuple(1 if d in axes else n for d, n in enumerate(x.shape) if keep or d not in axes)
        return TensorType(shape, x.dtype)
    return infer


def _np_axis(axis):
    return axis if axis is None or isinstance(axis, int) else tuple(axis)


def _reduce(name, np_fn, topi_fn, doc, require=require_numeric):
    def reference(x, axis, keepdims):
        return np.asarray(np_fn(x, axis=_np_axis(axis), keepdims=bool(keepdims))).astype(x.dtype)

    def compute(x, axis, keepdims):
        return topi_fn(x, axis=axis, keepdims=bool(keepdims))
    return Op(name, _reduce_infer(name, require), OpPattern.COMM_REDUCE, reference, compute, doc=doc,
              attr_defaults={"axis": None, "keepdims": False})


def _arg_infer(name):
    def infer(types, attrs):
        (x,) = tensors(name, types, 1)
        require_numeric(name, x, "input")
        if x.ndim == 0:
            fail(name, f"input {x} must have at least one dimension")
        axis = normalize_axis(name, attrs["axis"], x.ndim)
        shape = x.shape[:axis] + ((1,) if attrs["keepdims"] else ()) + x.shape[axis + 1:]
        return TensorType(shape, "int64")
    return infer


def _arg(name, np_fn, topi_fn, doc):
    def reference(x, axis, keepdims, select_last_index):
        axis = axis % x.ndim
        if select_last_index:
            i = x.shape[axis] - 1 - np_fn(np.flip(x, axis), axis=axis)
        else:
            i = np_fn(x, axis=axis)
        i = i.astype("int64")
        return np.expand_dims(i, axis) if keepdims else i

    def compute(x, axis, keepdims, select_last_index):
        return topi_fn(x, axis, bool(keepdims), bool(select_last_index))
    return Op(name, _arg_infer(name), OpPattern.COMM_REDUCE, reference, compute, doc=doc,
              attr_defaults={"axis": 0, "keepdims": True, "select_last_index": False})


OPS = check_attr_names([
    _reduce("sum", np.sum, topi.sum, "the sum over axis"),
    _reduce("mean", np.mean, topi.mean, "the average over axis", require_float),
    _reduce("max", np.max, topi.max, "the maximum over axis"),
    _reduce("min", np.min, topi.min, "the minimum over axis"),
    _reduce("prod", np.prod, topi.prod, "the product over axis"),
    _arg("argmax", np.argmax, topi.argmax, "the int64 position of the maximum along axis"),
    _arg("argmin", np.argmin, topi.argmin, "the int64 position of the minimum along axis"),
])
