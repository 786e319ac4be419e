"""The ONNX driver: parameters and constants, shape folding, dynamic shapes, errors, function expansion."""
import numpy as np
import pytest

from onnx_util import check, helper, make_model, one_node, rand, wb_run
from workbench.frontend import OnnxImportError, from_onnx
from workbench.graph.expr import Call, Constant, Tuple, Var
from workbench.graph.functor import post_order


def _calls(mod):
    return [n for n in post_order(mod.main.body) if isinstance(n, Call)]


def _cnn():
    rng = np.random.default_rng(0)
    f = lambda *s: rng.standard_normal(s).astype("float32") * 0.3  # noqa: E731
    inits = {"w": f(8, 3, 3, 3), "g": f(8) + 1, "b": f(8), "m": f(8), "v": np.abs(f(8)) + 0.5,
             "fc_w": f(10, 8), "fc_b": f(10)}
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1], strides=[2, 2], name="conv"),
             helper.make_node("BatchNormalization", ["c", "g", "b", "m", "v"], ["bn"], name="bn"),
             helper.make_node("Relu", ["bn"], ["r"], name="relu"),
             helper.make_node("MaxPool", ["r"], ["p"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]),
             helper.make_node("GlobalAveragePool", ["p"], ["gap"]),
             helper.make_node("Flatten", ["gap"], ["fl"]),
             helper.make_node("Gemm", ["fl", "fc_w", "fc_b"], ["y"], transB=1, name="fc")]
    return make_model(nodes, {"x": rand(1, 3, 16, 16)}, ["y"], 13, inits, input_shapes={"x": ["N", 3, 16, 16]})


def test_cnn_dynamic_batch():
    m = _cnn()
    x = rand(4, 3, 16, 16)
    check(m, {"x": x}, rtol=1e-4, shapes={"x": x.shape})
    mod = from_onnx(m, shapes={"x": (4, 3, 16, 16)})
    (p,) = mod.main.params
    assert isinstance(p, Var) and p.name == "x" and p.type.shape == (4, 3, 16, 16)
    consts = {n.name for n in post_order(mod.main.body) if isinstance(n, Constant)}
    assert {"w", "fc_w", "fc_b"} <= consts


def test_symbolic_dims_need_shapes():
    with pytest.raises(OnnxImportError, match=r"input 'x' has symbolic dimension\(s\) N.*shapes="):
        from_onnx(_cnn())
    with pytest.raises(OnnxImportError, match="not inputs of the model"):
        from_onnx(_cnn(), shapes={"input": (1, 3, 16, 16)})


def test_shape_chain_folds_to_constants():
    nodes = [helper.make_node("Shape", ["x"], ["s"]),
             helper.make_node("Gather", ["s", "zero"], ["n"], axis=0),
             helper.make_node("Unsqueeze", ["n", "ax"], ["nu"]),
             helper.make_node("Concat", ["nu", "minus1"], ["shape"], axis=0),
             helper.make_node("Reshape", ["x", "shape"], ["flat"]),
             helper.make_node("Shape", ["flat"], ["s2"], start=1),
             helper.make_node("ConstantOfShape", ["s2"], ["ones"], value=helper.make_tensor("v", 1, [1], [1.0])),
             helper.make_node("Add", ["flat", "ones"], ["y"])]
    inits = {"zero": np.int64(0), "ax": np.array([0], "int64"), "minus1": np.array([-1], "int64")}
    m = make_model(nodes, {"x": rand(3, 2, 4)}, ["y"], 17, inits, input_shapes={"x": ["B", 2, 4]})
    x = rand(5, 2, 4)
    check(m, {"x": x}, shapes={"x": x.shape})
    mod = from_onnx(m, shapes={"x": x.shape})
    assert sorted(c.op.name for c in _calls(mod)) == ["add", "reshape"]
    (reshape,) = [c for c in _calls(mod) if c.op.name == "reshape"]
    assert tuple(reshape.attrs["newshape"]) == (5, 8)


def test_multiple_outputs_make_a_tuple():
    x = rand(2, 3)
    m = make_model([helper.make_node("Relu", ["x"], ["a"]), helper.make_node("Neg", ["x"], ["b"])],
                   {"x": x}, ["a", "b"], 17)
    mod = from_onnx(m)
    assert isinstance(mod.main.body, Tuple) and len(mod.main.body.fields) == 2
    check(m, {"x": x})


