"""``ScheduleEditor``: schedule a computation by hand, one primitive at a time, and watch the
loop nest, the lowered code and the speed change after each step.

Steps are kept as the schedule's own trace (``Step``: kind, stage, arguments by name), so undo
and redo replay the trace onto a fresh schedule, and the steps export as the Python that
redoes them. An illegal step shows its ``ScheduleError`` and changes nothing.

>>> from workbench import te
>>> A = te.placeholder((16, 16), name="A"); B = te.compute((16, 16), lambda i, j: A[i, j] * 2.0, name="B")
>>> ed = ScheduleEditor([A, B], measure=False)
>>> ed.apply("split", "B", axis="j", factor=4).error is None
True
>>> ed.apply("vectorize", "B", axis="i").error is None, ed.undo().redo().steps[-1].kind
(True, 'vectorize')
>>> print(ed.export_python().splitlines()[-2])
j_outer, j_inner = s[B].split(j, factor=4)
"""
from __future__ import annotations

import html
import time

import numpy as np

from ..autotvm.task import flop_of
from ..build import build
from ..errors import WorkbenchError
from ..lower import lower
from ..schedule.schedule import Schedule, apply_step, create_schedule
from ..schedule.trace import Step
from ..te.reference import evaluate
from ..te.tensor import PlaceholderOp, Tensor
from ..viz import loopnest_html
from .base import WidgetBase, live_figure

# primitive -> the argument fields it takes (names as in the trace's Step.args)
PRIMITIVES = {
    "split": ("axis", "factor"), "tile": ("x", "y", "x_factor", "y_factor"), "fuse": ("axes",),
    "reorder": ("axes",), "vectorize": ("axis",), "parallel": ("axis",), "unroll": ("axis",),
    "pragma": ("axis", "key", "value"), "compute_at": ("target", "axis"), "compute_inline": (),
    "compute_root": (), "cache_read": ("scope", "readers"), "cache_write": ("scope",),
    "rfactor": ("axis", "factor_axis"),
}
REFERENCE_LIMIT = 1 << 22  # largest broadcast the numpy reference may build; beyond, step 0's output is the reference


