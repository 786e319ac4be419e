"""A tuning history as a small static SVG chart (no JavaScript): every trial as a dot, failures
as red crosses, the best-so-far line. It is the picture a saved notebook keeps where plotly's
interactive figure cannot render (GitHub, nbviewer, a notebook opened without the extension).

>>> from workbench.tune.callbacks import History
>>> h = History(); h.add_batch([0, 1, 2], [1.0, 0.0, 4.0], ["ok", "build", "ok"])
>>> svg = history_svg(h)
>>> svg.startswith("<svg") and svg.count("<circle") == 2 and "best 4.00 GFLOPS" in svg
True
"""
from __future__ import annotations

import html

from .tuning import ERROR_COLOR, _trials, as_history


def _nice_max(v: float) -> float:
    if v <= 0:
        return 1.0
    import math
    e = 10 ** math.floor(math.log10(v))
    for m in (1, 2, 2.5, 5, 10):
        if v <= m * e:
            return m * e
    return 10 * e


def history_svg(history, width: int = 460, height: int = 220, title: str = "") -> str:
    """The chart as SVG text (``history``: a History, its JSON data, or a records file)."""
    h = as_history(history)
    t, g, e, _ = _trials(h)
    left, right, top, bottom = 48, 12, 26, 34
    pw, ph = width - left - right, height - top - bottom
    n = max(len(t), 1)
    ymax = _nice_max(float(g.max()) if len(g) else 0.0)

    def x(k):
        return left + (k + 0.5) / n * pw

    def y(v):
        return top + ph - v / ymax * ph
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="wbv-history" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="Helvetica, Arial, sans-serif" font-size="10">',
           f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="#ffffff" stroke="#cccccc"/>']
    for k in range(5):
        v = ymax * k / 4
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#eeeeee"/>'
                   f'<text x="{left - 4}" y="{y(v) + 3:.1f}" text-anchor="end">{v:g}</text>')
    head = title or "tuning"
    errors = sum(1 for x_ in e if x_ != "ok")
    out.append(f'<text x="{left}" y="16" font-size="12" font-weight="bold">{html.escape(head)}: '
               f'best {h.best_gflops:.2f} GFLOPS, {len(t)} trials, {errors} failed</text>')
    out.append(f'<text x="{left + pw / 2:.0f}" y="{height - 6}" text-anchor="middle">trial</text>'
               f'<text x="12" y="{top + ph / 2:.0f}" transform="rotate(-90 12 {top + ph / 2:.0f})" '
               f'text-anchor="middle">GFLOPS</text>')
    for k, (gv, ev) in enumerate(zip(g, e)):
        if ev == "ok":
            out.append(f'<circle cx="{x(k):.1f}" cy="{y(gv):.1f}" r="2.6" fill="#1f77b4" fill-opacity="0.7">'
                       f'<title>trial {k + 1}: {gv:.2f} GFLOPS</title></circle>')
        else:
            cx, cy = x(k), y(0) - 3
            out.append(f'<path d="M{cx - 3:.1f},{cy - 3:.1f} L{cx + 3:.1f},{cy + 3:.1f} M{cx - 3:.1f},{cy + 3:.1f} '
                       f'L{cx + 3:.1f},{cy - 3:.1f}" stroke="{ERROR_COLOR}" stroke-width="1.5">'
                       f'<title>trial {k + 1}: {html.escape(ev)}</title></path>')
    curve = h.best_curve()
    if curve:
        pts = []
        for k, v in enumerate(curve):
            pts += [f"{x(k) - 0.5 * pw / n:.1f},{y(v):.1f}", f"{x(k) + 0.5 * pw / n:.1f},{y(v):.1f}"]
        out.append(f'<polyline points="{" ".join(pts)}" fill="none" stroke="#333333" stroke-width="1.5"/>')
    out.append(f'<text x="{left + pw}" y="{height - 6}" text-anchor="end">{len(t)}</text>'
               f'<text x="{left}" y="{height - 6}">1</text>')
    out.append("</svg>")
    return "".join(out)