def test_unsupported_ops_listed_at_once():
    nodes = [helper.make_node("Relu", ["x"], ["a"]),
             helper.make_node("TopK", ["a", "k"], ["v", "i"], name="topk1"),
             helper.make_node("Acos", ["v"], ["c"], name="acos1"),
             helper.make_node("Acos", ["x"], ["d"], name="acos2"),
             helper.make_node("MaxPool", ["x4"], ["p", "pi"], kernel_shape=[2, 2], name="pool_idx"),
             helper.make_node("Add", ["c", "d"], ["y"])]
    m = make_model(nodes, {"x": rand(2, 3), "x4": rand(1, 1, 4, 4)}, ["y", "p"], 17, {"k": np.array([1], "int64")})
    with pytest.raises(OnnxImportError) as e:
        from_onnx(m)
    msg = str(e.value)
    assert "TopK: 'topk1'" in msg and "Acos: 'acos1', 'acos2'" in msg and "'pool_idx'" in msg
    assert "Indices" in msg
    assert set(e.value.unsupported) == {"TopK", "Acos", "MaxPool (the Indices output)"}


def test_truncated_and_missing_files(tmp_path):
    data = _cnn().SerializeToString()
    bad = tmp_path / "half.onnx"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(OnnxImportError, match=r"could not parse .*half\.onnx"):
        from_onnx(bad)
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"this is not a model at all")
    with pytest.raises(OnnxImportError, match="junk.onnx"):
        from_onnx(str(junk))
    with pytest.raises(OnnxImportError, match="does not exist"):
        from_onnx(tmp_path / "missing.onnx")
    good = tmp_path / "good.onnx"
    good.write_bytes(data)
    assert from_onnx(good, shapes={"x": (1, 3, 16, 16)}).main.params[0].name == "x"


def test_function_ops_expand():
    x = rand(2, 3, 4, 5)
    check(one_node("MeanVarianceNormalization", {"x": x}, opset=13), {"x": x}, rtol=1e-4, atol=1e-4)


def test_if_with_constant_condition_inlines_the_branch():
    x = rand(2, 3)
    then_g = helper.make_graph([helper.make_node("Relu", ["x"], ["t"])], "then", [],
                               [helper.make_tensor_value_info("t", 1, [2, 3])])
    else_g = helper.make_graph([helper.make_node("Neg", ["x"], ["e"])], "else", [],
                               [helper.make_tensor_value_info("e", 1, [2, 3])])
    m = make_model([helper.make_node("If", ["c"], ["y"], then_branch=then_g, else_branch=else_g)],
                   {"x": x}, ["y"], 17, {"c": np.array(False)})
    check(m, {"x": x})


def test_bind_makes_inputs_constants():
    x, s = rand(2, 6), np.array([3, 4], "int64")
    m = one_node("Reshape", {"x": x, "s": s})
    with pytest.raises(OnnxImportError, match="'shape' must be known at import time"):
        from_onnx(m)
    (y,) = wb_run(m, {"x": x}, bind={"s": s})
    assert y.shape == (3, 4)


def test_transformer_block():
    rng = np.random.default_rng(1)
    d, h = 8, 2
    f = lambda *s: (rng.standard_normal(s) * 0.3).astype("float32")  # noqa: E731
    inits = {"wq": f(d, d), "wk": f(d, d), "wv": f(d, d), "g": f(d) + 1, "b": f(d),
             "hs": np.array([0, 0, h, d // h], "int64"), "perm_scale": np.float32(1 / np.sqrt(d // h)),
             "back": np.array([0, 0, d], "int64")}
    nodes = [helper.make_node("MatMul", ["x", "wq"], ["q0"]), helper.make_node("MatMul", ["x", "wk"], ["k0"]),
             helper.make_node("MatMul", ["x", "wv"], ["v0"])]
    for n in ("q", "k", "v"):
        nodes += [helper.make_node("Reshape", [f"{n}0", "hs"], [f"{n}1"]),
                  helper.make_node("Transpose", [f"{n}1"], [f"{n}2"], perm=[0, 2, 1, 3])]
    nodes += [helper.make_node("Einsum", ["q2", "k2"], ["s0"], equation="bhqd,bhkd->bhqk"),
              helper.make_node("Mul", ["s0", "perm_scale"], ["s1"]),
              helper.make_node("Softmax", ["s1"], ["p"], axis=-1),
              helper.make_node("MatMul", ["p", "v2"], ["o0"]),
              helper.make_node("Transpose", ["o0"], ["o1"], perm=[0, 2, 1, 3]),
              helper.make_node("Reshape", ["o1", "back"], ["o2"]),
              helper.make_node("Add", ["o2", "x"], ["r"]),
              helper.make_node("LayerNormalization", ["r", "g", "b"], ["ln"], axis=-1),
              helper.make_node("Gelu", ["ln"], ["y"])]
    m = make_model(nodes, {"x": rand(1, 5, d)}, ["y"], 20, inits, input_shapes={"x": ["B", "T", d]})
    x = rand(3, 5, d)
    check(m, {"x": x}, rtol=1e-4, atol=1e-4, shapes={"x": x.shape})