class ScheduleEditor(WidgetBase):
    """Edit the schedule of ``tensors`` (the function's arguments, inputs then outputs).

    ``apply(kind, stage, **args)`` applies one primitive (args by name, as the trace records
    them); ``undo()``/``redo()``; ``history`` holds ``(step label, seconds, GFLOPS, correct)`` per
    measured state and ``kernel`` the last measured ``Kernel``; ``export_python()`` gives the steps
    as Python. ``measure=False`` skips
    building and timing (the loop nest still updates).
    """

    def __init__(self, tensors, outputs=None, measure: bool = True, seed: int = 0):
        tensors = list(tensors)
        if not tensors or not all(isinstance(t, Tensor) for t in tensors):
            raise WorkbenchError("ScheduleEditor: give the function's tensors, e.g. ScheduleEditor([A, B, C])")
        self.tensors = tensors
        self.outputs = list(outputs) if outputs is not None else [tensors[-1]]
        self.measure = measure
        self.steps: list = []
        self.redo_stack: list = []
        self.history: list = []
        self.error: str | None = None
        self.kernel = None  # the Kernel of the last measured state
        self.flop = flop_of([t.op for t in self.outputs]) or float(sum(np.prod(t.shape) for t in self.outputs))
        rng = np.random.default_rng(seed)
        self._inputs = {t: rng.uniform(-1, 1, t.shape).astype(t.dtype) for t in tensors
                        if isinstance(t.op, PlaceholderOp)}
        self._reference = None
        self.schedule = self._fresh()
        self._build()
        self._refresh(label="start")

    # ------------------------------------------------------------ state
    def _fresh(self) -> Schedule:
        return create_schedule([t.op for t in self.outputs])

    def _replayed(self, steps) -> Schedule:
        s = self._fresh()
        for st in steps:
            apply_step(s, st)
        return s

    def lowered(self):
        """The current schedule lowered to a loop nest (``tir.PrimFunc``)."""
        return lower(self.schedule, self.tensors)

    def apply(self, kind: str, stage: str, **args) -> "ScheduleEditor":
        """Apply primitive ``kind`` to the stage named ``stage``; ``self.error`` says why if illegal.

        Axes, stages and readers are given by name: ``apply("split", "C", axis="i", factor=32)``,
        ``apply("compute_at", "C.local", target="C", axis="j.outer")``.
        """
        self.error = None
        if kind not in PRIMITIVES:
            self.error = f"unknown primitive {kind!r}; choose one of {', '.join(PRIMITIVES)}"
        else:
            trial = self._replayed(self.steps)
            try:
                apply_step(trial, Step(kind, stage, dict(args)))
                lower(trial, self.tensors)  # some steps are only illegal once bounds are known
            except WorkbenchError as e:
                self.error = str(e)
            else:
                self.steps.append(trial.trace[-1])
                self.redo_stack.clear()
                self.schedule = trial
        self._refresh(label=self.steps[-1].python() if self.error is None and self.steps else None)
        return self

    def undo(self) -> "ScheduleEditor":
        """Take back the last step (it can be redone)."""
        self.error = None
        if self.steps:
            self.redo_stack.append(self.steps.pop())
            self.schedule = self._replayed(self.steps)
            self._refresh(label=f"undo → {len(self.steps)} steps")
        return self

    def redo(self) -> "ScheduleEditor":
        """Re-apply the last step taken back."""
        self.error = None
        if self.redo_stack:
            self.steps.append(self.redo_stack.pop())
            self.schedule = self._replayed(self.steps)
            self._refresh(label="redo " + self.steps[-1].python())
        return self

    def export_python(self) -> str:
        """The steps as Python lines (the schedule trace), after a line that makes the schedule."""
        outs = ", ".join(f"{t.op.name}.op" for t in self.outputs)
        head = f"s = te.create_schedule({outs if len(self.outputs) == 1 else '[' + outs + ']'})"
        return "\n".join([head, "# axes and stages are named as in the trace; s.replay(trace_json) redoes them",
                          self.schedule.trace.python(), ""])

    def trace_json(self) -> str:
        """The steps as JSON (``te.create_schedule(C.op).replay(json)`` restores them)."""
        return self.schedule.trace.to_json()

    # ------------------------------------------------------------ measuring
    def _arrays(self) -> list:
        return [self._inputs[t] if t in self._inputs else np.zeros(t.shape, t.dtype) for t in self.tensors]

    def _check(self, arrays) -> bool:
        outs = [arrays[self.tensors.index(t)] for t in self.outputs]
        if self._reference is None:
            size = max(int(np.prod(t.shape)) * int(np.prod([iv.extent for iv in t.op.reduce_axis]))
                       for t in self.outputs)
            if size <= REFERENCE_LIMIT:
                self._reference = evaluate(self.outputs, self._inputs)
            else:  # the unscheduled kernel, measured first, stands in for the reference
                self._reference = [o.copy() for o in outs]
        return all(np.allclose(o, r, rtol=1e-3, atol=1e-3) for o, r in zip(outs, self._reference))

    def _measure(self, label: str) -> None:
        t0 = time.perf_counter()
        kernel = self.kernel = build(self.schedule, self.tensors)
        arrays = self._arrays()
        kernel(*arrays)
        ok = self._check(arrays)
        t = kernel.time(*arrays, repeat=3, min_repeat_ms=10).median
        self.history.append((label, t, self.flop / t / 1e9 if t > 0 else 0.0, ok))
        self._build_seconds = time.perf_counter() - t0

    # ------------------------------------------------------------ widgets
    def _build(self):
        import ipywidgets as w
        import plotly.graph_objects as go
        L = w.Layout
        self._stage = w.Dropdown(description="stage", layout=L(width="200px"))
        self._prim = w.Dropdown(description="primitive", options=list(PRIMITIVES), value="split",
                                layout=L(width="230px"))
        self._fields = {
            "axis": w.Dropdown(description="axis", layout=L(width="200px")),
            "x": w.Dropdown(description="x", layout=L(width="170px")),
            "y": w.Dropdown(description="y", layout=L(width="170px")),
            "target": w.Dropdown(description="target", layout=L(width="200px")),
            "factor": w.IntText(value=8, description="factor", layout=L(width="150px")),
            "x_factor": w.IntText(value=8, description="x_factor", layout=L(width="160px")),
            "y_factor": w.IntText(value=8, description="y_factor", layout=L(width="160px")),
            "axes": w.Text(description="axes", placeholder="i.outer, j.outer, k, i.inner", layout=L(width="330px")),
            "scope": w.Text(value="local", description="scope", layout=L(width="170px")),
            "readers": w.Text(description="readers", placeholder="C", layout=L(width="200px")),
            "key": w.Text(value="auto_unroll_max_step", description="key", layout=L(width="260px")),
            "value": w.IntText(value=16, description="value", layout=L(width="150px")),
            "factor_axis": w.IntText(value=0, description="factor_axis", layout=L(width="170px")),
        }
        self._apply_btn = w.Button(description="apply", button_style="primary", layout=L(width="80px"))
        self._undo_btn = w.Button(description="undo", layout=L(width="70px"))
        self._redo_btn = w.Button(description="redo", layout=L(width="70px"))
        self._export_btn = w.Button(description="export Python", layout=L(width="120px"))
        self._error = w.HTML()
        self._nest = w.HTML()
        self._code = w.Textarea(layout=L(width="100%", height="140px"))
        fig = go.Figure(go.Scatter(x=[], y=[], mode="lines+markers", name="GFLOPS", text=[],
                                   hovertemplate="%{text}<br>%{y:.2f} GFLOPS"))
        fig.update_layout(template="plotly_white", height=260, width=640, margin=dict(l=50, r=10, t=30, b=40),
                          title=dict(text="GFLOPS after each step", x=0.01, font=dict(size=13)),
                          xaxis_title="step", yaxis_title="GFLOPS")
        self.figure, chart, self._redraw = live_figure(fig)
        self._row = w.HBox(layout=L(flex_flow="row wrap"))
        self._stage.observe(lambda _: self._axes_changed(), names="value")
        self._fields["target"].observe(lambda _: self._axes_changed(target_only=True), names="value")
        self._prim.observe(lambda _: self._show_fields(), names="value")
        self._apply_btn.on_click(lambda _: self._apply_from_ui())
        self._undo_btn.on_click(lambda _: self.undo())
        self._redo_btn.on_click(lambda _: self.redo())
        self._export_btn.on_click(lambda _: setattr(self._code, "value", self.export_python()))
        self.widget = w.VBox([
            w.HBox([self._stage, self._prim]), self._row,
            w.HBox([self._apply_btn, self._undo_btn, self._redo_btn, self._export_btn]), self._error,
            chart, w.Box([self._nest], layout=L(width="100%", overflow="auto")), self._code,
        ])
        self._show_fields()

    def _axes_changed(self, target_only: bool = False):
        s = self.schedule
        names = [st.name for st in s.stages if not isinstance(st.op, PlaceholderOp)]
        try:
            st = s.stage_by_name(self._stage.value) if self._stage.value else None
        except WorkbenchError:
            st = None
        if not target_only:
            axes = [iv.name for iv in st.leaf_iter_vars] if st else []
            for f in ("axis", "x", "y"):
                _set_options(self._fields[f], axes)
            if len(axes) > 1 and self._fields["y"].value == self._fields["x"].value:
                self._fields["y"].value = axes[1]
            _set_options(self._fields["target"], [n for n in names if n != self._stage.value])
        if self._prim.value == "compute_at" and self._fields["target"].value:
            tgt = s.stage_by_name(self._fields["target"].value)
            _set_options(self._fields["axis"], [iv.name for iv in tgt.leaf_iter_vars])

    def _show_fields(self):
        self._row.children = [self._fields[f] for f in PRIMITIVES[self._prim.value]]
        self._axes_changed()

    def _apply_from_ui(self):
        kind = self._prim.value
        args = {}
        for f in PRIMITIVES[kind]:
            v = self._fields[f].value
            if f in ("axes", "readers"):
                v = [x.strip() for x in str(v).split(",") if x.strip()]
            args[f] = v
        self.apply(kind, self._stage.value, **args)

    def _refresh(self, label=None):
        if not hasattr(self, "_nest"):
            return
        s = self.schedule
        stages = [st.name for st in s.stages if not isinstance(st.op, PlaceholderOp)]
        keep = self._stage.value
        self._stage.options = stages
        self._stage.value = keep if keep in stages else stages[-1]
        self._axes_changed()
        self._undo_btn.disabled, self._redo_btn.disabled = not self.steps, not self.redo_stack
        if self.error is not None:
            self._error.value = (f'<div style="color:#b71c1c; background:#ffebee; padding:4px 8px; border-radius:4px">'
                                 f"✗ {html.escape(self.error)} — nothing changed</div>")
            return
        self._error.value = ""
        self._nest.value = loopnest_html(self.lowered(), s)
        if self.measure and label is not None:
            self._measure(label)
            tr = self.figure.data[0]
            tr.x = list(range(len(self.history)))
            tr.y = [h[2] for h in self.history]
            tr.text = [h[0] + ("" if h[3] else " (WRONG RESULT)") for h in self.history]
            self._redraw()


def _set_options(dropdown, options: list) -> None:
    """New choices for a dropdown, keeping its value when it is still one of them."""
    keep = dropdown.value
    dropdown.options = options
    dropdown.value = keep if keep in options else (options[0] if options else None)
