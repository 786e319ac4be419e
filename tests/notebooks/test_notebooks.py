"""The course notebooks: each is well-formed, stripped of outputs, has a fast setting, and runs
top to bottom without error (nbclient, ``WORKBENCH_FAST=1``; slow, so ``make test-all`` and
``.ci/run`` run it).

Notebooks run in a temporary folder, so files they write (live tuning logs) stay out of the repo.
"""
import ast
import pathlib
import time

import nbformat
import pytest

NOTEBOOKS = sorted((pathlib.Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))
IDS = [p.name for p in NOTEBOOKS]


def test_the_course_is_there():
    names = {p.name[:2] for p in NOTEBOOKS}
    assert {"01", "02", "03", "04", "07"} <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_is_clean_and_has_a_fast_setting(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, "a notebook with no code"
    for c in code:
        assert not c.outputs and c.execution_count is None, f"{path.name}: strip outputs before committing"
        ast.parse("\n".join(line for line in c.source.splitlines() if not line.lstrip().startswith(("%", "!"))))
    assert "WORKBENCH_FAST" in "".join(c.source for c in code), f"{path.name}: no fast setting for CI"
    assert "widgets" not in nb.metadata, f"{path.name}: saved widget state (use store_widget_state=False)"


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
