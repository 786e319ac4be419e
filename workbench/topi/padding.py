"""Constant padding as its own compute stage.

``pad`` reads the input only where the index falls inside it and yields
``pad_value`` elsewhere (a ``te.if_then_else`` guard), so convolution and
pooling read a plain padded tensor; a schedule can later inline the pad into
its consumer or materialize it.

>>> from workbench import te, topi
>>> x = te.placeholder((1, 3, 8, 8), name="x")
>>> y = topi.pad(x, (0, 0, 1, 1), (0, 0, 2, 2))    # [1, 3, 11, 11]
"""
from __future__ import annotations

from functools import reduce

from .. import te
from ..te.tensor import Tensor
from ._util import check_tensor, fail


def pad(data: Tensor, pad_before, pad_after=None, pad_value=0.0, name: str = "pad") -> Tensor:
    """``data`` with ``pad_before[d]`` / ``pad_after[d]`` elements of ``pad_value`` added along each axis.

    ``pad_before``/``pad_after`` may be shorter than the rank: they then apply to
    the leading axes. ``pad_after`` defaults to ``pad_before``. ``pad_value`` is a
    Python number converted to ``data``'s dtype (``float("-inf")`` is fine for floats).

    >>> x = te.placeholder((4, 5), name="x")
    >>> y = pad(x, (1, 2), (0, 1), pad_value=-1.0)   # [5, 8]
    """
    check_tensor("pad", data)
    before = list(pad_before)
    after = list(before if pad_after is None else pad_after)
    if len(before) > data.ndim or len(after) > data.ndim:
        fail("pad", f"pad_before {before} / pad_after {after} are longer than the rank of shape {list(data.shape)}")
    before += [0] * (data.ndim - len(before))
    after += [0] * (data.ndim - len(after))
    if any(not isinstance(p, int) or p < 0 for p in before + after):
        fail("pad", f"pad_before {before} and pad_after {after} must be non-negative ints")
    shape = tuple(n + b + a for n, b, a in zip(data.shape, before, after))
    fill = te.const(pad_value, data.dtype)

    def body(*idx):
        inside = []  # only the sides that are actually padded need a test
        for i, n, b, a in zip(idx, data.shape, before, after):
            if b:
                inside.append(i >= b)
            if a:
                inside.append(i < b + n)
        value = data[tuple(i - b if b else i for i, b in zip(idx, before))]
        if not inside:
            return value
        return te.if_then_else(reduce(lambda p, q: p & q, inside), value, fill)

    return te.compute(shape, body, name=name)
