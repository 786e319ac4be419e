// Validation of payloads, loop-nest helpers, tuning traces, records parsing.
const test = require('node:test');
const assert = require('node:assert/strict');
const v = require('../build-test/validate.js');
const ln = require('../build-test/loopnestModel.js');
const tm = require('../build-test/tuningModel.js');
const rec = require('../build-test/records.js');

test('malformed bundles give a message naming the problem', () => {
  const cases = [
    [() => v.checkGraph(null), /expected a JSON object for the Workbench graph view, got null/],
    [() => v.checkGraph('text'), /got string/],
    [() => v.checkGraph({ version: 2, kind: 'graph' }), /unsupported graph payload version 2 .*reads version 1/],
    [() => v.checkGraph({ version: 1, kind: 'tuning' }), /expected a graph payload, got kind "tuning"/],
    [() => v.checkGraph({ version: 1, kind: 'graph', nodes: {}, edges: [], clusters: [] }), /"nodes" must be a list/],
    [() => v.checkGraph({ version: 1, kind: 'graph', nodes: [{ id: 'a', op: 'x' }], edges: [{ source: 'a', target: 'b' }], clusters: [] }),
      /edge 0 .* does not join two known nodes/],
    [() => v.checkGraph({ version: 1, kind: 'graph', nodes: [{ id: 'a', op: 'x' }, { id: 'a', op: 'y' }], edges: [], clusters: [] }),
      /node id a appears twice/],
    [() => v.checkGraph({ version: 1, kind: 'graph', nodes: [{ id: 'a', op: 'x', cluster: 'c9' }], edges: [], clusters: [] }),
      /unknown cluster c9/],
    [() => v.checkLoopNest({ version: 1, kind: 'loopnest', tree: [], text: 3 }), /"text" .* must be a string/],
    [() => v.checkLoopNest({ version: 1, kind: 'loopnest', tree: [{ type: 'for', children: 'x' }], text: '' }),
      /tree\[0\]\.children must be a list/],
    [() => v.checkTuning({ version: 1, kind: 'tuning', metric: 'flops', series: [] }), /"metric" must be "gflops" or "ms"/],
    [() => v.checkTuning({ version: 1, kind: 'tuning', metric: 'ms', series: [{ trials: [{}] }] }), /series 0, trial 0 needs an "error"/]
  ];
  for (const [f, re] of cases) {
    assert.throws(f, err => err instanceof v.PayloadError && re.test(err.message), String(re));
  }
  // optional fields get defaults (without touching the caller's object), so a minimal payload draws
  const minimal = { version: 1, kind: 'graph', nodes: [{ id: 'a', op: 'x', cluster: 'c' }], edges: [], clusters: [{ id: 'c' }] };
  const p = v.checkGraph(minimal);
  assert.deepEqual(p.nodes[0], { id: 'a', op: 'x', kind: 'op', name: '', attrs: {}, pattern: 'opaque', cluster: 'c', weights: [], shape: [], dtype: '' });
  assert.equal(p.clusters[0].name, 'c');
  assert.deepEqual(p.clusters[0].ops, []);
  assert.deepEqual(Object.keys(minimal.nodes[0]), ['id', 'op', 'cluster']);
  const g = require('../build-test/graphModel.js');
  assert.match(g.toDot(p, { mode: 'after', collapsed: new Set(['c']), selected: null, matches: new Set() }).dot, /"c" \[id="c"/);
});

const loops = [
  { type: 'for', var: 'i.outer', kind: 'parallel', min: '0', extent: 32, stage: 'C', annotations: {}, line: 1, children: [
    { type: 'for', var: 'j', kind: 'vectorized', min: '0', extent: 8, stage: 'C', annotations: { unroll: 4 }, line: 2, children: [
      { type: 'store', buffer: 'C', stage: 'C', text: 'C[i, j] = 0.0', line: 3, children: [] }] }] },
  { type: 'if', cond: 'i < 3', stage: '', line: 4, children: [{ type: 'pass', stage: '', line: 5, children: [] }],
    else_children: [{ type: 'pass', stage: '', line: 7, children: [] }] }
];

test('loop nest rows, hover text and kinds', () => {
  assert.equal(ln.rowLabel(loops[0]), 'for i.outer in parallel(32)');
  assert.equal(ln.rowLabel({ ...loops[0], kind: 'serial', min: '4' }), 'for i.outer in range(4, 32)');
  assert.equal(ln.hoverText(loops[0].children[0]), 'vectorized loop over j: extent 8; stage C; unroll=4; line 3');
  assert.deepEqual(ln.flatten(loops).map(n => n.line), [1, 2, 3, 4, 5, 7]);
  assert.deepEqual(ln.loopKinds(loops), { parallel: 1, vectorized: 1 });
});

test('tokenizer highlights keywords, loop kinds, numbers, types and comments, and loses no text', () => {
  const line = '    for i.outer in parallel(32):  # auto_unroll_max_step=16';
  const toks = ln.tokenize(line);
  assert.equal(toks.map(t => t.text).join(''), line);
  const cls = Object.fromEntries(toks.filter(t => t.cls).map(t => [t.text, t.cls]));
  assert.equal(cls.for, 'wb-tok-kw');
  assert.equal(cls.parallel, 'wb-tok-kind wb-kind-parallel');
  assert.equal(cls['32'], 'wb-tok-num');
  assert.equal(cls['i.outer'], 'wb-tok-name');
  assert.equal(cls['# auto_unroll_max_step=16'], 'wb-tok-comment');
  const t2 = ln.tokenize('C = allocate([1, 32], float32)  # local');
  assert.equal(t2.find(t => t.text === 'float32').cls, 'wb-tok-type');
  assert.equal(t2.find(t => t.text === 'allocate').cls, 'wb-tok-builtin');
  assert.equal(ln.tokenize('A[i] += B[k] * 2.5e-3').map(t => t.text).join(''), 'A[i] += B[k] * 2.5e-3');
});

test('LLVM IR tokenizer: instructions, values, types, comments; no text lost', () => {
  const line = '  %5 = fadd fast <16 x float> %3, %4 ; vector add';
  const toks = ln.tokenizeLLVM(line);
  assert.equal(toks.map(t => t.text).join(''), line);
  const cls = Object.fromEntries(toks.filter(t => t.cls).map(t => [t.text, t.cls]));
  assert.equal(cls['%5'], 'wb-tok-name');
  assert.equal(cls.fadd, 'wb-tok-kw');
  assert.equal(cls.float, 'wb-tok-type');
  assert.equal(cls['16'], 'wb-tok-num');
  assert.equal(cls['; vector add'], 'wb-tok-comment');
  const d = 'define void @"fused_relu"(ptr noalias %0) #0 {';
  assert.equal(ln.tokenizeLLVM(d).map(t => t.text).join(''), d);
});

const trial = (i, gflops, error = 'ok', config = { index: i }) => ({ trial: i, gflops, ms: gflops ? 1 / gflops : null, error, error_msg: error === 'ok' ? '' : 'boom', config });

test('best so far: max GFLOPS, min ms, errors never count', () => {
  const ts = [trial(0, null, 'build'), trial(1, 2), trial(2, 1), trial(3, 5), trial(4, 9, 'wrong')];
  assert.deepEqual(tm.bestSoFar(ts, 'gflops'), [null, 2, 2, 5, 5]);
  assert.deepEqual(tm.bestSoFar(ts, 'ms'), [null, 0.5, 0.5, 0.2, 0.2]);
  assert.equal(tm.bestTrial({ trials: ts }, 'gflops').trial, 3);
  assert.equal(tm.bestTrial({ trials: [trial(0, null, 'timeout')] }, 'gflops'), null);
});

test('tuning figure: a best line, trial dots with configs, error crosses per series', () => {
  const p = { version: 1, kind: 'tuning', title: 'mm', metric: 'gflops', skipped: [], series: [
    { tuner: 'xgb', task: 'matmul(64)', trials: [trial(0, 1, 'ok', { index: 3, knobs: { tile: [4, 8] } }), trial(1, null, 'timeout'), trial(2, 4)], best: [] },
    { tuner: 'random', task: 'matmul(64)', trials: [trial(0, 2), trial(1, 3)], best: [] }
  ] };
  const { data, layout } = tm.tuningFigure(p);
  assert.deepEqual(data.map(d => d.name), ['xgb: best so far', 'xgb: trials', 'xgb: errors (1)', 'random: best so far', 'random: trials']);
  assert.deepEqual(data[0].y, [1, 1, 4]);
  assert.deepEqual(data[1].x, [0, 2]);
  assert.match(data[1].text[0], /index 3 · tile=\[4,8\]/);
  assert.deepEqual(data[2].x, [1]);
  assert.deepEqual(data[2].y, [0]);
  assert.match(data[2].text[0], /^timeout: boom/);
  assert.equal(data[2].marker.symbol, 'x');
  assert.equal(layout.yaxis.title.text, 'GFLOPS (higher is better)');
  const ms = tm.tuningFigure({ ...p, metric: 'ms' });
  assert.ok(ms.data[2].y[0] > Math.max(...ms.data[1].y)); // errors drawn above the slowest trial
  assert.equal(ms.layout.yaxis.type, undefined);
  const spread = { ...p, metric: 'ms', title: '', series: [{ tuner: 't', task: '', best: [], trials: [trial(0, 100), trial(1, 1)] }] };
  const logFig = tm.tuningFigure(spread);
  assert.equal(logFig.layout.yaxis.type, 'log'); // 0.01 ms vs 1 ms: a log axis keeps both readable
  assert.equal(logFig.layout.title, undefined);
  assert.equal(tm.configText({}), '(no config)');
});

function row(key, costs, error = 'ok', config = { index: 0 }, extra = {}) {
  return JSON.stringify({ version: 1, tool: 'autotvm', task: { name: key.split('(')[0], args: [], key }, config,
    result: { costs, error, error_msg: error === 'ok' ? '' : 'failed', build_seconds: 0.1, timestamp: 0 }, target: 'llvm', ...extra });
}

test('records: torn and corrupt lines are skipped with their line numbers, the rest is read', () => {
  const text = [row('mm(8)', [0.002]), row('mm(8)', [], 'build'), '', row('conv(1)', [0.004], 'ok', { index: 2, knobs: { t: 4 } }),
    '{"version": 2}', '{"version": 1, "tool": "autotvm", "task": {"na'].join('\n');
  const { rows, skipped } = rec.parseRecords(text);
  assert.equal(rows.length, 3);
  assert.deepEqual(skipped.map(s => s.line), [5, 6]);
  assert.match(skipped[0].reason, /unsupported records version 2/);
  assert.match(skipped[1].reason, /not valid JSON \(a torn or corrupt line\?\)/);
  assert.match(rec.checkRow({ version: 1, task: { name: 'a', key: 'a' }, config: {}, result: { costs: [], error: 'ok' } }), /positive costs/);
});

test('records: task summaries and the tuning payload (ms, or GFLOPS when rows know their flop)', () => {
  const text = [row('mm(8)', [0.002], 'ok', { index: 0 }), row('mm(8)', [], 'timeout', { index: 1 }), row('mm(8)', [0.001, 0.003], 'ok', { index: 2 }),
    row('mm(8)', [0.0005], 'ok', { index: 3 }), row('conv(1)', [], 'build')].join('\n');
  const { rows } = rec.parseRecords(text);
  const s = rec.taskSummaries(rows);
  assert.deepEqual(s.map(t => [t.key, t.trials, t.errors]), [['mm(8)', 4, { timeout: 1 }], ['conv(1)', 1, { build: 1 }]]);
  assert.equal(s[0].bestMs, 0.5);
  assert.deepEqual(s[0].bestConfig, { index: 3 });
  assert.equal(s[1].bestMs, null);
  const p = rec.recordsToTuning(rows, 'x.jsonl', [{ line: 9, reason: 'torn' }]);
  assert.equal(p.metric, 'ms');
  assert.deepEqual(p.series[0].best, [2, 2, 2, 0.5]);
  assert.deepEqual(p.skipped, ['line 9: torn']);
  const withFlop = rec.parseRecords(row('mm(8)', [0.001], 'ok', { index: 0 }, { flop: 2e6 })).rows;
  const q = rec.recordsToTuning(withFlop);
  assert.equal(q.metric, 'gflops');
  assert.ok(Math.abs(q.series[0].trials[0].gflops - 2) < 1e-9);
  assert.doesNotThrow(() => v.checkTuning(q));
});

test('records: confirmation rows are not trials, and a confirmed task is judged by their medians', () => {
  const c = (costs, index, error = 'ok') => row('mm(8)', costs, error, { index, knobs: { t: index } }, { confirm: true });
  // config 3 had the lucky trial; measured again it is slower than config 2, whose median is 0.0007
  const text = [row('mm(8)', [0.002], 'ok', { index: 1, knobs: { t: 1 } }), row('mm(8)', [0.0005], 'ok', { index: 3, knobs: { t: 3 } }),
    row('mm(8)', [0.0006], 'ok', { index: 2, knobs: { t: 2 } }),
    c([0.0009], 3), c([0.0007], 2), c([0.0008], 3), c([0.0006], 2), c([0.0011], 3), c([0.0009], 2), c([], 1, 'timeout')].join('\n');
  const { rows, skipped } = rec.parseRecords(text);
  assert.equal(skipped.length, 0);
  const [s] = rec.taskSummaries(rows);
  assert.equal(s.trials, 3);
  assert.deepEqual(s.errors, {});
  assert.equal(s.confirmed, 2);
  assert.ok(Math.abs(s.bestMs - 0.7) < 1e-9);
  assert.deepEqual(s.bestConfig, { index: 2, knobs: { t: 2 } });
  assert.equal(s.bestTrial, 2);
  const p = rec.recordsToTuning(rows);
  assert.equal(p.series[0].trials.length, 3);
  assert.match(rec.checkRow({ ...JSON.parse(c([0.001], 1)), confirm: 'yes' }), /'confirm' must be true or false/);
});
