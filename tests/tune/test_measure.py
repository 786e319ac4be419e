"""Measurement: real good, crashing, hanging, wrong and unbuildable candidates (compiled, worker processes)."""
import json
import os
import signal

import numpy as np
import pytest

import workbench as wb
from workbench import te
from workbench.errors import WorkbenchError
from workbench.tir import Buffer, For, ForKind, PrimFunc, Store, Var, const
from workbench.tune import ErrorKind, MeasureResult, Measurer, Reference, callbacks, records
from workbench.tune import measure as measure_mod
from workbench.tune import workers

N = 64


def matmul(n=N):
    A = te.placeholder((n, n), name="A")
    B = te.placeholder((n, n), name="B")
    k = te.reduce_axis((0, n), name="k")
    C = te.compute((n, n), lambda i, j: te.sum(A[i, k] * B[k, j], axis=k), name="C")
    return A, B, C


def good(factor: int, parallel: bool = False, vectorize: bool = False, n=N) -> PrimFunc:
    A, B, C = matmul(n)
    s = te.create_schedule(C.op)
    io, ii = s[C].split(C.op.axis[1], factor=factor)
    if parallel:
        s[C].parallel(C.op.axis[0])
    if vectorize:
        s[C].reorder(C.op.axis[0], io, C.op.reduce_axis[0], ii)
        s[C].vectorize(ii)
    return wb.lower(s, [A, B, C], name=f"mm_{factor}")


def bufs():
    return Buffer("A", (N, N), "float32"), Buffer("B", (N, N), "float32"), Buffer("C", (N, N), "float32")


def segfault() -> PrimFunc:
    """Stores a terabyte past the end of C."""
    A, B, C = bufs()
    return PrimFunc("segv", (A, B, C), Store(C, const(1.0), (const(0), const(10**12))))


def hang() -> PrimFunc:
    """10**12 iterations, each a store the optimiser must keep (it reads A)."""
    A, B, C = bufs()
    i = Var("i")
    return PrimFunc("hang", (A, B, C), For(i, const(0), const(10**12), ForKind.SERIAL,
                                           Store(C, A[i % N, i % 7] + 1.0, (i % N, i % 7))))


def wrong() -> PrimFunc:
    """Computes A + B instead of A @ B."""
    A, B, C = bufs()
    i, j = Var("i"), Var("j")
    return PrimFunc("wrong", (A, B, C), For(i, const(0), const(N), ForKind.SERIAL, For(
        j, const(0), const(N), ForKind.SERIAL, Store(C, A[i, j] + B[i, j], (i, j)))))


def unbuildable() -> PrimFunc:
    """Reads a buffer that is neither a parameter nor allocated: codegen rejects it."""
    A, B, C = bufs()
    T = Buffer("T", (N,), "float32")
    return PrimFunc("nobuf", (A, B, C), Store(C, T[0], (const(0), const(0))))


def unbound_var() -> PrimFunc:
    A, B, C = bufs()
    return PrimFunc("unbound", (A, B, C), Store(C, A[Var("j"), 0], (const(0), const(0))))


@pytest.fixture(scope="module")
def ref():
    A, B, C = matmul()
    return Reference.from_tensors([A, B], [C], seed=0)


@pytest.fixture(scope="module")
def measurer():
    with Measurer(timeout=2.0, min_repeat_ms=5.0, repeat=3) as m:
        yield m


def test_reference_from_tensors(ref):
    a, b = ref.inputs
    assert a.dtype == np.float32 and a.shape == (N, N)
    np.testing.assert_allclose(ref.expected[0], a @ b, rtol=1e-4, atol=1e-4)
    assert ref.atol >= 1e-4
    A, B, C = matmul()
    again = Reference.from_tensors([A, B], [C], seed=0)
    assert np.array_equal(again.inputs[0], a) and again.token != ref.token


def test_reference_for_big_tasks_comes_from_the_unscheduled_kernel(monkeypatch, ref):
    monkeypatch.setattr(measure_mod, "_EVALUATE_LIMIT", 10)
    A, B, C = matmul()
    big = Reference.from_tensors([A, B], [C], seed=0)
    np.testing.assert_allclose(big.expected[0], ref.expected[0], rtol=1e-4, atol=1e-3)


def test_compiled_reference_of_a_padded_conv_matches_the_interpreter(monkeypatch):
    from workbench import topi
    x = te.placeholder((1, 3, 10, 10), name="x")
    w = te.placeholder((4, 3, 3, 3), name="w")
    y = topi.conv2d_nchw(x, w, stride=1, padding=1)
    small = Reference.from_tensors([x, w], [y], seed=2)
    monkeypatch.setattr(measure_mod, "_EVALUATE_LIMIT", 10)
    big = Reference.from_tensors([x, w], [y], seed=2)
    np.testing.assert_allclose(big.expected[0], small.expected[0], rtol=1e-4, atol=1e-4)


