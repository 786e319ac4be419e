"""Rich display: the MIME bundle each compiler object shows itself with in a notebook.

Engine classes define ``_repr_mimebundle_`` as a one-line call to ``display_bundle`` (imported
inside the method, so the engine never imports this package at load time). A bundle always has
``text/plain``; pictures come as ``text/html`` and ``image/svg+xml`` (static, so a saved notebook
keeps them), tuning histories also as plotly's JSON (interactive in JupyterLab), and the
JupyterLab extension's own JSON payloads (``viz.mime.mime_bundle``) are merged in when present.

>>> from workbench.graph import Function, Module, ops
>>> x = ops.var("x", (1, 8))
>>> sorted(display_bundle(Module(Function((x,), ops.nn.relu(x)))))[-1]
'text/plain'

``saved_bundle`` is the same bundle as a saved notebook should keep it: one picture per kind of
viewer, and nothing that needs a kernel (``scripts/save_notebook_outputs.py`` applies it).
"""
from __future__ import annotations

import html
import shutil

PLOTLY_MIME = "application/vnd.plotly.v1+json"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def _extension_payloads(obj) -> dict:
    """The JupyterLab extension's JSON payloads for ``obj`` (none until ``viz.mime`` exists)."""
    try:
        from .mime import mime_bundle
    except ImportError:
        return {}
    try:
        return dict(mime_bundle(obj) or {})
    except Exception:  # noqa: BLE001 - a failing extra payload must never hide the object's pictures
        return {}


def _module_bundle(mod) -> dict:
    from .graph import graph_dot, render_svg
    out = {"text/plain": repr(mod)}
    if shutil.which("dot"):
        svg = render_svg(graph_dot(mod, fold_groups="auto"))  # a big model: one box per fused group
        svg = svg[svg.find("<svg"):]  # drop the XML prolog and doctype so it can sit inside HTML
        out["image/svg+xml"] = svg
        out["text/html"] = f'<div class="wbv-graph" style="max-width:100%; overflow:auto">{svg}</div>'
    else:
        out["text/html"] = ("<div>Graphviz's <code>dot</code> is not installed, so the graph is not drawn "
                            f"(apt-get install graphviz).</div><pre>{html.escape(repr(mod))}</pre>")
    return out


def _primfunc_bundle(func) -> dict:
    from .loopnest import loopnest_html
    return {"text/plain": repr(func), "text/html": loopnest_html(func)}


def _kernel_bundle(kernel) -> dict:
    from .loopnest import loopnest_html
    head = (f'<div style="font-family:Helvetica,Arial,sans-serif; margin-bottom:6px"><b>Kernel</b> '
            f'<code>{html.escape(kernel.name)}</code>, compiled in {kernel.compile_time * 1e3:.0f} ms '
            f'({kernel.num_threads} threads)</div>')
    return {"text/plain": repr(kernel), "text/html": head + loopnest_html(kernel.func)}


def _history_bundle(h) -> dict:
    from .history_svg import history_svg
    from .tuning import tuning_figure
    svg = history_svg(h)
    return {"text/plain": repr(h), "image/svg+xml": svg, "text/html": f'<div class="wbv-history">{svg}</div>',
            PLOTLY_MIME: tuning_figure(h).to_plotly_json()}


def _profile_bundle(p) -> dict:
    from .profile import profile_html
    return {"text/plain": repr(p), "text/html": profile_html(p)}


def display_bundle(obj) -> dict:
    """The MIME bundle of a graph Module, lowered function, Kernel, tuning History or Profile.

    Anything else gets ``text/plain`` only (plus the extension's payload, if it knows the object).
    """
    from ..graph.expr import Module
    from ..runtime.executable import Profile
    from ..runtime.kernel import Kernel
    from ..tir.stmt import PrimFunc
    from ..tune.callbacks import History
    if isinstance(obj, Module):
        out = _module_bundle(obj)
    elif isinstance(obj, PrimFunc):
        out = _primfunc_bundle(obj)
    elif isinstance(obj, Kernel):
        out = _kernel_bundle(obj)
    elif isinstance(obj, History):
        out = _history_bundle(obj)
    elif isinstance(obj, Profile):
        out = _profile_bundle(obj)
    else:
        out = {"text/plain": repr(obj)}
    for mime, data in _extension_payloads(obj).items():
        out.setdefault(mime, data)
    return out


def saved_bundle(bundle: dict) -> dict:
    """``bundle`` (an output's MIME data) as a saved notebook keeps it, for readers without a kernel.

    - a widget view is dropped: a saved notebook has no widget state, so it could only show an
      error; what the widget put beside it for such readers stays (``widgets.base.with_fallback``),
      and a widget with nothing beside it but its text gives ``{}`` (leave the output out);
    - HTML that only wraps the bundle's SVG is dropped (the same picture twice; JupyterLab strips
      inline SVG from an untrusted notebook's HTML anyway, so it shows the graph's labels as text);
    - plotly's JSON is dropped when the extension's tuning payload is there: JupyterLab prefers
      plotly's renderer, which would hide the extension's chart (trials' configs on hover);
    - a graph payload leaves out the fields that hold their default (``compact_graph_payload``).

    >>> saved_bundle({"text/plain": "VBox()", WIDGET_MIME: {"model_id": "1"}})
    {}
    >>> sorted(saved_bundle({"image/svg+xml": "<svg/>", "text/html": "<div><svg/></div>", "text/plain": "g"}))
    ['image/svg+xml', 'text/plain']
    """
    from .mime import GRAPH_MIME, TUNING_MIME, compact_graph_payload
    out = dict(bundle)
    if out.pop(WIDGET_MIME, None) is not None and set(out) <= {"text/plain"}:
        return {}
    svg = out.get("image/svg+xml")
    if isinstance(svg, list):
        svg = "".join(svg)
    html_text = out.get("text/html")
    if isinstance(html_text, list):
        html_text = "".join(html_text)
    if svg and html_text and svg.strip() in html_text:
        del out["text/html"]
    if TUNING_MIME in out:
        out.pop(PLOTLY_MIME, None)
    if isinstance(out.get(GRAPH_MIME), dict) and "nodes" in out[GRAPH_MIME]:
        out[GRAPH_MIME] = compact_graph_payload(out[GRAPH_MIME])
    return out
