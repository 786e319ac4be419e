"""``TuningMonitor``: a live chart of a tuning run (updated as each batch is measured, with a stop
button), or a replay of a recorded run from a records file.

>>> from workbench.tune.callbacks import History
>>> h = History(); h.add_batch([0, 1], [1.0, 2.0], ["ok", "ok"])
>>> mon = TuningMonitor(h)
>>> mon.history.n_trials, list(mon.figure.data[2].y)
(2, [1.0, 2.0])
"""
from __future__ import annotations

import os
import threading
import time

from ..errors import TuningError
from ..tune.callbacks import History
from ..viz import as_history, spearman, trials_figure
from ..viz.tuning import _trials, prediction_pairs
from .base import WidgetBase, live_figure, with_fallback


class StopTuning(Exception):
    """Raised inside the tuner's callback to end a run the user stopped."""


class TuningMonitor(WidgetBase):
    """Watch a tuner (``run(n)`` blocks, ``start(n)`` runs in a thread so the stop button works),
    or show a ``History`` / records file (``replay()`` plays it back batch by batch).
    """

    def __init__(self, source, key: str | None = None, flop: float | None = None, title: str = ""):
        self.tuner = None
        self.records = None
        self.history = History()
        self.stopped = False
        self.thread = None
        self.error: BaseException | None = None
        if hasattr(source, "tune") and hasattr(source, "task"):
            self.tuner = source
            title = title or f"tuning {source.task.name}{tuple(source.task.args)}"
        elif isinstance(source, (str, os.PathLike)):
            self.records = as_history(source, key=key, flop=flop)  # the whole recorded run, to replay
            self.history = self.records
            title = title or f"replay of {os.path.basename(os.fspath(source))}"
        else:
            self.history = as_history(source)
        self._build(title or "tuning")
        self._redraw_all()

    # ------------------------------------------------------------ driving
    def _callback(self, tuner, inputs, results):
        self.history(tuner, inputs, results)
        self._redraw_all()
        if self.stopped:
            raise StopTuning()

    def run(self, n_trial: int, **tune_kwargs) -> History:
        """Tune ``n_trial`` trials here, updating the chart after each batch; returns the history."""
        if self.tuner is None:
            raise TuningError("TuningMonitor.run: this monitor shows a finished history; give it a tuner to run")
        self.stopped = False
        callbacks = list(tune_kwargs.pop("callbacks", ())) + [self._callback]
        self._status.value = "tuning…"
        try:
            self.tuner.tune(n_trial, callbacks=callbacks, **tune_kwargs)
            self._status.value = f"done: {self.history.n_trials} trials"
        except StopTuning:
            self._status.value = f"stopped after {self.history.n_trials} trials"
        return self.history

    def start(self, n_trial: int, **tune_kwargs) -> threading.Thread:
        """Tune in a background thread (the notebook stays responsive; the stop button ends it)."""
        def work():
            try:
                self.run(n_trial, **tune_kwargs)
            except BaseException as e:  # noqa: BLE001 - shown in the widget, kept for the caller
                self.error = e
                self._status.value = f"failed: {e}"
        self.thread = threading.Thread(target=work, daemon=True)
        self.thread.start()
        return self.thread

    def stop(self) -> None:
        """Ask the running tuner to stop after the batch it is measuring."""
        self.stopped = True
        self._status.value = "stopping after this batch…"

    def replay(self, delay: float = 0.0) -> History:
        """Play a recorded history back into the chart batch by batch (``delay`` seconds apart)."""
        full = self.records if self.records is not None else self.history
        self.history = History()
        for b in full.batches:
            self.history.add_batch(b["configs"], b["gflops"], b["errors"], b.get("predicted"))
            self._redraw_all()
            if delay:
                time.sleep(delay)
        self._status.value = f"replayed {self.history.n_trials} trials"
        return self.history

    # ------------------------------------------------------------ widgets
    def _build(self, title: str):
        import ipywidgets as w
        self.figure, chart, self._redraw = live_figure(trials_figure(History(), title=title))
        self._stop = w.Button(description="stop", button_style="danger", icon="stop", layout=w.Layout(width="80px"))
        self._stop.on_click(lambda _: self.stop())
        self._status = w.HTML()
        self._stats = w.HTML()
        self.title = title
        self.widget = with_fallback([w.HBox([self._stop, self._status, self._stats]), chart], self.static_bundle)

    def static_bundle(self) -> dict:
        """The chart so far as static data (``{}`` before the first trial): the extension's tuning
        payload, an SVG and a summary; what a saved notebook shows in place of the widget."""
        if not self.history.n_trials:
            return {}
        from ..viz.history_svg import history_svg
        from ..viz.mime import TUNING_MIME, tuning_payload
        name = type(self.tuner).__name__ if self.tuner is not None else "trials"
        if self.records is not None:
            name = "recorded"
        return {TUNING_MIME: tuning_payload({name: self.history}, title=self.title),
                "image/svg+xml": history_svg(self.history, title=self.title),
                "text/plain": f"{self.title}: {self.history!r}"}

    def _redraw_all(self):
        t, g, e, _ = _trials(self.history)
        ok = [x == "ok" for x in e]
        good, bad = self.figure.data[0], self.figure.data[1]
        with _batch(self.figure):
            good.x = [x + 1 for x, o in zip(t, ok) if o]
            good.y = [y for y, o in zip(g, ok) if o]
            bad.x = [x + 1 for x, o in zip(t, ok) if not o]
            bad.y = [0.0] * (len(ok) - sum(ok))
            bad.text = [x for x, o in zip(e, ok) if not o]
            self.figure.data[2].x = [x + 1 for x in t]
            self.figure.data[2].y = self.history.best_curve()
        pred, meas = prediction_pairs(self.history)
        rho = spearman(pred, meas) if len(pred) > 1 else float("nan")
        self._stats.value = (f"&nbsp; best <b>{self.history.best_gflops:.2f}</b> GFLOPS · {len(t)} trials · "
                             f"{len(ok) - sum(ok)} failed" + (f" · cost model ρ = {rho:.2f}" if rho == rho else ""))
        self._redraw()


class _batch:
    """``fig.batch_update()`` for a FigureWidget, nothing for a plain Figure."""

    def __init__(self, fig):
        self.cm = fig.batch_update() if hasattr(fig, "batch_update") else None

    def __enter__(self):
        return self.cm.__enter__() if self.cm else None

    def __exit__(self, *exc):
        return self.cm.__exit__(*exc) if self.cm else False
