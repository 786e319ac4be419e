"""The operator table: every graph op by name (see ``registry.Op`` for what an op declares).

>>> get_op("nn.relu").pattern
<OpPattern.ELEMWISE: 0>
"""
from __future__ import annotations

import difflib

from ...errors import TypeCheckError
from .registry import Op, OpPattern

_MODULES = ("elemwise", "broadcast", "conv", "nn", "layout", "transform", "reduce")


def _collect() -> dict:
    import importlib
    table: dict = {}
    for m in _MODULES:
        try:
            mod = importlib.import_module(f"{__name__}.{m}")
        except ModuleNotFoundError as e:
            if e.name == f"{__name__}.{m}":
                continue
            raise
        for op in mod.OPS:
            if op.name in table:
                raise RuntimeError(f"op {op.name!r} is defined twice")
            table[op.name] = op
    return table


def _default_schedules() -> dict:
    """Which default schedule each anchor op uses (others: the generic injective/reduce ones)."""
    from . import schedules as sch
    table = {"nn.conv2d": sch.schedule_conv2d, "nn.conv2d_packed": sch.schedule_conv2d_packed,
             "nn.conv2d_winograd": sch.schedule_conv2d_winograd,
             "nn.dense": sch.schedule_dense, "nn.matmul": sch.schedule_dense,
             "nn.softmax": sch.schedule_softmax, "nn.log_softmax": sch.schedule_softmax,
             "nn.layer_norm": sch.schedule_layer_norm}
    for name in ("nn.max_pool2d", "nn.avg_pool2d", "nn.global_avg_pool2d", "nn.global_max_pool2d"):
        table[name] = sch.schedule_pool
    for name in ("sum", "mean", "max", "min", "prod"):
        table[name] = sch.schedule_reduce
    return table


def _with_schedules(table: dict) -> dict:
    import dataclasses
    fns = _default_schedules()
    return {k: dataclasses.replace(op, schedule=fns[k]) if k in fns and op.schedule is None else op
            for k, op in table.items()}


OPS: dict = _with_schedules(_collect())


def get_op(name: str) -> Op:
    """The operator called ``name``; a clear error (with close names) when there is none."""
    op = OPS.get(name)
    if op is None:
        close = difflib.get_close_matches(name, OPS, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise TypeCheckError(f"unknown operator {name!r}{hint}")
    return op


__all__ = ["OPS", "Op", "OpPattern", "get_op"]
