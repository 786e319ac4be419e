"""Run the ONNX backend node test suite through Workbench's ONNX frontend.

usage: python tools/onnx_node_suite.py DIR [--generate] [--jobs 2] [--timeout 20] [--filter REGEX]
                                           [--backend interpreter|compiled] [--json out.json] [--stub-ops]

DIR holds DIR/node/<test>/model.onnx and test_data_set_*/{input,output}_K.pb. With --generate the
suite is first written there by ../shared/tools/gen_onnx_node_tests.py (if DIR has no tests).
Tests run in worker processes, one test at a time per worker: a test that crashes the worker or
runs past --timeout is recorded and a fresh worker takes the rest, so one bad test never stops
the run. Each test is classified as

  pass            outputs match (np.allclose rtol=1e-3 atol=1e-5, NaN == NaN, same dtype and shape)
  import-failed   from_onnx raised (unsupported ops are counted by op type)
  wrong-result    the outputs differ
  runtime-error   running the module raised (or the worker died)
  timeout         the test ran past --timeout seconds

Inputs that must be known at import time (e.g. the shape fed to Reshape) are bound to the
test's input values and the import retried (``from_onnx(..., bind=...)``), as TVM's
``freeze_params`` does. --stub-ops fills catalog ops missing from the op table with the numpy
stand-ins of tests/frontend/catalog_stub.py (frontend development only).
"""
from __future__ import annotations

import argparse
import collections
import glob
import json
import os
import queue
import re
import select
import subprocess
import sys
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GENERATOR = os.path.join(os.path.dirname(REPO), "shared", "tools", "gen_onnx_node_tests.py")


def generate_suite(out_dir: str) -> None:
    """Write the node tests (model + test data) into ``out_dir``: with ../shared/tools' script when it
    is there, else with onnx's own data writer restricted to the node cases (what that script does)."""
    if os.path.exists(GENERATOR):
        subprocess.run([sys.executable, GENERATOR, out_dir], check=True, capture_output=True)
        return
    code = ("import argparse, onnx.backend.test.case.model as m, onnx.backend.test.case.node as n;"
            "from onnx.backend.test import cmd_tools;"
            "m.collect_testcases = lambda: n.collect_testcases(None);"
            f"cmd_tools.generate_data(argparse.Namespace(output={out_dir!r}))")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


# -- the worker: runs one test per request line, answers with one JSON line --------------------

def _load_tensor(path):
    import onnx
    from onnx import numpy_helper
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    if not t.dims and not t.raw_data and t.data_type == 0:
        raise ValueError(f"{os.path.basename(path)} is not a tensor (a sequence or optional)")
    return t.name, numpy_helper.to_array(t)


def _load_case(test_dir, model):
    data_dirs = sorted(glob.glob(os.path.join(test_dir, "test_data_set_*")))
    inits = {t.name for t in model.graph.initializer}
    in_names = [vi.name for vi in model.graph.input if vi.name not in inits]
    cases = []
    for d in data_dirs[:1]:
        ins = {}
        files = sorted(glob.glob(os.path.join(d, "input_*.pb")), key=lambda p: int(re.findall(r"\d+", p)[-1]))
        for k, f in enumerate(files):
            name, arr = _load_tensor(f)
            ins[name or in_names[k]] = arr
        outs = []
        files = sorted(glob.glob(os.path.join(d, "output_*.pb")), key=lambda p: int(re.findall(r"\d+", p)[-1]))
        for f in files:
            outs.append(_load_tensor(f)[1])
        cases.append((ins, outs))
    return cases


def _compare(got, want):
    import numpy as np
    got = list(got) if isinstance(got, tuple) else [got]
    if len(got) != len(want):
        return f"{len(got)} outputs, expected {len(want)}"
    for k, (g, w) in enumerate(zip(got, want)):
        g = np.asarray(g)
        if g.dtype != w.dtype:
            return f"output {k}: dtype {g.dtype}, expected {w.dtype}"
        if g.shape != w.shape:
            return f"output {k}: shape {list(g.shape)}, expected {list(w.shape)}"
        if w.dtype.kind in "fc":
            if not np.allclose(g, w, rtol=1e-3, atol=1e-5, equal_nan=True):
                err = np.nanmax(np.abs(g.astype("float64") - w.astype("float64"))) if g.size else 0
                return f"output {k}: max abs error {err:.3g}"
        elif not np.array_equal(g, w):
            return f"output {k}: {int((g != w).sum())} of {g.size} elements differ"
    return None


