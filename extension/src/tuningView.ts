/**
 * The tuning view: a summary line per series and an interactive plotly.js chart (bundled,
 * loaded on first use) of the best so far and every trial, errors marked.
 */
import { el, errorBox, note } from './dom';
import { axisTitle, bestTrial, configText, seriesName, trialValue, tuningFigure } from './tuningModel';
import { ISeries, ITuningPayload } from './types';

type PlotlyLike = {
  newPlot(div: HTMLElement, data: unknown[], layout: unknown, config: unknown): Promise<unknown>;
  purge(div: HTMLElement): void;
  Plots: { resize(div: HTMLElement): void };
};
let plotlyPromise: Promise<PlotlyLike> | null = null;

function plotly(): Promise<PlotlyLike> {
  if (!plotlyPromise) {
    plotlyPromise = import('plotly.js-dist-min').then(m => ((m as any).default ?? m) as PlotlyLike);
  }
  return plotlyPromise;
}

function fmt(v: number | null): string {
  return v === null ? '—' : v >= 100 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toPrecision(3);
}

/** A table of series: tuner, task, trials, errors, best value and its config. */
export function seriesTable(p: ITuningPayload, series: ISeries[] = p.series): HTMLElement {
  const unit = p.metric === 'gflops' ? 'best GFLOPS' : 'best ms';
  const table = el(
    'table',
    { class: 'wb-table' },
    el('tr', {}, el('th', {}, 'tuner'), el('th', {}, 'task'), el('th', {}, 'trials'), el('th', {}, 'errors'), el('th', {}, unit), el('th', {}, 'best config'))
  );
  for (const s of series) {
    const best = bestTrial(s, p.metric);
    const errors = s.trials.filter(t => t.error !== 'ok').length;
    table.append(
      el(
        'tr',
        {},
        el('td', {}, s.tuner),
        el('td', { class: 'wb-mono' }, s.task || '—'),
        el('td', {}, String(s.trials.length)),
        el('td', { class: errors ? 'wb-bad' : '' }, String(errors)),
        el('td', {}, fmt(best ? trialValue(best, p.metric) : null)),
        el('td', { class: 'wb-mono' }, best ? configText(best.config) : '—')
      )
    );
  }
  return table;
}

/** A chart into ``div``; resolves when drawn, or shows a message if plotly fails. */
export async function drawChart(div: HTMLElement, p: ITuningPayload, series: ISeries[] = p.series): Promise<void> {
  if (!series.some(s => s.trials.length)) {
    div.replaceChildren(note('No trials to plot yet.'));
    return;
  }
  try {
    const P = await plotly();
    const { data, layout } = tuningFigure(p, series);
    P.purge(div);
    div.replaceChildren();
    await P.newPlot(div, data, layout, { responsive: true, displaylogo: false, modeBarButtonsToRemove: ['sendDataToCloud'] });
  } catch (e) {
    div.replaceChildren(errorBox('The tuning chart could not be drawn', String((e as Error).message ?? e)));
  }
}

export class TuningView {
  readonly node: HTMLElement;
  private chart: HTMLElement;

  constructor(private payload: ITuningPayload) {
    this.chart = el('div', { class: 'wb-chart', 'aria-label': axisTitle(payload.metric) });
    const parts: HTMLElement[] = [el('div', { class: 'wb-toolbar' }, el('span', { class: 'wb-title' }, payload.title || 'tuning'),
      el('span', { class: 'wb-muted' }, payload.series.map(s => seriesName(s, payload.series)).join(' · ')))];
    if (payload.skipped?.length) {
      parts.push(note(`${payload.skipped.length} unreadable line(s) skipped: ${payload.skipped.slice(0, 3).join('; ')}`, 'warn'));
    }
    parts.push(this.chart, seriesTable(payload));
    this.node = el('div', { class: 'wb-tuning' }, ...parts);
  }

  render(): Promise<void> {
    return drawChart(this.chart, this.payload);
  }
}
