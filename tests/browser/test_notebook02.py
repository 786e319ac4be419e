"""Notebook 02 in a real browser: JupyterLab on a free port, headless Chromium runs the whole
notebook (fast setting); the loop-nest view and the GFLOPS chart must render. Screenshots go
to tests/browser/artifacts/ (notebook02_loopnest.png, notebook02_chart.png, notebook02_page.png).
"""
import shutil
from pathlib import Path

import pytest

NOTEBOOK = "02_schedule_primitives.ipynb"
SOURCE = Path(__file__).resolve().parents[2] / "notebooks" / NOTEBOOK

pytestmark = pytest.mark.slow


def test_notebook02_runs_and_renders(start_lab, browser, lab, tmp_path):
    shutil.copy(SOURCE, tmp_path / NOTEBOOK)  # a copy: autosave must not write outputs into the repo
    server = start_lab(tmp_path, env={"WORKBENCH_FAST": "1"})
    page = lab.open_notebook(browser, server, NOTEBOOK)
    state = lab.run_all(page)
    assert state["errors"] == [] and state["pending"] == 0, state

    # the loop nest of the final schedule: our HTML view, or the JupyterLab extension's renderer
    nest = lab.cell_output(page, "ed.lowered()")
    view = nest.locator(".wbv-loopnest, .wb-loopnest").first
    view.wait_for(timeout=30000)
    view.scroll_into_view_if_needed()
    text = view.inner_text()
    for word in ("parallel", "vectorized", "C.local", "k.outer"):
        assert word in text, word
    if nest.locator(".wbv-loopnest").count():
        assert view.locator(".wbv-loop-row").count() >= 8
        assert view.locator(".wbv-iterspace-row").count() >= 16  # the iteration-space grid was drawn
    page.wait_for_timeout(300)
    lab.shot(page, "notebook02_loopnest", view)

    # the editor widget: its running chart, one point per measured step
    widget = lab.cell_output(page, "ed.widget")
    plot = widget.locator(".js-plotly-plot").first
    plot.wait_for(timeout=60000)
    plot.scroll_into_view_if_needed()
    points = plot.locator(".scatterlayer .trace .points path")
    page.wait_for_function("(el) => el.querySelectorAll('.scatterlayer .trace .points path').length >= 8",
                           arg=plot.element_handle(), timeout=30000)
    assert points.count() >= 8  # start + 8 applied steps + ...
    assert "GFLOPS after each step" in plot.inner_text()
    page.wait_for_timeout(500)
    lab.shot(page, "notebook02_chart", widget)
    lab.shot(page, "notebook02_page")
    assert not page.page_errors, page.page_errors
    page.close()