def _run_test(test_dir, backend):
    import onnx
    from workbench.frontend import OnnxImportError, from_onnx
    model = onnx.load(os.path.join(test_dir, "model.onnx"))
    try:
        cases = _load_case(test_dir, model)
    except Exception as e:
        return {"status": "import-failed", "reason": f"test data: {e}", "ops": []}
    ins, want = cases[0]
    shapes = {k: v.shape for k, v in ins.items()}
    bound = {}
    try:
        try:
            mod = from_onnx(model, shapes=shapes)
        except OnnxImportError as e:
            if "known at import time" not in str(e):
                raise
            try:
                bound = {k: v for k, v in ins.items() if v.dtype.kind in "iub"}
                mod = from_onnx(model, shapes={k: s for k, s in shapes.items() if k not in bound}, bind=bound)
            except OnnxImportError as e2:
                if "known at import time" not in str(e2):
                    raise
                # also small float vectors (Resize scales, Pad values ...), never the largest input
                largest = max(ins, key=lambda k: ins[k].size)
                bound = {k: v for k, v in ins.items() if k != largest and
                         (v.dtype.kind in "iub" or (v.ndim <= 1 and v.size <= 16))}
                mod = from_onnx(model, shapes={k: s for k, s in shapes.items() if k not in bound}, bind=bound)
    except OnnxImportError as e:
        ops = sorted({r.split(" ")[0] for r in getattr(e, "unsupported", {}) or {}})
        return {"status": "import-failed", "reason": str(e).splitlines()[-1].strip()[:300], "ops": ops}
    except Exception as e:
        return {"status": "import-failed", "reason": f"{type(e).__name__}: {e}"[:300], "ops": [],
                "crash": True}
    feeds = {k: v for k, v in ins.items() if k not in bound}
    try:
        if backend == "compiled":
            import workbench as wb
            out = wb.compile(mod).run(**feeds)
        else:
            from workbench.graph.interpreter import run
            out = run(mod, **feeds)
    except Exception as e:
        return {"status": "runtime-error", "reason": f"{type(e).__name__}: {e}"[:300]}
    why = _compare(out, want)
    if why:
        return {"status": "wrong-result", "reason": why}
    return {"status": "pass", "reason": "bound " + ",".join(bound) if bound else ""}


def worker(backend, stub_ops):
    import warnings
    warnings.filterwarnings("ignore")
    sys.path.insert(0, REPO)
    if stub_ops:
        sys.path.insert(0, os.path.join(REPO, "tests", "frontend"))
        import catalog_stub
        catalog_stub.install()
    if backend == "compiled":
        import workbench as wb
        if not hasattr(wb, "compile"):
            print(json.dumps({"note": "workbench.compile does not exist yet; using the interpreter"}), flush=True)
            backend = "interpreter"
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        test_dir = line.strip()
        if not test_dir:
            continue
        t0 = time.perf_counter()
        try:
            res = _run_test(test_dir, backend)
        except Exception as e:
            res = {"status": "runtime-error", "reason": f"{type(e).__name__}: {e}"[:300]}
        res["seconds"] = round(time.perf_counter() - t0, 3)
        print(json.dumps(res), flush=True)


# -- the parent: hands tests to workers, enforces the timeout, restarts dead workers -----------

