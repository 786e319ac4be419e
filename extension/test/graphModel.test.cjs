// Graph payload -> DOT under a view state: clusters, collapsing, edges, search, details, changes.
const test = require('node:test');
const assert = require('node:assert/strict');
const g = require('../build-test/graphModel.js');

function node(id, op, cluster = null, extra = {}) {
  return { id, kind: 'op', op, name: '', attrs: {}, pattern: 'elemwise', cluster, weights: [], shape: [1, 8], dtype: 'float32', ...extra };
}

function cluster(id, ops, extra = {}) {
  return { id, kind: 'fused', name: `fused_${id}`, parent: null, reason: 'why', compiler: null, attrs: {}, ops,
    loopnest: 'def f():\n    for i in range(8):\n        pass', loopnest_note: '', graph_text: 'fn ...', ...extra };
}

// input -> [c0: conv -> add] -> [c1: relu] -> output
function payload() {
  return {
    version: 1, kind: 'graph', title: 't', changes: null,
    nodes: [
      node('n0', 'input', null, { kind: 'input', name: 'x', pattern: 'input' }),
      node('n1', 'nn.conv2d', 'c0', { name: 'conv1', attrs: { padding: [1, 1, 1, 1] }, pattern: 'out_elewise_fusable',
        weights: [{ name: 'w', shape: [8, 3, 3, 3], dtype: 'float32' }] }),
      node('n2', 'add', 'c0'),
      node('n3', 'nn.relu', 'c1', { name: 'relu1' }),
      node('n4', 'output', null, { kind: 'output', name: 'output', pattern: 'output' })
    ],
    edges: [
      { source: 'n0', target: 'n1' }, { source: 'n1', target: 'n2' }, { source: 'n0', target: 'n2' },
      { source: 'n2', target: 'n3' }, { source: 'n3', target: 'n4' }
    ],
    clusters: [cluster('c0', ['nn.conv2d', 'add']), cluster('c1', ['nn.relu'])]
  };
}

const state = (over = {}) => ({ mode: 'after', collapsed: new Set(), selected: null, matches: new Set(), ...over });
const edgesOf = dot => [...dot.matchAll(/^ {2}"(\w+)" -> "(\w+)";$/gm)].map(m => `${m[1]}->${m[2]}`);

