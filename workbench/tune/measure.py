"""Measure tuning candidates safely: build in parallel, run isolated, check, time.

A candidate is a lowered ``tir.PrimFunc``. The parent emits its LLVM IR (Python, ms);
a pool of build workers turns IR text into object code; one run worker loads the
object, checks its outputs against the task's ``Reference`` and times it. Workers are
child processes: a candidate that segfaults or loops forever kills only its worker,
which is restarted for the next one, and the result says what went wrong
(``ErrorKind``). Builds of a batch finish before its runs start, so compiling never
disturbs a timing. Given a dask.distributed scheduler (``cluster=``), the same jobs run
on the cluster's workers, each again inside its own child process.

>>> with Measurer(repeat=3) as m:                                     # doctest: +SKIP
...     results = m.measure([task.lower(cfg) for cfg in configs], task.reference())
>>> [r.error.value for r in results], results[0].mean                # doctest: +SKIP
(['ok', 'timeout', 'ok'], 0.0123)
"""
from __future__ import annotations

import enum
import math
import statistics
import time
import uuid
from dataclasses import dataclass, field

import numpy as np

from ..errors import TuningError, WorkbenchError
from ..tir.stmt import PrimFunc
from . import workers
from .workers import WorkerProcess, run_jobs

MAX_MESSAGE = 600  # characters of an error message kept in a result (records stay small)


class ErrorKind(enum.Enum):
    """How a measurement ended; the value is what records store."""
    NONE = "ok"
    INSTANTIATE_ERROR = "instantiate"   # the config could not be applied / lowered
    BUILD_ERROR = "build"               # codegen or LLVM rejected it, or the build worker died
    RUNTIME_ERROR = "runtime"           # the kernel crashed its worker (or could not be loaded)
    TIMEOUT = "timeout"                 # it ran (or built) longer than the timeout; the worker was killed
    WRONG_RESULT = "wrong"              # it ran, but its outputs differ from the reference


@dataclass(frozen=True)
class MeasureResult:
    """One candidate's measurement: seconds per run for each repeat, or why there are none.

    ``timestamp`` is when the batch finished measuring (shared by the results of one
    ``Measurer.measure`` call, so a records file shows the batches).

    >>> r = MeasureResult((0.002, 0.004), ErrorKind.NONE)
    >>> r.ok, r.mean
    (True, 0.003)
    >>> MeasureResult.from_json(r.to_json()) == r
    True
    """
    costs: tuple
    error: ErrorKind
    error_msg: str = ""
    build_seconds: float = 0.0
    timestamp: float = 0.0

    @property
    def ok(self) -> bool:
        """Whether the candidate ran, matched the reference and was timed."""
        return self.error is ErrorKind.NONE and len(self.costs) > 0

    @property
    def mean(self) -> float:
        """Mean seconds per run over the repeats (``inf`` when it failed)."""
        return statistics.fmean(self.costs) if self.ok else math.inf

    def to_json(self) -> dict:
        """Plain JSON data (the ``"result"`` of a records line)."""
        return {"costs": [float(c) for c in self.costs], "error": self.error.value, "error_msg": self.error_msg,
                "build_seconds": float(self.build_seconds), "timestamp": float(self.timestamp)}

    @staticmethod
    def from_json(d: dict) -> "MeasureResult":
        """The inverse of ``to_json``; raises ``ValueError`` on malformed data."""
        if not isinstance(d, dict):
            raise ValueError(f"a measure result must be a JSON object, got {type(d).__name__}")
        try:
            costs = tuple(float(c) for c in d.get("costs", ()))
            error = ErrorKind(d["error"])
            msg = d.get("error_msg", "")
            build = float(d.get("build_seconds", 0.0))
            stamp = float(d.get("timestamp", 0.0))
        except (KeyError, TypeError) as e:
            raise ValueError(f"malformed measure result {d!r}: {e}") from None
        if not isinstance(msg, str):
            raise ValueError(f"malformed measure result: error_msg must be a string, got {msg!r}")
        if error is ErrorKind.NONE and (not costs or not all(math.isfinite(c) and c > 0 for c in costs)):
            raise ValueError(f"malformed measure result: an ok result needs positive costs, got {costs!r}")
        return MeasureResult(costs, error, msg, build, stamp)


