"""``Executable``: a compiled model, a list of kernel calls over planned buffers.

The plan is data: slots (graph values) and steps (one kernel call each, reading
and writing slots). Inputs are checked once per run; kernels are then called
on raw addresses, all from one native function (``native_plan``) unless a step
is an external partition. Intermediate slots share storage when their lifetimes
do not overlap (``memory_plan``). ``profile()`` times every step and reports its share
of the total and its GFLOPS where the op has a known FLOP count.

A step may be an external partition (``backend`` is then the external backend's
name, e.g. "onnxruntime"): its kernel also reports the time spent at the
boundary (wrapping buffers, checking and copying results), which the profile
shows per step and in total.
"""
from __future__ import annotations

import ctypes
import statistics
import time
from dataclasses import dataclass

import numpy as np

from .inputs import check_named_inputs
from .memory_plan import border_clears, border_segments, plan_memory


@dataclass(frozen=True)
class Step:
    """One kernel call: inputs and outputs are slot indices."""
    name: str
    kernel: object
    inputs: tuple
    outputs: tuple
    ops: tuple = ()
    flops: float | None = None
    backend: str = "workbench"   # who runs the step: Workbench's own kernel, or an external backend
    task: str | None = None      # the records task whose tuned schedule the kernel uses (None: the default)


@dataclass
class ProfileRow:
    """One kernel in a ``Profile``: its name, the ops fused in it, median seconds, share of the total, GFLOPS,
    the backend that ran it, and (external steps) the median seconds of that spent at the boundary."""
    name: str
    ops: tuple
    seconds: float
    share: float
    gflops: float | None
    backend: str = "workbench"
    boundary: float = 0.0


@dataclass
class Profile:
    """Per-kernel times of one model, slowest first; ``by_backend()`` and ``boundary`` for partitioned models."""
    rows: list
    total: float

    @property
    def boundary(self) -> float:
        """Seconds per run spent at the boundaries of external partitions (sum of the medians)."""
        return sum(r.boundary for r in self.rows)

    def by_backend(self) -> dict:
        """backend -> (steps, seconds, boundary seconds)."""
        out: dict = {}
        for r in self.rows:
            n, t, b = out.get(r.backend, (0, 0.0, 0.0))
            out[r.backend] = (n + 1, t + r.seconds, b + r.boundary)
        return out

    def __repr__(self):
        external = any(r.backend != "workbench" for r in self.rows)
        be = f" {'backend':12s} {'boundary':>10s}" if external else ""
        lines = [f"{'kernel':44s} {'time':>10s} {'share':>7s} {'GFLOPS':>8s}{be}  ops"]
        for r in self.rows:
            g = f"{r.gflops:8.1f}" if r.gflops else f"{'':8s}"
            b = (f" {r.backend[:12]:12s} " + (f"{r.boundary * 1e3:8.3f}ms" if r.backend != "workbench" else " " * 10)
                 if external else "")
            lines.append(f"{r.name[:44]:44s} {r.seconds * 1e3:8.3f}ms {r.share * 100:6.1f}% {g}{b}  {', '.join(r.ops)}")
        lines.append(f"{'total':44s} {self.total * 1e3:8.3f}ms")
        if external:
            for name, (n, t, b) in self.by_backend().items():
                extra = f", {b * 1e3:.3f} ms of it at boundaries" if name != "workbench" else ""
                lines.append(f"  {name}: {n} step{'s' * (n != 1)}, {t * 1e3:.3f} ms{extra}")
        return "\n".join(lines)

    def _repr_mimebundle_(self, include=None, exclude=None):
        """Notebook display: a table with a bar per kernel's share of the time; viz is imported only here."""
        from ..viz.display import display_bundle
        return display_bundle(self)


