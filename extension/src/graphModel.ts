/**
 * Graph payload -> Graphviz DOT, under a view state (collapsed clusters, before/after mode,
 * search matches, selection). Pure functions: the view lays the DOT out with Graphviz (WASM)
 * and wires clicks; everything that decides *what* is drawn lives here and is unit-tested.
 */
import { ICluster, IGraphBody, IGraphNode, IGraphPayload } from './types';

/** Above this many nodes, clusters start collapsed so the graph stays readable. */
export const LARGE_GRAPH = 150;
/** Above this many drawn boxes, the view refuses to lay out and says why. */
export const MAX_LAYOUT_NODES = 1200;

export type Mode = 'after' | 'before';

export interface IViewState {
  mode: Mode;
  collapsed: Set<string>;
  selected: string | null;
  matches: Set<string>;
}

/** Fill colours by fusion pattern (the same as `workbench.viz.graph.PATTERN_COLORS`). */
export const PATTERN_COLORS: Record<string, string> = {
  elemwise: '#d8ecd6',
  broadcast: '#cfe3f3',
  injective: '#fff1c2',
  comm_reduce: '#f6d5b8',
  out_elewise_fusable: '#f4c2c2',
  tuple: '#e6e6e6',
  opaque: '#dddddd',
  input: '#ffffff',
  output: '#ffffff'
};
export const PATTERN_NAMES: Record<string, string> = {
  elemwise: 'elementwise',
  broadcast: 'broadcast',
  injective: 'injective',
  comm_reduce: 'reduction',
  out_elewise_fusable: 'conv / dense / pool (anchor)',
  tuple: 'tuple',
  opaque: 'opaque'
};
export const COLORS = {
  added: '#1a7f37',
  removed: '#cf222e',
  match: '#bf8700',
  selected: '#0969da',
  fused: '#7a7a9a',
  partition: '#8250df'
};

/** The graph the mode shows: the payload itself, or the "before" graph of its changes. */
export function bodyFor(p: IGraphPayload, mode: Mode): IGraphBody {
  return mode === 'before' && p.changes ? p.changes.before : p;
}

/** Clusters collapsed when a view opens: all of them for a large graph, none for a small one. */
export function defaultCollapsed(body: IGraphBody): Set<string> {
  return body.nodes.length > LARGE_GRAPH ? new Set(body.clusters.map(c => c.id)) : new Set();
}

/** Cluster id -> its ancestors (outermost first), then itself. */
export function clusterPaths(body: IGraphBody): Map<string, string[]> {
  const byId = new Map(body.clusters.map(c => [c.id, c]));
  const out = new Map<string, string[]>();
  const path = (id: string, depth = 0): string[] => {
    const hit = out.get(id);
    if (hit) {
      return hit;
    }
    const c = byId.get(id);
    const parent = c && c.parent && depth < 64 ? path(c.parent, depth + 1) : [];
    const p = [...parent, id];
    out.set(id, p);
    return p;
  };
  body.clusters.forEach(c => path(c.id));
  return out;
}

/** Node id -> the id drawn for it: itself, or its outermost collapsed cluster. */
export function visibleOwner(body: IGraphBody, collapsed: Set<string>): Map<string, string> {
  const paths = clusterPaths(body);
  const out = new Map<string, string>();
  for (const n of body.nodes) {
    const path = n.cluster ? paths.get(n.cluster) ?? [] : [];
    out.set(n.id, path.find(c => collapsed.has(c)) ?? n.id);
  }
  return out;
}

/** How many boxes the state draws (nodes outside collapsed clusters, plus collapsed clusters). */
export function visibleCount(body: IGraphBody, collapsed: Set<string>): number {
  return new Set(visibleOwner(body, collapsed).values()).size;
}

/** Ids of nodes whose op or name contains the query (case-insensitive); none for a blank query. */
export function searchNodes(body: IGraphBody, query: string): string[] {
  const q = query.trim().toLowerCase();
  if (!q) {
    return [];
  }
  return body.nodes
    .filter(n => n.op.toLowerCase().includes(q) || (n.name || '').toLowerCase().includes(q))
    .map(n => n.id);
}

/** Collapsed clusters that hide any of ``ids`` (to expand them, so matches can be seen). */
export function clustersHiding(body: IGraphBody, ids: Iterable<string>, collapsed: Set<string>): string[] {
  const paths = clusterPaths(body);
  const byId = new Map(body.nodes.map(n => [n.id, n]));
  const out = new Set<string>();
  for (const id of ids) {
    const n = byId.get(id);
    for (const c of n && n.cluster ? paths.get(n.cluster) ?? [] : []) {
      if (collapsed.has(c)) {
        out.add(c);
      }
    }
  }
  return [...out];
}

/** `float32[1, 8]`, or a parenthesised list for a tuple value. */
export function typeText(n: Pick<IGraphNode, 'shape' | 'dtype'>): string {
  if (Array.isArray(n.dtype)) {
    const shapes = n.shape as number[][];
    return '(' + n.dtype.map((d, k) => `${d}[${(shapes[k] || []).join(', ')}]`).join(', ') + ')';
  }
  return `${n.dtype}[${(n.shape as number[]).join(', ')}]`;
}

