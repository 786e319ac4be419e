"""``live_figure``: a plotly FigureWidget when anywidget is installed, else an Output widget that
re-draws the figure; the widgets work either way."""
import plotly.graph_objects as go

from workbench.tune.callbacks import History
from workbench.widgets import TuningMonitor
from workbench.widgets.base import live_figure


def test_without_anywidget_an_output_redraws_the_figure(monkeypatch):
    import ipywidgets

    def no_anywidget(*a, **k):
        raise ImportError("Please install anywidget to use the FigureWidget class")
    monkeypatch.setattr(go, "FigureWidget", no_anywidget)
    fig = go.Figure(go.Scatter(x=[1], y=[2]))
    target, shown, refresh = live_figure(fig)
    assert target is fig and isinstance(shown, ipywidgets.Output)
    refresh()  # draws again without error
    h = History()
    h.add_batch([0, 1], [1.0, 3.0], ["ok", "ok"])
    mon = TuningMonitor(h)
    assert isinstance(mon.figure, go.Figure) and list(mon.figure.data[2].y) == [1.0, 3.0]


def test_with_anywidget_a_figure_widget_updates_in_place():
    import pytest
    pytest.importorskip("anywidget")
    fig = go.Figure(go.Scatter(x=[1], y=[2]))
    target, shown, _ = live_figure(fig)
    assert isinstance(target, go.FigureWidget) and shown is target
    target.data[0].y = [5]
    assert list(shown.data[0].y) == [5]
