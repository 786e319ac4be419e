"""LLVM types for tir dtypes, and the fast-math flags float arithmetic carries."""
from __future__ import annotations

from llvmlite import ir

from ..tir import dtype as dt

FAST = ("reassoc", "contract", "nsz", "arcp", "afn")  # no nnan/ninf: -inf and NaN compare correctly
# Division stays exact (no arcp/reassoc): x / c as x * (1/c) changes floor/ceil of quotients
# (resize coordinates, floor_divide) compared with numpy.
EXACT_DIV = ("nsz",)
I1, I8, I32, I64 = ir.IntType(1), ir.IntType(8), ir.IntType(32), ir.IntType(64)
PTR = ir.PointerType()

_SCALAR = {"bool": I1, "int8": I8, "int16": ir.IntType(16), "int32": I32, "int64": I64,
           "uint8": I8, "float32": ir.FloatType(), "float64": ir.DoubleType()}


def reg_type(dtype: str, lanes: int = 1) -> ir.Type:
    """The LLVM register type of ``dtype`` (``bool`` is ``i1``)."""
    t = _SCALAR[dt.check(dtype)]
    return ir.VectorType(t, lanes) if lanes > 1 else t


def mem_type(dtype: str, lanes: int = 1) -> ir.Type:
    """The LLVM in-memory element type of ``dtype`` (``bool`` is one byte, as numpy stores it)."""
    t = I8 if dtype == "bool" else _SCALAR[dt.check(dtype)]
    return ir.VectorType(t, lanes) if lanes > 1 else t


def lanes_of(v) -> int:
    return v.type.count if isinstance(v.type, ir.VectorType) else 1


def type_suffix(t: ir.Type) -> str:
    """LLVM's overloaded-intrinsic mangling: ``f32``, ``v16f32``, ``i64``, ``v8p0``."""
    if isinstance(t, ir.VectorType):
        return f"v{t.count}{type_suffix(t.element)}"
    if isinstance(t, ir.FloatType):
        return "f32"
    if isinstance(t, ir.DoubleType):
        return "f64"
    if isinstance(t, ir.PointerType):
        return "p0"
    return f"i{t.width}"