def _random_array(shape: tuple, dtype: str, rng: np.random.Generator) -> np.ndarray:
    dt = np.dtype(dtype)
    if dt.kind == "f":
        return rng.standard_normal(shape).astype(dt)
    if dt.kind in "iu":
        lo = 0 if dt.kind == "u" else -4
        return rng.integers(lo, 5, size=shape).astype(dt)
    if dt.kind == "b":
        return rng.integers(0, 2, size=shape).astype(dt)
    raise WorkbenchError(f"Reference: cannot make random inputs of dtype {dtype}")


_EVALUATE_LIMIT = 1 << 26  # elements the numpy interpreter may broadcast for one compute (256 MiB of float32)


def _interpreter_size(outputs: list) -> int:
    from ..te.reference import topo_order
    from ..te.tensor import ComputeOp, Reduce
    biggest = 0
    for op in topo_order(outputs):
        if isinstance(op, ComputeOp):
            n = math.prod(op.shape)
            if isinstance(op.body, Reduce):
                n *= math.prod(iv.extent for iv in op.body.axis)
            biggest = max(biggest, n)
    return biggest


def _reference_kernel(inputs: list, outputs: list):
    """The outputs' default loop nest, with each reduction moved outside the innermost spatial loop
    (so that loop vectorizes; every element still sums in the same order) and the outermost loop
    parallel. Falls back to the plain default schedule if the schedule refuses either."""
    from ..build import build
    from ..te import create_schedule
    args, ops = list(inputs) + list(outputs), [t.op for t in outputs]
    try:
        s = create_schedule(ops)
        for op in ops:
            axes, red = list(getattr(op, "axis", ())), list(getattr(op, "reduce_axis", ()))
            if len(axes) >= 2:
                if red:
                    s[op].reorder(*axes[:-1], *red, axes[-1])
                s[op].parallel(axes[0])
        return build(s, args, name="reference")
    except WorkbenchError:
        return build(create_schedule(ops), args, name="reference")


@dataclass
class Reference:
    """What every candidate of one task must compute: inputs and the outputs expected from them.

    A kernel's parameters are the inputs followed by the outputs, in this order.
    Outputs match when ``|got - expected| <= atol + rtol * |expected|`` everywhere (ints: exactly).

    >>> import numpy as np
    >>> ref = Reference([np.ones(4, "float32")], [np.full(4, 2.0, "float32")])
    >>> len(ref.inputs), ref.rtol
    (1, 0.0001)
    """
    inputs: list
    expected: list
    rtol: float = 1e-4
    atol: float = 1e-4
    token: str = field(default_factory=lambda: uuid.uuid4().hex, repr=False, compare=False)

    @staticmethod
    def from_tensors(inputs: list, outputs: list, seed: int = 0) -> "Reference":
        """Random inputs for the placeholders ``inputs`` and the ``outputs`` computed from them.

        Floats are standard normal, integers small. Expected outputs come from the numpy
        interpreter (``te.reference.evaluate``), or, when that would need too much memory
        (e.g. a 1024³ matmul), from a plain compiled kernel (``_reference_kernel``). ``atol`` scales with the largest
        expected magnitude, since a candidate may sum in another order than the reference.

        >>> from workbench import te
        >>> A = te.placeholder((4,), name="A"); B = te.compute((4,), lambda i: A[i] * 2.0, name="B")
        >>> ref = Reference.from_tensors([A], [B], seed=1)
        >>> bool((ref.expected[0] == ref.inputs[0] * 2).all())
        True
        """
        rng = np.random.default_rng(seed)
        ins = [_random_array(tuple(t.shape), t.dtype, rng) for t in inputs]
        if _interpreter_size(outputs) <= _EVALUATE_LIMIT:
            from ..te.reference import evaluate
            expected = [np.ascontiguousarray(a) for a in evaluate(outputs, dict(zip(inputs, ins)))]
        else:
            kernel = _reference_kernel(inputs, outputs)
            expected = [np.empty(tuple(t.shape), t.dtype) for t in outputs]
            kernel(*ins, *expected)
        scale = max((float(np.max(np.abs(e))) for e in expected if e.size and e.dtype.kind == "f"), default=1.0)
        scale = scale if math.isfinite(scale) else 1.0
        return Reference(ins, expected, rtol=1e-4, atol=1e-4 * max(1.0, scale))

    def data(self) -> dict:
        """What a run worker needs: arrays and tolerances as plain data."""
        return {"inputs": list(self.inputs), "expected": list(self.expected), "rtol": self.rtol, "atol": self.atol}


