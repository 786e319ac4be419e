"""``Executable``: a compiled model, a list of kernel calls over planned buffers.

The plan is data: slots (graph values) and steps (one kernel call each, reading
and writing slots). Inputs are checked once per run; kernels are then called
on raw addresses, all from one native function (``native_plan``) unless a step
is an external partition. Intermediate slots share storage when their lifetimes
do not overlap (``plan_memory``). ``profile()`` times every step and reports its share
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
        """The shape of the array the value lives in (its own shape unless it has a border)."""
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
        if not self.border:
            return ()
        out, step = [], 1
        for extent in reversed(self.stored_shape):
            out.append(step)
            step *= extent
        return tuple(reversed(out))

    @property
    def offset_bytes(self) -> int:
        """Where the value starts in its storage: past the top rows and left columns of the border."""
        if not self.border:
            return 0
        st = self.strides
        return (self.border[0] * st[2] + self.border[1] * st[3]) * np.dtype(self.dtype).itemsize


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
    shape (in this run, or at the end of the last one), the next bordered value's border is zeroed again (a few contiguous runs, see
    ``border_segments``): storages are shared freely, so the layers reuse memory that is still hot.
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
