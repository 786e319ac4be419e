"""What every workbench widget shares: ``.widget`` (the ipywidgets tree) and display as it, and
``with_fallback``: a widget tree that also carries a static picture for readers without a kernel."""
from __future__ import annotations

import functools


class WidgetBase:
    """A Python object with an ipywidgets tree in ``.widget``; displaying the object displays the tree."""

    widget = None

    def _ipython_display_(self):
        from IPython.display import display
        display(self.widget)


def live_figure(fig):
    """``fig`` as a plotly ``FigureWidget`` (updates in place in the browser), or, without
    ``anywidget`` installed, an ``Output`` widget that re-draws the figure on ``refresh()``.

    Both are returned as ``(figure_to_update, widget_to_show, refresh)``.
    """
    import plotly.graph_objects as go
    try:
        fw = go.FigureWidget(fig)
        return fw, fw, lambda: None
    except ImportError:  # plotly's FigureWidget needs anywidget
        import ipywidgets as w
        from IPython.display import clear_output, display
        out = w.Output()

        def refresh():
            with out:
                clear_output(wait=True)
                display(fig)
        refresh()
        return fig, out, refresh


@functools.cache
def _fallback_box():
    import ipywidgets as w

    class FallbackBox(w.VBox):
        """A ``VBox`` whose display data also carries ``fallback()``: the widget view wins while a
        kernel runs (JupyterLab ranks it first), the static data shows in a saved notebook."""

        def __init__(self, children, fallback):
            super().__init__(children)
            self._fallback = fallback

        def _repr_mimebundle_(self, **kwargs):
            out = super()._repr_mimebundle_(**kwargs)
            static = self._fallback() or {}
            if out is not None and static:
                out.update(static)  # its text/plain too: a summary reads better than "FallbackBox(...)"
            return out
    return FallbackBox


def with_fallback(children, fallback):
    """A ``VBox`` of ``children`` that displays as the live widget and, beside it, ``fallback()``
    (a MIME bundle computed when it is displayed, or ``{}``): what a saved notebook opened without
    a kernel shows instead (``viz.display.saved_bundle`` drops the widget view when saving).

    >>> import ipywidgets as w
    >>> box = with_fallback([w.HTML("live")], lambda: {"text/plain": "a static summary"})
    >>> b = box._repr_mimebundle_()
    >>> b["text/plain"], "application/vnd.jupyter.widget-view+json" in b
    ('a static summary', True)
    """
    return _fallback_box()(children, fallback)
