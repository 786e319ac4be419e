"""Operators: what each graph op means and how it is compiled.

An ``Op`` bundles everything the compiler needs to know about one operator:
its type rule (output shape and dtype from input types and attributes), its
fusion pattern kind, a numpy reference (the ground truth), a tensor-expression
compute and a default schedule for a fused group it anchors. The table of all
ops is built explicitly in ``op/__init__.py``: no import-time side effects.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Callable


class OpPattern(enum.IntEnum):
    """How an op may fuse with its neighbours (lower is more fusible), as in TVM's fuse_ops."""
    ELEMWISE = 0              # out[i] = f(in[i])
    BROADCAST = 1             # out[i] = f(in[g(i)]) with broadcasting
    INJECTIVE = 2             # each output element reads some input elements (reshape, transpose, pad...)
    COMM_REDUCE = 3           # reductions (sum, max...)
    OUT_ELEWISE_FUSABLE = 4   # heavy ops whose output can absorb an elementwise epilogue (conv2d, dense)
    TUPLE = 7                 # makes or takes tuples
    OPAQUE = 8                # never fused


@dataclass(frozen=True, eq=False)
class Op:
    """One operator.

    - ``infer(arg_types, attrs) -> Type``: the output type, or a TypeCheckError naming the op and shapes;
    - ``reference(*arrays, **attrs) -> ndarray | tuple``: numpy semantics (ground truth);
    - ``compute(*tensors, **attrs) -> te.Tensor | list``: the tensor expression, given te inputs;
    - ``schedule(outputs, anchor) -> Schedule``: the default schedule of a fused group this op anchors
      (``None``: the generic injective/reduction schedule is used).
    """
    name: str
    infer: Callable
    pattern: OpPattern
    reference: Callable
    compute: Callable | None = None
    schedule: Callable | None = None
    doc: str = ""
    attr_defaults: dict = field(default_factory=dict)

    def __repr__(self):
        return f"Op({self.name})"
