"""``TunerComparison``: several tuners (random, XGBoost, Ansor...) on the same task on one chart,
with each cost model's accuracy (predicted vs measured, Spearman ρ) side by side.

>>> from workbench.tune.callbacks import History
>>> a = History(); a.add_batch([0, 1], [1.0, 2.0], ["ok", "ok"])
>>> b = History(); b.add_batch([5, 6], [3.0, 1.0], ["ok", "ok"], [0.9, 0.1])
>>> cmp = TunerComparison({"random": a, "xgb": b})
>>> cmp.table()[1]
('xgb', 2, 3.0, 1.0)
"""
from __future__ import annotations

import html
import math

from ..errors import TuningError
from ..viz import as_history, best_curve_figure, prediction_figure, spearman
from ..viz.tuning import prediction_pairs
from .base import WidgetBase, live_figure, with_fallback


class TunerComparison(WidgetBase):
    """Compare histories given as ``{tuner name: History | its JSON | records file}``.

    ``table()`` gives ``(name, trials, best GFLOPS, Spearman ρ of the cost model or nan)`` rows.
    """

    def __init__(self, histories: dict, title: str = "Tuners on the same task"):
        if not isinstance(histories, dict) or not histories:
            raise TuningError("TunerComparison: give a mapping {tuner name: History or records file}, "
                              "e.g. {'random': h1, 'xgb': h2}")
        self.histories = {str(k): as_history(v) for k, v in histories.items()}
        self.title = title
        self.figure = best_curve_figure(self.histories, title=title)
        self.accuracy = {k: prediction_figure(h, title=k) for k, h in self.histories.items()
                         if len(prediction_pairs(h)[0])}
        self._build()

    def table(self) -> list:
        """One row per tuner: name, trials, best GFLOPS, the cost model's rank correlation."""
        rows = []
        for k, h in self.histories.items():
            pred, meas = prediction_pairs(h)
            rows.append((k, h.n_trials, h.best_gflops, spearman(pred, meas) if len(pred) > 1 else float("nan")))
        return rows

    def _build(self):
        import ipywidgets as w
        rows = "".join(f"<tr><td><b>{html.escape(n)}</b></td><td>{t}</td><td>{b:.2f}</td>"
                       f"<td>{'—' if math.isnan(r) else f'{r:.2f}'}</td></tr>" for n, t, b, r in self.table())
        table = w.HTML('<table style="font-size:12px"><tr><th>tuner</th><th>trials</th><th>best GFLOPS</th>'
                       f"<th>cost model ρ</th></tr>{rows}</table>")
        side = []
        for fig in self.accuracy.values():
            fig.update_layout(height=280, width=330)
            side.append(live_figure(fig)[1])
        self.widget = with_fallback([live_figure(self.figure)[1], table, w.HBox(side)], self.static_bundle)

    def static_bundle(self) -> dict:
        """The runs as static data: the extension's tuning payload (every trial, best so far, per
        tuner) and the table as text; what a saved notebook shows in place of the widget."""
        from ..viz.mime import TUNING_MIME, tuning_payload
        lines = [self.title, f"{'tuner':24s} {'trials':>6s} {'best GFLOPS':>11s} {'cost model rho':>14s}"]
        for n, t, b, r in self.table():
            lines.append(f"{n:24s} {t:6d} {b:11.2f} {'-' if math.isnan(r) else f'{r:.2f}':>14s}")
        return {TUNING_MIME: tuning_payload(self.histories, title=self.title), "text/plain": "\n".join(lines)}

