"""Tuning histories as plotly figures: best-so-far GFLOPS against trials, every trial as a point
(errors marked), the cost model's predictions against measurements with their rank correlation,
and per-task progress for a run over several tasks.

Every function takes a ``tune.History`` (what ``tuner.tune`` returns), its ``to_json()`` data, or
a records file (``.jsonl``); per-task views take a mapping ``name -> history`` or a records file
with several tasks. Figures are plain ``plotly.graph_objects.Figure``s: show them, save them
with ``write_html``, or wrap them in a ``FigureWidget`` to update them live.

>>> from workbench.tune.callbacks import History
>>> h = History(); h.add_batch([0, 1], [1.0, 3.0], ["ok", "ok"]); h.add_batch([2, 3], [0.0, 2.0], ["build", "ok"])
>>> fig = best_curve_figure(h)
>>> list(fig.data[0].y)
[1.0, 3.0, 3.0, 3.0]
"""
from __future__ import annotations

import math
import os

import numpy as np

from ..errors import TypeCheckError, WorkbenchError

COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"]
ERROR_COLOR = "#d62728"
LAYOUT = dict(template="plotly_white", height=340, margin=dict(l=55, r=20, t=45, b=45),
              legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="right", x=1))


def as_history(x, key: str | None = None, flop: float | None = None):
    """A ``History`` from a History, its JSON data, or a records file (``key`` picks the task).

    >>> as_history({"version": 1, "batches": []}).n_trials
    0
    """
    from ..tune.callbacks import History
    if isinstance(x, History):
        return x
    if isinstance(x, dict):
        return History.from_json(x)
    if isinstance(x, (str, os.PathLike)):
        if not os.path.exists(x):
            raise WorkbenchError(f"tuning view: records file {os.fspath(x)!r} does not exist")
        return History.from_records(x, key=key, flop=flop)
    raise TypeCheckError(f"tuning view: expected a tune.History, its to_json() data or a records file path, "
                         f"got {type(x).__name__}")


def histories_from_records(path, flops: dict | None = None) -> dict:
    """Every task of a records file as ``{task_key: History}``, in order of first appearance.

    ``flops`` maps a task key to its floating-point operation count; AutoTVM tasks know their own.
    """
    from ..tune import records
    if not os.path.exists(path):
        raise WorkbenchError(f"tuning view: records file {os.fspath(path)!r} does not exist")
    keys: list = []
    for row in records.load(path):
        k = row["task"]["key"]
        if k not in keys:
            keys.append(k)
    return {k: as_history(path, key=k, flop=(flops or {}).get(k)) for k in keys}


def _histories(x) -> dict:
    if isinstance(x, dict) and not ("version" in x and "batches" in x):
        return {str(k): as_history(v) for k, v in x.items()}
    if isinstance(x, (str, os.PathLike)):
        return histories_from_records(x)
    return {"tuner": as_history(x)}


def _trials(h) -> tuple:
    """Flat arrays of one history: trial numbers, GFLOPS, error kinds, predictions (None if absent)."""
    t, g, e, p = [], [], [], []
    for b in h.batches:
        t += b["trials"]
        g += b["gflops"]
        e += b["errors"]
        preds = b.get("predicted") or [None] * len(b["gflops"])
        p += list(preds)
    return np.array(t, dtype=float), np.array(g, dtype=float), list(e), p


def _figure(title: str, xtitle: str, ytitle: str):
    import plotly.graph_objects as go
    fig = go.Figure()
    fig.update_layout(title=dict(text=title, x=0.01, font=dict(size=14)), xaxis_title=xtitle, yaxis_title=ytitle,
                      **LAYOUT)
    return fig


def best_curve_figure(histories, title: str = "Best GFLOPS so far"):
    """Best-so-far GFLOPS against trial number; one line per history when given a mapping. A history
    whose winner was confirmed (``tune.confirm``) ends with a diamond at its confirmed median.

    >>> best_curve_figure({"random": {"version": 1, "batches": []}}).data[0].name
    'random'
    """
    import plotly.graph_objects as go
    fig = _figure(title, "trial", "GFLOPS")
    for k, (name, h) in enumerate(_histories(histories).items()):
        curve = h.best_curve()
        color = COLORS[k % len(COLORS)]
        fig.add_trace(go.Scatter(x=list(range(1, len(curve) + 1)), y=curve, mode="lines", name=name,
                                 line=dict(color=color, width=2.5, shape="hv")))
        if h.confirmed_gflops:
            fig.add_trace(go.Scatter(x=[len(curve) + 0.5 + 0.5 * k], y=[h.confirmed_gflops], mode="markers",
                                     name=f"{name}: confirmed", marker=dict(color=color, symbol="diamond", size=11),
                                     hovertemplate="confirmed winner: median %{y:.1f} GFLOPS<extra></extra>"))
    return fig


