/**
 * Tuning payload -> plotly traces and layout: per series, the best-so-far line, every
 * successful trial as a dot, and failed trials as red crosses on the axis; hover text shows
 * the trial's config and error. Pure, unit-tested; the view only calls Plotly.newPlot.
 */
import { ISeries, ITrial, ITuningPayload, Metric } from './types';

export const ERROR_COLOR = '#cf222e';
const PALETTE = ['#0969da', '#bc4c00', '#1a7f37', '#8250df', '#bf3989', '#4d2d00', '#1b7c83', '#57606a'];

/** Value of a trial in the chart's metric (null when it failed or is not known). */
export function trialValue(t: ITrial, metric: Metric): number | null {
  if (t.error !== 'ok') {
    return null;
  }
  const v = metric === 'gflops' ? t.gflops : t.ms;
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** Best so far after each trial: max GFLOPS, or min milliseconds (null before any success). */
export function bestSoFar(trials: ITrial[], metric: Metric): (number | null)[] {
  let best: number | null = null;
  return trials.map(t => {
    const v = trialValue(t, metric);
    if (v !== null) {
      best = best === null ? v : metric === 'gflops' ? Math.max(best, v) : Math.min(best, v);
    }
    return best;
  });
}

/** The best successful trial of a series (null when none succeeded). */
export function bestTrial(s: ISeries, metric: Metric): ITrial | null {
  let best: ITrial | null = null;
  for (const t of s.trials) {
    const v = trialValue(t, metric);
    const b = best ? trialValue(best, metric) : null;
    if (v !== null && (b === null || (metric === 'gflops' ? v > b : v < b))) {
      best = t;
    }
  }
  return best;
}

/** A config as short hover text: ``index 12 · tile_i=[4, 8] · vec=true``. */
export function configText(config: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(config ?? {})) {
    if (k === 'knobs' && v && typeof v === 'object' && !Array.isArray(v)) {
      for (const [kk, vv] of Object.entries(v as Record<string, unknown>)) {
        parts.push(`${kk}=${JSON.stringify(vv)}`);
      }
    } else {
      parts.push(`${k} ${JSON.stringify(v)}`);
    }
  }
  return parts.join(' · ') || '(no config)';
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function wrap(s: string, width = 70): string {
  const out: string[] = [];
  for (let i = 0; i < s.length; i += width) {
    out.push(s.slice(i, i + width));
  }
  return out.join('<br>');
}

export function seriesName(s: ISeries, all: ISeries[]): string {
  const tasks = new Set(all.map(x => x.task));
  return tasks.size > 1 && s.task ? `${s.tuner} · ${s.task}` : s.tuner || s.task || 'run';
}

export function axisTitle(metric: Metric): string {
  return metric === 'gflops' ? 'GFLOPS (higher is better)' : 'milliseconds per run (lower is better)';
}

/** Plotly data and layout for the payload (or for some of its series). */
export function tuningFigure(
  p: ITuningPayload,
  series: ISeries[] = p.series
): { data: Record<string, unknown>[]; layout: Record<string, unknown> } {
  const metric = p.metric;
  const data: Record<string, unknown>[] = [];
  let top = 0;
  for (const s of series) {
    for (const t of s.trials) {
      top = Math.max(top, trialValue(t, metric) ?? 0);
    }
  }
  const errorY = metric === 'gflops' ? 0 : top * 1.08 || 1;
  series.forEach((s, k) => {
    const color = PALETTE[k % PALETTE.length];
    const name = seriesName(s, series);
    const x = s.trials.map((t, i) => (typeof t.trial === 'number' ? t.trial : i));
    const best = bestSoFar(s.trials, metric);
    data.push({
      type: 'scatter',
      mode: 'lines',
      line: { shape: 'hv', color, width: 2.5 },
      name: `${name}: best so far`,
      legendgroup: name,
      x,
      y: best,
      hovertemplate: `${esc(name)}<br>trial %{x}: best %{y:.4g}<extra></extra>`
    });
    const ok = s.trials.map((t, i) => [t, x[i]] as [ITrial, number]).filter(([t]) => trialValue(t, metric) !== null);
    data.push({
      type: 'scatter',
      mode: 'markers',
      marker: { color, size: 6, opacity: 0.55 },
      name: `${name}: trials`,
      legendgroup: name,
      x: ok.map(([, i]) => i),
      y: ok.map(([t]) => trialValue(t, metric)),
      text: ok.map(([t]) => wrap(esc(configText(t.config)))),
      hovertemplate: `${esc(name)}<br>trial %{x}: %{y:.4g}<br>%{text}<extra></extra>`
    });
    const bad = s.trials.map((t, i) => [t, x[i]] as [ITrial, number]).filter(([t]) => trialValue(t, metric) === null);
    if (bad.length) {
      data.push({
        type: 'scatter',
        mode: 'markers',
        marker: { color: ERROR_COLOR, symbol: 'x', size: 8 },
        name: `${name}: errors (${bad.length})`,
        legendgroup: name,
        x: bad.map(([, i]) => i),
        y: bad.map(() => errorY),
        text: bad.map(([t]) =>
          wrap(esc(`${t.error}${t.error_msg ? ': ' + t.error_msg.slice(0, 200) : ''}`)) + '<br>' + wrap(esc(configText(t.config)))
        ),
        hovertemplate: `${esc(name)}<br>trial %{x} failed: %{text}<extra></extra>`
      });
    }
  });
  let low = Infinity;
  for (const s of series) {
    for (const t of s.trials) {
      const v = trialValue(t, metric);
      if (v !== null && v > 0) {
        low = Math.min(low, v);
      }
    }
  }
  // milliseconds of bad configs can be 100x the best: a log axis keeps the best-so-far line readable
  const logAxis = metric === 'ms' && top / low > 20;
  const layout = {
    title: p.title ? { text: esc(p.title), font: { size: 14 } } : undefined,
    xaxis: { title: { text: 'trial' }, zeroline: false },
    yaxis: logAxis ? { title: { text: axisTitle(metric) + ', log scale' }, type: 'log' } : { title: { text: axisTitle(metric) }, rangemode: 'tozero' },
    hovermode: 'closest',
    margin: { l: 60, r: 20, t: p.title ? 40 : 16, b: 45 },
    legend: { orientation: 'h', y: -0.2 },
    height: 380,
    paper_bgcolor: 'rgba(0,0,0,0)'
  };
  return { data, layout };
}