function q(s: string): string {
  return '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') + '"';
}

function attrsText(attrs: Record<string, unknown>): string {
  return Object.entries(attrs)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(', ');
}

function nodeLine(n: IGraphNode, state: IViewState, indent: string): string {
  const io = n.kind === 'input' || n.kind === 'output';
  const label = io
    ? `${n.kind === 'output' ? 'output' : n.name}\n${typeText(n)}`
    : n.kind === 'tuple'
      ? 'tuple'
      : `${n.op}\n${typeText(n)}` +
        (n.weights.length ? `\n+${n.weights.length} weight${n.weights.length > 1 ? 's' : ''}` : '') +
        (n.name ? `\n${n.name}` : '');
  const a: string[] = [
    `id=${q(n.id)}`,
    `label=${q(label)}`,
    `fillcolor=${q(PATTERN_COLORS[n.pattern] ?? '#dddddd')}`,
    `tooltip=${q(`${n.op}${n.name ? ' ' + n.name : ''}${Object.keys(n.attrs).length ? ': ' + attrsText(n.attrs) : ''}`)}`
  ];
  if (io) {
    a.push('shape=ellipse', 'style=filled');
  }
  if (n.kind === 'tuple') {
    a.push('shape=circle', 'width=0.3', 'fixedsize=true', 'fontsize=8');
  }
  a.push(...highlight(n.id, n.status, state));
  return `${indent}${q(n.id)} [${a.join(', ')}];`;
}

function highlight(id: string, status: string | undefined, state: IViewState): string[] {
  if (state.selected === id) {
    return [`color=${q(COLORS.selected)}`, 'penwidth=3'];
  }
  if (state.matches.has(id)) {
    return [`color=${q(COLORS.match)}`, 'penwidth=3'];
  }
  if (status === 'added' && state.mode === 'after') {
    return [`color=${q(COLORS.added)}`, 'penwidth=2.5'];
  }
  if (status === 'removed' && state.mode === 'before') {
    return [`color=${q(COLORS.removed)}`, 'penwidth=2.5'];
  }
  return [];
}

function clusterColor(c: ICluster, p: IGraphPayload, state: IViewState): string {
  const ch = p.changes;
  if (ch && state.mode === 'after' && ch.added_clusters.includes(c.id)) {
    return COLORS.added;
  }
  if (ch && state.mode === 'before' && ch.removed_clusters.includes(c.id)) {
    return COLORS.removed;
  }
  return c.kind === 'partition' ? COLORS.partition : COLORS.fused;
}

/** A one-line title for a cluster: its name, the compiler for a partition, how many ops. */
export function clusterTitle(c: ICluster): string {
  const what = c.kind === 'partition' ? `partition for ${c.compiler ?? '?'}` : 'fused group';
  return `${c.name} (${what}, ${c.ops.length} op${c.ops.length === 1 ? '' : 's'})`;
}

/** DOT text of the payload under ``state``; ``count`` is the number of boxes drawn. */
export function toDot(p: IGraphPayload, state: IViewState): { dot: string; count: number } {
  const body = bodyFor(p, state.mode);
  const owner = visibleOwner(body, state.collapsed);
  const byCluster = new Map<string | null, IGraphNode[]>();
  for (const n of body.nodes) {
    if (owner.get(n.id) === n.id) {
      const list = byCluster.get(n.cluster) ?? [];
      list.push(n);
      byCluster.set(n.cluster, list);
    }
  }
  const children = new Map<string | null, ICluster[]>();
  for (const c of body.clusters) {
    const list = children.get(c.parent) ?? [];
    list.push(c);
    children.set(c.parent, list);
  }
  const lines: string[] = [
    'digraph workbench {',
    '  graph [rankdir=TB, fontname="Helvetica", fontsize=10, nodesep=0.25, ranksep=0.35, bgcolor="transparent"];',
    '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10, margin="0.08,0.04"];',
    '  edge [color="#666666", arrowsize=0.6];'
  ];
  let count = 0;
  const emit = (parent: string | null, indent: string): void => {
    for (const n of byCluster.get(parent) ?? []) {
      lines.push(nodeLine(n, state, indent));
      count++;
    }
    for (const c of children.get(parent) ?? []) {
      const color = clusterColor(c, p, state);
      if (state.collapsed.has(c.id)) {
        const sel = highlight(c.id, undefined, state);
        const pen = sel.length ? sel : [`color=${q(color)}`, 'penwidth=1.5'];
        lines.push(
          `${indent}${q(c.id)} [id=${q(c.id)}, shape=box3d, style=filled, fillcolor="#eeeef6", ` +
            `label=${q(`${c.name}\n${c.ops.length} op${c.ops.length === 1 ? '' : 's'}` + (c.kind === 'partition' ? `\n→ ${c.compiler}` : ''))}, ` +
            `tooltip=${q(clusterTitle(c) + ' (click to expand)')}, ${pen.join(', ')}];`
        );
        count++;
        continue;
      }
      lines.push(`${indent}subgraph ${q('cluster_' + c.id)} {`);
      const style = c.kind === 'partition' ? 'rounded,bold' : 'rounded,dashed';
      const pen = state.selected === c.id ? `color=${q(COLORS.selected)}; penwidth=2.5;` : `color=${q(color)};`;
      lines.push(
        `${indent}  id=${q('cluster_' + c.id)}; label=${q(c.name)}; fontcolor=${q(color)}; style=${q(style)}; ${pen} ` +
          `tooltip=${q(clusterTitle(c) + (c.reason ? ': ' + c.reason : '') + ' (click to collapse)')};`
      );
      emit(c.id, indent + '  ');
      lines.push(`${indent}}`);
    }
  };
  emit(null, '  ');
  const seen = new Set<string>();
  for (const e of body.edges) {
    const s = owner.get(e.source);
    const t = owner.get(e.target);
    if (!s || !t || s === t) {
      continue;
    }
    const key = `${s}->${t}`;
    if (!seen.has(key)) {
      seen.add(key);
      lines.push(`  ${q(s)} -> ${q(t)};`);
    }
  }
  lines.push('}');
  return { dot: lines.join('\n'), count };
}

