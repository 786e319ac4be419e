"""The backend API: a name, a pattern table, and ``build(partition) -> callable``.

A backend says what it takes (its ``table``) and turns each partition the
partitioner hands it into a Python callable: numpy arrays in (one per
parameter of the partition, in order), an array out (a tuple for several
outputs). Workbench checks what comes back and names the partition when it is
wrong. A whole backend that hands matmuls to numpy::

    class NumpyMatmul(Backend):
        name = "numpy"
        table = PatternTable([op_rule("nn.matmul", float32)])

        def build(self, part):
            return lambda *arrays: evaluate(part.function, arrays, {"nn.matmul": np.matmul})

``evaluate`` walks a partition's function calling your implementation of each
operator, so a backend that works op by op needs nothing more.
"""
from __future__ import annotations

from dataclasses import dataclass

from ...errors import ExternalBackendError
from ...graph.expr import Call, Function
from ...graph.functor import post_order
from ...graph.interpreter import eval_function
from ..table import PatternTable


@dataclass(frozen=True)
class Partition:
    """One region handed to a backend: its function (parameters in call order) and its name."""
    name: str
    function: Function

    @property
    def input_types(self) -> list:
        """The TensorType of each parameter, in call order."""
        return [p.type for p in self.function.params]

    @property
    def output_types(self) -> list:
        """The TensorType of each output (one, or the fields of a tuple result)."""
        t = self.function.ret_type
        return list(t.fields) if hasattr(t, "fields") else [t]

    @property
    def ops(self) -> list:
        """Operator names in the partition, composites expanded, in order."""
        return partition_ops(self.function)


def partition_ops(fn: Function) -> list:
    """Operator names of a function, in post order, composite functions expanded."""
    out = []
    for n in post_order(fn.body):
        if isinstance(n, Call):
            if isinstance(n.op, Function):
                out.extend(partition_ops(n.op))
            else:
                out.append(n.op.name)
    return out


class Backend:
    """Base class of external backends: set ``name`` and ``table``, implement ``build``."""
    name: str = ""
    table: PatternTable = PatternTable()

    def build(self, part: Partition):
        """A callable running ``part``: ``fn(*arrays) -> array | tuple of arrays``."""
        raise NotImplementedError(f"backend {self.name!r} must implement build(partition)")

    def source(self, part: Partition) -> str:
        """Human-readable code for ``part`` (the C source, the ONNX graph...), if the backend has one."""
        return ""

    def __repr__(self):
        return f"<{type(self).__name__} {self.name!r}: {len(self.table)} rules>"


class FunctionBackend(Backend):
    """A backend from a dict of numpy implementations, one per operator it takes.

    >>> import numpy as np
    >>> from workbench.byoc.table import PatternTable, op_rule
    >>> be = FunctionBackend("numpy", PatternTable([op_rule("nn.matmul")]), {"nn.matmul": np.matmul})
    """

    def __init__(self, name: str, table: PatternTable, impls: dict):
        self.name, self.table, self.impls = name, table, dict(impls)

    def build(self, part: Partition):
        missing = sorted(set(part.ops) - set(self.impls))
        if missing:
            raise ExternalBackendError(f"backend {self.name!r} has no implementation of {', '.join(missing)} "
                                       f"(partition {part.name}); add them to its impls dict")
        fn, impls = part.function, self.impls
        return lambda *arrays: evaluate(fn, arrays, impls)


def evaluate(fn: Function, args, impls: dict):
    """Run ``fn`` on arrays, calling ``impls[op_name](*arrays, **attrs)`` for each operator.

    An implementation may leave out the attributes it does not use (they are passed only if it takes them).
    """
    import inspect

    def apply_op(call, vals):
        impl = impls.get(call.op.name)
        if impl is None:
            raise ExternalBackendError(f"evaluate: no implementation of {call.op.name} given")
        try:
            params = inspect.signature(impl).parameters
            takes_all = any(p.kind is p.VAR_KEYWORD for p in params.values())
            kw = {k: v for k, v in call.attrs.items() if takes_all or k in params}
        except (TypeError, ValueError):  # builtins such as np.matmul have no inspectable signature
            kw = {}
        return impl(*vals, **kw)
    return eval_function(fn, list(args), apply_op)
