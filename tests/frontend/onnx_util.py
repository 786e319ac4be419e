"""Helpers for frontend tests: build one-node ONNX models, run them in onnxruntime and in Workbench."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from workbench.frontend import OnnxImportError, from_onnx
from workbench.graph.interpreter import run

NP_TO_ONNX = {"float32": TensorProto.FLOAT, "float64": TensorProto.DOUBLE, "int64": TensorProto.INT64,
              "int32": TensorProto.INT32, "bool": TensorProto.BOOL, "uint8": TensorProto.UINT8,
              "int8": TensorProto.INT8}


def make_model(nodes, inputs: dict, outputs, opset: int, initializers: dict | None = None,
               input_shapes: dict | None = None):
    """A model of ``nodes``; ``inputs`` maps name -> example array (its dtype and shape are declared)."""
    ins = [helper.make_tensor_value_info(k, NP_TO_ONNX[v.dtype.name],
                                         (input_shapes or {}).get(k, list(v.shape))) for k, v in inputs.items()]
    outs = [onnx.ValueInfoProto(name=o) for o in outputs]
    inits = [numpy_helper.from_array(np.asarray(v), k) for k, v in (initializers or {}).items()]
    g = helper.make_graph(nodes, "test", ins, outs, inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = min(m.ir_version, 10)
    return m


def ort_run(model, inputs: dict):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.log_severity_level = 3
    sess = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    return sess.run(None, inputs)


def wb_run(model, inputs: dict, **kw):
    try:
        mod = from_onnx(model, **kw)
    except OnnxImportError as e:
        if "unknown operator" in str(e):
            pytest.skip(f"op not registered yet: {e}")
        raise
    out = run(mod, **inputs)
    return list(out) if isinstance(out, tuple) else [out]


def check(model, inputs: dict, rtol=1e-5, atol=1e-5, **kw):
    """Workbench's outputs equal onnxruntime's (values, dtypes and shapes)."""
    want = ort_run(model, inputs)
    got = wb_run(model, inputs, **kw)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.dtype == w.dtype, (g.dtype, w.dtype)
        assert g.shape == w.shape, (g.shape, w.shape)
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol, equal_nan=True)
    return got


def one_node(op_type, inputs: dict, opset=17, initializers=None, n_out=1, **attrs):
    """A model with a single ``op_type`` node reading ``inputs`` then ``initializers`` (None -> omitted)."""
    names = list(inputs) + [("" if v is None else k) for k, v in (initializers or {}).items()]
    outs = [f"y{i}" for i in range(n_out)]
    node = helper.make_node(op_type, names, outs, name="n0", **attrs)
    inits = {k: v for k, v in (initializers or {}).items() if v is not None}
    return make_model([node], inputs, outs, opset, inits)


def rand(*shape, dtype="float32", seed=0, low=-2.0, high=2.0):
    r = np.random.default_rng(seed + sum(shape))
    if np.dtype(dtype).kind == "f":
        return r.uniform(low, high, shape).astype(dtype)
    if dtype == "bool":
        return r.integers(0, 2, shape).astype(bool)
    return r.integers(int(low), int(high) + 1, shape).astype(dtype)


__all__ = ["make_model", "ort_run", "wb_run", "check", "one_node", "rand", "onnx", "helper", "TensorProto"]
