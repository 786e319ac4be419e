"""Regenerate the recorded AutoTVM logs the course notebooks replay (run from the repository root).

    .venv/bin/python datasets/records/make_records.py matmul      # matmul_512_{random,xgb}.jsonl + .history.json
    .venv/bin/python datasets/records/make_records.py resnet18 64  # resnet18_64.jsonl (24 XGBoost trials per task)
    .venv/bin/python datasets/records/make_records.py resnet18 224

The matmul runs start without the template's fallback config, so the random and XGBoost tuners
are compared on search alone; their ``History`` is saved too (``.history.json``), because it keeps
the cost model's predictions, which records do not. Measure on an otherwise idle machine: the
figures are GFLOPS of this machine (2 cores, AVX-512 when these were recorded).
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from workbench import autotvm, tune
from workbench.datasets import generator
from workbench.frontend import from_onnx

OUT = Path(__file__).resolve().parent


def fresh(path: Path) -> Path:
    if path.exists():
        path.unlink()
    return path


def matmul(m, n: int = 512, trials: int = 96) -> None:
    task = autotvm.task("matmul", (n, n, n))
    tuners = {"random": lambda: autotvm.RandomTuner(task, seed=0, include_fallback=False),
              "xgb": lambda: autotvm.XGBTuner(task, seed=0, plan_size=32, include_fallback=False)}
    for name, make in tuners.items():
        h = make().tune(trials, measurer=m, batch_size=8, records=fresh(OUT / f"matmul_{n}_{name}.jsonl"))
        (OUT / f"matmul_{n}_{name}.history.json").write_text(json.dumps(h.to_json()))
        print(name, h, flush=True)


def resnet18(m, image: int, trials: int = 24) -> None:
    mod = from_onnx(str(generator().model_path("resnet18", image=image)))
    path = fresh(OUT / f"resnet18_{image}.jsonl")
    for task, weight in autotvm.extract_tasks(mod):
        h = autotvm.XGBTuner(task, seed=0).tune(trials, measurer=m, batch_size=8, records=path)
        print(task.key, weight, h, flush=True)


def main(argv: list) -> None:
    if not argv or argv[0] not in ("matmul", "resnet18") or (argv[0] == "resnet18" and len(argv) != 2):
        sys.exit(__doc__)
    t0 = time.perf_counter()
    with tune.Measurer(timeout=10) as m:
        if argv[0] == "matmul":
            matmul(m)
        else:
            resnet18(m, int(argv[1]))
    print(f"done in {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
