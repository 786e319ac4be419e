"""Running compiled code: ``Kernel`` (one compiled operator) and timing results.

>>> from workbench.runtime import build_kernel   # PrimFunc -> callable Kernel
"""
from .kernel import SOURCE_KINDS, Kernel, build_kernel
from .timing import TimeResult

__all__ = ["Kernel", "TimeResult", "build_kernel", "SOURCE_KINDS"]
