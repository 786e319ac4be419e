"""The course notebooks as saved (``make notebooks``), opened in JupyterLab WITHOUT running them,
as a reader who just opens the files sees them: the outputs are untrusted (JupyterLab sanitizes
their HTML), nothing is executed. The Workbench extension draws the graphs (a node's details, a
group folded with its loop nest, a pass's before/after) and the tuning charts replayed from the
recorded logs; the loop nests' iteration-space grids survive the sanitizer; nothing shows an
error or a widget that cannot load. Screenshots go to tests/browser/artifacts/saved_*.png.
"""
import shutil
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
OPENED = ("01_tensor_expressions.ipynb", "03_graph_ir_and_passes.ipynb", "04_autotvm.ipynb", "07_end_to_end.ipynb")

pytestmark = pytest.mark.slow

UNTRUSTED_JS = """() => {
  const cells = window.jupyterapp.shell.currentWidget.content.model.cells;
  let withOutputs = 0, trusted = 0;
  for (let i = 0; i < cells.length; i++) {
    const c = cells.get(i);
    if (c.type !== 'code' || !c.outputs.length) continue;
    withOutputs++;
    if (c.trusted) trusted++;
  }
  return {withOutputs, trusted};
}"""


@pytest.fixture(scope="module")
def server(start_lab, tmp_path_factory):
    root = tmp_path_factory.mktemp("saved")
    for name in OPENED:  # copies: autosave must not write into the repo
        shutil.copy(NOTEBOOKS / name, root / name)
    return start_lab(root)


def open_saved(browser, server, name):
    """The notebook open in a new page, its saved outputs rendered; no cell is run."""
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    page.page_errors = []
    page.on("pageerror", lambda e: page.page_errors.append(str(e)))
    # a workspace of its own, so the notebooks other tests opened are not restored beside it
    page.goto(f"{server.url}/lab/workspaces/{Path(name).stem}/tree/{name}?token={server.token}")
    page.wait_for_selector(".jp-Notebook .jp-OutputArea-output", state="attached", timeout=90000)
    state = page.evaluate(UNTRUSTED_JS)
    assert state["withOutputs"] > 3 and state["trusted"] == 0, state  # a reader's view: nothing trusted
    return page


def click_at(page, locator, fx=0.5):
    """Click an SVG element as a person would (pointer down and up at one spot, ``fx`` of its width)."""
    locator.scroll_into_view_if_needed()
    page.wait_for_timeout(200)
    box = locator.bounding_box()
    assert box, "element to click is not on screen"
    page.mouse.click(box["x"] + box["width"] * fx, box["y"] + box["height"] / 2)


def no_broken_outputs(page):
    text = page.locator(".jp-Notebook").inner_text()
    for bad in ("Error displaying widget", "model not found", "Loading widget", "cannot be shown",
                "<IPython.core.display", "VBox(children"):
        assert bad not in text, bad
    assert page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").count() == 0


def test_saved_graphs_render_and_respond(server, browser, lab):
    page = open_saved(browser, server, "03_graph_ir_and_passes.ipynb")
    out = lab.cell_output(page, 'GraphView(fused, title="ResNet-18, fused"')
    graph = out.locator(".wb-graph").first
    graph.scroll_into_view_if_needed()
    graph.locator("svg g.node").first.wait_for(timeout=60000)
    assert graph.locator("svg g.node").count() > 40 and graph.locator("svg g.cluster").count() >= 20
    assert "ResNet-18, fused" in graph.inner_text()
    page.wait_for_timeout(300)
    lab.shot(page, "saved_03_graph", graph)

    # a conv node's details: op, attributes, shape
    conv = graph.locator("svg g.node", has=page.locator("text", has_text="nn.conv2d")).first
    click_at(page, conv.locator("polygon, path").first)
    details = graph.locator(".wb-graph-details")
    details.locator(".wb-details-title").wait_for(timeout=20000)
    text = details.inner_text()
    assert "nn.conv2d" in text and "padding" in text and "float32" in text, text
    # a group's label: the group folds into one box, its loop nest (saved with it) in the details
    cluster = graph.locator("svg g.cluster").first
    cluster_id = cluster.get_attribute("id").removeprefix("cluster_")
    click_at(page, cluster.locator("text").first, fx=0.1)
    graph.locator(f'svg g.node[id="{cluster_id}"]').wait_for(timeout=20000)
    details.locator(".wb-code").first.wait_for(timeout=20000)
    assert "for " in details.locator(".wb-code").first.inner_text()
    page.wait_for_timeout(300)
    lab.shot(page, "saved_03_graph_folded", graph)

    # what fuse_ops changed: the groups it formed, and the graph before it
    diff = lab.cell_output(page, "GraphView(r.after, before=r.before").locator(".wb-graph").first
    diff.scroll_into_view_if_needed()
    diff.locator("svg g.node").first.wait_for(timeout=60000)
    assert "groups formed" in diff.locator(".wb-changes").inner_text()
    diff.locator("button.wb-mode[data-mode=before]").click()
    page.wait_for_function("(el) => el.querySelectorAll('svg g.cluster').length === 0",
                           arg=diff.element_handle(), timeout=20000)  # before fusion: no groups
    assert diff.locator("svg g.node").count() > 40
    page.wait_for_timeout(300)
    lab.shot(page, "saved_03_before_fusion", diff)
    no_broken_outputs(page)
    assert not page.page_errors, page.page_errors
    page.close()


