"""Types of graph values: a tensor of static shape and dtype, or a tuple of them."""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import TypeCheckError
from ..tir import dtype as dt


@dataclass(frozen=True)
class TensorType:
    """A tensor of static ``shape`` (a tuple of ints) and ``dtype`` (e.g. "float32")."""
    shape: tuple
    dtype: str = "float32"

    def __post_init__(self):
        shape = tuple(int(s) for s in self.shape)
        if any(s < 0 for s in shape):
            raise TypeCheckError(f"tensor shape {list(shape)} has a negative dimension")
        object.__setattr__(self, "shape", shape)
        object.__setattr__(self, "dtype", dt.check(self.dtype))

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def __str__(self):
        return f"{self.dtype}[{', '.join(map(str, self.shape))}]"


@dataclass(frozen=True)
class TupleType:
    """A fixed-size tuple of values (e.g. the outputs of ``split``)."""
    fields: tuple

    def __str__(self):
        return "(" + ", ".join(map(str, self.fields)) + ")"


def tensor_type(t, what: str = "value") -> TensorType:
    """``t`` if it is a TensorType, else a TypeCheckError naming ``what``."""
    if not isinstance(t, TensorType):
        raise TypeCheckError(f"{what}: expected a tensor, got {t}")
    return t
