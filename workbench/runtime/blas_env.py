"""Fair comparisons with numpy: make sure its BLAS runs its best kernel for this CPU.

Some machines set ``OPENBLAS_CORETYPE``/``OPENBLAS_L2_SIZE`` so that old
OpenBLAS builds work; with a current numpy they select a slower kernel (on an
AVX-512 machine: half the speed). Speed comparisons call
``reexec_without_blas_overrides()`` first; tests never do.
"""
from __future__ import annotations

import os
import sys

OVERRIDES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def reexec_without_blas_overrides() -> None:
    """Restart this Python program without the OpenBLAS override variables (no-op if unset)."""
    if any(os.environ.get(k) for k in OVERRIDES):
        env = {k: v for k, v in os.environ.items() if k not in OVERRIDES}
        os.execve(sys.executable, [sys.executable] + sys.argv, env)


def blas_kernel() -> str:
    """Which BLAS numpy uses, its version, the CPU kernel it picked and its threads."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown (pip install threadpoolctl to see)"
    info = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    return ", ".join(f"{i['internal_api']} {i.get('version')} {i.get('architecture')} x{i['num_threads']}"
                     for i in info) or "unknown"
