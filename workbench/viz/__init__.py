"""Views: pure functions from compiler objects to DOT text, SVG, HTML and figures.

Nothing in the engine imports this package; widgets and notebooks call it.

>>> from workbench.viz import graph_dot, render_svg   # doctest: +SKIP
"""
from .graph import PATTERN_COLORS, graph_dot, render_png, render_svg

__all__ = ["PATTERN_COLORS", "graph_dot", "render_png", "render_svg"]