def test_saved_tuning_charts_render(server, browser, lab):
    page = open_saved(browser, server, "04_autotvm.ipynb")
    # the recorded XGBoost run (the TuningMonitor's static fallback) and the two recorded tuners compared
    for snippet, names, shot in (("replay.replay()", ["recorded"], "saved_04_replay"),
                                 ("cmp.widget", ["random", "xgb"], "saved_04_comparison")):
        chart = lab.cell_output(page, snippet).locator(".wb-tuning").first
        chart.scroll_into_view_if_needed()
        chart.locator(".js-plotly-plot .scatterlayer .trace").first.wait_for(timeout=60000)
        assert chart.locator(".js-plotly-plot .scatterlayer .trace").count() >= 2 * len(names)
        text = chart.text_content()  # (inner_text is empty while JupyterLab defers an off-screen cell)
        assert all(n in text for n in names) and "96" in text, repr(text)  # 96 trials per recorded run
        page.wait_for_timeout(500)
        lab.shot(page, shot, chart)
    # hovering a trial shows its configuration
    chart = lab.cell_output(page, "cmp.widget").locator(".wb-tuning").first
    chart.locator(".scatterlayer .trace .points path").nth(10).hover(force=True)
    tip = chart.locator(".hoverlayer .hovertext").first
    tip.wait_for(timeout=10000)
    assert "index" in tip.text_content()
    # the live run's history, saved as measured
    live = lab.cell_output(page, "hist = mon.run(").locator(".wb-tuning").first
    live.locator(".js-plotly-plot .scatterlayer .trace").first.wait_for(timeout=60000)
    # the live monitor, displayed before it tuned, is left out rather than shown as a broken widget
    assert lab.cell_output(page, "mon = TuningMonitor(").locator(".jp-OutputArea-output").count() == 0
    no_broken_outputs(page)
    assert not page.page_errors, page.page_errors
    page.close()


def test_saved_loop_nests_keep_their_iteration_space(server, browser, lab):
    page = open_saved(browser, server, "01_tensor_expressions.ipynb")
    view = lab.cell_output(page, "s[B].reorder(j, i)").locator(".wbv-loopnest").first
    view.scroll_into_view_if_needed()
    rows = view.locator(".wbv-iterspace-row")
    assert rows.count() == 32
    # the sanitizer kept each row's gradient (it strips inline SVG, and any style it does not know)
    painted = page.evaluate("(els) => els.filter(e => getComputedStyle(e).backgroundImage.includes('gradient')"
                            " && e.getBoundingClientRect().width >= 300).length", rows.element_handles())
    assert painted == 32
    assert len(view.inner_text()) < 2000  # no tooltips spilled out as text
    page.wait_for_timeout(300)
    lab.shot(page, "saved_01_loopnest", view)
    no_broken_outputs(page)
    page.close()


def test_saved_end_to_end_notebook(server, browser, lab):
    page = open_saved(browser, server, "07_end_to_end.ipynb")
    graph = lab.cell_output(page, "mod = optimize(from_onnx(model))").locator(".wb-graph").first
    graph.scroll_into_view_if_needed()
    graph.locator("svg g.node").first.wait_for(timeout=60000)
    assert graph.locator("svg g.cluster").count() >= 20
    lab.shot(page, "saved_07_graph", graph)
    progress = lab.cell_output(page, "task_progress_figure(records")
    progress.scroll_into_view_if_needed()
    progress.locator(".js-plotly-plot .scatterlayer .trace").first.wait_for(timeout=60000)
    profile = lab.cell_output(page, "tuned.profile(")
    assert profile.locator("table.wbv-profile tr").count() > 10
    page.wait_for_timeout(500)
    lab.shot(page, "saved_07_progress", progress)
    no_broken_outputs(page)
    assert not page.page_errors, page.page_errors
    page.close()
