"""Each pass on small before() programs, checked against expected() by structural equality."""
import numpy as np

from workbench.graph import Function, Module, TensorType, Var, call, const, run, structural_equal
from workbench.graph.passes import (PassContext, Recorder, eliminate_common_subexpr, fold_constant, fold_scale_axis,
                                    optimize, simplify_inference)


def test_fold_constant():
    def before():
        x = Var("x", TensorType((3,)))
        c = call("add", const(np.ones(3, "float32")), const(np.full(3, 2, "float32")))
        return Module(Function((x,), call("multiply", x, call("exp", c))))

    def expected():
        x = Var("x", TensorType((3,)))
        return Module(Function((x,), call("multiply", x, const(np.exp(np.full(3, 3, "float32")).astype("float32")))))
    assert structural_equal(fold_constant(before()), expected())


def test_cse_merges_equal_calls_and_constants():
    x = Var("x", TensorType((3,)))
    a = call("exp", x)
    b = call("exp", x)
    mod = Module(Function((x,), call("add", call("multiply", a, const(2.0)), call("multiply", b, const(2.0)))))
    out = eliminate_common_subexpr(mod)
    add = out.main.body
    assert add.args[0] is add.args[1]
    xv = np.array([0, 1, 2], "float32")
    np.testing.assert_allclose(run(out, x=xv), run(mod, x=xv))


def test_unchanged_module_is_returned_as_is():
    x = Var("x", TensorType((3,)))
    mod = Module(Function((x,), call("nn.relu", x)))
    assert fold_constant(mod).main is mod.main
    assert simplify_inference(mod).main is mod.main


def test_recorder_sees_every_pass():
    x = Var("x", TensorType((3,)))
    mod = Module(Function((x,), call("nn.relu", call("add", x, const(np.ones(3, "float32"))))))
    rec = Recorder()
    optimize(mod, PassContext(instruments=[rec]))
    names = [r.name for r in rec.records]
    assert names[0] == "simplify_inference" and names[-1] == "fuse_ops"
    assert rec.records[-1].added == {"<fused group>": 1}
    assert "fuse_ops: +1 <fused group>" in str(rec)


def test_disabled_pass_is_skipped():
    x = Var("x", TensorType((3,)))
    mod = Module(Function((x,), call("nn.relu", x)))
    out = optimize(mod, PassContext(disabled=("fuse_ops",)))
    assert out.main is mod.main


def test_simplify_inference_batch_norm_and_dropout():
    g, b, m, v = (np.array(x, "float32") for x in ([2.0, 4.0], [1.0, 0.0], [0.5, 1.0], [3.0, 15.0]))

    def before():
        x = Var("x", TensorType((1, 2, 3, 3)))
        y = call("nn.batch_norm", x, const(g), const(b), const(m), const(v), epsilon=1.0)
        return Module(Function((x,), call("nn.dropout", y, rate=0.5)))

    def expected():
        x = Var("x", TensorType((1, 2, 3, 3)))
        scale = (g / np.sqrt(v + 1.0)).reshape(2, 1, 1)  # [1, 1]
        shift = (b - m * scale.reshape(2)).reshape(2, 1, 1)  # [0.5, -1]
        return Module(Function((x,), call("add", call("multiply", x, const(scale)), const(shift))))
    assert structural_equal(simplify_inference(before()), expected())


def test_fold_scale_axis_into_conv_weights():
    w = np.arange(2 * 1 * 1 * 1, dtype="float32").reshape(2, 1, 1, 1) + 1
    s = np.array([3.0, 5.0], "float32").reshape(2, 1, 1)

    def before():
        x = Var("x", TensorType((1, 1, 4, 4)))
        return Module(Function((x,), call("multiply", call("nn.conv2d", x, const(w)), const(s))))

    def expected():
        x = Var("x", TensorType((1, 1, 4, 4)))
        return Module(Function((x,), call("nn.conv2d", x, const(w * s.reshape(2, 1, 1, 1)))))
    assert structural_equal(fold_scale_axis(before()), expected())


def test_fold_scale_axis_keeps_a_conv_with_other_users():
    x = Var("x", TensorType((1, 1, 4, 4)))
    conv = call("nn.conv2d", x, const(np.ones((2, 1, 1, 1), "float32")))
    mod = Module(Function((x,), call("add", call("multiply", conv, const(np.ones((2, 1, 1), "float32"))), conv)))
    assert fold_scale_axis(mod).main is mod.main


def test_dead_code_elimination_drops_unreferenced_functions():
    from workbench.graph.passes import dead_code_elimination
    x = Var("x", TensorType((3,)))
    y = Var("y", TensorType((3,)))
    mod = Module({"main": Function((x,), call("nn.relu", x)), "unused": Function((y,), call("exp", y))})
    assert list(dead_code_elimination(mod).functions) == ["main"]