def trials_figure(history, title: str = "Every trial"):
    """Each measured config as a point (GFLOPS by trial), failures as red crosses at 0 with their
    error kind, and the best-so-far line on top.

    >>> from workbench.tune.callbacks import History
    >>> h = History(); h.add_batch([0, 1], [2.0, 0.0], ["ok", "timeout"])
    >>> [t.name for t in trials_figure(h).data]
    ['measured', 'failed', 'best so far']
    """
    import plotly.graph_objects as go
    h = as_history(history)
    t, g, e, _ = _trials(h)
    ok = np.array([x == "ok" for x in e], dtype=bool)
    fig = _figure(title, "trial", "GFLOPS")
    fig.add_trace(go.Scatter(x=t[ok] + 1, y=g[ok], mode="markers", name="measured",
                             marker=dict(color=COLORS[0], size=6, opacity=0.7)))
    fig.add_trace(go.Scatter(x=t[~ok] + 1, y=np.zeros(int((~ok).sum())), mode="markers", name="failed",
                             text=[x for x, o in zip(e, ok) if not o], hovertemplate="trial %{x}: %{text}",
                             marker=dict(color=ERROR_COLOR, symbol="x", size=8)))
    fig.add_trace(go.Scatter(x=t + 1, y=h.best_curve(), mode="lines", name="best so far",
                             line=dict(color="#333333", width=1.5, shape="hv")))
    if h.confirmed:
        _add_confirmation(fig, h.confirmed, len(t))
    return fig


def _add_confirmation(fig, confirmed: dict, n_trials: int) -> None:
    """The end-of-run re-measurements right of the trials: per config its median, a bar from its slowest
    to its fastest round, the winner as a star."""
    import plotly.graph_objects as go
    meds, rounds = confirmed["medians"], confirmed["gflops"]
    ok = [[g for g in gs if g > 0] or [0.0] for gs in rounds]
    win = int(np.argmax(meds)) if meds else -1
    fig.add_trace(go.Scatter(
        x=[n_trials + 2 + k for k in range(len(meds))], y=meds, mode="markers", name="confirmed: median of rounds",
        error_y=dict(type="data", symmetric=False, array=[max(o) - m for o, m in zip(ok, meds)],
                     arrayminus=[m - min(o) for o, m in zip(ok, meds)], color=COLORS[2], thickness=1.5, width=4),
        marker=dict(color=COLORS[2], size=[14 if k == win else 8 for k in range(len(meds))],
                    symbol=["star" if k == win else "circle" for k in range(len(meds))]),
        text=[f"#{k + 1} of the best: " + ", ".join(f"{g:.1f}" for g in gs) for k, gs in enumerate(rounds)],
        hovertemplate="%{text}<br>median %{y:.1f} GFLOPS<extra></extra>"))


