"""Shared checks for operator tests: type rule, numpy reference, te compute (evaluated and compiled), ONNX Runtime."""
from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper

import workbench as wb
from workbench import te
from workbench.graph.expr import Var, call
from workbench.graph.op import get_op
from workbench.graph.types import TensorType, TupleType
from workbench.te.reference import evaluate


def _type(t):
    if not isinstance(t, tuple):
        return t
    return TensorType(*t) if t and isinstance(t[0], tuple) else TensorType(t)


def infer(op_name, *types, **attrs):
    """The inferred type of ``op_name`` applied to values of ``types``: Types, shapes or ``(shape, dtype)``."""
    vs = [Var(f"x{k}", _type(t)) for k, t in enumerate(types)]
    return call(op_name, *vs, **attrs).type


def _as_list(v):
    return list(v) if isinstance(v, (list, tuple)) else [v]


def check_op(op_name, arrays, attrs=None, rtol=1e-5, atol=1e-6, compiled=True):
    """Run every layer of ``op_name`` on ``arrays`` and check they agree; returns the reference output(s)."""
    attrs = attrs or {}
    arrays = [np.asarray(a) for a in arrays]
    node = call(op_name, *[Var(f"x{k}", TensorType(a.shape, a.dtype.name)) for k, a in enumerate(arrays)], **attrs)
    types = list(node.type.fields) if isinstance(node.type, TupleType) else [node.type]
    op = get_op(op_name)
    full = dict(node.attrs)
    with np.errstate(all="ignore"):
        ref = _as_list(op.reference(*arrays, **full))
    assert len(ref) == len(types)
    for r, t in zip(ref, types):
        assert (r.shape, r.dtype.name) == (t.shape, t.dtype), f"reference gives {r.dtype}{list(r.shape)}, type {t}"
    phs = [te.placeholder(a.shape, a.dtype.name, name=f"x{k}") for k, a in enumerate(arrays)]
    outs = _as_list(op.compute(*phs, **full))
    for o, t in zip(outs, types):
        assert (o.shape, o.dtype) == (t.shape, t.dtype), f"compute gives {o.dtype}{list(o.shape)}, type {t}"
    feeds = dict(zip(phs, arrays))
    for got, want in zip(evaluate(outs, feeds), ref):
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=f"{op_name}: te evaluate")
    if compiled:
        kernel = wb.build(te.create_schedule([o.op for o in outs]), phs + outs)
        results = [np.zeros(o.shape, o.dtype) for o in outs]
        kernel(*arrays, *results)
        for got, want in zip(results, ref):
            np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=f"{op_name}: compiled")
    return ref[0] if len(ref) == 1 and not isinstance(node.type, TupleType) else ref


_ONNX_TYPES = {"float32": onnx.TensorProto.FLOAT, "float64": onnx.TensorProto.DOUBLE, "int64": onnx.TensorProto.INT64,
               "int32": onnx.TensorProto.INT32, "int8": onnx.TensorProto.INT8, "uint8": onnx.TensorProto.UINT8,
               "bool": onnx.TensorProto.BOOL}


def run_onnx(op_type, inputs, attrs=None, n_outputs=1, constants=None, opset=20, domain=""):
    """Run a one-node ONNX model: ``inputs`` are graph inputs, ``constants`` (a list, positions after
    the inputs; None for an omitted optional input) initializers. Returns the list of outputs."""
    names, inits = [f"in{k}" for k in range(len(inputs))], []
    for k, c in enumerate(constants or []):
        if c is None:
            names.append("")
            continue
        name = f"c{k}"
        inits.append(onnx.numpy_helper.from_array(np.asarray(c), name))
        names.append(name)
    outs = [f"out{k}" for k in range(n_outputs)]
    node = helper.make_node(op_type, names, outs, domain=domain, **(attrs or {}))
    graph = helper.make_graph(
        [node], "g",
        [helper.make_tensor_value_info(f"in{k}", _ONNX_TYPES[a.dtype.name], a.shape) for k, a in enumerate(inputs)],
        [helper.make_empty_tensor_value_info(o) for o in outs], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 9
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return sess.run(None, {f"in{k}": a for k, a in enumerate(inputs)})
