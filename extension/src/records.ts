/**
 * Tuning records files (JSON lines, `workbench/tune/records.py`) read in the browser: rows,
 * skipped lines with the reason (a torn last line after an interrupted run, a corrupt row),
 * per-task summaries, and the same tuning payload the chart draws for a live History.
 * Confirmation rows (`"confirm": true`: a tuner's best few measured again at the end) are not
 * trials; a task that has them is judged by them, as `records.best` does.
 */
import { ISeries, ITrial, ITuningPayload, Metric, PAYLOAD_VERSION } from './types';

export const RECORDS_VERSION = 1;
const ERROR_KINDS = new Set(['ok', 'instantiate', 'build', 'runtime', 'timeout', 'wrong']);

export interface IRecordRow {
  version: number;
  tool: string;
  task: { name: string; args?: unknown[]; key: string; flop?: number };
  config: Record<string, unknown>;
  result: { costs: number[]; error: string; error_msg?: string; build_seconds?: number; timestamp?: number };
  target?: string;
  flop?: number;
  confirm?: boolean;
}

export interface ISkipped {
  line: number;
  reason: string;
}

export interface IParsedRecords {
  rows: IRecordRow[];
  skipped: ISkipped[];
}

/** Why ``row`` is not a usable records row ('' when it is); mirrors `records._check_row`. */
export function checkRow(row: unknown): string {
  if (typeof row !== 'object' || row === null || Array.isArray(row)) {
    return `expected a JSON object, got ${Array.isArray(row) ? 'an array' : row === null ? 'null' : typeof row}`;
  }
  const r = row as Record<string, any>;
  if (r.version !== RECORDS_VERSION) {
    return `unsupported records version ${JSON.stringify(r.version)} (this view reads version ${RECORDS_VERSION})`;
  }
  if (!r.task || typeof r.task !== 'object' || typeof r.task.key !== 'string' || typeof r.task.name !== 'string') {
    return "missing or malformed 'task' (needs 'name' and 'key')";
  }
  if (!r.config || typeof r.config !== 'object' || Array.isArray(r.config)) {
    return "missing or malformed 'config'";
  }
  if (r.confirm !== undefined && typeof r.confirm !== 'boolean') {
    return `'confirm' must be true or false, got ${JSON.stringify(r.confirm)}`;
  }
  const res = r.result;
  if (!res || typeof res !== 'object' || !Array.isArray(res.costs) || !ERROR_KINDS.has(res.error)) {
    return "missing or malformed 'result' (needs 'costs' and an 'error' kind)";
  }
  if (res.error === 'ok' && (!res.costs.length || !res.costs.every((c: unknown) => typeof c === 'number' && c > 0))) {
    return 'an ok result needs positive costs';
  }
  return '';
}

