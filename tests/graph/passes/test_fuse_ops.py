"""fuse_ops: which operators end up in one kernel, and why."""
import numpy as np

from workbench.graph import Call, Function, Module, TensorType, Var, call, const, run
from workbench.graph.functor import post_order
from workbench.graph.passes import fuse_ops


def groups(mod):
    return [[n.op.name for n in post_order(c.op.body) if isinstance(n, Call)]
            for c in post_order(mod.main.body) if isinstance(c, Call) and isinstance(c.op, Function)]


def test_elementwise_chain_with_diamond_is_one_group():
    x = Var("x", TensorType((2, 3)))
    r = call("nn.relu", call("add", x, const(np.ones((2, 3), "float32"))))
    mod = Module(Function((x,), call("multiply", r, call("exp", r))))
    fused = fuse_ops(mod)
    assert groups(fused) == [["add", "nn.relu", "exp", "multiply"]]
    xv = np.random.default_rng(0).normal(size=(2, 3)).astype("float32")
    np.testing.assert_allclose(run(fused, x=xv), run(mod, x=xv), rtol=1e-6)


def test_weights_become_parameters_scalars_stay_inside():
    x = Var("x", TensorType((2, 3)))
    mod = Module(Function((x,), call("multiply", call("add", x, const(np.ones((2, 3), "float32"), name="w")),
                                     const(3.0))))
    (c,) = [n for n in post_order(fuse_ops(mod).main.body) if isinstance(n, Call)]
    assert [p.type.shape for p in c.op.params] == [(2, 3), (2, 3)]
    assert c.op.attrs["Primitive"] == 1