def _signature_mismatch(func: PrimFunc, ref: Reference) -> str:
    arrays = list(ref.inputs) + list(ref.expected)
    if len(func.params) != len(arrays):
        return (f"{func.name!r} takes {len(func.params)} buffers but the reference has "
                f"{len(ref.inputs)} inputs + {len(ref.expected)} outputs")
    for buf, a in zip(func.params, arrays):
        if tuple(buf.shape) != a.shape or np.dtype(buf.dtype) != a.dtype:
            return (f"parameter {buf.name!r} of {func.name!r} is {buf.dtype}{list(buf.shape)} "
                    f"but the reference gives {a.dtype}{list(a.shape)}")
    return ""


def _clip(msg: str) -> str:
    return msg if len(msg) <= MAX_MESSAGE else msg[:MAX_MESSAGE - 3] + "..."


class Measurer:
    """Builds, checks and times candidates in worker processes (or on a dask cluster).

    - ``number``: runs per repeat (None: as many as fill ``min_repeat_ms``); ``repeat``: figures per candidate;
    - ``flush_cache``: evict the kernel's arrays from the caches before every timed run (``tune.cache_flush``),
      so a candidate is timed as it runs inside a model (cold weights), not warmed by its previous run;
    - ``timeout``: seconds allowed for each build and for each run (load + check + timing);
    - ``build_workers``: build processes; ``check_correctness``: compare with the reference first;
    - ``cluster``: None (local processes), a scheduler address ``"tcp://host:port"``, a
      ``distributed.Client`` or a cluster object with a ``scheduler_address``;
    - ``num_threads``: threads for parallel loops (default: ``$WORKBENCH_NUM_THREADS`` or all cores).

    >>> with Measurer(timeout=5) as m:                  # doctest: +SKIP
    ...     print(m.measure([primfunc], ref)[0])
    """

    def __init__(self, number: int | None = None, repeat: int = 3, min_repeat_ms: float = 40.0,
                 timeout: float = 10.0, build_workers: int = 2, check_correctness: bool = True,
                 cluster=None, num_threads: int | None = None, flush_cache: bool = False):
        if number is not None and (not isinstance(number, int) or number < 1):
            raise TuningError(f"Measurer: number must be a positive int or None, got {number!r}")
        if not isinstance(repeat, int) or repeat < 1:
            raise TuningError(f"Measurer: repeat must be a positive int, got {repeat!r}")
        if not min_repeat_ms >= 0:
            raise TuningError(f"Measurer: min_repeat_ms must be >= 0, got {min_repeat_ms!r}")
        if not timeout > 0:
            raise TuningError(f"Measurer: timeout must be positive seconds, got {timeout!r}")
        if not isinstance(build_workers, int) or build_workers < 1:
            raise TuningError(f"Measurer: build_workers must be a positive int, got {build_workers!r}")
        if num_threads is None:
            from ..codegen.target import default_num_threads
            num_threads = default_num_threads()
        if not isinstance(num_threads, int) or num_threads < 1:
            raise TuningError(f"Measurer: num_threads must be a positive int, got {num_threads!r}")
        self.number, self.repeat, self.min_repeat_ms = number, repeat, float(min_repeat_ms)
        if flush_cache:
            from .cache_flush import supported
            if not supported():
                raise TuningError("Measurer: flush_cache needs an x86-64 CPU (clflush); use flush_cache=False")
        self.flush_cache = bool(flush_cache)
        self.timeout, self.check_correctness, self.num_threads = float(timeout), check_correctness, num_threads
        self.builders = [WorkerProcess() for _ in range(build_workers)]
        self.runner = WorkerProcess()
        self._client, self._own_client, self._scattered = None, False, {}
        if cluster is not None:
            self._connect(cluster)
        self.closed = False

    # ------------------------------------------------------------ the cluster
    def _connect(self, cluster) -> None:
        try:
            import distributed
        except ImportError:
            raise TuningError("Measurer(cluster=...) needs dask.distributed: pip install dask distributed") from None
        if isinstance(cluster, distributed.Client):
            self._client = cluster
        elif isinstance(cluster, str) or hasattr(cluster, "scheduler_address"):
            self._client = distributed.Client(cluster, set_as_default=False)
            self._own_client = True
        else:
            raise TuningError(f"Measurer: cluster must be a scheduler address, a distributed.Client or a "
                                 f"cluster object, got {type(cluster).__name__}")

    def _bench_resources(self) -> dict | None:
        info = self._client.scheduler_info()
        has = any("bench" in (w.get("resources") or {}) for w in info.get("workers", {}).values())
        return {"bench": 1} if has else None

    # ------------------------------------------------------------ measuring
    def measure(self, funcs: list, ref: Reference) -> list:
        """Measure each candidate; returns one ``MeasureResult`` per entry of ``funcs``, in order.

        An entry is a ``tir.PrimFunc`` or an ``Exception`` (its config failed to instantiate:
        recorded as ``INSTANTIATE_ERROR``, nothing is built). Never raises for a bad candidate.
        """
        if self.closed:
            raise TuningError("Measurer.measure: this measurer is closed; create a new one")
        failed: dict = {}  # index -> (ErrorKind, message), for candidates that stopped early
        build_s = [0.0] * len(funcs)
        texts = self._emit(funcs, ref, failed, build_s)
        objects = self._build_all(texts, failed, build_s)
        costs = self._run_all(objects, ref, failed)
        stamp = time.time()
        return [MeasureResult(costs[k], ErrorKind.NONE, "", build_s[k], stamp) if k in costs else
                MeasureResult((), failed[k][0], _clip(failed[k][1]), build_s[k], stamp) for k in range(len(funcs))]

    def _emit(self, funcs: list, ref: Reference, failed: dict, build_s: list) -> dict:
        """LLVM IR text of each candidate, emitted here: ``index -> (text, function name)``."""
        from ..codegen.llvm import emit_module
        texts = {}
        for k, f in enumerate(funcs):
            if isinstance(f, BaseException):
                failed[k] = (ErrorKind.INSTANTIATE_ERROR, f"{type(f).__name__}: {f}")
            elif not isinstance(f, PrimFunc):
                failed[k] = (ErrorKind.INSTANTIATE_ERROR, f"expected a tir.PrimFunc, got {type(f).__name__}")
            elif bad := _signature_mismatch(f, ref):
                failed[k] = (ErrorKind.BUILD_ERROR, bad)
            else:
                t0 = time.perf_counter()
                try:
                    texts[k] = (str(emit_module(f)[0]), f.name)
                except Exception as e:  # codegen rejected the loop nest
                    failed[k] = (ErrorKind.BUILD_ERROR, f"{type(e).__name__}: {e}")
                build_s[k] = time.perf_counter() - t0
        return texts

    def _build_all(self, texts: dict, failed: dict, build_s: list) -> dict:
        """Object code of each candidate, from the build workers: ``index -> (bytes, function name)``."""
        objects = {}
        for k, (kind, value) in zip(texts, self._build([t for t, _ in texts.values()])):
            if kind == "done" and value["ok"]:
                objects[k] = (value["object"], texts[k][1])
                build_s[k] += value["seconds"]
            elif kind == "done":
                failed[k] = (ErrorKind.BUILD_ERROR, value["error"])
            elif kind == "timeout":
                failed[k] = (ErrorKind.TIMEOUT, f"build {value}")
            else:
                failed[k] = (ErrorKind.BUILD_ERROR, f"build failed: {value}")
        return objects

    def _run_all(self, objects: dict, ref: Reference, failed: dict) -> dict:
        """Checked timings from the run worker: ``index -> costs``."""
        costs = {}
        for k, (kind, value) in zip(objects, self._run(list(objects.values()), ref)):
            if kind == "done" and value["error"] == "ok":
                costs[k] = tuple(value["costs"])
            elif kind == "done":
                failed[k] = (ErrorKind(value["error"]), value["msg"])
            elif kind == "timeout":
                failed[k] = (ErrorKind.TIMEOUT, f"run {value}")
            elif kind == "crashed":
                failed[k] = (ErrorKind.RUNTIME_ERROR, f"the candidate crashed: {value}")
            else:
                failed[k] = (ErrorKind.RUNTIME_ERROR, value)
        return costs

    def _options(self) -> dict:
        return {"check": self.check_correctness, "number": self.number, "repeat": self.repeat,
                "min_repeat_ms": self.min_repeat_ms, "flush": self.flush_cache}

    def _build(self, texts: list) -> list:
        if not texts:
            return []
        if self._client is None:
            self.runner.start()  # let the run worker import while the builds run
            return run_jobs(self.builders, [("build", (t,), {}, None) for t in texts], self.timeout)
        futures = self._client.map(workers.build_task, texts, timeout=self.timeout, pure=False)
        return [self._gather(f) for f in futures]

    def _run(self, jobs: list, ref: Reference) -> list:
        if not jobs:
            return []
        options = self._options()
        if self._client is None:
            ref_pair = (ref.token, ref.data())
            return [run_jobs([self.runner], [("run", (obj, name, self.num_threads), options, ref_pair)],
                             self.timeout)[0] for obj, name in jobs]
        if ref.token not in self._scattered:
            # a list, not the dict itself: scatter would take a dict's keys as the data's names
            self._scattered = {ref.token: self._client.scatter([ref.data()], broadcast=True)[0]}
        data = self._scattered[ref.token]
        resources = self._bench_resources()
        submit = lambda obj, name: self._client.submit(  # noqa: E731
            workers.run_task, obj, name, self.num_threads, options, ref.token, data, self.timeout,
            pure=False, resources=resources)
        if resources:  # one exclusive slot per machine: let the scheduler spread the batch
            return [self._gather(f) for f in [submit(obj, name) for obj, name in jobs]]
        # no slots declared: measure one at a time so two runs never share the machine's cores
        return [self._gather(submit(obj, name)) for obj, name in jobs]

    def _gather(self, future) -> tuple:
        try:
            return future.result(timeout=self.timeout + workers.STARTUP_SECONDS + 30)
        except Exception as e:  # the dask worker itself died (KilledWorker), or the cluster is gone
            return ("crashed", f"dask task failed: {type(e).__name__}: {e}")

    # ------------------------------------------------------------ bookkeeping
    @property
    def run_worker_pid(self) -> int | None:
        """The local run worker's process id (changes when it is restarted after a crash or timeout)."""
        return self.runner.pid

    @property
    def restarts(self) -> int:
        """How many times a local worker was started again after its first start."""
        return sum(max(0, w.starts - 1) for w in self.builders + [self.runner])

    def close(self) -> None:
        """Stop the worker processes (and the cluster client this measurer opened)."""
        if self.closed:
            return
        self.closed = True
        for w in self.builders + [self.runner]:
            w.close()
        if self._client is not None and self._own_client:
            self._client.close()
        self._client, self._scattered = None, {}

    def __enter__(self) -> "Measurer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __repr__(self):
        where = "local processes" if self._client is None else f"cluster {self._client.scheduler.address}"
        return (f"<Measurer number={self.number} repeat={self.repeat} min_repeat_ms={self.min_repeat_ms:g} "
                f"{'flush_cache ' if self.flush_cache else ''}"
                f"timeout={self.timeout:g}s on {where}>")