export interface IDetails {
  title: string;
  rows: [string, string][];
  code: { title: string; text: string; note?: string; lang: 'tir' | 'llvm' }[];
}

/** What the details pane shows for a node or a cluster id (null for an unknown id). */
export function details(body: IGraphBody, id: string): IDetails | null {
  const c = body.clusters.find(x => x.id === id);
  if (c) {
    const rows: [string, string][] = [
      ['kind', c.kind === 'partition' ? `BYOC partition (compiler ${c.compiler})` : 'fused group'],
      ['ops', c.ops.join(', ')]
    ];
    if (c.reason) {
      rows.push(['why', c.reason]);
    }
    for (const [k, v] of Object.entries(c.attrs)) {
      if (k !== 'reason') {
        rows.push([`attr ${k}`, JSON.stringify(v)]);
      }
    }
    const code: IDetails['code'] = [];
    if (c.kind === 'fused') {
      code.push({ title: 'loop nest (default schedule)', text: c.loopnest ?? '', lang: 'tir',
        note: c.loopnest ? undefined : c.loopnest_note || 'no loop nest' });
      code.push({ title: 'generated code (optimised LLVM IR)', text: c.code ?? '', lang: 'llvm',
        note: c.code ? undefined : c.code_note || 'no generated code in this output' });
    }
    if (c.graph_text) {
      code.push({ title: 'graph', text: c.graph_text, lang: 'tir' });
    }
    return { title: clusterTitle(c), rows, code };
  }
  const n = body.nodes.find(x => x.id === id);
  if (!n) {
    return null;
  }
  const rows: [string, string][] = [
    ['op', n.op],
    ['name', n.name || '—'],
    ['shape', Array.isArray(n.dtype) ? typeText(n) : `[${(n.shape as number[]).join(', ')}]`],
    ['dtype', Array.isArray(n.dtype) ? n.dtype.join(', ') : n.dtype]
  ];
  if (PATTERN_NAMES[n.pattern]) {
    rows.push(['pattern', PATTERN_NAMES[n.pattern]]);
  }
  if (n.cluster) {
    const owner = body.clusters.find(x => x.id === n.cluster);
    rows.push(['group', owner ? clusterTitle(owner) : n.cluster]);
  }
  if (n.status && n.status !== 'same') {
    rows.push(['change', n.status]);
  }
  for (const [k, v] of Object.entries(n.attrs)) {
    rows.push([`attr ${k}`, JSON.stringify(v)]);
  }
  for (const w of n.weights) {
    rows.push(['weight', `${w.name}: ${w.dtype}[${w.shape.join(', ')}]`]);
  }
  return { title: n.name ? `${n.op} · ${n.name}` : n.op, rows, code: [] };
}

/** "+3 added, −2 removed, 2 groups formed", or '' when the payload has no before graph. */
export function changeSummary(p: IGraphPayload): string {
  const ch = p.changes;
  if (!ch) {
    return '';
  }
  const parts = [`+${ch.added.length} added`, `−${ch.removed.length} removed`];
  if (ch.added_clusters.length) {
    parts.push(`${ch.added_clusters.length} group${ch.added_clusters.length > 1 ? 's' : ''} formed`);
  }
  if (ch.removed_clusters.length) {
    parts.push(`${ch.removed_clusters.length} group${ch.removed_clusters.length > 1 ? 's' : ''} gone`);
  }
  return parts.join(', ');
}

/** Op name -> count, most frequent first (shown when a graph is too large to lay out). */
export function opHistogram(body: IGraphBody): [string, number][] {
  const counts = new Map<string, number>();
  for (const n of body.nodes) {
    counts.set(n.op, (counts.get(n.op) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}
