/**
 * Records files as dashboards: a document widget that reads a tuning records file (no kernel
 * needed) and shows its tasks, their best configs and the tuning chart; unreadable lines are
 * listed in a visible note. It re-reads the file when it changes on disk.
 */
import { ABCWidgetFactory, DocumentRegistry, DocumentWidget } from '@jupyterlab/docregistry';
import { Widget } from '@lumino/widgets';

import { el, errorBox, note } from './dom';
import { isConfirmation, parseRecords, recordsToTuning, taskSummaries } from './records';
import { configText } from './tuningModel';
import { drawChart } from './tuningView';

export const RECORDS_FILE_TYPE = 'workbench-records';
export const RECORDS_FACTORY = 'Workbench Records';

function fmt(v: number | null, digits = 3): string {
  return v === null ? '—' : v.toPrecision(digits);
}

/** Builds the dashboard of a records file's text into a fresh element. */
export function renderDashboard(text: string, title: string): { node: HTMLElement; done: Promise<void> } {
  const { rows, skipped } = parseRecords(text);
  const node = el('div', { class: 'wb-dashboard' });
  node.append(el('h2', { class: 'wb-dash-title' }, title));
  const tasks = taskSummaries(rows);
  const confirmations = rows.filter(isConfirmation).length;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  node.append(
    el('div', { class: 'wb-muted' },
      `${plural(rows.length, 'measurement')} of ${plural(tasks.length, 'task')}` +
      (confirmations ? ` (${plural(rows.length - confirmations, 'trial')}, ${plural(confirmations, 'confirmation')})` : ''))
  );
  if (skipped.length) {
    const list = el('ul', {}, ...skipped.slice(0, 8).map(s => el('li', {}, `line ${s.line}: ${s.reason}`)));
    if (skipped.length > 8) {
      list.append(el('li', {}, `… and ${skipped.length - 8} more`));
    }
    const n = note(`${skipped.length} unreadable line${skipped.length === 1 ? '' : 's'} skipped (a torn line from an interrupted run is expected; the rest of the file is shown):`, 'warn');
    n.append(list);
    node.append(n);
  }
  if (!rows.length) {
    node.append(errorBox('No measurements to show', text.trim() ? 'No line of this file is a Workbench tuning record (version 1).' : 'The file is empty.'));
    return { node, done: Promise.resolve() };
  }
  const payload = recordsToTuning(rows, title, skipped);
  const gflops = tasks.some(t => t.bestGflops !== null); // rows that record their task's flop count
  const table = el(
    'table',
    { class: 'wb-table wb-tasks' },
    el('tr', {}, el('th', {}, 'task'), el('th', {}, 'tool'), el('th', {}, 'trials'), el('th', {}, 'errors'), el('th', {}, 'best ms'),
      gflops ? el('th', {}, 'best GFLOPS') : null, el('th', {}, 'best config'))
  );
  const chart = el('div', { class: 'wb-chart' });
  const select = (k: number | null): Promise<void> => {
    table.querySelectorAll('tr[data-task]').forEach(r => r.classList.toggle('wb-active', Number((r as HTMLElement).dataset.task) === k));
    const series = k === null ? payload.series : [payload.series[k]];
    return drawChart(chart, { ...payload, title: k === null ? title : payload.series[k].task }, series);
  };
  tasks.forEach((t, k) => {
    const errors = Object.entries(t.errors).map(([e, c]) => `${e} ${c}`).join(', ');
    table.append(
      el(
        'tr',
        { 'data-task': k, class: 'wb-clickable', title: 'show this task in the chart', onclick: () => void select(k) },
        el('td', { class: 'wb-mono' }, t.key),
        el('td', {}, t.tool),
        el('td', {}, String(t.trials)),
        el('td', { class: errors ? 'wb-bad' : '' }, errors || '0'),
        el('td', t.confirmed ? { title: `median of the re-measurements of the best ${t.confirmed} configs at the end of tuning` } : {},
          fmt(t.bestMs) + (t.confirmed ? ' ✓' : '')),
        gflops ? el('td', {}, fmt(t.bestGflops)) : null,
        el('td', { class: 'wb-mono' }, t.bestConfig ? configText(t.bestConfig) : 'no successful trial')
      )
    );
  });
  node.append(
    el('div', { class: 'wb-toolbar' }, el('button', { class: 'wb-btn', onclick: () => void select(null) }, 'All tasks'),
      el('span', { class: 'wb-muted' }, 'click a task to chart it alone' +
        (tasks.some(t => t.confirmed) ? '; ✓ best confirmed: the lowest median of the best configs measured again at the end' : ''))),
    table,
    chart
  );
  return { node, done: select(tasks.length === 1 ? 0 : null) };
}

/** The widget inside the document: re-renders from the file's text. */
export class RecordsDashboard extends Widget {
  constructor(private context: DocumentRegistry.Context) {
    super();
    this.addClass('wb-dashboard-widget');
    void context.ready.then(() => {
      this.update();
      context.model.contentChanged.connect(() => this.update());
    });
  }

  protected onUpdateRequest(): void {
    let text = '';
    try {
      text = this.context.model.toString();
      const { node, done } = renderDashboard(text, this.context.localPath.split('/').pop() ?? this.context.path);
      this.node.replaceChildren(node);
      void done;
    } catch (e) {
      this.node.replaceChildren(errorBox('Could not show this records file', String((e as Error).message ?? e)));
    }
  }

  protected onResize(): void {
    window.dispatchEvent(new Event('resize'));
  }
}

export class RecordsWidgetFactory extends ABCWidgetFactory<DocumentWidget<RecordsDashboard>, DocumentRegistry.IModel> {
  protected createNewWidget(context: DocumentRegistry.Context): DocumentWidget<RecordsDashboard> {
    const content = new RecordsDashboard(context);
    const w = new DocumentWidget({ content, context });
    w.title.iconClass = 'wb-records-icon';
    return w;
  }
}
