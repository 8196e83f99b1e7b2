#!/usr/bin/env node
// Where does per-connection heap go? Compares two V8 heap snapshots (e.g. the idle phase's
// before/after from `npm run bench -- --heap-snapshots`) and prints, per object kind, how many
// objects and bytes were added per connection, and for the biggest kinds the retainer chains
// that hold them (what keeps them alive).
//
//   node bench/heap-diff.mjs before.heapsnapshot after.heapsnapshot <connections> [top=30] [chains=8]
//
// Self sizes only (no retained sizes): the sum is what the connections added, the retainer
// chains say whose they are. A reading tool for people, not part of the report.
import { readFileSync } from 'node:fs';

const [beforeFile, afterFile, connArg, topArg, chainArg] = process.argv.slice(2);
if (!beforeFile || !afterFile || !connArg) {
  console.error('usage: node bench/heap-diff.mjs before.heapsnapshot after.heapsnapshot <connections> [top] [chains]');
  process.exit(2);
}
const conns = Number(connArg);
const top = Number(topArg ?? 30);
const chainKinds = Number(chainArg ?? 8);

function load(file) {
  const s = JSON.parse(readFileSync(file, 'utf8'));
  const meta = s.snapshot.meta;
  const nf = meta.node_fields.length;
  const f = (name) => meta.node_fields.indexOf(name);
  const e = (name) => meta.edge_fields.indexOf(name);
  return {
    s, nf, ef: meta.edge_fields.length, ntypes: meta.node_types[0], etypes: meta.edge_types[0],
    ti: f('type'), ni: f('name'), si: f('self_size'), eci: f('edge_count'),
    eti: e('type'), eni: e('name_or_index'), eto: e('to_node'),
  };
}

/** "type:name" with strings, code and long names folded so that kinds compare across snapshots. */
function kindOf(h, n) {
  const type = h.ntypes[h.s.nodes[n * h.nf + h.ti]];
  if (type === 'string' || type === 'concatenated string' || type === 'sliced string') return 'string';
  if (type === 'code') return 'code';
  return `${type}:${String(h.s.strings[h.s.nodes[n * h.nf + h.ni]]).slice(0, 60)}`;
}

function totals(h) {
  const m = new Map();
  const count = h.s.nodes.length / h.nf;
  for (let n = 0; n < count; n++) {
    const k = kindOf(h, n);
    const v = m.get(k) ?? { count: 0, bytes: 0 };
    v.count += 1;
    v.bytes += h.s.nodes[n * h.nf + h.si];
    m.set(k, v);
  }
  return m;
}

/** The first strong retainer of every node: enough to read "who holds this". */
function firstRetainers(h) {
  const count = h.s.nodes.length / h.nf;
  const owner = new Int32Array(count).fill(-1);
  const via = new Array(count);
  let edge = 0;
  for (let n = 0; n < count; n++) {
    const edges = h.s.nodes[n * h.nf + h.eci];
    for (let k = 0; k < edges; k++, edge += h.ef) {
      const type = h.etypes[h.s.edges[edge + h.eti]];
      if (type === 'weak') continue;
      const to = h.s.edges[edge + h.eto] / h.nf;
      if (owner[to] !== -1 || h.ntypes[h.s.nodes[n * h.nf + h.ti]] === 'synthetic') continue;
      owner[to] = n;
      const nameOrIndex = h.s.edges[edge + h.eni];
      via[to] = type === 'element' || type === 'hidden' ? `[${nameOrIndex}]` : String(h.s.strings[nameOrIndex]);
    }
  }
  return { owner, via };
}

const before = load(beforeFile);
const after = load(afterFile);
const tb = totals(before);
const ta = totals(after);
const rows = [...ta].map(([kind, v]) => {
  const b = tb.get(kind) ?? { count: 0, bytes: 0 };
  return { kind, count: (v.count - b.count) / conns, bytes: (v.bytes - b.bytes) / conns };
});
rows.sort((x, y) => y.bytes - x.bytes);
const sum = rows.reduce((a, r) => a + r.bytes, 0);
console.log(`per connection: ${sum.toFixed(0)} bytes of self size (${conns} connections)\n`);
console.log('  bytes  objects  kind');
for (const r of rows.slice(0, top)) console.log(`${r.bytes.toFixed(0).padStart(7)} ${r.count.toFixed(2).padStart(8)}  ${r.kind}`);

const { owner, via } = firstRetainers(after);
const count = after.s.nodes.length / after.nf;
for (const r of rows.slice(0, chainKinds)) {
  const chains = new Map();
  for (let n = 0; n < count; n++) {
    if (kindOf(after, n) !== r.kind) continue;
    const parts = [];
    for (let cur = n, d = 0; d < 4 && owner[cur] !== -1; d++) {
      parts.push(`${via[cur]} ← ${kindOf(after, owner[cur])}`);
      cur = owner[cur];
    }
    const key = parts.join('  ');
    chains.set(key, (chains.get(key) ?? 0) + 1);
  }
  console.log(`\n${r.kind}: held by`);
  for (const [key, n] of [...chains].sort((a, b) => b[1] - a[1]).slice(0, 6)) console.log(`${String(n).padStart(7)}  ${key}`);
}
