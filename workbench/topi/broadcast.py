"""Binary and ternary operators with numpy broadcasting.

Shapes line up from the right; a dimension of size 1 (or a missing leading
dimension) stretches to match the other operand. ``broadcast_shape`` decides the
output shape and ``broadcast_index`` maps an output index back to the element
of an operand, reading index 0 along stretched dimensions. Python numbers are
accepted in place of tensors and become constants of the tensor's dtype.

>>> from workbench import te, topi
>>> x = te.placeholder((4, 3), name="x"); b = te.placeholder((3,), name="b")
>>> y = topi.add(x, b)            # [4, 3]
"""
from __future__ import annotations

from .. import te
from ..te.tensor import Tensor
from ..tir import expr as E
from ._util import check_tensor, fail


def broadcast_shape(op: str, *shapes) -> tuple:
    """The numpy broadcast of ``shapes``, or a TypeCheckError naming ``op`` and the shapes."""
    rank = max((len(s) for s in shapes), default=0)
    out = []
    for d in range(rank):
        sizes = {s[len(s) - rank + d] for s in shapes if len(s) - rank + d >= 0} - {1}
        if len(sizes) > 1:
            fail(op, f"shapes {' and '.join(str(list(s)) for s in shapes)} cannot be broadcast together "
                     f"(dimension {d - rank} has sizes {sorted(sizes)}; each must be equal or 1)")
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def broadcast_index(shape: tuple, out_shape: tuple, index: tuple) -> tuple:
    """The index into a tensor of ``shape`` read by output element ``index`` of ``out_shape``."""
    lead = len(out_shape) - len(shape)
    return tuple(0 if n == 1 and out_shape[lead + d] != 1 else index[lead + d] for d, n in enumerate(shape))


def _reader(x, out_shape):
    """A function from an output index to the expression for ``x`` there."""
    if isinstance(x, Tensor):
        return lambda idx: x[broadcast_index(x.shape, out_shape, idx)]
    return lambda idx: x  # a Python number takes the other operand's dtype when combined


def _shape_of(x):
    return x.shape if isinstance(x, Tensor) else ()


def _check_operand(op: str, x):
    if isinstance(x, Tensor) or isinstance(x, (bool, int, float)) or isinstance(x, E.PrimExpr):
        return x
    fail(op, f"operands must be te Tensors or Python numbers, got {type(x).__name__}")


def broadcast_map(op: str, fn, operands: list, name: str) -> Tensor:
    """``fn`` applied to broadcast elements of ``operands`` (tensors or Python numbers).

    >>> x = te.placeholder((4, 3), name="x")
    >>> z = broadcast_map("hypot", lambda a, b: te.sqrt(a * a + b * b), [x, 1.0], name="hypot")
    """
    operands = [_check_operand(op, x) for x in operands]
    if not any(isinstance(x, Tensor) for x in operands):
        fail(op, "at least one operand must be a te Tensor")
    out_shape = broadcast_shape(op, *[_shape_of(x) for x in operands])
    readers = [_reader(x, out_shape) for x in operands]
    return te.compute(out_shape, lambda *idx: fn(*[r(idx) for r in readers]), name=name)


def broadcast_to(x: Tensor, shape, name: str = "broadcast_to") -> Tensor:
    """``x`` repeated along stretched dimensions to ``shape`` (numpy's ``broadcast_to``).

    >>> y = broadcast_to(te.placeholder((3, 1), name="x"), (2, 3, 4))   # [2, 3, 4]
    """
    check_tensor("broadcast_to", x)
    shape = tuple(shape)
    if broadcast_shape("broadcast_to", x.shape, shape) != shape:
        fail("broadcast_to", f"cannot broadcast shape {list(x.shape)} to {list(shape)}")
    return te.compute(shape, lambda *idx: x[broadcast_index(x.shape, shape, idx)], name=name)


def _binary(op_name: str, fn, doc: str):
    def op(lhs, rhs, name: str = op_name) -> Tensor:
        return broadcast_map(op_name, fn, [lhs, rhs], name)
    op.__name__ = op.__qualname__ = op_name
    op.__doc__ = (f"{doc}, elementwise with numpy broadcasting.\n\n"
                  f"    >>> z = {op_name}(te.placeholder((2, 3), name='a'), te.placeholder((3,), name='b'))\n")
    return op


add = _binary("add", lambda a, b: a + b, "``lhs + rhs``")
subtract = _binary("subtract", lambda a, b: a - b, "``lhs - rhs``")
multiply = _binary("multiply", lambda a, b: a * b, "``lhs * rhs``")
divide = _binary("divide", lambda a, b: a / b,
                 "``lhs / rhs`` (true division for floats; integers round toward zero, as in C and ONNX)")
floor_divide = _binary("floor_divide", lambda a, b: a // b, "``lhs // rhs`` rounding toward minus infinity")
floor_mod = _binary("floor_mod", lambda a, b: a % b, "``lhs % rhs`` with the sign of ``rhs`` (numpy's ``mod``)")
power = _binary("power", te.pow, "``lhs ** rhs``")
maximum = _binary("maximum", te.max, "The larger of ``lhs`` and ``rhs``")
minimum = _binary("minimum", te.min, "The smaller of ``lhs`` and ``rhs``")
equal = _binary("equal", lambda a, b: a == b, "``lhs == rhs`` as bool")
not_equal = _binary("not_equal", lambda a, b: a != b, "``lhs != rhs`` as bool")
less = _binary("less", lambda a, b: a < b, "``lhs < rhs`` as bool")
less_equal = _binary("less_equal", lambda a, b: a <= b, "``lhs <= rhs`` as bool")
greater = _binary("greater", lambda a, b: a > b, "``lhs > rhs`` as bool")
greater_equal = _binary("greater_equal", lambda a, b: a >= b, "``lhs >= rhs`` as bool")
logical_and = _binary("logical_and", lambda a, b: a & b, "Logical and (non-zero is true) as bool")
logical_or = _binary("logical_or", lambda a, b: a | b, "Logical or (non-zero is true) as bool")


def where(condition, x, y, name: str = "where") -> Tensor:
    """``x`` where ``condition`` holds (non-zero), else ``y``; all three broadcast together.

    >>> c = te.placeholder((2, 3), "bool", name="c")
    >>> z = where(c, te.placeholder((3,), name="x"), 0.0)
    """
    return broadcast_map("where", te.if_then_else, [condition, x, y], name)