test('expanded clusters are DOT subgraphs holding their nodes; edges are top level', () => {
  const { dot, count } = g.toDot(payload(), state());
  assert.equal(count, 5);
  assert.match(dot, /subgraph "cluster_c0" \{\n {4}id="cluster_c0";.*\n {4}"n1" \[.*\n {4}"n2" \[/);
  assert.match(dot, /subgraph "cluster_c1" \{[^}]*"n3" \[/);
  assert.deepEqual(edgesOf(dot), ['n0->n1', 'n1->n2', 'n0->n2', 'n2->n3', 'n3->n4']);
  assert.match(dot, /"n1" \[id="n1", label="nn.conv2d\\nfloat32\[1, 8\]\\n\+1 weight\\nconv1", fillcolor="#f4c2c2"/);
});

test('a collapsed cluster is one box; edges into it are rewired and de-duplicated', () => {
  const { dot, count } = g.toDot(payload(), state({ collapsed: new Set(['c0']) }));
  assert.equal(count, 4);
  assert.ok(!dot.includes('cluster_c0') && !dot.includes('"n1" ['));
  assert.match(dot, /"c0" \[id="c0", shape=box3d, .*label="fused_c0\\n2 ops"/);
  assert.deepEqual(edgesOf(dot), ['n0->c0', 'c0->n3', 'n3->n4']); // n0->n1 and n0->n2 become one edge; n1->n2 vanishes
});

test('nested clusters: collapsing the outer one hides the inner one', () => {
  const p = payload();
  p.clusters[1].parent = 'c0';
  assert.deepEqual(g.clusterPaths(p).get('c1'), ['c0', 'c1']);
  const owner = g.visibleOwner(p, new Set(['c0']));
  assert.equal(owner.get('n3'), 'c0');
  assert.equal(g.visibleCount(p, new Set(['c0'])), 3);
  assert.deepEqual(g.clustersHiding(p, ['n3'], new Set(['c0', 'c1'])).sort(), ['c0', 'c1']);
});

test('large graphs start with every cluster collapsed, small ones expanded', () => {
  assert.equal(g.defaultCollapsed(payload()).size, 0);
  const big = payload();
  for (let k = 0; k < g.LARGE_GRAPH; k++) {
    big.nodes.push(node(`m${k}`, 'add', k % 2 ? 'c0' : 'c1'));
  }
  assert.deepEqual([...g.defaultCollapsed(big)].sort(), ['c0', 'c1']);
  assert.equal(g.visibleCount(big, g.defaultCollapsed(big)), 4);
});

test('search matches op or name, case-insensitive, and names the collapsed clusters to open', () => {
  const p = payload();
  assert.deepEqual(g.searchNodes(p, 'CONV'), ['n1']);
  assert.deepEqual(g.searchNodes(p, 'relu1'), ['n3']);
  assert.deepEqual(g.searchNodes(p, '  '), []);
  assert.deepEqual(g.clustersHiding(p, ['n1'], new Set(['c0', 'c1'])), ['c0']);
  const { dot } = g.toDot(p, state({ matches: new Set(['n1']) }));
  assert.match(dot, /"n1" \[[^\n]*color="#bf8700", penwidth=3\]/);
});

test('details of a node list op, attrs, shapes, dtypes and weights; of a group its loop nest', () => {
  const p = payload();
  const d = g.details(p, 'n1');
  const rows = Object.fromEntries(d.rows);
  assert.equal(d.title, 'nn.conv2d · conv1');
  assert.equal(rows.op, 'nn.conv2d');
  assert.equal(rows.shape, '[1, 8]');
  assert.equal(rows.dtype, 'float32');
  assert.equal(rows['attr padding'], '[1,1,1,1]');
  assert.equal(rows.weight, 'w: float32[8, 3, 3, 3]');
  assert.match(rows.group, /fused_c0 \(fused group, 2 ops\)/);
  const c = g.details(p, 'c0');
  assert.equal(c.code[0].title, 'loop nest (default schedule)');
  assert.match(c.code[0].text, /for i in range\(8\)/);
  assert.equal(c.code[1].title, 'generated code (optimised LLVM IR)');
  assert.equal(c.code[1].note, 'no generated code in this output'); // an older payload without "code"
  p.clusters[0].code = 'define void @f() {\n  ret void\n}';
  assert.equal(g.details(p, 'c0').code[1].lang, 'llvm');
  assert.equal(g.details(p, 'c0').code[1].note, undefined);
  p.clusters[0].loopnest = null;
  p.clusters[0].loopnest_note = 'not lowered: too many groups';
  assert.equal(g.details(p, 'c0').code[0].note, 'not lowered: too many groups');
  assert.equal(g.details(p, 'nope'), null);
});

test('tuple values print as a list of types', () => {
  assert.equal(g.typeText({ shape: [[1, 2], [3]], dtype: ['float32', 'int32'] }), '(float32[1, 2], int32[3])');
});

test('before/after: added nodes green in After, removed nodes red in Before, summary counts', () => {
  const p = payload();
  p.nodes[3].status = 'added';
  const before = payload();
  before.nodes[2] = { ...before.nodes[2], op: 'nn.batch_norm', status: 'removed' };
  p.changes = { added: ['n3'], removed: ['n2'], added_clusters: ['c1'], removed_clusters: [], before };
  assert.match(g.toDot(p, state()).dot, /"n3" \[[^\n]*color="#1a7f37", penwidth=2.5\]/);
  assert.match(g.toDot(p, state()).dot, /id="cluster_c1"; label="fused_c1"; fontcolor="#1a7f37"/);
  const b = g.toDot(p, state({ mode: 'before' })).dot;
  assert.match(b, /"n2" \[id="n2", label="nn.batch_norm[^\n]*color="#cf222e", penwidth=2.5\]/);
  assert.ok(!/#1a7f37", penwidth/.test(b));
  assert.equal(g.changeSummary(p), '+1 added, −1 removed, 1 group formed');
  assert.equal(g.changeSummary(payload()), '');
});

test('labels with quotes and backslashes are escaped for DOT', () => {
  const p = payload();
  p.nodes[1].name = 'a"b\\c';
  assert.match(g.toDot(p, state()).dot, /\\na\\"b\\\\c"/);
});

test('op histogram for a graph too large to draw', () => {
  assert.deepEqual(g.opHistogram(payload()).slice(0, 2), [['add', 1], ['input', 1]]);
});
