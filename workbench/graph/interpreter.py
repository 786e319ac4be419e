"""A numpy interpreter for graph modules: the ground truth compiled models are checked against.

Each op runs its numpy ``reference``; fused groups and other functions are
called like any function. Inputs are checked against the parameters' types.

>>> import numpy as np
>>> from workbench.graph.expr import Var, Function, Module, call
>>> from workbench.graph.types import TensorType
>>> x = Var("x", TensorType((3,)))
>>> run(Module(Function((x,), call("nn.relu", x))), x=np.array([-1, 0, 2], "float32"))
array([0., 0., 2.], dtype=float32)
"""
from __future__ import annotations

import numpy as np

from ..errors import WorkbenchError
from ..runtime.inputs import check_named_inputs
from .expr import Call, Constant, Function, Module, Tuple, TupleGetItem, Var
from .functor import post_order


def check_inputs(fn: Function, inputs: dict) -> list:
    """The arrays for ``fn``'s parameters, in order, checked for presence, shape and dtype."""
    return check_named_inputs([(p.name, p.type.shape, p.type.dtype) for p in fn.params], inputs)


def _reference(call: Call, arrays: list):
    with np.errstate(all="ignore"):
        return call.op.reference(*arrays, **dict(call.attrs))


def eval_function(fn: Function, args: list, apply_op=None):
    """Evaluate ``fn`` on argument arrays; returns an array or a tuple of arrays.

    ``apply_op(call, arrays)`` computes one operator call; by default the op's numpy ``reference``
    (a BYOC backend passes its own implementations).
    """
    apply_op = apply_op or _reference
    env = {id(p): a for p, a in zip(fn.params, args)}
    for n in post_order(fn.body):
        if id(n) in env:
            continue
        if isinstance(n, Constant):
            env[id(n)] = n.data
        elif isinstance(n, Var):
            raise WorkbenchError(f"interpreter: free variable {n.name!r}")
        elif isinstance(n, Tuple):
            env[id(n)] = tuple(env[id(f)] for f in n.fields)
        elif isinstance(n, TupleGetItem):
            env[id(n)] = env[id(n.tuple_value)][n.index]
        elif isinstance(n, Call):
            vals = [env[id(a)] for a in n.args]
            if isinstance(n.op, Function):
                env[id(n)] = eval_function(n.op, vals, apply_op)
            else:
                env[id(n)] = apply_op(n, vals)
        elif isinstance(n, Function):
            continue
    return env[id(fn.body)]


def run(mod: Module, **inputs):
    """Run ``mod["main"]`` on named numpy inputs; returns an array (or a tuple for several outputs)."""
    fn = mod.main
    return eval_function(fn, check_inputs(fn, inputs))
