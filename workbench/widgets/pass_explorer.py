"""``PassExplorer``: step through a pass pipeline on a module; see the graph before and after
each pass side by side (changes highlighted), the text diff, and why each fused group formed.

>>> from workbench.graph import Function, Module, ops
>>> x = ops.var("x", (1, 8)); mod = Module(Function((x,), ops.nn.relu(ops.exp(x))))
>>> ex = PassExplorer(mod)
>>> ex.record.name, ex.next().record.name
('simplify_inference', 'fold_constant')
"""
from __future__ import annotations

import html
import shutil

from ..errors import WorkbenchError
from ..graph.expr import Call, Function, Module
from ..graph.passes import PassContext, Recorder
from ..graph.passes.pipeline import DEFAULT_PIPELINE
from ..viz import graph_diff, render_svg
from .base import WidgetBase


def fusion_reasons(mod: Module) -> list:
    """``(group name, its operators, why it formed)`` for each fused group of ``mod``'s main function."""
    from ..graph.functor import post_order
    out = []
    for n in post_order(mod.main.body):
        if isinstance(n, Call) and isinstance(n.op, Function):
            ops = [m.op.name for m in post_order(n.op.body) if isinstance(m, Call)]
            out.append((n.op.name, ops, n.op.attrs.get("reason", "")))
    return out


class PassExplorer(WidgetBase):
    """Runs ``pipeline`` (default: the optimizer's) on ``mod`` recording every pass, then shows one
    pass at a time. Drive it with ``next()``, ``prev()``, ``goto(k)``; ``record`` is the current
    ``PassRecord`` and ``diff`` its ``GraphDiff``.
    """

    def __init__(self, mod: Module, pipeline=DEFAULT_PIPELINE, collapse="auto"):
        if not isinstance(mod, Module):
            raise WorkbenchError(f"PassExplorer: expected a graph Module, got {type(mod).__name__}; "
                                 "import one with wb.frontend.from_onnx(...)")
        self.recorder = Recorder()
        ctx = PassContext(instruments=[self.recorder])
        self.result = mod
        for p in pipeline:
            self.result = ctx.run(p, self.result)
        self.records = self.recorder.records
        if not self.records:
            raise WorkbenchError("PassExplorer: the pipeline is empty; give at least one pass")
        self.collapse = collapse
        self.index = 0
        self._diffs: dict = {}
        self._build()
        self._show()

    # ------------------------------------------------------------ state
    @property
    def record(self):
        """The current pass's record (name, before, after, seconds, op-count changes)."""
        return self.records[self.index]

    @property
    def diff(self):
        """The current pass's ``GraphDiff`` (computed once per pass)."""
        if self.index not in self._diffs:
            r = self.record
            self._diffs[self.index] = graph_diff(r.before, r.after, r.name, collapse=self.collapse)
        return self._diffs[self.index]

    def goto(self, k: int) -> "PassExplorer":
        """Show pass ``k`` (0-based; clamped to the pipeline)."""
        self.index = max(0, min(int(k), len(self.records) - 1))
        self._show()
        return self

    def next(self) -> "PassExplorer":
        """Show the next pass."""
        return self.goto(self.index + 1)

    def prev(self) -> "PassExplorer":
        """Show the previous pass."""
        return self.goto(self.index - 1)

    def reasons(self) -> list:
        """Why each fused group after the current pass formed (see ``fusion_reasons``)."""
        return fusion_reasons(self.record.after)

    # ------------------------------------------------------------ widgets
    def _build(self):
        import ipywidgets as w
        self._prev = w.Button(description="◀ prev", layout=w.Layout(width="90px"))
        self._next = w.Button(description="next ▶", layout=w.Layout(width="90px"))
        self._pick = w.Dropdown(options=[(f"{k + 1}. {r.name}", k) for k, r in enumerate(self.records)],
                                layout=w.Layout(width="260px"))
        self._summary = w.HTML()
        self._before, self._after = w.HTML(), w.HTML()
        self._text = w.HTML()
        self._why = w.HTML()
        self._prev.on_click(lambda _: self.prev())
        self._next.on_click(lambda _: self.next())
        self._pick.observe(lambda ch: self.goto(ch["new"]) if ch["new"] != self.index else None, names="value")
        pane = dict(width="50%", overflow="auto", max_height="640px", border="1px solid #e0e0e0")
        self.widget = w.VBox([
            w.HBox([self._prev, self._pick, self._next, self._summary]),
            w.HBox([w.Box([self._before], layout=w.Layout(**pane)), w.Box([self._after], layout=w.Layout(**pane))]),
            w.Accordion(children=[self._text, self._why], titles=("text diff", "why each fused group formed")),
        ], layout=w.Layout(width="100%"))

    @staticmethod
    def _picture(dot: str) -> str:
        if shutil.which("dot"):
            svg = render_svg(dot)
            return svg[svg.find("<svg"):]
        return f"<pre>{html.escape(dot)}</pre>"

    def _show(self):
        r, d = self.record, self.diff
        self._pick.value = self.index
        self._prev.disabled, self._next.disabled = self.index == 0, self.index == len(self.records) - 1
        self._summary.value = (f"<b>{html.escape(r.name)}</b>: {html.escape(d.summary())}, "
                               f"{r.seconds * 1e3:.1f} ms")
        self._before.value = self._picture(d.before_dot)
        self._after.value = self._picture(d.after_dot)
        self._text.value = f"<pre>{html.escape(d.text_diff or '(no change)')}</pre>"
        rows = "".join(f"<tr><td><code>{html.escape(n)}</code></td><td>{html.escape(', '.join(o))}</td>"
                       f"<td>{html.escape(why)}</td></tr>" for n, o, why in self.reasons())
        self._why.value = (f"<table><tr><th>group</th><th>ops</th><th>why</th></tr>{rows}</table>"
                           if rows else "(no fused groups yet: fuse_ops forms them)")
