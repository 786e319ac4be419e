/**
 * Checks that a MIME payload has the shape its view needs, so bad data gives a message that
 * names what is wrong (and what to do) instead of a blank output or an exception in a view.
 */
import {
  IGraphBody,
  IGraphPayload,
  ILoopNestPayload,
  ILoopNode,
  ITuningPayload,
  PAYLOAD_VERSION
} from './types';

/** A payload that a view cannot show; the message is shown to the reader. */
export class PayloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PayloadError';
  }
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function header(data: unknown, kind: string): Record<string, unknown> {
  if (!isObject(data)) {
    throw new PayloadError(
      `expected a JSON object for the Workbench ${kind} view, got ${data === null ? 'null' : Array.isArray(data) ? 'an array' : typeof data}`
    );
  }
  if (data.version !== PAYLOAD_VERSION) {
    throw new PayloadError(
      `unsupported ${kind} payload version ${JSON.stringify(data.version)} (this extension reads version ${PAYLOAD_VERSION}); ` +
        're-run the cell with a matching Workbench, or update the extension'
    );
  }
  if (data.kind !== kind) {
    throw new PayloadError(`expected a ${kind} payload, got kind ${JSON.stringify(data.kind)}`);
  }
  return data;
}

const NODE_DEFAULTS = { kind: 'op', name: '', attrs: {}, pattern: 'opaque', cluster: null, weights: [], shape: [], dtype: '' };
const CLUSTER_DEFAULTS = { kind: 'fused', parent: null, reason: '', compiler: null, attrs: {}, loopnest: null, loopnest_note: '', graph_text: '' };

function checkBody(d: Record<string, unknown>, where: string): IGraphBody {
  for (const key of ['nodes', 'edges', 'clusters']) {
    if (!Array.isArray(d[key])) {
      throw new PayloadError(`graph payload${where}: "${key}" must be a list`);
    }
  }
  const nodes = d.nodes as unknown[];
  const ids = new Set<string>();
  nodes.forEach((n, k) => {
    if (!isObject(n) || typeof n.id !== 'string' || typeof n.op !== 'string') {
      throw new PayloadError(`graph payload${where}: node ${k} needs a string "id" and "op"`);
    }
    if (ids.has(n.id)) {
      throw new PayloadError(`graph payload${where}: node id ${n.id} appears twice`);
    }
    ids.add(n.id);
  });
  const clusters = new Set<string>();
  (d.clusters as unknown[]).forEach((c, k) => {
    if (!isObject(c) || typeof c.id !== 'string') {
      throw new PayloadError(`graph payload${where}: cluster ${k} needs a string "id"`);
    }
    clusters.add(c.id);
  });
  // optional fields get their defaults, so a hand-written or older payload draws instead of failing
  d.nodes = nodes.map(n => ({ ...NODE_DEFAULTS, ...(n as object) }));
  d.clusters = (d.clusters as Record<string, unknown>[]).map(c => ({
    ...CLUSTER_DEFAULTS, name: c.id, ...c, ops: Array.isArray(c.ops) ? c.ops : []
  }));
  for (const n of d.nodes as Record<string, unknown>[]) {
    if (n.cluster != null && !clusters.has(n.cluster as string)) {
      throw new PayloadError(`graph payload${where}: node ${n.id} is in unknown cluster ${String(n.cluster)}`);
    }
  }
  (d.edges as unknown[]).forEach((e, k) => {
    if (!isObject(e) || !ids.has(e.source as string) || !ids.has(e.target as string)) {
      throw new PayloadError(
        `graph payload${where}: edge ${k} (${JSON.stringify(e)}) does not join two known nodes`
      );
    }
  });
  return d as unknown as IGraphBody;
}

/** The payload as a graph, or a PayloadError saying what is missing. */
export function checkGraph(data: unknown): IGraphPayload {
  const d = { ...header(data, 'graph') };
  checkBody(d, '');
  if (d.changes != null) {
    if (!isObject(d.changes) || !isObject(d.changes.before)) {
      throw new PayloadError('graph payload: "changes" must hold the "before" graph');
    }
    const before = { ...d.changes.before };
    checkBody(before, ' (before)');
    d.changes = { added: [], removed: [], added_clusters: [], removed_clusters: [], ...d.changes, before };
  }
  return d as unknown as IGraphPayload;
}

function checkTree(nodes: unknown, path: string): void {
  if (!Array.isArray(nodes)) {
    throw new PayloadError(`loop nest payload: ${path} must be a list of statements`);
  }
  nodes.forEach((n, k) => {
    if (!isObject(n) || typeof n.type !== 'string') {
      throw new PayloadError(`loop nest payload: ${path}[${k}] needs a "type"`);
    }
    checkTree((n as unknown as ILoopNode).children ?? [], `${path}[${k}].children`);
    if (n.else_children !== undefined) {
      checkTree(n.else_children, `${path}[${k}].else_children`);
    }
  });
}

/** The payload as a loop nest, or a PayloadError. */
export function checkLoopNest(data: unknown): ILoopNestPayload {
  const d = header(data, 'loopnest');
  if (typeof d.text !== 'string') {
    throw new PayloadError('loop nest payload: "text" (the printed loop nest) must be a string');
  }
  checkTree(d.tree, 'tree');
  return d as unknown as ILoopNestPayload;
}

/** The payload as tuning runs, or a PayloadError. */
export function checkTuning(data: unknown): ITuningPayload {
  const d = header(data, 'tuning');
  if (d.metric !== 'gflops' && d.metric !== 'ms') {
    throw new PayloadError(`tuning payload: "metric" must be "gflops" or "ms", got ${JSON.stringify(d.metric)}`);
  }
  if (!Array.isArray(d.series)) {
    throw new PayloadError('tuning payload: "series" must be a list');
  }
  d.series.forEach((s: unknown, k: number) => {
    if (!isObject(s) || !Array.isArray(s.trials)) {
      throw new PayloadError(`tuning payload: series ${k} needs a list of "trials"`);
    }
    s.trials.forEach((t: unknown, j: number) => {
      if (!isObject(t) || typeof t.error !== 'string') {
        throw new PayloadError(`tuning payload: series ${k}, trial ${j} needs an "error" kind ("ok" when it ran)`);
      }
    });
  });
  if (d.skipped !== undefined && !Array.isArray(d.skipped)) {
    throw new PayloadError('tuning payload: "skipped" must be a list of messages');
  }
  return d as unknown as ITuningPayload;
}
