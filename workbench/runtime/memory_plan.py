"""Where a compiled model's values live: slots, storages shared between values whose lifetimes do
not overlap, and the zero borders of values stored padded (pass ``store_padded``).

``plan_memory`` gives each temp slot a storage; ``border_clears`` says before which step a
bordered value's border must be zeroed again, ``border_segments`` which bytes that is.

>>> slots = [SlotSpec((4,), "float32", "input")] + [SlotSpec((4,), "float32", "temp") for _ in range(3)]
>>> class Call:  # a step: any object with inputs and outputs (slot indices)
...     def __init__(self, i, o): self.inputs, self.outputs = (i,), (o,)
>>> plan_memory(slots, [Call(0, 1), Call(1, 2), Call(2, 3)])   # a chain ping-pongs between two storages
({1: 0, 2: 1, 3: 0}, [16, 16])
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tir.expr import row_major_strides


@dataclass(frozen=True)
class SlotSpec:
    """One value of the model: its shape and dtype, and where it lives.

    A temp slot with a ``border`` (top, left, bottom, right) is stored in the interior of an
    array that much larger in H and W (axes 2 and 3), whose border is zero: kernels see it through
    ``strides``. A slot that is ``view_of`` such a slot is that whole bordered array
    (``nn.padded_view``), no copy.
    """
    shape: tuple
    dtype: str
    kind: str              # "input", "const", "temp", "output"
    name: str = ""
    border: tuple = ()     # (top, left, bottom, right) of zeros around H and W, or ()
    view_of: int | None = None

    @property
    def stored_shape(self) -> tuple:
        """The shape of the array the value lives in (its own shape unless it has a border).

        >>> v = SlotSpec((1, 2, 4, 4, 16), "float32", "temp", border=(1, 1, 1, 1))
        >>> v.stored_shape, v.strides, v.offset_bytes   # one row of 6 pixels and one pixel in
        ((1, 2, 6, 6, 16), (1152, 576, 96, 16, 1), 448)
        """
        if not self.border:
            return self.shape
        top, left, bottom, right = self.border
        s = list(self.shape)
        s[2] += top + bottom
        s[3] += left + right
        return tuple(s)

    @property
    def strides(self) -> tuple:
        """Element strides of the value in its storage: () when dense."""
        return row_major_strides(self.stored_shape) if self.border else ()

    @property
    def offset_bytes(self) -> int:
        """Where the value starts in its storage: past the top rows and left columns of the border."""
        if not self.border:
            return 0
        st = self.strides
        return (self.border[0] * st[2] + self.border[1] * st[3]) * np.dtype(self.dtype).itemsize


def border_segments(spec: SlotSpec) -> list:
    """``[(byte offset, bytes)]`` of the border of a bordered slot's storage, as few contiguous runs:
    per (n, c) plane the top rows, the right-then-left edges of each pair of rows, the bottom rows.

    >>> border_segments(SlotSpec((1, 1, 2, 2), "float32", "temp", border=(1, 1, 1, 1)))
    [(0, 20), (28, 8), (44, 20)]
    """
    if not spec.border:
        return []
    top, left, _, right = spec.border
    shape = spec.stored_shape
    h, w = spec.shape[2], spec.shape[3]
    wp, pix = shape[3], int(np.prod(shape[4:], dtype=np.int64))
    plane = shape[2] * wp * pix
    size = np.dtype(spec.dtype).itemsize
    runs = [(0, (top * wp + left) * pix)]
    for r in range(h - 1):
        runs.append((((top + r) * wp + left + w) * pix, (right + left) * pix))
    end = ((top + h - 1) * wp + left + w) * pix
    runs.append((end, plane - end))
    out: list = []
    for p in range(int(np.prod(shape[:2], dtype=np.int64))):
        for start, n in runs:
            if n <= 0:
                continue
            start += p * plane
            if out and out[-1][0] + out[-1][1] == start * size:  # the bottom of a plane meets the next top
                out[-1] = (out[-1][0], out[-1][1] + n * size)
            else:
                out.append((start * size, n * size))
    return out


def border_clears(slots: list, steps: list, storage_of: dict) -> dict:
    """step index -> the bordered slots whose border must be zeroed before that step writes them.

    Storages start zeroed; a border stays zero while the storage holds values of the same bordered
    shape (their kernels write only the interior). After a plain value or one of another bordered
    shape (in this run, or at the end of the last one), the next bordered value's border is zeroed
    again (a few contiguous runs, see ``border_segments``): storages are shared freely, so the layers
    reuse memory that is still hot.

    >>> class Call:
    ...     def __init__(self, o): self.inputs, self.outputs = (), (o,)
    >>> plain = SlotSpec((1, 1, 4, 4), "float32", "temp")
    >>> bordered = SlotSpec((1, 1, 4, 4), "float32", "temp", border=(1, 1, 1, 1))
    >>> border_clears([plain, bordered], [Call(0), Call(1)], {0: 0, 1: 0})   # slot 1 goes where slot 0 was
    {1: [1]}
    """
    def one_run(clean: dict) -> dict:
        out: dict = {}
        for k, st in enumerate(steps):
            for s in st.outputs:
                spec = slots[s]
                if s not in storage_of or spec.view_of is not None:
                    continue
                i = storage_of[s]
                shape = (spec.stored_shape, spec.border) if spec.border else None
                if spec.border and i in clean and clean[i] != shape:
                    out.setdefault(k, []).append(s)
                clean[i] = shape
        return out

    # storage -> the (stored shape, border) its border is zero for; absent: all zero (never written).
    # A run starts where the last one ended: the state after one run is the state before every run.
    end: dict = {}
    one_run(end)
    return one_run(end)


def plan_memory(slots: list, steps: list) -> tuple:
    """Assign each temp slot a storage, reusing storages of the same dtype whose values are dead.

    A step's outputs are placed before its inputs are freed, so a kernel never writes into
    memory it is reading. A ``view_of`` slot shares its value's storage and keeps it alive.
    Returns (slot -> storage index, storage sizes in bytes).
    """
    def root(s):
        return slots[s].view_of if slots[s].view_of is not None else s

    last_use: dict = {}
    for k, st in enumerate(steps):
        for s in st.outputs:
            last_use.setdefault(root(s), k)  # an output nobody reads dies at once
        for s in st.inputs:
            last_use[root(s)] = k
    storage_of: dict = {}
    sizes: list = []
    dtypes: list = []
    free: set = set()
    for k, st in enumerate(steps):
        for s in st.outputs:
            spec = slots[s]
            if spec.kind != "temp" or spec.view_of is not None:
                continue
            need = int(np.prod(spec.stored_shape, dtype=np.int64)) * np.dtype(spec.dtype).itemsize
            fits = [i for i in free if dtypes[i] == spec.dtype]
            # the smallest storage that is big enough, else the biggest (which then grows)
            best = min(fits, key=lambda i: (sizes[i] < need, sizes[i] if sizes[i] >= need else -sizes[i]),
                       default=None)
            if best is None:
                best = len(sizes)
                sizes.append(need)
                dtypes.append(spec.dtype)
            else:
                free.discard(best)
                sizes[best] = max(sizes[best], need)
            storage_of[s] = best
        for s in {root(x) for x in st.inputs} | {root(x) for x in st.outputs}:
            if s in storage_of and last_use[s] == k:
                free.add(storage_of[s])
    for s, spec in enumerate(slots):
        if spec.view_of is not None and spec.view_of in storage_of:
            storage_of[s] = storage_of[spec.view_of]
    return storage_of, sizes
