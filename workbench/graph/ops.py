"""Builder functions for every operator: ``ops.add(x, y)``, ``ops.nn.conv2d(x, w, padding=(1, 1, 1, 1))``.

A thin, generated layer over ``call``: each op of the table becomes a function
(named by the op, ``nn.`` ops under ``ops.nn``, ``image.`` under ``ops.image``)
with the op's doc, plus ``var`` for inputs.

>>> from workbench.graph import ops
>>> x = ops.var("x", (1, 8))
>>> y = ops.nn.relu(ops.add(x, ops.const(1.0)))
>>> y.type.shape
(1, 8)
"""
from __future__ import annotations

import types as _types

from .expr import Var, call, const  # noqa: F401  (const is part of this namespace)
from .op import OPS
from .types import TensorType


def var(name: str, shape, dtype: str = "float32") -> Var:
    """A model input (function parameter) of the given shape and dtype."""
    return Var(name, TensorType(tuple(shape), dtype))


def _builder(op):
    def f(*args, name: str = "", **attrs):
        return call(op, *args, name=name, **attrs)
    f.__name__ = op.name.split(".")[-1]
    f.__doc__ = f"{op.name}: {op.doc}" + (f" (defaults: {op.attr_defaults})" if op.attr_defaults else "")
    return f


for _op in OPS.values():
    *_ns, _leaf = _op.name.split(".")
    _target = globals()
    for _part in _ns:
        _target = _target.setdefault(_part, _types.SimpleNamespace()).__dict__
    _target[_leaf] = _builder(_op)
