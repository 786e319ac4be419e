"""A partition as an ONNX model: one ONNX node (or two) per graph operator, weights as initializers.

Only the operators in ``EXPORTERS`` can be exported; the onnxruntime backend's
pattern table is built from this list, so it never takes what it cannot export.

>>> model = to_onnx(part.function, "onnxruntime_0")   # doctest: +SKIP
"""
from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper

from ...graph.expr import Call, Constant, Function, Tuple, TupleGetItem
from ...graph.functor import post_order
from .base import ExternalBackendError

OPSET = 17
SIMPLE = {"add": "Add", "subtract": "Sub", "multiply": "Mul", "divide": "Div", "power": "Pow",
          "maximum": "Max", "minimum": "Min", "nn.relu": "Relu", "exp": "Exp", "tanh": "Tanh",
          "sigmoid": "Sigmoid", "erf": "Erf", "sqrt": "Sqrt", "log": "Log", "abs": "Abs",
          "negative": "Neg", "reciprocal": "Reciprocal", "nn.matmul": "MatMul",
          "nn.global_avg_pool2d": "GlobalAveragePool", "nn.global_max_pool2d": "GlobalMaxPool"}


class _Graph:
    def __init__(self):
        self.nodes, self.inits, self.names = [], [], {}

    def tmp(self, hint="t") -> str:
        return f"{hint}{len(self.nodes)}_{len(self.inits)}"

    def const(self, array, hint="c") -> str:
        name = self.tmp(hint)
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def node(self, op, ins, out=None, **attrs) -> str:
        out = out or self.tmp()
        self.nodes.append(helper.make_node(op, list(ins), [out], **attrs))
        return out


def _conv(g, n, x, w):
    a = n.attrs
    return g.node("Conv", [x, w], strides=list(a["strides"]), pads=list(a["padding"]),
                  dilations=list(a["dilation"]), group=int(a["groups"]))


def _pool(kind):
    def f(g, n, x):
        a = n.attrs
        kw = dict(kernel_shape=list(a["pool_size"]), strides=list(a["strides"]), pads=list(a["padding"]),
                  dilations=list(a["dilation"]), ceil_mode=int(a["ceil_mode"]))
        if kind == "AveragePool":
            kw["count_include_pad"] = int(a["count_include_pad"])
        return g.node(kind, [x], **kw)
    return f


def _dense(g, n, x, w):
    wt = g.node("Transpose", [w], perm=[1, 0])
    return g.node("MatMul", [x, wt])


def _reshape(g, n, x):
    return g.node("Reshape", [x, g.const(np.array(n.type.shape, "int64"), "shape")])


def _transpose(g, n, x):
    axes = n.attrs.get("axes")
    perm = [a % n.type.ndim for a in axes] if axes is not None else list(reversed(range(n.type.ndim)))
    return g.node("Transpose", [x], perm=perm)


def _softmax(g, n, x):
    return g.node("Softmax", [x], axis=int(n.attrs["axis"]))


def _layer_norm(g, n, x, gamma, beta):
    return g.node("LayerNormalization", [x, gamma, beta], axis=int(n.attrs["axis"]),
                  epsilon=float(n.attrs["epsilon"]))


def _batch_norm(g, n, x, gamma, beta, mean, var):
    if int(n.attrs["axis"]) != 1:
        raise ExternalBackendError("onnx export: batch_norm over an axis other than 1")
    return g.node("BatchNormalization", [x, gamma, beta, mean, var], epsilon=float(n.attrs["epsilon"]))


def _clip(g, n, x):
    dt = n.type.dtype
    lo, hi = np.array(n.attrs["a_min"], dt), np.array(n.attrs["a_max"], dt)
    return g.node("Clip", [x, g.const(lo, "lo"), g.const(hi, "hi")])


def _simple(onnx_op):
    """An exporter for an operator that maps to one ONNX node with the same inputs and no attributes."""
    return lambda g, n, *xs: g.node(onnx_op, list(xs))


EXPORTERS = {name: _simple(op) for name, op in SIMPLE.items()}
EXPORTERS.update({"nn.conv2d": _conv, "nn.dense": _dense, "reshape": _reshape, "transpose": _transpose,
                  "nn.max_pool2d": _pool("MaxPool"), "nn.avg_pool2d": _pool("AveragePool"),
                  "nn.softmax": _softmax, "clip": _clip, "nn.layer_norm": _layer_norm, "nn.batch_norm": _batch_norm})


def _dtype(t) -> int:
    return helper.np_dtype_to_tensor_dtype(np.dtype(t.dtype))


def to_onnx(fn: Function, name: str) -> onnx.ModelProto:
    """An ONNX model computing ``fn`` (inputs ``in0``..., outputs ``out0``...); composites are inlined."""
    g = _Graph()
    inputs = []
    for k, p in enumerate(fn.params):
        g.names[id(p)] = f"in{k}"
        inputs.append(helper.make_tensor_value_info(f"in{k}", _dtype(p.type), list(p.type.shape)))
    _emit(g, fn)
    outs = list(fn.body.fields) if isinstance(fn.body, Tuple) else [fn.body]
    outputs = []
    for k, o in enumerate(outs):
        oname = f"out{k}"
        g.node("Identity", [g.names[id(o)]], out=oname)
        outputs.append(helper.make_tensor_value_info(oname, _dtype(o.type), list(o.type.shape)))
    graph = helper.make_graph(g.nodes, name, inputs, outputs, g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="workbench.byoc")
    model.ir_version = min(model.ir_version, 9)
    return model


def _emit(g: _Graph, fn: Function) -> None:
    for n in post_order(fn.body):
        if id(n) in g.names or isinstance(n, Function):
            continue
        if isinstance(n, Constant):
            g.names[id(n)] = g.const(n.data, "w")
        elif isinstance(n, Call) and isinstance(n.op, Function):  # a composite: inline its body
            for p, a in zip(n.op.params, n.args):
                g.names[id(p)] = g.names[id(a)]
            _emit(g, n.op)
            g.names[id(n)] = g.names[id(n.op.body)]
        elif isinstance(n, Call):
            ex = EXPORTERS.get(n.op.name)
            if ex is None:
                raise ExternalBackendError(f"onnx export: no ONNX mapping for {n.op.name}")
            g.names[id(n)] = ex(g, n, *[g.names[id(a)] for a in n.args])
        elif isinstance(n, TupleGetItem):
            raise ExternalBackendError("onnx export: tuple values inside a partition are not supported")
        elif isinstance(n, Tuple):
            continue
