"""The course notebooks: each is well-formed, has a fast setting, and runs top to bottom without
error (nbclient, ``WORKBENCH_FAST=1``; slow, so ``make test-all`` and ``.ci/run`` run it).

The notebooks listed in ``scripts/save_notebook_outputs.py`` (``SAVED``, written by ``make
notebooks``) are saved with the outputs a reader without a kernel needs: no errors, no widget
state or widget views, the Workbench views expected of them, under the size limits. The others
are saved stripped of outputs.

Notebooks run in a temporary folder, so files they write (live tuning logs) stay out of the repo.
"""
import ast
import importlib.util
import json
import pathlib
import time

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
IDS = [p.name for p in NOTEBOOKS]
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def _load_saver():
    path = ROOT / "scripts" / "save_notebook_outputs.py"
    spec = importlib.util.spec_from_file_location("save_notebook_outputs", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SAVER = _load_saver()
SAVED = SAVER.SAVED


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def test_the_course_is_there():
    names = {p.name[:2] for p in NOTEBOOKS}
    assert {"01", "02", "03", "04", "07"} <= names


def test_the_saved_list_names_real_notebooks_and_cells():
    for name, spec in SAVED.items():
        path = ROOT / "notebooks" / name
        assert path.exists(), f"scripts/save_notebook_outputs.py lists {name}, which is not in notebooks/"
        ids = {c.id for c in code_cells(nbformat.read(path, as_version=4))}
        for cid in list(spec["drop"]) + list(spec["expect"]):
            assert cid in ids, f"{name}: no code cell with id {cid!r} (listed in save_notebook_outputs.SAVED)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_is_well_formed_and_has_a_fast_setting(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = code_cells(nb)
    assert code, "a notebook with no code"
    for c in code:
        ast.parse("\n".join(line for line in c.source.splitlines() if not line.lstrip().startswith(("%", "!"))))
        assert "execution" not in c.metadata, f"{path.name}: execution timings saved (make notebooks strips them)"
    assert "WORKBENCH_FAST" in "".join(c.source for c in code), f"{path.name}: no fast setting for CI"
    assert "widgets" not in nb.metadata, f"{path.name}: saved widget state (use store_widget_state=False)"
    assert set(nb.metadata.get("language_info", {})) <= {"name"}, f"{path.name}: the kernel's version info saved"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_saved_outputs_help_a_reader_without_a_kernel(path):
    nb = nbformat.read(path, as_version=4)
    code = code_cells(nb)
    spec = SAVED.get(path.name)
    if spec is None:
        for c in code:
            assert not c.outputs and c.execution_count is None, f"{path.name}: strip outputs before committing"
        return
    from workbench.viz.display import saved_bundle
    assert path.stat().st_size <= SAVER.MAX_NOTEBOOK_BYTES, \
        f"{path.name}: {path.stat().st_size / 1000:.0f} KB saved, over {SAVER.MAX_NOTEBOOK_BYTES / 1000:.0f} KB"
    for c in code:
        where = f"{path.name}, cell {c.id}"
        assert c.execution_count is not None, f"{where} did not run: run `make notebooks`"
        if c.id in spec["drop"]:
            assert not c.outputs, f"{where}: its outputs are to be left out ({spec['drop'][c.id]})"
        for o in c.outputs:
            assert o.output_type != "error", f"{where}: an error was saved: {o.get('ename')}: {o.get('evalue')}"
            if o.output_type in ("display_data", "execute_result"):
                assert WIDGET_MIME not in o.data, f"{where}: a widget view (no widget state is saved)"
                assert o.data and dict(o.data) == saved_bundle(dict(o.data)), \
                    f"{where}: an output not slimmed by viz.display.saved_bundle"
                assert "transient" not in o
    for cid, mime in spec["expect"].items():
        cell = next(c for c in code if c.id == cid)
        kinds = {k for o in cell.outputs for k in o.get("data", {})}
        kinds |= {o.name for o in cell.outputs if o.output_type == "stream"}
        assert mime in kinds, f"{path.name}, cell {cid}: no {mime} output saved (it has {sorted(kinds)})"


def test_saved_workbench_payloads_are_readable():
    """Every saved Workbench payload has the version and kind the extension checks first."""
    kinds = {"application/vnd.workbench.graph+json": "graph", "application/vnd.workbench.loopnest+json": "loopnest",
             "application/vnd.workbench.tuning+json": "tuning"}
    seen = set()
    for path in NOTEBOOKS:
        for c in code_cells(nbformat.read(path, as_version=4)):
            for o in c.outputs:
                for mime, kind in kinds.items():
                    if mime in o.get("data", {}):
                        p = o.data[mime]
                        assert p["version"] == 1 and p["kind"] == kind, f"{path.name}, cell {c.id}: {mime}"
                        json.dumps(p, allow_nan=False)  # JSON the browser can parse
                        seen.add(kind)
    assert seen == set(kinds.values())


def test_the_notebooks_folder_stays_small():
    total = sum(p.stat().st_size for p in NOTEBOOKS)
    assert total <= SAVER.MAX_TOTAL_BYTES, f"notebooks/ holds {total / 1000:.0f} KB"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_runs_top_to_bottom(path, tmp_path, monkeypatch):
    from nbclient import NotebookClient
    monkeypatch.setenv("WORKBENCH_FAST", "1")  # the kernel inherits this process's environment
    monkeypatch.setenv("OMP_WAIT_POLICY", "PASSIVE")
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3", store_widget_state=False,
                            resources={"metadata": {"path": str(tmp_path)}})
    t0 = time.perf_counter()
    client.execute()  # raises CellExecutionError naming the cell and the traceback
    seconds = time.perf_counter() - t0
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    assert seconds < 120, f"{path.name} took {seconds:.0f} s with WORKBENCH_FAST=1; keep it well under a minute"
    print(f"{path.name}: {seconds:.1f} s")
