"""Checking a model's named inputs, shared by the compiled Executable and the graph interpreter."""
from __future__ import annotations

import numpy as np

from ..errors import RuntimeCallError


def check_named_inputs(specs, inputs: dict) -> list:
    """The arrays for ``specs`` (``(name, shape, dtype)`` each, in order), C-contiguous, after checking
    that every name is given, no unknown name is, and each shape and dtype is exact.

    >>> check_named_inputs([("x", (2,), "float32")], {"x": np.zeros(2, "float32")})[0].shape
    (2,)
    """
    names = [n for n, _, _ in specs]
    unknown = set(inputs) - set(names)
    if unknown:
        raise RuntimeCallError(f"unknown input(s) {sorted(unknown)}; the model's inputs are {names}")
    out = []
    for name, shape, dtype in specs:
        want = f"{dtype}{list(shape)}"
        if name not in inputs:
            raise RuntimeCallError(f"missing input {name!r} ({want}); the model's inputs are {names}")
        a = np.asarray(inputs[name])
        if a.shape != tuple(shape) or a.dtype.name != dtype:
            raise RuntimeCallError(f"input {name!r} must be {want}, got {a.dtype.name}{list(a.shape)}; "
                                   f"convert with np.asarray(x, dtype={dtype!r})")
        out.append(np.require(a, requirements="C"))  # (ascontiguousarray would make 0-d arrays 1-d)
    return out