def test_good_candidates_are_measured(measurer, ref):
    results = measurer.measure([good(f) for f in (1, 4, 16, 64)], ref)
    assert [r.error for r in results] == [ErrorKind.NONE] * 4
    for r in results:
        assert r.ok and len(r.costs) == 3 and all(c > 0 for c in r.costs)
        assert 0 < r.mean < 1 and r.build_seconds > 0 and r.error_msg == ""
    assert len({r.timestamp for r in results}) == 1  # one batch, one timestamp


def test_bad_candidates_are_classified_and_tuning_carries_on(measurer, ref):
    pid0 = os.getpid()
    batch = [good(8), segfault(), good(2), hang(), wrong(), unbuildable(), unbound_var(),
             ValueError("split factor 3 does not divide 64"), good(32, parallel=True), segfault(), good(4)]
    starts0 = measurer.runner.starts
    results = measurer.measure(batch, ref)
    kinds = [r.error for r in results]
    assert kinds == [ErrorKind.NONE, ErrorKind.RUNTIME_ERROR, ErrorKind.NONE, ErrorKind.TIMEOUT,
                     ErrorKind.WRONG_RESULT, ErrorKind.BUILD_ERROR, ErrorKind.BUILD_ERROR,
                     ErrorKind.INSTANTIATE_ERROR, ErrorKind.NONE, ErrorKind.RUNTIME_ERROR, ErrorKind.NONE]
    assert "SIGSEGV" in results[1].error_msg
    assert "2 s" in results[3].error_msg
    assert "differ from the reference" in results[4].error_msg
    assert "neither a parameter" in results[5].error_msg
    assert "split factor" in results[7].error_msg
    for r in results:
        assert r.ok == (r.error is ErrorKind.NONE)
        assert (len(r.costs) == 3) if r.ok else (r.costs == () and r.mean == float("inf"))
    # the parent is alive, and the run worker was started again after each crash and the timeout
    assert os.getpid() == pid0
    assert measurer.runner.starts - starts0 >= 3
    assert measurer.measure([good(16)], ref)[0].ok


def test_run_worker_is_restarted_with_a_new_process(measurer, ref):
    assert measurer.measure([good(4)], ref)[0].ok
    pid = measurer.run_worker_pid
    assert pid is not None
    r1, r2 = measurer.measure([segfault(), good(4)], ref)
    assert r1.error is ErrorKind.RUNTIME_ERROR and r2.ok
    assert measurer.run_worker_pid not in (None, pid)


def test_a_killed_build_worker_is_replaced(measurer, ref):
    measurer.measure([good(2), good(4)], ref)
    for w in measurer.builders:
        if w.pid is not None:
            os.kill(w.pid, signal.SIGKILL)
            w.proc.wait()
    starts = [w.starts for w in measurer.builders]
    assert all(r.ok for r in measurer.measure([good(2), good(4), good(8)], ref))
    assert [w.starts for w in measurer.builders] == [s + 1 for s in starts]


def test_llvm_rejecting_the_ir_is_a_build_error(monkeypatch, measurer, ref):
    import workbench.codegen.llvm as llvm_mod

    class Garbage:
        def __str__(self):
            return "define void @f( this is not llvm"
    monkeypatch.setattr(llvm_mod, "emit_module", lambda f: (Garbage(), None))
    (r,) = measurer.measure([good(4)], ref)
    assert r.error is ErrorKind.BUILD_ERROR and "RuntimeError" in r.error_msg


def test_signature_mismatch_is_a_build_error(measurer, ref):
    (r,) = measurer.measure([good(4, n=32)], ref)
    assert r.error is ErrorKind.BUILD_ERROR and "reference gives" in r.error_msg


def test_number_repeat_and_unchecked_runs(ref):
    with Measurer(number=2, repeat=5, timeout=5, build_workers=1, check_correctness=False) as m:
        ok, unchecked = m.measure([good(8, vectorize=True), wrong()], ref)
    assert ok.ok and len(ok.costs) == 5 and all(c > 0 for c in ok.costs)
    assert unchecked.ok  # not compared with the reference
    assert m.closed and m.run_worker_pid is None


def test_flushed_runs_are_checked_and_timed(ref):
    """With ``flush_cache`` each timed run starts with the kernel's arrays evicted; a wrong kernel is
    still caught by the check before any timing."""
    with Measurer(repeat=2, timeout=5, build_workers=1, flush_cache=True) as m:
        ok, bad = m.measure([good(8, vectorize=True), wrong()], ref)
        assert "flush_cache" in repr(m)
    assert ok.ok and len(ok.costs) == 2 and all(0 < c < 1 for c in ok.costs)
    assert bad.error is ErrorKind.WRONG_RESULT


def test_the_cache_flusher_evicts_without_touching_the_values():
    from workbench.tune.cache_flush import cache_flusher
    a = np.arange(100_000, dtype="float32")
    flush = cache_flusher()
    flush([a, a[:0], np.zeros(3, "float64")])   # an empty array flushes nothing
    np.testing.assert_array_equal(a, np.arange(100_000, dtype="float32"))


