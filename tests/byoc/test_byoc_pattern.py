"""The pattern language and pattern tables: what matches, what does not, and the reasons given."""
import pytest

from workbench.byoc import (
    PatternError,
    PatternTable,
    Rule,
    check,
    float32,
    is_constant,
    is_op,
    is_var,
    match,
    op_rule,
    wildcard,
)
from workbench.graph import ops


def conv_block(groups=1, dtype="float32"):
    x = ops.var("x", (1, 4, 8, 8), dtype)
    w = ops.const(__import__("numpy").ones((4, 4 // groups, 3, 3), dtype), name="w")
    b = ops.const(__import__("numpy").ones((4, 1, 1), dtype), name="b")
    conv = ops.nn.conv2d(x, w, padding=(1, 1, 1, 1), groups=groups, name="conv")
    return x, conv, ops.nn.relu(ops.add(conv, b, name="bias"), name="relu")


CONV = is_op("nn.conv2d")(wildcard(), is_constant())
CONV_BIAS_RELU = is_op("nn.relu")(is_op("add")(CONV, is_constant()))


def test_composite_pattern_matches_and_binds():
    x, conv, relu = conv_block()
    m = match(CONV_BIAS_RELU, relu)
    assert m
    assert [c.op.name for c in m.calls] == ["nn.conv2d", "add", "nn.relu"]
    assert m.inputs[0] is x and len(m.inputs) == 3   # x, the weight and the bias
    assert m[CONV] is conv


def test_mismatch_says_where_and_why():
    x, conv, relu = conv_block()
    m = match(CONV_BIAS_RELU, conv)
    assert not m and m.reason == "expected nn.relu, found nn.conv2d (conv)"
    m = match(is_op("nn.relu")(is_op("add")(CONV, is_var())), relu)
    assert not m and "expected variable" in m.reason
    m = match(is_op("nn.relu")(is_op("add")(is_op("nn.dense")(wildcard(), wildcard()), wildcard())), relu)
    assert not m and m.reason == "expected nn.dense, found nn.conv2d (conv)"


def test_attribute_shape_and_dtype_checks():
    x, conv, relu = conv_block(groups=2)
    assert match(CONV.has_attr(groups=2), conv)
    m = match(CONV.has_attr(groups=1), conv)
    assert not m and m.reason == "nn.conv2d (conv): attribute groups is 2, the pattern wants 1"
    assert match(CONV.has_attr(padding=[1, 1, 1, 1]), conv)          # lists compare as tuples
    assert match(wildcard().has_shape((1, None, 8, 8)), conv)
    m = match(wildcard().has_shape((1, None, 4, 4)), conv)
    assert not m and "shape is (1, 4, 8, 8), the pattern wants (1, *, 4, 4)" in m.reason
    assert match(wildcard().has_dtype("float32"), conv)
    m = match(wildcard().has_dtype("float16"), conv)
    assert not m and "dtype is float32" in m.reason


def test_alternatives_and_repeated_patterns():
    v = ops.var("v", (2, 3))
    act = is_op("nn.relu") | is_op("sigmoid")
    assert match(act, ops.nn.relu(v)) and match(act, ops.sigmoid(v))
    m = match(act, ops.exp(v))
    assert not m and m.reason.startswith("neither alternative matched: expected nn.relu")
    same = wildcard()
    square = is_op("multiply")(same, same)
    assert match(square, ops.multiply(v, v))
    m = match(square, ops.multiply(v, ops.exp(v)))
    assert not m and "used twice" in m.reason
    # a failed alternative leaves no bindings behind
    p = is_op("add")(is_op("exp")(same), same) | is_op("add")(wildcard(), wildcard())
    assert match(p, ops.add(ops.exp(v), ops.nn.relu(v)))


def test_bad_patterns_are_named():
    with pytest.raises(PatternError, match="did you mean nn.conv2d"):
        is_op("nn.conv2")
    with pytest.raises(PatternError, match="not a pattern"):
        is_op("add")(wildcard(), 1.0)
    with pytest.raises(PatternError, match="unique"):
        PatternTable([op_rule("add"), op_rule("add")])


def test_rules_run_checks_and_name_the_failed_one():
    groups1 = check("groups == 1", lambda m: m.root.attrs["groups"] == 1)
    rule = Rule("conv", CONV, [float32, groups1])
    _, conv, relu = conv_block(groups=1)
    assert rule.try_match(conv)
    _, conv2, _ = conv_block(groups=2)
    assert rule.try_match(conv2).reason == "check 'groups == 1' failed"
    broken = Rule("conv", CONV, [check("crashes", lambda m: 1 / 0)])
    assert "raised ZeroDivisionError" in broken.try_match(conv).reason


def test_table_sorts_composites_and_explains():
    table = PatternTable([Rule("conv_bias_relu", CONV_BIAS_RELU), op_rule("nn.relu", float32), Rule("c", CONV)])
    assert [r.name for r in table.composites] == ["conv_bias_relu"]
    assert [r.name for r in table.singles] == ["nn.relu", "c"]
    assert table.ops() == {"nn.conv2d", "add", "nn.relu"}
    v = ops.var("v", (2, 3))
    assert table.explain(ops.exp(v)) == ["no pattern for exp"]
    vi = ops.var("i", (2, 3), "int32")
    assert table.explain(ops.nn.relu(vi)) == ["rule nn.relu: check 'all tensors are float32' failed"]
    only = table.only("nn.conv2d")
    assert [r.name for r in only] == ["conv_bias_relu", "c"]
    assert "conv_bias_relu" in repr(table + PatternTable([op_rule("exp")]))
