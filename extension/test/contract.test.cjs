// Payloads written by workbench/viz/mime.py (tests/extension/test_npm.py puts them in
// WB_PAYLOAD_DIR) pass the extension's checks and transforms: the two sides agree on the format.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const v = require('../build-test/validate.js');
const g = require('../build-test/graphModel.js');
const ln = require('../build-test/loopnestModel.js');
const tm = require('../build-test/tuningModel.js');
const rec = require('../build-test/records.js');

const dir = process.env.WB_PAYLOAD_DIR;
const load = name => JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8'));
const opts = { skip: dir ? false : 'WB_PAYLOAD_DIR not set (run through tests/extension/test_npm.py)' };

test('python graph payload (fused, with before) draws in both modes', opts, () => {
  const p = v.checkGraph(load('graph.json'));
  const expected = load('expected.json');
  for (const mode of ['after', 'before']) {
    const body = g.bodyFor(p, mode);
    const { dot, count } = g.toDot(p, { mode, collapsed: new Set(), selected: null, matches: new Set() });
    assert.equal(count, body.nodes.length);
    assert.equal((dot.match(/subgraph "cluster_/g) || []).length, body.clusters.length);
  }
  assert.equal(p.clusters.length, expected.clusters);
  assert.deepEqual(p.nodes.filter(n => n.kind === 'op').map(n => n.op), expected.ops);
  const collapsed = g.toDot(p, { mode: 'after', collapsed: new Set(p.clusters.map(c => c.id)), selected: null, matches: new Set() });
  assert.equal(collapsed.count, 2 + p.clusters.length); // input + output + one box per group
  assert.match(g.details(p, 'c0').code[0].text, /^def /);
  assert.match(g.details(p, 'c0').code[1].text, /define /); // the group's LLVM IR
  assert.match(g.changeSummary(p), /removed/);
});

test('python loop nest payload: tree lines point at the printed text', opts, () => {
  const p = v.checkLoopNest(load('loopnest.json'));
  const lines = p.text.split('\n');
  for (const n of ln.flatten(p.tree).filter(n => n.type === 'for')) {
    assert.equal(lines[n.line].trim(), ln.rowLabel(n) + ':');
  }
  for (const line of lines) {
    assert.equal(ln.tokenize(line).map(t => t.text).join(''), line);
  }
});

test('python tuning payload and records file agree with the browser reading of the file', opts, () => {
  const p = v.checkTuning(load('tuning.json'));
  for (const s of p.series) {
    assert.deepEqual(tm.bestSoFar(s.trials, p.metric), s.best);
  }
  const { rows, skipped } = rec.parseRecords(fs.readFileSync(path.join(dir, 'records.jsonl'), 'utf8'));
  const q = rec.recordsToTuning(rows, 'records.jsonl', skipped);
  assert.equal(skipped.length, p.skipped.length);
  assert.deepEqual(q.series.map(s => s.task), p.series.map(s => s.task));
  q.series.forEach((s, k) => {
    assert.deepEqual(s.trials.map(t => t.error), p.series[k].trials.map(t => t.error));
    s.trials.forEach((t, j) => {
      const ms = p.series[k].trials[j].ms;
      assert.ok(ms === null ? t.ms === null : Math.abs(t.ms - ms) < 1e-9 * Math.max(1, ms));
    });
  });
});
