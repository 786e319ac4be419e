"""Browser-test fixtures: JupyterLab on a free local port, Debian's headless Chromium driven by
Playwright (never ``playwright install``), and helpers to open a notebook, wait for its kernel,
run it and take screenshots. Tests using them skip with the reason when Chromium or Playwright
is missing (``scripts/setup.sh`` installs Chromium with apt-get when run as root).

    def test_x(start_lab, browser, lab):
        server = start_lab(root_dir)                       # serves root_dir; stopped after the session
        page = lab.open_notebook(browser, server, "02_schedule_primitives.ipynb")
        lab.run_all(page); lab.shot(page, "name")
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import types
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE / "artifacts"            # screenshots (git-ignored)
CHROMIUM = os.environ.get("WORKBENCH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
KERNEL_READY_JS = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.connectionStatus === 'connected' && k.status === 'idle';
}"""
CELL_STATE_JS = """() => {
  const w = window.jupyterapp.shell.currentWidget, cells = w.content.model.cells, out = {pending: 0, errors: []};
  for (let i = 0; i < cells.length; i++) {
    const c = cells.get(i);
    if (c.type !== 'code') continue;
    if (c.executionCount === null || c.executionCount === undefined) out.pending++;
    for (const o of c.outputs.toJSON()) if (o.output_type === 'error') out.errors.push(o.ename + ': ' + o.evalue);
  }
  return out;
}"""


def chromium_missing() -> str | None:
    """Why browser tests cannot run here, or None when they can."""
    if not os.path.exists(CHROMIUM):
        return f"Chromium is not at {CHROMIUM} (apt-get install -y chromium, or set WORKBENCH_CHROMIUM)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install playwright; never `playwright install`)"
    return None


def pytest_collection_modifyitems(config, items):
    reason = chromium_missing()
    if reason:
        for item in items:
            if str(item.fspath).startswith(str(HERE)):
                item.add_marker(pytest.mark.skip(reason=reason))


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LabServer:
    """A running JupyterLab: its URL, token, root folder and process."""
    url: str
    token: str
    root: Path
    proc: subprocess.Popen

    def tree(self, name: str) -> str:
        """The URL that opens ``name`` (relative to the root) in JupyterLab."""
        return f"{self.url}/lab/tree/{name}?token={self.token}"


def _write_settings(settings: Path) -> None:
    def put(ext: str, name: str, data: dict):
        d = settings / "@jupyterlab" / ext
        d.mkdir(parents=True, exist_ok=True)
        (d / f"{name}.jupyterlab-settings").write_text(json.dumps(data))
    put("notebook-extension", "tracker", {"autoStartDefaultKernel": True})  # no "Select Kernel" dialog
    put("apputils-extension", "notification", {"fetchNews": "false", "checkForUpdates": False})


@pytest.fixture(scope="session")
def start_lab(tmp_path_factory):
    """A factory ``start_lab(root_dir, env=None) -> LabServer``; every server stops at session end."""
    servers: list = []

    def start(root: Path, env: dict | None = None, timeout: float = 90.0) -> LabServer:
        root = Path(root)
        state = tmp_path_factory.mktemp("lab-state")
        _write_settings(state / "settings")
        port, token = free_port(), "wbtest"
        full_env = {**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(state / "settings"),
                    "JUPYTERLAB_WORKSPACES_DIR": str(state / "workspaces"),
                    "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}", **(env or {})}
        log = open(state / "server.log", "w")
        proc = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ip", "127.0.0.1",
             f"--port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
             "--LabApp.expose_app_in_browser=True", f"--ServerApp.root_dir={root}"],
            env=full_env, stdout=log, stderr=subprocess.STDOUT)
        server = LabServer(f"http://127.0.0.1:{port}", token, root, proc)
        servers.append((server, log))
        deadline = time.time() + timeout
        while True:
            try:
                urllib.request.urlopen(f"{server.url}/api/status?token={token}", timeout=2)
                return server
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    log.flush()
                    pytest.fail(f"JupyterLab did not start on port {port}:\n"
                                f"{(state / 'server.log').read_text()[-3000:]}")
                time.sleep(0.3)

    yield start
    for server, log in servers:
        server.proc.terminate()
        try:
            server.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.proc.kill()
        log.close()


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium under Playwright."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def open_notebook(browser, server: LabServer, name: str, width: int = 1500, height: int = 1000):
    """A new page with notebook ``name`` open and its kernel connected and idle."""
    page = browser.new_page(viewport={"width": width, "height": height})
    page.page_errors = []
    page.on("pageerror", lambda e: page.page_errors.append(str(e)))
    page.goto(server.tree(name))
    page.wait_for_selector(".jp-Notebook", timeout=90000)
    page.wait_for_function(KERNEL_READY_JS, timeout=90000)
    return page


def run_all(page, timeout: float = 300.0) -> dict:
    """Run every cell (the "Run All" command) and wait until all have run (or one failed, which
    stops the run) and the kernel is idle; returns ``{"pending": n, "errors": [...]}``."""
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(f"() => {{ const s = ({CELL_STATE_JS})(); "
                           f"return (s.pending === 0 || s.errors.length > 0) && ({KERNEL_READY_JS})(); }}",
                           timeout=timeout * 1000, polling=500)
    return page.evaluate(CELL_STATE_JS)


def cell_output(page, source_snippet: str):
    """The output area of the first code cell whose source contains ``source_snippet``."""
    cell = page.locator(".jp-CodeCell", has=page.locator(".jp-InputArea", has_text=source_snippet)).first
    return cell.locator(".jp-OutputArea")


def shot(page, name: str, locator=None) -> Path:
    """Save a screenshot of the page (or one element) as ``tests/browser/artifacts/<name>.png``."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    (locator or page).screenshot(path=str(path))
    return path


@pytest.fixture(scope="session")
def lab():
    """The helpers above as one namespace: ``lab.open_notebook``, ``lab.run_all``, ``lab.cell_output``, ``lab.shot``."""
    return types.SimpleNamespace(open_notebook=open_notebook, run_all=run_all, cell_output=cell_output, shot=shot,
                                 free_port=free_port, ARTIFACTS=ARTIFACTS, CHROMIUM=CHROMIUM,
                                 CHROMIUM_ARGS=CHROMIUM_ARGS)
