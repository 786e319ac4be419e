/**
 * The Workbench JSON MIME types and the shapes of their payloads (version 1), as written by
 * `workbench/viz/mime.py`. Keep the two in step: a field added there is declared here.
 */

export const GRAPH_MIME = 'application/vnd.workbench.graph+json';
export const LOOPNEST_MIME = 'application/vnd.workbench.loopnest+json';
export const TUNING_MIME = 'application/vnd.workbench.tuning+json';
export const PAYLOAD_VERSION = 1;

export interface IWeight {
  name: string;
  shape: number[];
  dtype: string;
}

export interface IGraphNode {
  id: string;
  kind: 'op' | 'input' | 'output' | 'tuple';
  op: string;
  name: string;
  attrs: Record<string, unknown>;
  pattern: string;
  cluster: string | null;
  weights: IWeight[];
  shape: number[] | number[][];
  dtype: string | string[];
  status?: 'same' | 'added' | 'removed';
}

export interface IGraphEdge {
  source: string;
  target: string;
}

export interface ICluster {
  id: string;
  kind: 'fused' | 'partition';
  name: string;
  parent: string | null;
  reason: string;
  compiler: string | null;
  attrs: Record<string, unknown>;
  ops: string[];
  loopnest: string | null;
  loopnest_note: string;
  /** Optimised LLVM IR of the group (graph_payload(..., code=True)); absent in older payloads. */
  code?: string | null;
  code_note?: string;
  graph_text: string;
}

export interface IGraphBody {
  nodes: IGraphNode[];
  edges: IGraphEdge[];
  clusters: ICluster[];
}

export interface IGraphChanges {
  added: string[];
  removed: string[];
  added_clusters: string[];
  removed_clusters: string[];
  before: IGraphBody;
}

export interface IGraphPayload extends IGraphBody {
  version: number;
  kind: 'graph';
  title: string;
  changes: IGraphChanges | null;
}

export interface ILoopNode {
  type: 'for' | 'store' | 'allocate' | 'if' | 'pass' | 'other';
  line: number;
  stage: string;
  children: ILoopNode[];
  else_children?: ILoopNode[];
  var?: string;
  kind?: string;
  min?: string;
  extent?: number | string;
  annotations?: Record<string, unknown>;
  buffer?: string;
  text?: string;
  cond?: string;
  shape?: unknown[];
  dtype?: string;
  scope?: string;
}

export interface ILoopNestPayload {
  version: number;
  kind: 'loopnest';
  name: string;
  params: { name: string; shape: unknown[]; dtype: string }[];
  tree: ILoopNode[];
  text: string;
}

export interface ITrial {
  trial: number;
  gflops: number | null;
  ms: number | null;
  error: string;
  error_msg: string;
  config: Record<string, unknown>;
}

export interface ISeries {
  tuner: string;
  task: string;
  trials: ITrial[];
  best: (number | null)[];
}

export type Metric = 'gflops' | 'ms';

export interface ITuningPayload {
  version: number;
  kind: 'tuning';
  title: string;
  metric: Metric;
  series: ISeries[];
  skipped: string[];
}
