"""The worker side of measurement: build and run candidates in child processes that may die.

Two jobs, both plain data in and plain data out (str, bytes, numpy arrays, floats),
so they run the same in a local child and on a dask.distributed worker:

- ``build_object(ir_text)``: LLVM IR text -> optimised object code bytes for the host CPU;
- ``run_object(...)``: load the object into a fresh MCJIT engine, run it once and check the
  outputs against the expected ones, then time it (number / repeat / min_repeat_ms).

A ``WorkerProcess`` is a long-lived child Python process (running ``serve``) serving
those jobs over a pipe. ``run_jobs`` hands jobs to a few of them with a deadline each:
a child that segfaults is noticed by its closed pipe, one that hangs is killed when the
deadline passes; either way it is restarted on its next job and the caller carries on.
On a dask cluster, ``build_task`` / ``run_task`` do the same inside each dask worker, so
a crashing candidate never takes a dask worker down either.
"""
from __future__ import annotations

import ctypes
import math
import os
import signal
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Connection, wait

import numpy as np

# ---------------------------------------------------------------- the jobs (run inside a worker)


def build_object(ir_text: str) -> dict:
    """Optimise LLVM IR text at -O3 for the host CPU and emit object code.

    Returns ``{"ok": True, "object": bytes, "seconds": float}`` or ``{"ok": False, "error": str}``.
    """
    import llvmlite.binding as llvm

    from ..codegen.target import host_target_machine

    t0 = time.perf_counter()
    try:
        mod = llvm.parse_assembly(ir_text)
        mod.verify()
        tm = host_target_machine()
        pb = llvm.create_pass_builder(tm, llvm.create_pipeline_tuning_options(speed_level=3))
        pb.getModulePassManager().run(mod, pb)
        obj = tm.emit_object(mod)
    except Exception as e:  # llvmlite reports bad IR as RuntimeError
        return {"ok": False, "error": f"{type(e).__name__}: {e}".strip()}
    return {"ok": True, "object": bytes(obj), "seconds": time.perf_counter() - t0}


def _sentinel(dtype: np.dtype):
    """What output buffers hold before the kernel runs, so an unwritten element reads as wrong."""
    if dtype.kind == "f":
        return np.finfo(dtype).max
    if dtype.kind in "iu":
        return np.iinfo(dtype).min
    return True


def _compare(outputs: list, expected: list, rtol: float, atol: float) -> str:
    """An empty string when every output matches, else what differs."""
    for k, (got, want) in enumerate(zip(outputs, expected)):
        if got.dtype.kind in "fc":
            ok = np.isclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
        else:
            ok = got == want
        if not ok.all():
            bad = int(ok.size - np.count_nonzero(ok))
            first = np.unravel_index(int(np.argmin(ok)), ok.shape)
            return (f"output {k}: {bad} of {ok.size} elements differ from the reference "
                    f"(first at {tuple(int(i) for i in first)}: got {got[first]!r}, expected {want[first]!r})")
    return ""


def run_object(obj: bytes, name: str, num_threads: int, inputs: list, expected: list, *,
               rtol: float = 1e-4, atol: float = 1e-4, check: bool = True, number: int | None = None,
               repeat: int = 3, min_repeat_ms: float = 40.0, flush: bool = False) -> dict:
    """Load ``obj``, call ``name(inputs..., outputs...)``, check the outputs, then time it.

    ``flush``: evict the arrays from the caches before every timed call (``cache_flush``); each call
    is then timed alone and the flushes are not counted.

    Returns ``{"error": "ok" | "wrong" | "runtime", "msg": str, "costs": [seconds per run, ...]}``.
    A crash here ends the process: that is what the caller's ``WorkerProcess`` is for.
    """
    import llvmlite.binding as llvm

    from ..codegen.target import _new_target_machine, load_openmp

    load_openmp()
    engine = llvm.create_mcjit_compiler(llvm.parse_assembly(""), _new_target_machine())
    try:
        engine.add_object_file(llvm.ObjectFileRef.from_data(obj))
        engine.finalize_object()
        addr = engine.get_function_address(name)
        if not addr:
            return {"error": "runtime", "msg": f"function {name!r} not found in the object code", "costs": []}
        nthreads_addr = engine.get_global_value_address(f"{name}.num_threads")
        if nthreads_addr:
            ctypes.c_int32.from_address(nthreads_addr).value = num_threads
        ins = [np.array(a, order="C", copy=True) for a in inputs]  # a bad kernel may write into them
        outs = [np.full(e.shape, _sentinel(e.dtype), dtype=e.dtype) for e in expected]
        ptrs = [a.ctypes.data for a in ins + outs]
        fn = ctypes.CFUNCTYPE(None, *[ctypes.c_void_p] * len(ptrs))(addr)
        clock = time.perf_counter

        evict = None
        if flush:
            from .cache_flush import cache_flusher
            evict = cache_flusher(engine)

        def run(times: int) -> float:
            """Seconds of ``times`` calls: one batch, or each call alone after evicting the arrays."""
            if evict is None:
                t0 = clock()
                for _ in range(times):
                    fn(*ptrs)
                return clock() - t0
            total = 0.0
            for _ in range(times):
                evict(ins + outs)
                t0 = clock()
                fn(*ptrs)
                total += clock() - t0
            return total

        first = run(1)  # the checked call doubles as the warm-up
        if check:
            msg = _compare(outs, expected, rtol, atol)
            if msg:
                return {"error": "wrong", "msg": msg, "costs": []}
        if number is None:  # grow by x10 until a batch lasts a tenth of the target, then scale
            target, number, t = min_repeat_ms * 1e-3, 1, first
            while t < target / 10 and number < 10**8:
                number *= 10
                t = run(number)
            number = max(1, math.ceil(number * target / max(t, 1e-9)))
        costs = [max(run(number) / number, 1e-12) for _ in range(repeat)]
        return {"error": "ok", "msg": "", "costs": costs}
    except Exception as e:
        return {"error": "runtime", "msg": f"{type(e).__name__}: {e}", "costs": []}
    finally:
        engine.close()


