"""``ExternalKernel``: an external partition as a step of an ``Executable``.

The executable calls every step with raw buffer addresses. For an external
partition those become numpy arrays (no copy), the backend's callable runs, and
what it returns is checked (count, shape, dtype: a wrong answer names the
partition) and copied into the planned output buffers. The time outside the
backend's own call (wrapping, checking, copying) is the *boundary* cost, kept
per call for the profile.
"""
from __future__ import annotations

import ctypes
import time

import numpy as np

from .backends.base import ExternalBackendError, Partition


def _view(addr: int, shape: tuple, dtype: str) -> np.ndarray:
    dt = np.dtype(dtype)
    n = int(np.prod(shape, dtype=np.int64)) * dt.itemsize
    if n == 0:
        return np.empty(shape, dt)
    return np.frombuffer((ctypes.c_char * n).from_address(addr), dtype=dt).reshape(shape)


class ExternalKernel:
    """A built partition, callable on buffer addresses like a compiled ``Kernel``."""

    def __init__(self, part: Partition, backend, fn):
        self.part, self.backend, self.fn = part, backend, fn
        self.name = part.name
        self.ins = [(tuple(t.shape), t.dtype) for t in part.input_types]
        self.outs = [(tuple(t.shape), t.dtype) for t in part.output_types]
        self.last_boundary = 0.0
        self.last_backend = 0.0

    def _fail(self, what: str) -> ExternalBackendError:
        return ExternalBackendError(f"partition {self.name} (backend {self.backend.name!r}, ops "
                                    f"{', '.join(self.part.ops)}): {what}")

    def call_addresses(self, *addrs: int) -> None:
        t0 = time.perf_counter()
        k = len(self.ins)
        arrays = [_view(a, s, d) for a, (s, d) in zip(addrs[:k], self.ins)]
        t1 = time.perf_counter()
        try:
            res = self.fn(*arrays)
        except ExternalBackendError:
            raise
        except Exception as e:
            raise self._fail(f"the backend raised {type(e).__name__}: {e}") from e
        t2 = time.perf_counter()
        res = list(res) if isinstance(res, (tuple, list)) else [res]
        if len(res) != len(self.outs):
            raise self._fail(f"returned {len(res)} outputs, the partition has {len(self.outs)}")
        for j, (r, a, (s, d)) in enumerate(zip(res, addrs[k:], self.outs)):
            r = np.asarray(r)
            if r.shape != s or r.dtype != np.dtype(d):
                raise self._fail(f"output {j} is {r.dtype}{list(r.shape)}, expected {d}{list(s)}")
            np.copyto(_view(a, s, d), r)
        t3 = time.perf_counter()
        self.last_backend = t2 - t1
        self.last_boundary = (t1 - t0) + (t3 - t2)

    def __call__(self, *arrays):
        """Run on numpy arrays (inputs then outputs), like a Kernel."""
        keep = [np.ascontiguousarray(a) for a in arrays[:len(self.ins)]] + list(arrays[len(self.ins):])
        self.call_addresses(*[a.ctypes.data for a in keep])

    def source(self) -> str:
        """The backend's readable code for this partition (C source, ONNX graph...)."""
        return self.backend.source(self.part)

    def __repr__(self):
        return f"<ExternalKernel {self.name} on {self.backend.name}: {', '.join(self.part.ops)}>"
