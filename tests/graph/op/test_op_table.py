"""The operator table as a whole: the catalog the frontend relies on, and ops running in the graph interpreter."""
import numpy as np

from workbench.graph.expr import Function, Module, TupleGetItem, Var, call, const
from workbench.graph.interpreter import run
from workbench.graph.op import OPS
from workbench.graph.types import TensorType

CATALOG = """
nn.relu sigmoid tanh exp log sqrt rsqrt abs negative erf floor ceil round reciprocal sin cos logical_not
nn.leaky_relu nn.hard_sigmoid nn.hard_swish nn.gelu clip cast copy nn.dropout
add subtract multiply divide power maximum minimum floor_divide floor_mod equal not_equal less less_equal greater
greater_equal logical_and logical_or logical_xor where
nn.conv2d nn.conv2d_transpose nn.dense nn.matmul nn.bias_add nn.batch_norm nn.layer_norm nn.instance_norm
nn.max_pool2d nn.avg_pool2d nn.global_avg_pool2d nn.global_max_pool2d nn.softmax nn.log_softmax nn.pad
reshape transpose squeeze expand_dims concatenate split strided_slice take gather_elements broadcast_to tile
image.resize2d
sum mean max min prod argmax argmin
""".split()

DEFAULTS = {
    "nn.leaky_relu": {"alpha": 0.01}, "nn.hard_sigmoid": {"alpha": 0.2, "beta": 0.5},
    "nn.gelu": {"approximate": "none"}, "nn.dropout": {"rate": 0.5},
    "nn.conv2d": {"strides": (1, 1), "padding": (0, 0, 0, 0), "dilation": (1, 1), "groups": 1},
    "nn.conv2d_transpose": {"strides": (1, 1), "padding": (0, 0, 0, 0), "dilation": (1, 1), "groups": 1,
                            "output_padding": (0, 0)},
    "nn.bias_add": {"axis": 1}, "nn.batch_norm": {"axis": 1, "epsilon": 1e-5},
    "nn.layer_norm": {"axis": -1, "epsilon": 1e-5}, "nn.instance_norm": {"epsilon": 1e-5},
    "nn.max_pool2d": {"strides": (1, 1), "padding": (0, 0, 0, 0), "dilation": (1, 1), "ceil_mode": False},
    "nn.avg_pool2d": {"strides": (1, 1), "padding": (0, 0, 0, 0), "dilation": (1, 1), "ceil_mode": False,
                      "count_include_pad": False},
    "nn.softmax": {"axis": -1}, "nn.log_softmax": {"axis": -1}, "nn.pad": {"pad_value": 0.0},
    "transpose": {"axes": None}, "expand_dims": {"num_newaxis": 1},
    "image.resize2d": {"method": "nearest", "coordinate_transformation_mode": "half_pixel",
                       "nearest_mode": "round_prefer_floor"},
    "sum": {"axis": None, "keepdims": False}, "argmax": {"axis": 0, "keepdims": True, "select_last_index": False},
}


def test_catalog_is_complete_and_documented():
    missing = [n for n in CATALOG if n not in OPS]
    assert not missing
    for name in CATALOG:
        op = OPS[name]
        assert op.doc and op.compute is not None and op.reference is not None, name
    for name, defaults in DEFAULTS.items():
        for k, v in defaults.items():
            assert OPS[name].attr_defaults[k] == v, (name, k)


def test_interpreter_runs_a_small_model():
    x = Var("x", TensorType((1, 3, 8, 8)))
    w = const(np.random.default_rng(0).standard_normal((4, 3, 3, 3)).astype("float32"), name="w")
    y = call("nn.relu", call("nn.conv2d", x, w, padding=(1, 1, 1, 1)))
    y = call("nn.max_pool2d", y, pool_size=(2, 2), strides=(2, 2))
    parts = call("split", y, indices=(1, 3), axis=1)
    z = call("concatenate", TupleGetItem(parts, 2), TupleGetItem(parts, 0), axis=1)
    out = call("nn.softmax", call("reshape", z, newshape=(1, 32)))
    mod = Module(Function((x,), out))
    assert out.type == TensorType((1, 32))
    res = run(mod, x=np.random.default_rng(1).standard_normal((1, 3, 8, 8)).astype("float32"))
    assert res.shape == (1, 32) and res.dtype == np.float32
    np.testing.assert_allclose(res.sum(), 1.0, rtol=1e-5)


def test_unknown_and_missing_attributes_are_named():
    import pytest
    from workbench.errors import TypeCheckError
    x = Var("x", TensorType((1, 2, 6, 6)))
    with pytest.raises(TypeCheckError, match="nn.max_pool2d: unknown attribute.* kernel_size; it takes pool_size"):
        call("nn.max_pool2d", x, pool_size=(2, 2), kernel_size=(2, 2))
    with pytest.raises(TypeCheckError, match="nn.relu: unknown attribute.* alpha; it takes no attributes"):
        call("nn.relu", x, alpha=0.1)
    with pytest.raises(TypeCheckError, match="reshape: needs the attribute newshape"):
        call("reshape", x)
    with pytest.raises(TypeCheckError, match=r"strided_slice: needs the attribute end .*\(node 's1'\)"):
        call("strided_slice", x, begin=(0,), name="s1")