_JOBS = {"build": build_object, "run": run_object}


# ---------------------------------------------------------------- the child's loop


def serve(read_fd: int, write_fd: int) -> None:
    """Serve jobs from the parent until it closes the pipe. Messages: ``(kind, args, kwargs)``.

    Run jobs name their reference by a token and carry its arrays only when this child has
    not seen the token yet, so a task's inputs cross the pipe once per child, not per candidate.
    """
    try:
        import resource
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crashing candidate leaves no core file
    except (ImportError, ValueError, OSError):
        pass
    parent = os.getppid()

    def watch_parent():  # a hanging kernel holds no GIL (ctypes), so this still runs: no orphans
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)
    threading.Thread(target=watch_parent, daemon=True).start()
    from ..codegen.target import load_openmp
    load_openmp()  # import and load everything before saying ready, so job deadlines are fair
    rx, tx = Connection(read_fd, writable=False), Connection(write_fd, readable=False)
    tx.send(("ready",))
    refs: dict = {}
    while True:
        try:
            kind, args, kwargs = rx.recv()
        except (EOFError, OSError):
            return
        try:
            if kind == "run":
                token, data = kwargs.pop("ref")
                if data is not None:
                    refs.clear()
                    refs[token] = data
                kwargs.update(refs[token])
            reply = ("done", _JOBS[kind](*args, **kwargs))
        except Exception as e:
            reply = ("error", f"{type(e).__name__}: {e}")
        tx.send(reply)


# ---------------------------------------------------------------- the parent's handle on a child


def _describe_exit(code) -> str:
    if code is None:
        return "the worker process stopped answering"
    if code < 0:
        try:
            return f"the worker process was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"the worker process was killed by signal {-code}"
    return f"the worker process exited with status {code}"


