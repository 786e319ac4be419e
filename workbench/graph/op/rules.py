"""Type rules shared by many operators."""
from __future__ import annotations

import numpy as np

from ...errors import TypeCheckError
from ...tir import dtype as dt
from ..types import TensorType, tensor_type


def arity(name: str, types, n: int | tuple) -> None:
    ns = (n,) if isinstance(n, int) else n
    if len(types) not in ns:
        raise TypeCheckError(f"{name}: takes {' or '.join(map(str, ns))} inputs, got {len(types)}")


def broadcast_shapes(name: str, *shapes) -> tuple:
    """numpy broadcasting of shapes, or a TypeCheckError naming the op and the shapes."""
    nd = max(len(s) for s in shapes)
    out = []
    for d in range(nd):
        dims = {s[len(s) - nd + d] for s in shapes if len(s) - nd + d >= 0} - {1}
        if len(dims) > 1:
            raise TypeCheckError(f"{name}: shapes {' and '.join(str(list(s)) for s in shapes)} do not broadcast")
        out.append(dims.pop() if dims else 1)
    return tuple(out)


def same_as_first(name: str):
    """The rule of a unary elementwise op: the output type is the input type."""
    def infer(types, attrs):
        arity(name, types, 1)
        return tensor_type(types[0], name)
    return infer


def broadcast(name: str, out_dtype: str | None = None, n: int = 2):
    """The rule of an n-ary broadcasting op; all inputs share a dtype, unless ``out_dtype`` overrides."""
    def infer(types, attrs):
        arity(name, types, n)
        ts = [tensor_type(t, name) for t in types]
        dtypes = {t.dtype for t in ts}
        if len(dtypes) > 1:
            raise TypeCheckError(f"{name}: inputs have different dtypes {', '.join(str(t) for t in ts)}; cast first")
        return TensorType(broadcast_shapes(name, *[t.shape for t in ts]), out_dtype or ts[0].dtype)
    return infer


def normalize_axis(name: str, axis: int, ndim: int) -> int:
    if not is_int(axis):
        raise TypeCheckError(f"{name}: axis must be an int, got {axis!r}")
    if not -ndim <= axis < max(ndim, 1):
        raise TypeCheckError(f"{name}: axis {axis} is out of range for a {ndim}-d tensor (use {-ndim}..{ndim - 1})")
    return int(axis) % ndim if ndim else 0


def tensors(name: str, types, n: int | tuple) -> list:
    """The argument types, checked for arity and for being tensors."""
    arity(name, types, n)
    return [tensor_type(t, f"{name}: argument {k}") for k, t in enumerate(types)]


def fail(name: str, message: str):
    raise TypeCheckError(f"{name}: {message}")


def require_float(name: str, t: TensorType, what: str = "input") -> None:
    if not dt.is_float(t.dtype):
        fail(name, f"{what} {t} must be a float tensor; cast it first")


def require_bool(name: str, t: TensorType, what: str = "input") -> None:
    if t.dtype != "bool":
        fail(name, f"{what} {t} must be a bool tensor; compare or cast first")


def require_numeric(name: str, t: TensorType, what: str = "input") -> None:
    if t.dtype == "bool":
        fail(name, f"{what} {t} is bool; cast it to a numeric dtype first")


def require_int(name: str, t: TensorType, what: str = "indices") -> None:
    if not dt.is_int(t.dtype):
        fail(name, f"{what} {t} must have an integer dtype")


def require_rank(name: str, t: TensorType, rank: int, what: str, layout: str = "") -> None:
    if t.ndim != rank:
        fail(name, f"{what} {t} must have rank {rank}{f' ({layout})' if layout else ''}")


def same_dtype(name: str, ts, whats) -> None:
    if len({t.dtype for t in ts}) > 1:
        fail(name, ", ".join(f"{w} {t}" for w, t in zip(whats, ts)) + " must share one dtype; cast first")


def is_int(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def int_tuple(name: str, attrs, key: str, n: int | None = None, minimum: int | None = None) -> tuple:
    """Attribute ``key`` as a tuple of ints (an int is repeated when ``n`` is given)."""
    v = attrs[key]
    if is_int(v) and n is not None:
        v = (v,) * n
    if not isinstance(v, (tuple, list)) or not all(is_int(x) for x in v) or (n is not None and len(v) != n):
        fail(name, f"attribute {key} must be {f'{n} ints' if n is not None else 'a list of ints'}, got {v!r}")
    v = tuple(int(x) for x in v)
    if minimum is not None and any(x < minimum for x in v):
        fail(name, f"attribute {key} must be >= {minimum}, got {list(v)}")
    return v


def int_attr(name: str, attrs, key: str, minimum: int | None = None) -> int:
    v = attrs[key]
    if not is_int(v):
        fail(name, f"attribute {key} must be an int, got {v!r}")
    if minimum is not None and v < minimum:
        fail(name, f"attribute {key} must be >= {minimum}, got {v}")
    return int(v)


def float_attr(name: str, attrs, key: str) -> float:
    v = attrs[key]
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
        fail(name, f"attribute {key} must be a number, got {v!r}")
    return float(v)


def choice_attr(name: str, attrs, key: str, choices: tuple) -> str:
    v = attrs[key]
    if v not in choices:
        fail(name, f"attribute {key} must be one of {', '.join(map(repr, choices))}, got {v!r}")
    return v


def axes_attr(name: str, axes, ndim: int, shape=None) -> tuple:
    """``None`` (all axes), an int or ints as a sorted tuple of distinct non-negative axes."""
    if axes is None:
        return tuple(range(ndim))
    raw = (axes,) if is_int(axes) else axes
    if not isinstance(raw, (tuple, list)) or not all(is_int(a) for a in raw):
        fail(name, f"axis must be None, an int or a list of ints, got {axes!r}")
    norm = [normalize_axis(name, int(a), ndim) for a in raw]
    if len(set(norm)) != len(norm):
        fail(name, f"axis {list(raw)} names an axis twice")
    return tuple(sorted(norm))


def shape_str(shape) -> str:
    return str(list(shape))


def _attr_names(compute, n_inputs: int) -> tuple | None:
    """The attribute names ``compute`` takes after its ``n_inputs`` tensors (None: it takes any)."""
    import inspect
    params = list(inspect.signature(compute).parameters.values())
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return None
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        named = [p for p in params if p.kind is p.KEYWORD_ONLY]
    else:
        named = [p for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)][n_inputs:]
    return tuple(p.name for p in named if p.default is p.empty)  # a defaulted ``name=`` is no attribute


def check_attr_names(ops: list) -> list:
    """``ops`` with type rules that also reject unknown attributes and name missing ones.

    The attributes an op takes are the keyword parameters of its ``compute`` after the
    tensor inputs, so a typo (``kernel_size=`` for ``pool_size=``) fails when the node is
    built instead of deep inside the interpreter or the compiler.
    """
    from dataclasses import replace

    def wrap(op):
        def infer(types, attrs):
            try:
                out = op.infer(types, attrs)
            except KeyError as e:
                fail(op.name, f"needs the attribute {e.args[0]}")
            names = _attr_names(op.compute, len(types))
            if names is not None:
                unknown = sorted(set(attrs) - set(names))
                if unknown:
                    takes = ", ".join(names) if names else "no attributes"
                    fail(op.name, f"unknown attribute(s) {', '.join(unknown)}; it takes {takes}")
                missing = [k for k in names if k not in attrs]
                if missing:
                    fail(op.name, f"needs the attribute(s) {', '.join(missing)}")
            return out
        return replace(op, infer=infer)
    return [wrap(op) for op in ops]
