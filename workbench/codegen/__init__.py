"""Code generation: loop-nest IR (``workbench.tir``) → native code.

``build(primfunc)`` compiles with LLVM (llvmlite) for the host CPU and returns a
``CompiledFunc``; ``workbench.runtime.Kernel`` wraps it into a checked callable.
"""
from .llvm import CompiledFunc, build, emit_module

__all__ = ["CompiledFunc", "build", "emit_module"]
