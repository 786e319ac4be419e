"""Widgets: ipywidgets that wire the views (``workbench.viz``) to live compiler objects.

They hold state and wiring only; every picture comes from a pure function in ``viz`` and every
decision from the compiler. Each can be driven from Python (``next()``, ``apply(...)``,
``undo()``...), which is how the tests check them; ``.widget`` is what a notebook displays
(displaying the object itself shows it too).

- ``PassExplorer(mod)``: step through the passes, the graph before/after, the text diff, why
  each fused group formed;
- ``ScheduleEditor([A, B, C])``: apply primitives, see the loop nest and a running GFLOPS
  chart, undo/redo, export the steps as Python;
- ``TuningMonitor(tuner | history | records)``: a live chart while tuning (stop button), or a
  replay of a records file;
- ``TunerComparison({"random": h1, "xgb": h2})``: several tuners on one chart, with their
  cost models' accuracy side by side.
"""
from .pass_explorer import PassExplorer
from .schedule_editor import ScheduleEditor
from .tuner_comparison import TunerComparison
from .tuning_monitor import TuningMonitor

__all__ = ["PassExplorer", "ScheduleEditor", "TunerComparison", "TuningMonitor"]