def test_min_repeat_ms_sets_the_length_of_a_repeat(ref):
    import time
    with Measurer(repeat=2, min_repeat_ms=100, timeout=5, build_workers=1) as m:
        m.measure([good(4)], ref)  # start-up
        t0 = time.perf_counter()
        (r,) = m.measure([good(4)], ref)
        assert r.ok and time.perf_counter() - t0 >= 0.2


def test_measured_results_logged_to_records(tmp_path, measurer, ref):
    class Task:
        name, args, flop = "matmul", (N, N, N), 2.0 * N**3

    class Config:
        def __init__(self, i):
            self.index = i

        def to_json(self):
            return {"index": self.index, "knobs": {"f": self.index}}
    batch = [good(4), wrong(), good(16)]
    results = measurer.measure(batch, ref)
    path = tmp_path / "mm.jsonl"
    callbacks.log_to_file(path)(None, [(Task, Config(i)) for i in range(3)], results)
    rows = list(records.load(path))
    assert [r["result"]["error"] for r in rows] == ["ok", "wrong", "ok"]
    assert all(json.loads(json.dumps(r)) == r for r in rows)
    assert records.best(path, records.task_key("matmul", (N, N, N)))["config"]["index"] in (0, 2)


def test_measure_result_json():
    r = MeasureResult((1e-3, 2e-3), ErrorKind.NONE, "", 0.25, 1700000000.0)
    assert MeasureResult.from_json(json.loads(json.dumps(r.to_json()))) == r
    bad = MeasureResult((), ErrorKind.TIMEOUT, "slow")
    assert not bad.ok and bad.mean == float("inf") and bad.to_json()["error"] == "timeout"
    for d in ({"error": "nope"}, {"costs": "x", "error": "ok"}, {"costs": [], "error": "ok"},
              {"costs": [-1.0], "error": "ok"}, [], {"error": "ok", "costs": [1.0], "error_msg": 3}):
        with pytest.raises(ValueError):
            MeasureResult.from_json(d)


def test_measurer_arguments_are_checked():
    for kw in ({"repeat": 0}, {"number": 0}, {"timeout": 0}, {"build_workers": 0}, {"num_threads": 0},
               {"cluster": 3.5}):
        with pytest.raises(WorkbenchError):
            Measurer(**kw)
    m = Measurer()
    m.close()
    with pytest.raises(WorkbenchError, match="closed"):
        m.measure([], None)


def test_worker_jobs_in_process():
    assert workers.build_object("this is not LLVM IR")["ok"] is False
    w = workers.WorkerProcess()
    try:
        kind, value = w.call("build", ("neither is this",), {}, timeout=30)
        assert kind == "done" and value["ok"] is False
        assert w.call("no-such-job", (), {}, timeout=30)[0] == "error"
    finally:
        w.close()
    assert w.pid is None


# ---------------------------------------------------------------- on a dask.distributed cluster

@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(processes=True, n_workers=2, threads_per_worker=1, dashboard_address=None) as c:
        yield c


def test_dask_cluster_measures_and_survives_a_crash(cluster, ref):
    import distributed
    with distributed.Client(cluster, set_as_default=False) as client:
        before = client.run(os.getpid)
        with Measurer(cluster=client, timeout=5, min_repeat_ms=5) as m:
            results = m.measure([good(4), segfault(), wrong(), unbuildable(), good(16, parallel=True)], ref)
            assert [r.error for r in results] == [ErrorKind.NONE, ErrorKind.RUNTIME_ERROR, ErrorKind.WRONG_RESULT,
                                                  ErrorKind.BUILD_ERROR, ErrorKind.NONE]
            assert all(len(r.costs) == 3 and min(r.costs) > 0 for r in results if r.ok)
            # a second task's reference replaces the first one's on the workers
            A, B, C = matmul(32)
            (r,) = m.measure([good(4, n=32)], Reference.from_tensors([A, B], [C], seed=5))
            assert r.ok
            assert m.measure([good(8)], ref)[0].ok
        assert client.run(os.getpid) == before  # no dask worker died


def test_dask_cluster_by_address_times_out_a_hang(cluster, ref):
    with Measurer(cluster=cluster.scheduler_address, timeout=2, min_repeat_ms=5) as m:
        results = m.measure([hang(), good(8), segfault(), good(2)], ref)
        assert [r.error for r in results] == [ErrorKind.TIMEOUT, ErrorKind.NONE, ErrorKind.RUNTIME_ERROR,
                                              ErrorKind.NONE]
        assert "cluster" in repr(m)


@pytest.mark.filterwarnings("ignore:Port .* is already in use")  # a second local cluster in one process
def test_dask_cluster_with_bench_slots(ref):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(processes=True, n_workers=2, threads_per_worker=1, dashboard_address=None,
                                  resources={"bench": 1}) as c:
        with Measurer(cluster=c, timeout=5, min_repeat_ms=5) as m:
            assert m._bench_resources() == {"bench": 1}
            results = m.measure([good(2), good(8), wrong()], ref)
    assert [r.error for r in results] == [ErrorKind.NONE, ErrorKind.NONE, ErrorKind.WRONG_RESULT]
