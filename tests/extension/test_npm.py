"""The JupyterLab extension's data transforms (extension/test, node's test runner), fed with
payloads that workbench.viz.mime writes, so the Python and TypeScript sides agree on the format."""
import json
import os
import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pytest

import workbench as wb
from workbench import te
from workbench.graph import Function, Module, ops
from workbench.graph.passes import optimize
from workbench.tune import records
from workbench.viz.mime import graph_payload, loopnest_payload, tuning_payload

EXT = Path(__file__).resolve().parents[2] / "extension"
NPM = shutil.which("npm")
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(NPM is None or NODE is None,
                                reason="node and npm are needed to test the JupyterLab extension "
                                       "(apt-get install nodejs npm); they are not on PATH")


def write_payloads(out: Path) -> None:
    rng = np.random.default_rng(0)
    x = ops.var("input", (1, 3, 16, 16))
    w = ops.const(rng.normal(size=(8, 3, 3, 3)).astype("float32"), name="conv1.w")
    bn = [ops.const(rng.uniform(0.5, 1.5, 8).astype("float32"), name=n) for n in ("g", "b", "m", "v")]
    y = ops.nn.batch_norm(ops.nn.conv2d(x, w, padding=(1, 1, 1, 1), name="conv1"), *bn, name="bn1")
    y = ops.nn.max_pool2d(ops.nn.relu(y, name="relu1"), pool_size=(2, 2), strides=(2, 2), name="pool")
    before = Module(Function((x,), y))
    after = optimize(before)
    g = graph_payload(after, before=before, code=True)
    (out / "graph.json").write_text(json.dumps(g))
    (out / "expected.json").write_text(json.dumps({"clusters": len(g["clusters"]),
                                                   "ops": [n["op"] for n in g["nodes"] if n["kind"] == "op"]}))
    n = 32
    A = te.placeholder((n, n), name="A")
    B = te.placeholder((n, n), name="B")
    k = te.reduce_axis((0, n), name="k")
    C = te.compute((n, n), lambda i, j: te.sum(A[i, k] * B[k, j], axis=k), name="C")
    s = te.create_schedule(C.op)
    io, ii = s[C].split(C.op.axis[1], factor=8)
    s[C].vectorize(ii)
    s[C].parallel(C.op.axis[0])
    (out / "loopnest.json").write_text(json.dumps(loopnest_payload(wb.lower(s, [A, B, C]))))
    path = out / "records.jsonl"
    res = [{"costs": [c], "error": "ok", "error_msg": "", "build_seconds": 0.1, "timestamp": 1.0} if c else
           {"costs": [], "error": "timeout", "error_msg": "ran too long", "build_seconds": 0.1, "timestamp": 1.0}
           for c in (0.003, None, 0.002, 0.0025)]
    records.append(path, [records.make_row("nosuch_mm", (64,), {"index": i, "knobs": {"tile": 2 ** i}}, r, target="llvm")
                          for i, r in enumerate(res)])
    records.append(path, [records.make_row("nosuch_conv", (1, 8), {"index": 0, "knobs": {}}, res[0], tool="ansor",
                                           target="llvm")])
    with open(path, "a") as f:
        f.write('{"version": 1, "tool": "autotvm", "ta')  # a torn last line
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (out / "tuning.json").write_text(json.dumps(tuning_payload(str(path))))


def test_extension_unit_tests_pass(tmp_path):
    if not (EXT / "node_modules").is_dir():
        subprocess.run([NPM, "install", "--no-audit", "--no-fund"], cwd=EXT, check=True, capture_output=True, timeout=600)
    write_payloads(tmp_path)
    env = {**os.environ, "WB_PAYLOAD_DIR": str(tmp_path)}
    proc = subprocess.run([NPM, "test", "--silent"], cwd=EXT, env=env, capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-6000:]
    summary = {k: int(v) for k, v in (line[2:].split(" ", 1) for line in out.splitlines()
                                      if line.startswith("# ") and line[2:].split(" ", 1)[-1].isdigit())}
    assert summary.get("fail") == 0 and summary.get("skipped") == 0, out[-3000:]
    assert summary.get("pass", 0) >= 20, out[-3000:]
