"""Run the course notebooks and save them with the outputs that help a reader who opens them
without running anything: graphs, loop nests, printed IR and schedules, tuning charts replayed
from datasets/records/, tables of measured figures (``make notebooks``).

Each notebook in ``SAVED`` runs top to bottom with nbclient, at the normal setting (not
``WORKBENCH_FAST``; about five minutes for all of them on 2 cores), in a temporary folder so the
logs it writes stay out of the repo. Then every output goes through ``viz.display.saved_bundle``
(no widget views: a saved notebook has no widget state, so a widget keeps only the static picture
it carries, if any; no picture twice), the cells listed under ``drop`` lose their outputs, and the
execution noise goes (timings, the kernel's language version); the result is written back in
place. A notebook not in ``SAVED`` is written stripped of outputs.

    .venv/bin/python scripts/save_notebook_outputs.py            # every notebook in notebooks/
    .venv/bin/python scripts/save_notebook_outputs.py 03 07      # some, by number or name
    .venv/bin/python scripts/save_notebook_outputs.py --fast 01  # WORKBENCH_FAST=1: to try it quickly

The notebook tests (tests/notebooks) check what this writes against ``SAVED`` and the size limits.
"""
from __future__ import annotations

import argparse
import copy
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
MAX_NOTEBOOK_BYTES = 300_000      # each saved notebook
MAX_TOTAL_BYTES = 1_500_000       # the whole notebooks/ folder

GRAPH = "application/vnd.workbench.graph+json"
LOOPNEST = "application/vnd.workbench.loopnest+json"
TUNING = "application/vnd.workbench.tuning+json"
PLOTLY = "application/vnd.plotly.v1+json"

# notebook -> what is saved: "drop" {cell id: why its outputs are left out}, "expect" {cell id: the
# MIME type (or "stdout") its saved outputs must carry} (checked by the tests, so a view cannot
# silently vanish).
# Widgets need no entry: one without a static fallback (ScheduleEditor, PassExplorer, a TuningMonitor
# displayed before it tuned) leaves nothing that saved_bundle keeps, so its output is left out.
SAVED = {
    "01_tensor_expressions.ipynb": {
        "drop": {},
        "expect": {"c04": "text/html", "c08": "text/html", "c12": "text/html", "c15": LOOPNEST},
    },
    "02_schedule_primitives.ipynb": {
        "drop": {},
        "expect": {"c12": LOOPNEST},
    },
    "03_graph_ir_and_passes.ipynb": {
        "drop": {},
        "expect": {"c04": GRAPH, "c06": "stdout", "c12": GRAPH, "c14": GRAPH},
    },
    "04_autotvm.ipynb": {
        "drop": {},
        "expect": {"c05": LOOPNEST, "c10": TUNING, "c12": TUNING, "c14": TUNING},
    },
    "05_ansor.ipynb": {
        "drop": {},
        "expect": {"7f865d3a": LOOPNEST, "abfb28e2": TUNING, "ade4273c": TUNING, "ab959453": PLOTLY,
                   "b6a858a9": PLOTLY},
    },
    "06_autotvm_vs_ansor.ipynb": {
        "drop": {},
        "expect": {"ab14b880": TUNING, "9a1efcf4": TUNING, "d59484cf": PLOTLY, "26708fea": PLOTLY,
                   "bb611354": TUNING},
    },
    "07_end_to_end.ipynb": {
        "drop": {},
        "expect": {"c02": GRAPH, "c06": PLOTLY, "c10": "text/html", "c13": PLOTLY},
    },
    "08_byoc.ipynb": {
        "drop": {"2ecdd6af": "the partitioned MobileNetV2 (160 nodes): ~200 KB saved; the table below has its story"},
        "expect": {"63d88aab": GRAPH, "7c1d40e2": "text/html", "a539d9f1": "text/html"},
    },
}


def slim_outputs(outputs: list) -> list:
    """The outputs a saved cell keeps: each display through ``saved_bundle`` (left out when nothing
    is left), consecutive stream outputs of one stream merged, no transient display ids."""
    import nbformat

    from workbench.viz.display import saved_bundle
    out: list = []
    for o in outputs:
        o = copy.deepcopy(o)
        if o.output_type in ("display_data", "execute_result"):
            o.data = nbformat.from_dict(saved_bundle(dict(o.data)))
            if not o.data:
                continue
            o.pop("transient", None)
        elif o.output_type == "stream" and out and out[-1].output_type == "stream" and out[-1].name == o.name:
            out[-1].text += o.text
            continue
        out.append(o)
    return out


def strip(nb) -> None:
    """No outputs, no execution counts, no execution metadata."""
    for c in nb.cells:
        if c.cell_type == "code":
            c.outputs, c.execution_count = [], None
        c.metadata.pop("execution", None)


def save(path: Path, fast: bool = False) -> tuple:
    """Run ``path`` and write it back with its saved outputs; returns (seconds, bytes)."""
    import nbformat
    from nbclient import NotebookClient
    nb = nbformat.read(path, as_version=4)
    metadata = copy.deepcopy(nb.metadata)
    strip(nb)
    spec = SAVED.get(path.name)
    seconds = 0.0
    if spec is not None:
        env = {k: v for k, v in os.environ.items() if k != "WORKBENCH_FAST"}
        if fast:
            env["WORKBENCH_FAST"] = "1"
        with tempfile.TemporaryDirectory(prefix="wb-notebook-") as tmp:
            client = NotebookClient(nb, timeout=1800, kernel_name="python3", store_widget_state=False,
                                    record_timing=False, resources={"metadata": {"path": tmp}})
            t0 = time.perf_counter()
            client.execute(env=env)  # raises CellExecutionError, naming the cell, when one fails
            seconds = time.perf_counter() - t0
        for c in nb.cells:
            if c.cell_type != "code":
                continue
            c.metadata.pop("execution", None)
            c.outputs = [] if c.id in spec["drop"] else slim_outputs(c.outputs)
    nb.metadata = metadata  # the kernel's language_info (version, codemirror mode, ...) is noise here
    nb.metadata.pop("widgets", None)
    nbformat.validate(nb)
    nbformat.write(nb, path)
    return seconds, path.stat().st_size


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("notebooks", nargs="*", help="numbers (01) or names; default: every notebook")
    ap.add_argument("--fast", action="store_true", help="run with WORKBENCH_FAST=1 (small sizes; for trying it)")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    paths = sorted(NOTEBOOKS.glob("*.ipynb"))
    if args.notebooks:
        paths = [p for p in paths if any(p.name.startswith(a) or p.name == a for a in args.notebooks)]
        if not paths:
            ap.error(f"no notebook matches {' '.join(args.notebooks)}")
    for p in paths:
        seconds, size = save(p, fast=args.fast)
        what = f"ran in {seconds:.0f} s" if p.name in SAVED else "stripped"
        flag = "  (over the limit)" if size > MAX_NOTEBOOK_BYTES else ""
        print(f"{p.name:32s} {what:16s} {size / 1000:7.1f} KB{flag}", flush=True)
    total = sum(p.stat().st_size for p in NOTEBOOKS.glob("*.ipynb"))
    flag = "  (over the limit)" if total > MAX_TOTAL_BYTES else ""
    print(f"{'notebooks/ in all':49s} {total / 1000:7.1f} KB{flag}")
    over = [p.name for p in paths if p.stat().st_size > MAX_NOTEBOOK_BYTES] or total > MAX_TOTAL_BYTES
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
