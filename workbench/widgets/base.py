"""What every workbench widget shares: ``.widget`` (the ipywidgets tree) and display as it."""
from __future__ import annotations


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
