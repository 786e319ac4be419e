"""A fused group (a Primitive function) as tensor expressions, and its default schedule.

Each parameter becomes a ``te.placeholder``; each operator call applies the
op's te compute to the tensors of its arguments. The anchor is the op with the
heaviest pattern (conv2d over an elementwise epilogue); its default schedule
arranges the whole group, else a generic injective or reduction schedule does.
"""
from __future__ import annotations

from dataclasses import dataclass

from .. import te
from ..errors import LoweringError
from .expr import Call, Constant, Function, Tuple, TupleGetItem, Var
from .functor import post_order
from .op import OpPattern


@dataclass
class GroupTE:
    """The tensor expressions of one fused group."""
    inputs: list      # te placeholders, one per parameter
    outputs: list     # te tensors of the group's result(s)
    anchor: object    # the te tensor of the anchor op (None when the group has no op)
    anchor_op: object
    ops: list         # op names in order


def _scalar(c: Constant):
    v = c.data.reshape(()).item()
    shape = c.data.shape
    return te.compute(shape if shape else (), lambda *i: te.const(v, c.data.dtype.name), name="const")


def group_to_te(fn: Function) -> GroupTE:
    """Build the tensor expressions of a fused group."""
    env: dict = {}
    inputs = []
    for k, p in enumerate(fn.params):
        t = te.placeholder(p.type.shape, p.type.dtype, name=f"p{k}")
        env[id(p)] = t
        inputs.append(t)
    anchor, anchor_op, best, ops = None, None, -1, []
    for n in post_order(fn.body):
        if id(n) in env:
            continue
        if isinstance(n, Constant):
            if n.data.size != 1:
                raise LoweringError(f"group {fn.name}: a non-scalar constant inside a fused group "
                                    "(fuse_ops makes them parameters)")
            env[id(n)] = _scalar(n)
        elif isinstance(n, Call):
            if isinstance(n.op, Function) or n.op.compute is None:
                what = n.op.name if not isinstance(n.op, Function) else "a nested function"
                raise LoweringError(f"group {fn.name}: {what} has no tensor-expression compute")
            out = n.op.compute(*[env[id(a)] for a in n.args], **dict(n.attrs))
            env[id(n)] = out
            ops.append(n.op.name)
            if n.op.pattern is not OpPattern.TUPLE and n.op.pattern >= best:
                best, anchor_op = n.op.pattern, n.op
                anchor = out[0] if isinstance(out, (list, tuple)) else out
        elif isinstance(n, Tuple):
            env[id(n)] = [env[id(f)] for f in n.fields]
        elif isinstance(n, TupleGetItem):
            env[id(n)] = env[id(n.tuple_value)][n.index]
        elif isinstance(n, Var):
            raise LoweringError(f"group {fn.name}: free variable {n.name}")
    out = env[id(fn.body)]
    outputs = list(out) if isinstance(out, (list, tuple)) else [out]
    seen: set = set(map(id, inputs))
    for k, t in enumerate(outputs):  # an output that is an input, or repeated, gets its own buffer
        if id(t) in seen:
            outputs[k] = te.compute(t.shape, lambda *i, t=t: t[i], name=f"copy{k}")
        seen.add(id(outputs[k]))
    return GroupTE(inputs, outputs, anchor, anchor_op, ops)


def default_schedule(g: GroupTE):
    """The schedule of a group: the anchor op's, else the generic one for its pattern."""
    if g.anchor_op is not None and g.anchor_op.schedule is not None:
        return g.anchor_op.schedule(g.outputs, g.anchor)
    try:
        from .op.schedules import schedule_injective, schedule_reduce
    except ImportError:  # schedules not available: the unscheduled nest is still correct
        return te.create_schedule([o.op for o in g.outputs])
    if g.anchor_op is not None and g.anchor_op.pattern is OpPattern.COMM_REDUCE:
        return schedule_reduce(g.outputs, g.anchor)
    return schedule_injective(g.outputs, g.anchor)
