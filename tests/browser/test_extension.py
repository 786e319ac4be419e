"""The JupyterLab extension in a real browser: JupyterLab on a free local port, Debian's Chromium
driven by Playwright. A notebook with saved Workbench outputs is opened WITHOUT running it: the
graph renders, a click shows a node's details, a group collapses, the loop nest and the tuning
chart render, bad data shows a message; then a records file opens as a dashboard.
Screenshots go to tests/browser/artifacts/.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
ARTIFACTS = HERE / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"Debian's Chromium is not at {CHROMIUM} "
                                                            "(apt-get install -y chromium)"),
]


def _labextension_installed() -> bool:
    out = subprocess.run([sys.executable, "-m", "jupyter", "labextension", "list"], capture_output=True, text=True)
    return "workbench-extension" in out.stdout + out.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server over a copy of the fixtures; yields (base url, token)."""
    if not _labextension_installed():
        pytest.fail("workbench-extension is not installed in this environment: run `make setup` "
                    "(pip install -e '.[dev]' builds and installs it)")
    root = tmp_path_factory.mktemp("lab")
    for name in ("workbench_outputs.ipynb", "tuning.wbrecords.jsonl"):
        shutil.copy(FIXTURES / name, root / name)
    settings = root / ".settings"
    (settings / "@jupyterlab" / "notebook-extension").mkdir(parents=True)
    # open notebooks without a kernel dialog; nothing here needs a kernel
    (settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings").write_text(
        json.dumps({"autoStartDefaultKernel": True}))
    (settings / "@jupyterlab" / "apputils-extension").mkdir(parents=True)
    (settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    port, token = _free_port(), "wbtest"
    env = {**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(settings), "JUPYTERLAB_WORKSPACES_DIR": str(root / ".ws"),
           "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"}
    log = open(root / "server.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ip", "127.0.0.1", f"--port={port}",
         "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", "--LabApp.expose_app_in_browser=True",
         f"--ServerApp.root_dir={root}"], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    log.flush()
                    pytest.fail(f"JupyterLab did not start on port {port}:\n{(root / 'server.log').read_text()[-3000:]}")
                time.sleep(0.3)
        yield base, token
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def shot(page, name: str, locator=None) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"extension_{name}.png"
    (locator or page).screenshot(path=str(path))
    return path


def click_svg(page, locator, fx: float = 0.5) -> str | None:
    """Click an SVG element (at ``fx`` of its width; edges often cross the middle of a group's label)
    as a person would: pointer down and up at one spot. Returns the id of the node/group hit."""
    locator.scroll_into_view_if_needed()
    page.wait_for_timeout(200)  # let the notebook's windowing settle after the scroll
    box = locator.bounding_box()
    assert box, "element to click is not on screen"
    x, y = box["x"] + box["width"] * fx, box["y"] + box["height"] / 2
    hit = page.evaluate("([x, y]) => { const e = document.elementFromPoint(x, y); "
                        "return e ? (e.closest('g.node, g.cluster') || {}).id || e.tagName : null; }", [x, y])
    page.mouse.click(x, y)
    return hit


def dismiss_dialogs(page) -> None:
    for _ in range(3):
        dialog = page.locator(".jp-Dialog")
        if not dialog.count():
            return
        no_kernel = dialog.locator("button:has-text('No Kernel')")
        (no_kernel.first.click() if no_kernel.count() else page.keyboard.press("Escape"))
        page.wait_for_timeout(300)


def test_saved_notebook_outputs_render_and_respond(lab, browser):
    base, token = lab
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    errors: list = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{base}/lab/tree/workbench_outputs.ipynb?token={token}")
    page.wait_for_selector(".jp-Notebook", timeout=60000)
    dismiss_dialogs(page)

    # the graph (resnet18 after optimize(), with its before graph): laid out by Graphviz WASM
    graph = page.locator(".wb-graph").first
    graph.locator("svg g.node").first.wait_for(timeout=60000)
    graph.scroll_into_view_if_needed()
    nodes = graph.locator("svg g.node").count()
    clusters = graph.locator("svg g.cluster").count()
    assert nodes > 40 and clusters > 10, (nodes, clusters)
    assert "removed" in graph.locator(".wb-changes").inner_text()
    shot(page, "graph", graph)

    # click a conv node: its details (op, attrs, shape, dtype) show in the side pane
    conv = graph.locator("svg g.node", has=page.locator("text", has_text="nn.conv2d")).first
    click_svg(page, conv.locator("polygon, path").first)
    details = graph.locator(".wb-graph-details")
    details.locator(".wb-details-title").wait_for()
    text = details.inner_text()
    assert "nn.conv2d" in text and "attr padding" in text and "dtype" in text and "float32" in text, text
    shot(page, "graph_details", graph)

    # click a group's label: the group collapses into one box; its loop nest shows in the details
    label = graph.locator("svg g.cluster text").first
    cluster_id = graph.locator("svg g.cluster").first.get_attribute("id").removeprefix("cluster_")
    click_svg(page, label, fx=0.1)
    graph.locator(f'svg g.node[id="{cluster_id}"]').wait_for(timeout=20000)
    assert graph.locator("svg g.cluster").count() == clusters - 1
    details.locator(".wb-code").first.wait_for()
    assert "def " in details.locator(".wb-code").first.inner_text()
    shot(page, "graph_collapsed", graph)

    # search: matches are counted and highlighted
    graph.locator(".wb-search").fill("relu")
    page.wait_for_timeout(500)
    assert "match" in graph.locator(".wb-search-count").inner_text()

    # before mode draws the graph before the pass (batch_norm present, removed nodes outlined)
    graph.locator("button.wb-mode[data-mode=before]").click()
    graph.locator("svg g.node", has=page.locator("text", has_text="nn.batch_norm")).first.wait_for(timeout=20000)
    shot(page, "graph_before", graph)

    # a group of the small model: its loop nest and the LLVM IR it compiles to
    small = page.locator(".wb-graph").filter(has_text="with generated code")
    small.scroll_into_view_if_needed()
    hit = click_svg(page, small.locator("svg g.cluster text").first, fx=0.1)
    assert hit and hit.startswith("cluster_"), f"the click landed on {hit}"
    code = small.locator(".wb-graph-details .wb-code")
    try:
        code.nth(1).wait_for(timeout=20000)
    finally:
        shot(page, "graph_code", small)
    assert "for " in code.nth(0).inner_text() and "define" in code.nth(1).inner_text()
    assert small.locator(".wb-graph-details .wb-tok-kw").count() > 5
    shot(page, "graph_code", small)

    # the loop nest: a tree with coloured kinds beside highlighted text
    nest = page.locator(".wb-loopnest").first
    nest.scroll_into_view_if_needed()
    assert nest.locator(".wb-ln-row").count() >= 5
    assert nest.locator(".wb-kind-badge.wb-kind-parallel").count() >= 1
    assert nest.locator(".wb-tok-kw").count() > 3
    shot(page, "loopnest", nest)

    # the tuning chart: plotly draws a best-so-far line and trial dots per tuner
    tuning = page.locator(".wb-tuning").first
    tuning.scroll_into_view_if_needed()
    tuning.locator(".js-plotly-plot .scatterlayer .trace").first.wait_for(timeout=30000)
    assert tuning.locator(".js-plotly-plot .scatterlayer .trace").count() >= 4
    assert "random" in tuning.inner_text() and "ga" in tuning.inner_text()
    page.wait_for_timeout(500)
    # hovering a trial shows its config
    tuning.locator(".scatterlayer .trace .points path").nth(5).hover(force=True)
    hover = tuning.locator(".hoverlayer .hovertext")
    hover.first.wait_for(timeout=10000)
    tip = hover.first.text_content()  # an SVG <g>: text_content, not inner_text
    assert "index" in tip and "trial" in tip, tip
    shot(page, "tuning", tuning)

    # bad data: clear messages, never blank
    bad = page.locator(".wb-error")
    bad.first.scroll_into_view_if_needed()
    texts = " | ".join(bad.all_inner_texts())
    assert '"nodes" must be a list' in texts and "too large to lay out" in texts, texts
    shot(page, "bad_data", page.locator(".wb-error").first)

    # 600 nodes in 30 groups: readable, groups collapsed
    big = page.locator(".wb-graph").filter(has_text="600 nodes")
    big.scroll_into_view_if_needed()
    big.locator("svg g.node").first.wait_for(timeout=30000)
    assert big.locator("svg g.node").count() == 30
    assert "groups start collapsed" in big.inner_text()
    shot(page, "graph_600", big)
    assert not errors, errors
    page.close()


def test_records_file_opens_as_a_dashboard(lab, browser):
    base, token = lab
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{base}/lab?token={token}")
    item = page.locator(".jp-DirListing-item", has_text="tuning.wbrecords.jsonl")
    item.wait_for(timeout=60000)
    item.dblclick()
    dash = page.locator(".wb-dashboard")
    dash.wait_for(timeout=30000)
    assert "1 unreadable line skipped" in dash.inner_text()
    assert "line 61" in dash.inner_text()  # the torn last line, by number (48 trials, 12 confirmations)
    assert "60 measurements of 1 task (48 trials, 12 confirmations)" in dash.inner_text()
    assert dash.locator("tr[data-task]").count() == 1
    task_row = dash.locator("tr[data-task]").inner_text()
    assert "matmul(128, 128, 128)" in dash.inner_text() and "\t48\t" in task_row   # confirmations are not trials
    assert "✓" in task_row and "best confirmed" in dash.inner_text()
    dash.locator(".js-plotly-plot .scatterlayer .trace").first.wait_for(timeout=30000)
    page.wait_for_timeout(500)
    shot(page, "dashboard")
    page.close()