class Executable:
    """A compiled model: call ``run(**inputs)``; look inside with ``steps``, ``profile()``."""

    def __init__(self, slots: list, steps: list, inputs: list, outputs: list, consts: dict, tuple_output: bool,
                 compile_time: float = 0.0):
        self.slots, self.steps = slots, steps
        self.input_slots, self.output_slots = inputs, outputs
        self.tuple_output = tuple_output
        self.compile_time = compile_time
        self._consts = {s: np.require(a, requirements="C") for s, a in consts.items()}  # keeps 0-d shapes
        self.storage_of, sizes = plan_memory(slots, steps)
        # zeroed, so the first bordered value in a storage has its border (np.zeros maps zero pages lazily)
        self._storage = [np.zeros(max(n, 1), np.uint8) for n in sizes]
        self._fixed = {s: a.ctypes.data for s, a in self._consts.items()}
        for s, k in self.storage_of.items():
            self._fixed[s] = self._storage[k].ctypes.data + slots[s].offset_bytes
        # step -> [(address, bytes)] of borders to zero before it runs
        self._clears = {k: [(self._storage[self.storage_of[s]].ctypes.data + off, n)
                            for s in ss for off, n in border_segments(slots[s])]
                        for k, ss in border_clears(slots, steps, self.storage_of).items()}
        self.native_plan = self._plan()

    def _plan(self):
        """The steps as one native function (``native_plan``), or None when a step is not a native kernel."""
        from .kernel import Kernel
        from .native_plan import NativePlan
        if not self.steps or not all(isinstance(st.kernel, Kernel) for st in self.steps):
            return None
        self._varying = [s for s in dict.fromkeys(self.input_slots + self.output_slots) if s not in self._fixed]
        index = {s: i for i, s in enumerate(self._varying)}
        calls = [(st.kernel.compiled.address,
                  tuple(("arg", index[s]) if s in index else ("fixed", self._fixed[s]) for s in st.inputs + st.outputs))
                 for st in self.steps]
        return NativePlan(calls, len(self._varying), self._clears)

    @property
    def input_names(self) -> list:
        return [self.slots[s].name for s in self.input_slots]

    @property
    def memory_bytes(self) -> int:
        """Bytes of intermediate storage after reuse (weights and outputs not counted)."""
        return sum(a.nbytes for a in self._storage)

    def _bind(self, inputs: dict) -> tuple:
        specs = [(self.slots[s].name, self.slots[s].shape, self.slots[s].dtype) for s in self.input_slots]
        keep = check_named_inputs(specs, inputs)
        addr = dict(self._fixed)
        for s, a in zip(self.input_slots, keep):
            addr[s] = a.ctypes.data
        outs = {}
        for s in self.output_slots:
            if s in addr:  # an output that is an input or a constant
                continue
            spec = self.slots[s]
            outs[s] = np.empty(spec.shape, spec.dtype)
            addr[s] = outs[s].ctypes.data
        return addr, outs, keep

    def _result(self, addr, outs, keep):
        vals = []
        for s in self.output_slots:
            if s in outs:
                vals.append(outs[s])
            else:
                src = next((a for t, a in zip(self.input_slots, keep) if t == s), self._consts.get(s))
                vals.append(np.array(src))
        return tuple(vals) if self.tuple_output else vals[0]

    def run(self, **inputs):
        """Run the model on named numpy inputs; returns an array (a tuple for several outputs)."""
        addr, outs, keep = self._bind(inputs)
        if self.native_plan is not None:
            self.native_plan.run([addr[s] for s in self._varying])
        else:
            for k, st in enumerate(self.steps):
                self._clear(k)
                st.kernel.call_addresses(*[addr[s] for s in st.inputs + st.outputs])
        return self._result(addr, outs, keep)

    def _clear(self, k: int) -> None:
        """Zero the borders step ``k`` needs (the native plan does this itself)."""
        for start, n in self._clears.get(k, ()):
            ctypes.memset(start, 0, n)

    __call__ = run

    def profile(self, repeat: int = 10, **inputs) -> Profile:
        """Run ``repeat`` times timing each kernel; rows slowest first (median seconds per kernel)."""
        addr, outs, keep = self._bind(inputs)
        times = [[] for _ in self.steps]
        edges = [[] for _ in self.steps]
        clock = time.perf_counter
        for k, st in enumerate(self.steps):  # warm up
            self._clear(k)
            st.kernel.call_addresses(*[addr[s] for s in st.inputs + st.outputs])
        for _ in range(repeat):
            for k, st in enumerate(self.steps):
                a = [addr[s] for s in st.inputs + st.outputs]
                self._clear(k)  # untimed: the plan's inlined memsets take a few microseconds
                t0 = clock()
                st.kernel.call_addresses(*a)
                times[k].append(clock() - t0)
                if st.backend != "workbench":
                    edges[k].append(getattr(st.kernel, "last_boundary", 0.0))
        med = [statistics.median(t) for t in times]
        total = sum(med)
        rows = [ProfileRow(st.name, st.ops, m, m / total if total else 0.0,
                           st.flops / m / 1e9 if st.flops and m else None, st.backend,
                           statistics.median(e) if e else 0.0)
                for st, m, e in zip(self.steps, med, edges)]
        rows.sort(key=lambda r: -r.seconds)
        return Profile(rows, total)

    def __repr__(self):
        ext = sum(st.backend != "workbench" for st in self.steps)
        parts = f" ({ext} external partitions)" if ext else ""
        return (f"<Executable: {len(self.steps)} kernels{parts}, inputs {self.input_names}, "
                f"{self.memory_bytes / 2**20:.1f} MiB of intermediates, compiled in {self.compile_time:.2f} s>")