class Worker:
    def __init__(self, args):
        cmd = [sys.executable, os.path.abspath(__file__), "--worker", "--backend", args.backend]
        if args.stub_ops:
            cmd.append("--stub-ops")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True, bufsize=1, cwd=REPO)
        self.note = None
        first = self.read(120)
        if first and "note" in first:
            self.note = first["note"]
            first = self.read(120)

    def read(self, timeout):
        r, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not r:
            return "timeout"
        line = self.proc.stdout.readline()
        if not line:
            return None
        return json.loads(line)

    def ask(self, test_dir, timeout):
        self.proc.stdin.write(test_dir + "\n")
        self.proc.stdin.flush()
        return self.read(timeout)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def run_suite(args, tests):
    todo = queue.Queue()
    for t in tests:
        todo.put(t)
    results = {}
    notes = set()
    lock = threading.Lock()

    def manage():
        w = None
        while True:
            try:
                t = todo.get_nowait()
            except queue.Empty:
                break
            if w is None:
                w = Worker(args)
                if w.note:
                    notes.add(w.note)
            try:
                res = w.ask(t, args.timeout)
            except (BrokenPipeError, OSError):
                res = None
            if res == "timeout":
                res = {"status": "timeout", "reason": f"ran past {args.timeout} s"}
                w.kill()
                w = None
            elif res is None:
                res = {"status": "runtime-error", "reason": f"worker died (exit code {w.proc.poll()})"}
                w.kill()
                w = None
            with lock:
                results[os.path.basename(t)] = res
                if args.verbose:
                    print(f"{res['status']:14s} {os.path.basename(t)} {res.get('reason', '')}", flush=True)
        if w is not None:
            w.proc.stdin.close()
            w.kill()

    threads = [threading.Thread(target=manage) for _ in range(max(1, args.jobs))]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return results, notes


def report(results, notes, elapsed, out=sys.stdout):
    counts = collections.Counter(r["status"] for r in results.values())
    for n in sorted(notes):
        print("note:", n, file=out)
    print(f"{len(results)} tests in {elapsed:.0f} s: " + ", ".join(
        f"{k} {counts.get(k, 0)}" for k in ("pass", "import-failed", "wrong-result", "runtime-error", "timeout")),
        file=out)
    ops = collections.Counter(op for r in results.values() if r["status"] == "import-failed" for op in r.get("ops", []))
    if ops:
        print("\ntop unsupported ops (tests):", file=out)
        for op, n in ops.most_common(40):
            print(f"  {n:4d}  {op}", file=out)
    other = collections.Counter(re.sub(r"\d+", "N", r["reason"])[:110] for r in results.values()
                                if r["status"] != "pass" and not r.get("ops"))
    if other:
        print("\ntop other failure reasons:", file=out)
        for why, n in other.most_common(25):
            print(f"  {n:4d}  {why}", file=out)
    print("\nfailing tests:", file=out)
    for name in sorted(results):
        r = results[name]
        if r["status"] != "pass":
            print(f"  {r['status']:14s} {name}: {r.get('reason', '')[:160]}", file=out)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("dir", nargs="?")
    p.add_argument("--generate", action="store_true", help="write the suite into DIR first if it has no tests")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--timeout", type=float, default=20.0)
    p.add_argument("--filter", default=None, help="only tests whose name matches this regular expression")
    p.add_argument("--backend", choices=("interpreter", "compiled"), default="interpreter")
    p.add_argument("--json", default=None, help="write per-test results here")
    p.add_argument("--stub-ops", action="store_true", help="stand in for catalog ops the op table lacks")
    p.add_argument("--verbose", "-v", action="store_true")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        return worker(args.backend, args.stub_ops)
    if not args.dir:
        p.error("DIR is required")
    node_dir = os.path.join(args.dir, "node")
    if args.generate and not glob.glob(os.path.join(node_dir, "*", "model.onnx")):
        generate_suite(args.dir)
    tests = sorted(os.path.dirname(m) for m in glob.glob(os.path.join(node_dir, "*", "model.onnx")))
    if args.filter:
        rx = re.compile(args.filter)
        tests = [t for t in tests if rx.search(os.path.basename(t))]
    if not tests:
        p.error(f"no tests under {node_dir} (run with --generate to write them)")
    t0 = time.perf_counter()
    results, notes = run_suite(args, tests)
    report(results, notes, time.perf_counter() - t0)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"backend": args.backend, "stub_ops": args.stub_ops, "results": results}, f, indent=1,
                      sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