def spearman(a, b) -> float:
    """Spearman's rank correlation of two sequences (ties get their average rank); nan if undefined.

    >>> spearman([1, 2, 3, 4], [10, 20, 30, 25])
    0.8
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(a) != len(b):
        raise TypeCheckError(f"spearman: sequences differ in length ({len(a)} and {len(b)})")
    if len(a) < 2:
        return float("nan")

    def rank(x):
        order = np.argsort(x, kind="mergesort")
        r = np.empty(len(x))
        r[order] = np.arange(len(x), dtype=float)
        for v in np.unique(x):  # average ranks of ties
            m = x == v
            if m.sum() > 1:
                r[m] = r[m].mean()
        return r
    ra, rb = rank(a), rank(b)
    if ra.std() == 0 or rb.std() == 0:
        return float("nan")
    return round(float(np.corrcoef(ra, rb)[0, 1]), 12)


def prediction_pairs(history) -> tuple:
    """(predicted, measured GFLOPS) of the successful trials the cost model scored."""
    _, g, e, p = _trials(as_history(history))
    keep = [k for k in range(len(g)) if p[k] is not None and e[k] == "ok"]
    return np.array([p[k] for k in keep], dtype=float), g[keep]


def prediction_figure(history, title: str = "Cost model: predicted vs measured"):
    """The cost model's score of each trial against its measured GFLOPS, with Spearman's rank
    correlation in the title (what matters for a tuner is the ranking, not the scale).

    >>> from workbench.tune.callbacks import History
    >>> h = History(); h.add_batch([0, 1, 2], [1.0, 2.0, 3.0], ["ok"] * 3, [0.1, 0.3, 0.2])
    >>> "0.50" in prediction_figure(h).layout.title.text
    True
    """
    import plotly.graph_objects as go
    pred, meas = prediction_pairs(history)
    rho = spearman(pred, meas)
    label = "no predictions yet" if not len(pred) else f"Spearman ρ = {rho:.2f} over {len(pred)} trials"
    fig = _figure(f"{title}<br><sup>{label}</sup>", "predicted score", "measured GFLOPS")
    fig.add_trace(go.Scatter(x=pred, y=meas, mode="markers", name="trial",
                             marker=dict(color=COLORS[3], size=7, opacity=0.75)))
    fig.update_layout(showlegend=False)
    return fig


def task_progress_figure(tasks, title: str = "Per-task progress"):
    """For several tasks (a mapping ``name -> History`` or a records file): best GFLOPS against the
    task's own trial count (top; hover a line for its task) and, below, the trials spent on each
    task with the best GFLOPS it reached, in the same colours.
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots
    hs = _histories(tasks)
    names = list(hs)
    fig = make_subplots(rows=2, cols=1, row_heights=[0.55, 0.45], vertical_spacing=0.16,
                        subplot_titles=("best GFLOPS so far, by the task's trial", "trials per task"))
    for k, name in enumerate(names):
        curve = hs[name].best_curve()
        fig.add_trace(go.Scatter(x=list(range(1, len(curve) + 1)), y=curve, mode="lines", name=name,
                                 hovertemplate=f"{name}<br>trial %{{x}}: %{{y:.1f}} GFLOPS<extra></extra>",
                                 line=dict(color=COLORS[k % len(COLORS)], width=2, shape="hv")), row=1, col=1)
    fig.add_trace(go.Bar(y=names, x=[hs[n].n_trials for n in names], orientation="h", name="trials",
                         marker_color=[COLORS[k % len(COLORS)] for k in range(len(names))],
                         text=[f"{hs[n].best_gflops:.1f} GFLOPS" for n in names], textposition="auto"),
                  row=2, col=1)
    fig.update_xaxes(title_text="trial (of the task)", row=1, col=1)
    fig.update_yaxes(title_text="GFLOPS", row=1, col=1)
    fig.update_xaxes(title_text="trials", row=2, col=1)
    fig.update_yaxes(autorange="reversed", automargin=True, row=2, col=1)
    fig.update_layout(title=dict(text=title, x=0.01, font=dict(size=14)), showlegend=False,
                      **{**LAYOUT, "height": 420 + 24 * len(names)})
    return fig


def tuning_figure(history, title: str = ""):
    """The one-glance view of a run: every trial with the best-so-far line and, when the tuner's
    cost model scored its proposals, predicted vs measured beside it.

    >>> from workbench.tune.callbacks import History
    >>> h = History(); h.add_batch([0, 1], [1.0, 2.0], ["ok", "ok"])
    >>> len(tuning_figure(h).data)                       # no predictions: the trials alone
    3
    >>> h.add_batch([2, 3], [3.0, 1.0], ["ok", "ok"], [0.5, 0.1]); len(tuning_figure(h).data)
    4
    """
    from plotly.subplots import make_subplots
    h = as_history(history)
    pred, meas = prediction_pairs(h)
    if not len(pred):
        return trials_figure(h, title=title or f"trials (best {h.best_gflops:.1f} GFLOPS)")
    rho = spearman(pred, meas)
    right = f"predicted vs measured (ρ = {rho:.2f})" if not math.isnan(rho) else "predicted vs measured"
    fig = make_subplots(rows=1, cols=2, column_widths=[0.6, 0.4], horizontal_spacing=0.12,
                        subplot_titles=(f"trials (best {h.best_gflops:.1f} GFLOPS)", right))
    for tr in trials_figure(h).data:
        fig.add_trace(tr, row=1, col=1)
    for tr in prediction_figure(h).data:
        fig.add_trace(tr, row=1, col=2)
    fig.update_xaxes(title_text="trial", row=1, col=1)
    fig.update_yaxes(title_text="GFLOPS", row=1, col=1)
    fig.update_xaxes(title_text="predicted score", row=1, col=2)
    fig.update_yaxes(title_text="measured GFLOPS", row=1, col=2)
    fig.update_layout(**{**LAYOUT, "legend": dict(orientation="h", yanchor="top", y=-0.2, x=0), "height": 380,
                         "margin": dict(l=55, r=20, t=60 if title else 40, b=70)})
    if title:
        fig.update_layout(title=dict(text=title, x=0.01, font=dict(size=14)))
    return fig
