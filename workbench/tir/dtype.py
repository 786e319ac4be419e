"""Scalar data types, named as numpy names them ("float32", "int64", "bool").

Types are plain strings so they print, compare and serialize without ceremony;
this module answers questions about them and decides the result type of
mixed arithmetic.
"""
import numpy as np

from ..errors import TypeCheckError

DTYPES = ("bool", "int8", "int16", "int32", "int64", "uint8", "float32", "float64")
INDEX = "int64"  # loop variables and index arithmetic


def check(dtype) -> str:
    """Return the canonical name of ``dtype`` (a string or numpy dtype), or raise."""
    name = np.dtype(dtype).name if not isinstance(dtype, str) else dtype
    if name not in DTYPES:
        raise TypeCheckError(f"dtype {dtype!r} is not supported; use one of {', '.join(DTYPES)}")
    return name


def is_float(dtype: str) -> bool:
    """True for float32 and float64: ``is_float("float32")``."""
    return dtype.startswith("float")


def is_int(dtype: str) -> bool:
    """True for signed and unsigned integers (not bool)."""
    return dtype.startswith("int") or dtype.startswith("uint")


def is_uint(dtype: str) -> bool:
    """True for unsigned integers (uint8)."""
    return dtype.startswith("uint")


def is_bool(dtype: str) -> bool:
    """True for bool."""
    return dtype == "bool"


def bits(dtype: str) -> int:
    """Bits of one value: ``bits("int16") == 16``; bool counts 1."""
    return 1 if dtype == "bool" else np.dtype(dtype).itemsize * 8


def itemsize(dtype: str) -> int:
    """Bytes of one value in memory: ``itemsize("float32") == 4``."""
    return np.dtype(dtype).itemsize


def promote(a: str, b: str) -> str:
    """The dtype of ``a op b``: floats beat ints, wider beats narrower, bool joins the other."""
    if a == b:
        return a
    if is_bool(a):
        return b
    if is_bool(b):
        return a
    if is_float(a) != is_float(b):
        return a if is_float(a) else b
    return a if bits(a) >= bits(b) else b


def min_value(dtype: str):
    """The smallest value of ``dtype`` (``-inf`` for floats): a max-reduction's identity."""
    if is_float(dtype):
        return -float("inf")
    if is_bool(dtype):
        return False
    return int(np.iinfo(dtype).min)


def max_value(dtype: str):
    """The largest value of ``dtype`` (``inf`` for floats): a min-reduction's identity."""
    if is_float(dtype):
        return float("inf")
    if is_bool(dtype):
        return True
    return int(np.iinfo(dtype).max)
