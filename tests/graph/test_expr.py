"""Graph IR: construction with type inference, printer, structural equality, interpreter."""
import numpy as np
import pytest

from workbench.errors import RuntimeCallError, TypeCheckError
from workbench.graph import Function, Module, TensorType, Tuple, TupleGetItem, Var, call, const, run, structural_equal
from workbench.graph.expr import Attrs


def small():
    x = Var("input", TensorType((2, 3)))
    w = const(np.arange(6, dtype="float32").reshape(2, 3), name="w")
    y = call("nn.relu", call("add", x, w, name="add1"), name="relu1")
    return Module(Function((x,), call("multiply", y, const(2.0))))


def test_types_inferred_and_errors_name_the_node():
    x = Var("x", TensorType((2, 3)))
    assert call("add", x, Var("y", TensorType((1, 3)))).type == TensorType((2, 3))
    with pytest.raises(TypeCheckError, match=r"add: shapes \[2, 3\] and \[4, 3\] do not broadcast \(node 'bad'\)"):
        call("add", x, Var("z", TensorType((4, 3))), name="bad")
    with pytest.raises(TypeCheckError, match="unknown operator 'nn.rleu'; did you mean nn.relu"):
        call("nn.rleu", x)


def test_attrs_are_frozen_and_hashable():
    a = Attrs(strides=[1, 2], padding=[0, 0, 0, 0])
    assert a["strides"] == (1, 2) and hash(a) == hash(Attrs(padding=(0, 0, 0, 0), strides=(1, 2)))


def test_printer_shows_names_shapes_and_collapses_weights():
    text = str(small())
    assert text.splitlines()[0] == "def @main(%input: float32[2, 3]) -> float32[2, 3]:"
    assert "%0 = add(%input, @w)  # float32[2, 3]  add1" in text
    assert "multiply(%1, 2.0)" in text


def test_structural_equality():
    assert structural_equal(small(), small())
    x = Var("input", TensorType((2, 3)))
    other = Module(Function((x,), call("multiply", call("nn.relu", x), const(2.0))))
    assert not structural_equal(small(), other)


def test_interpreter_and_input_checks():
    mod = small()
    x = np.ones((2, 3), "float32")
    np.testing.assert_allclose(run(mod, input=x), np.maximum(x + np.arange(6).reshape(2, 3), 0) * 2)
    with pytest.raises(RuntimeCallError, match="missing input 'input'"):
        run(mod)
    with pytest.raises(RuntimeCallError, match=r"input 'input' must be float32\[2, 3\], got float32\[3, 2\]"):
        run(mod, input=np.ones((3, 2), "float32"))
    with pytest.raises(RuntimeCallError, match="unknown input"):
        run(mod, input=x, other=x)


def test_tuples():
    x = Var("x", TensorType((4,)))
    t = Tuple((call("exp", x), call("nn.relu", x)))
    out = run(Module(Function((x,), Tuple((TupleGetItem(t, 1), TupleGetItem(t, 0))))), x=np.array([-1, 0, 1, 2], "float32"))
    np.testing.assert_allclose(out[0], [0, 0, 1, 2])
    np.testing.assert_allclose(out[1], np.exp([-1, 0, 1, 2]).astype("float32"), rtol=1e-6)


def test_verify_lists_every_problem():
    from workbench.graph import VerifyError, verify
    from workbench.graph.expr import Call
    x = Var("x", TensorType((2, 3)))
    good = call("nn.relu", x)
    assert verify(Module(Function((x,), good)))
    stray = Var("z", TensorType((2, 3)))
    bad = Call(good.op, (stray,), good.attrs, TensorType((3, 3)), "r")
    with pytest.raises(VerifyError) as e:
        verify(Module(Function((x,), bad)))
    msg = str(e.value)
    assert "variable %z is not a parameter" in msg and "typed float32[3, 3] but its op infers float32[2, 3]" in msg


def test_ops_builder_namespace():
    from workbench.graph import ops
    x = ops.var("x", (1, 4))
    y = ops.nn.relu(ops.add(x, ops.const(1.0)), name="r")
    assert y.name == "r" and y.type == TensorType((1, 4))
    assert ops.nn.relu.__doc__.startswith("nn.relu")


def test_structural_hash_agrees_with_equality():
    from workbench.graph import structural_hash
    assert structural_hash(small()) == structural_hash(small())
    x = Var("input", TensorType((2, 3)))
    other = Module(Function((x,), call("multiply", call("nn.relu", x), const(2.0))))
    assert structural_hash(small()) != structural_hash(other)