/** Rows of a records file's text; unreadable lines are skipped with their line number and reason. */
export function parseRecords(text: string): IParsedRecords {
  const rows: IRecordRow[] = [];
  const skipped: ISkipped[] = [];
  text.split('\n').forEach((raw, k) => {
    if (!raw.trim()) {
      return;
    }
    let row: unknown;
    try {
      row = JSON.parse(raw);
    } catch (e) {
      skipped.push({ line: k + 1, reason: `not valid JSON (a torn or corrupt line?): ${(e as Error).message}` });
      return;
    }
    const why = checkRow(row);
    if (why) {
      skipped.push({ line: k + 1, reason: why });
    } else {
      rows.push(row as IRecordRow);
    }
  });
  return { rows, skipped };
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function flopOf(r: IRecordRow): number | null {
  const f = r.flop ?? r.task.flop;
  return typeof f === 'number' && f > 0 ? f : null;
}

/** The chart's trial for a row (milliseconds always; GFLOPS when the row knows its flop count). */
export function rowTrial(r: IRecordRow, trial: number): ITrial {
  const ok = r.result.error === 'ok';
  const sec = ok ? mean(r.result.costs) : null;
  const flop = flopOf(r);
  return {
    trial,
    ms: sec !== null ? sec * 1e3 : null,
    gflops: sec !== null && flop !== null ? flop / sec / 1e9 : null,
    error: r.result.error,
    error_msg: r.result.error_msg ?? '',
    config: r.config
  };
}

export interface ITaskSummary {
  key: string;
  tool: string;
  trials: number;
  errors: Record<string, number>;
  bestMs: number | null;
  bestGflops: number | null;
  bestConfig: Record<string, unknown> | null;
  bestTrial: number | null;
  /** Configs measured again at the end of tuning; when > 0 the best is the lowest median of those. */
  confirmed: number;
}

/** Whether a row re-measures a config at the end of tuning (not a trial). */
export function isConfirmation(r: IRecordRow): boolean {
  return r.confirm === true;
}

/** JSON with sorted object keys: a config's identity, as `records.config_key`. */
function stableJson(x: unknown): string {
  if (Array.isArray(x)) {
    return `[${x.map(stableJson).join(',')}]`;
  }
  if (x && typeof x === 'object') {
    const o = x as Record<string, unknown>;
    return `{${Object.keys(o).sort().map(k => `${JSON.stringify(k)}:${stableJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(x);
}

/** The confirmed best of one task's rows: the config whose successful confirmations have the lowest
 * (lower) median, and that median row; null when no confirmation succeeded. */
function confirmedBest(rows: IRecordRow[]): { row: IRecordRow; configs: number } | null {
  const byConfig = new Map<string, { sec: number; row: IRecordRow }[]>();
  for (const r of rows) {
    if (isConfirmation(r) && r.result.error === 'ok') {
      const k = stableJson(r.config);
      const list = byConfig.get(k) ?? [];
      list.push({ sec: mean(r.result.costs), row: r });
      byConfig.set(k, list);
    }
  }
  let best: { sec: number; row: IRecordRow } | null = null;
  for (const runs of byConfig.values()) {
    runs.sort((a, b) => a.sec - b.sec);
    const median = runs[Math.floor((runs.length - 1) / 2)];
    if (best === null || median.sec < best.sec) {
      best = median;
    }
  }
  return best === null ? null : { row: best.row, configs: byConfig.size };
}

function groupRows(rows: IRecordRow[]): Map<string, IRecordRow[]> {
  const groups = new Map<string, IRecordRow[]>();
  for (const r of rows) {
    const k = `${r.tool ?? 'autotvm'}\u0000${r.task.key}`;
    const list = groups.get(k) ?? [];
    list.push(r);
    groups.set(k, list);
  }
  return groups;
}

/** One summary per (tool, task), in first-seen order: trials, errors by kind, the best row (its confirmed
 * median when the task was confirmed; ``bestTrial`` is then that config's trial). */
export function taskSummaries(rows: IRecordRow[]): ITaskSummary[] {
  const out: ITaskSummary[] = [];
  for (const [k, all] of groupRows(rows)) {
    const [tool, key] = k.split('\u0000');
    const rs = all.filter(r => !isConfirmation(r));
    const s: ITaskSummary = {
      key, tool, trials: rs.length, errors: {}, bestMs: null, bestGflops: null, bestConfig: null, bestTrial: null, confirmed: 0
    };
    rs.forEach((r, i) => {
      const t = rowTrial(r, i);
      if (t.error !== 'ok') {
        s.errors[t.error] = (s.errors[t.error] ?? 0) + 1;
      } else if (t.ms !== null && (s.bestMs === null || t.ms < s.bestMs)) {
        s.bestMs = t.ms;
        s.bestGflops = t.gflops;
        s.bestConfig = r.config;
        s.bestTrial = i;
      }
    });
    const confirmed = confirmedBest(all);
    if (confirmed !== null) {
      const t = rowTrial(confirmed.row, 0);
      const id = stableJson(confirmed.row.config);
      const trial = rs.findIndex(r => stableJson(r.config) === id);
      Object.assign(s, { bestMs: t.ms, bestGflops: t.gflops, bestConfig: confirmed.row.config, confirmed: confirmed.configs,
        bestTrial: trial >= 0 ? trial : null });
    }
    out.push(s);
  }
  return out;
}

/** The tuning payload of a records file: one series per (tool, task), trials in file order. */
export function recordsToTuning(rows: IRecordRow[], title = '', skipped: ISkipped[] = []): ITuningPayload {
  const series: ISeries[] = [];
  let allFlop = rows.length > 0;
  for (const r of rows) {
    allFlop = allFlop && flopOf(r) !== null;
  }
  const metric: Metric = allFlop ? 'gflops' : 'ms';
  for (const [k, all] of groupRows(rows)) {
    const [tool, key] = k.split('\u0000');
    const trials = all.filter(r => !isConfirmation(r)).map((r, i) => rowTrial(r, i));
    let best: number | null = null;
    const curve = trials.map(t => {
      const v = metric === 'gflops' ? t.gflops : t.ms;
      if (t.error === 'ok' && v !== null) {
        best = best === null ? v : metric === 'gflops' ? Math.max(best, v) : Math.min(best, v);
      }
      return best;
    });
    series.push({ tuner: tool, task: key, trials, best: curve });
  }
  return {
    version: PAYLOAD_VERSION,
    kind: 'tuning',
    title,
    metric,
    series,
    skipped: skipped.map(s => `line ${s.line}: ${s.reason}`)
  };
}
