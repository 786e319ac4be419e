"""Views: pure functions from compiler objects to DOT text, SVG, HTML and plotly figures.

Nothing in the engine imports this package at load time (an object's ``_repr_mimebundle_``
imports ``viz.display`` when a notebook asks for it); widgets and notebooks call it.

- graphs: ``graph_dot`` (fused groups as clusters, repeated blocks collapsed, a legend),
  ``graph_diff`` (a pass's before/after, changes highlighted), ``render_svg``/``render_png``;
- loop nests: ``loopnest_html`` (loop tree, iteration-space grid, coloured code), ``loop_tree``,
  ``iteration_space_html``/``iteration_space_svg``/``visit_order``, ``highlight_python``;
- tuning: ``best_curve_figure``, ``trials_figure``, ``prediction_figure`` (with ``spearman``),
  ``task_progress_figure``, ``tuning_figure``, ``history_svg``;
- ``GraphView``: a graph as a notebook object (the extension's interactive view, a static SVG,
  a summary), ``LoopNestView`` the same for a loop nest;
- ``profile_html`` for a model's profile, ``display_bundle`` for rich display, ``saved_bundle``
  for what a saved notebook keeps of it.

>>> from workbench.viz import graph_dot, loopnest_html, tuning_figure   # doctest: +SKIP
"""
from .code import highlight_python
from .display import display_bundle, saved_bundle
from .graph import PATTERN_COLORS, graph_dot, render_png, render_svg, repeated_blocks
from .graph_diff import GraphDiff, graph_diff
from .graph_view import GraphView
from .history_svg import history_svg
from .iteration_space import iteration_space_html, iteration_space_svg, visit_order
from .loopnest import LoopNestView, LoopRow, loop_kinds, loop_tree, loop_tree_html, loopnest_html
from .profile import profile_html
from .tuning import (as_history, best_curve_figure, histories_from_records, prediction_figure, spearman,
                     task_progress_figure, trials_figure, tuning_figure)

__all__ = ["PATTERN_COLORS", "GraphDiff", "GraphView", "LoopNestView", "LoopRow", "as_history", "best_curve_figure",
           "display_bundle", "graph_diff", "graph_dot", "highlight_python", "histories_from_records", "history_svg",
           "iteration_space_html", "iteration_space_svg", "loop_kinds", "loop_tree", "loop_tree_html", "loopnest_html",
           "prediction_figure", "profile_html", "render_png", "render_svg", "repeated_blocks", "saved_bundle",
           "spearman", "task_progress_figure", "trials_figure", "tuning_figure", "visit_order"]
