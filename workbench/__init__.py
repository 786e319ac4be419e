"""Workbench: a deep-learning compiler you can watch and steer from a notebook.

>>> import workbench as wb
>>> from workbench import te
>>> A = te.placeholder((4,), name="A"); B = te.compute((4,), lambda i: A[i] + 1.0, name="B")
>>> s = te.create_schedule(B.op)
>>> print(wb.lower(s, [A, B]))
def main(A: float32[4], B: float32[4]):
    for i in range(4):
        B[i] = A[i] + 1.0
"""
from . import ansor, autotvm, byoc, errors, graph, te, tir, tune
from .build import build
from .compile import compile
from .errors import (CodegenError, LoweringError, RuntimeCallError, ScheduleError, TuningError, TypeCheckError,
                     WorkbenchError)
from .lower import lower
from .runtime import Kernel, TimeResult

__version__ = "0.1.0"