class WorkerProcess:
    """A child Python process serving build/run jobs; started on first use, restarted after it dies.

    >>> w = WorkerProcess()
    >>> w.call("build", ("garbage",), {}, timeout=30)[0]    # doctest: +SKIP
    'done'
    """

    def __init__(self):
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        self.ready = False
        self._rx = self._tx = None
        self._ref_token = None

    @property
    def pid(self) -> int | None:
        """The child's process id (None before the first job or after it died)."""
        return self.proc.pid if self.proc is not None else None

    def start(self) -> None:
        """Start the child if it is not running (it imports in the background)."""
        if self.proc is not None:
            if self.proc.poll() is None:
                return
            self._forget()  # it died while idle (killed from outside): start a new one
        p_read, c_write = os.pipe()
        c_read, p_write = os.pipe()
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env = dict(os.environ)
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", f"from workbench.tune.workers import serve; serve({c_read}, {c_write})"],
                pass_fds=(c_read, c_write), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, env=env)
        finally:
            os.close(c_read)
            os.close(c_write)
        self._rx, self._tx = Connection(p_read, writable=False), Connection(p_write, readable=False)
        self._ref_token = None
        self.ready = False
        self.starts += 1

    def send(self, kind: str, args: tuple, kwargs: dict, ref: tuple | None = None) -> None:
        """Send one job; ``ref`` is ``(token, payload)`` for run jobs (the payload goes once)."""
        self.start()
        kwargs = dict(kwargs)
        if ref is not None:
            token, payload = ref
            kwargs["ref"] = (token, None if token == self._ref_token else payload)
            self._ref_token = token
        try:
            self._tx.send((kind, args, kwargs))
        except (BrokenPipeError, OSError):
            pass  # the child is gone; receive() reports how

    @property
    def connection(self) -> Connection:
        return self._rx

    def receive(self) -> tuple:
        """The next message: ``("ready",)`` once after start, then the reply to the job sent:
        ``("done", value)``, ``("error", msg)`` or ``("crashed", msg)``."""
        try:
            reply = self._rx.recv()
            self.ready = True
            return reply
        except (EOFError, OSError):
            code = None
            if self.proc is not None:
                try:
                    code = self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:  # it closed its pipe but lives on: end it
                    self.proc.kill()
                    self.proc.wait()
            self._forget()
            return ("crashed", _describe_exit(code))

    def kill(self) -> None:
        """Kill the child now (a job overran its deadline); the next job starts a fresh one."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
        self._forget()

    def _forget(self) -> None:
        for c in (self._rx, self._tx):
            if c is not None:
                c.close()
        self.proc, self._rx, self._tx, self._ref_token, self.ready = None, None, None, None, False

    def close(self) -> None:
        """Ask the child to exit (by closing its pipe), killing it if it does not."""
        if self.proc is None:
            return
        proc = self.proc
        self._tx.close()
        self._tx = None
        try:
            proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        self._forget()

    def call(self, kind: str, args: tuple, kwargs: dict, timeout: float, ref: tuple | None = None) -> tuple:
        """Send one job and wait for it: like ``run_jobs`` with a single worker."""
        return run_jobs([self], [(kind, args, kwargs, ref)], timeout)[0]


def run_jobs(workers: list, jobs: list, timeout: float) -> list:
    """Run ``jobs`` (``(kind, args, kwargs, ref)``) on idle ``workers``, each within ``timeout`` seconds.

    Returns one reply per job, in order: ``("done", value)``, ``("error", msg)`` (the job raised),
    ``("crashed", msg)`` (the child died) or ``("timeout", msg)`` (the child was killed).
    A job's clock starts when its child is ready (start-up, i.e. importing, is not counted).
    """
    for w in workers:
        w.start()  # children start in parallel, importing while the first ones are served
    replies: list = [None] * len(jobs)
    queue = list(range(len(jobs)))[::-1]
    busy: dict = {}  # worker -> (job index, deadline)
    idle = list(workers)
    try:
        _serve_queue(queue, busy, idle, jobs, replies, timeout)
    except BaseException:  # e.g. KeyboardInterrupt in a notebook: a half-done job must not answer the next one
        for w in busy:
            w.kill()
        raise
    return replies


def _serve_queue(queue: list, busy: dict, idle: list, jobs: list, replies: list, timeout: float) -> None:
    while queue or busy:
        while queue and idle:
            w, j = idle.pop(), queue.pop()
            w.send(*jobs[j])
            busy[w] = (j, time.monotonic() + (timeout if w.ready else STARTUP_SECONDS))
        wait_for = max(0.0, min(d for _, d in busy.values()) - time.monotonic())
        ready = wait([w.connection for w in busy], timeout=wait_for)
        for w in list(busy):
            j, deadline = busy[w]
            if w.connection in ready:
                reply = w.receive()
                if reply == ("ready",):
                    busy[w] = (j, time.monotonic() + timeout)
                    continue
                replies[j] = reply
            elif time.monotonic() >= deadline:
                was_ready = w.ready
                w.kill()
                replies[j] = (("timeout", f"did not finish within {timeout:g} s; the worker process was killed")
                              if was_ready else
                              ("crashed", f"the worker process did not start within {STARTUP_SECONDS:g} s"))
            else:
                continue
            del busy[w]
            idle.append(w)


STARTUP_SECONDS = 60.0


# ---------------------------------------------------------------- tasks for a dask.distributed worker

_LOCAL: dict = {}  # role -> (WorkerProcess, lock): each dask worker process keeps its own children
_LOCAL_LOCK = threading.Lock()


def _local(role: str):
    with _LOCAL_LOCK:
        if role not in _LOCAL:
            _LOCAL[role] = (WorkerProcess(), threading.Lock())
        return _LOCAL[role]


def build_task(ir_text: str, timeout: float) -> tuple:
    """A dask task: ``build_object`` in a child of this dask worker; returns a ``run_jobs`` reply."""
    w, lock = _local("build")
    with lock:
        return w.call("build", (ir_text,), {}, timeout)


def run_task(obj: bytes, name: str, num_threads: int, options: dict, ref_token: str, ref_data: dict,
             timeout: float) -> tuple:
    """A dask task: ``run_object`` in a child of this dask worker; returns a ``run_jobs`` reply.

    ``ref_data`` holds ``inputs``, ``expected``, ``rtol`` and ``atol`` (scatter it once per task).
    """
    w, lock = _local("run")
    with lock:
        return w.call("run", (obj, name, num_threads), options, timeout, ref=(ref_token, ref_data))
