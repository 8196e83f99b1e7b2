/**
 * Summarise a V8 .cpuprofile (from node --cpu-prof): self time per function and inclusive time
 * per function, top N. Usage: tsx bench/lib/profile-top.ts file.cpuprofile [N] [filter]
 */
import { readFileSync } from 'node:fs';

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number; children?: number[] }
const [file, nArg, filter] = process.argv.slice(2);
const prof = JSON.parse(readFileSync(file!, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number };
const N = Number(nArg ?? 40);
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const selfUs = new Map<number, number>();
prof.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
const key = (n: Node) => {
  const url = n.callFrame.url.replace(/^file:\/\//, '').replace(/.*node_modules\//, 'nm:').replace(/.*\/dist\/server\//, 'dist:');
  return `${n.callFrame.functionName || '(anon)'} ${url}:${n.callFrame.lineNumber + 1}`;
};
const self = new Map<string, number>();
const incl = new Map<string, number>();
for (const [id, us] of selfUs) {
  const n = byId.get(id)!;
  self.set(key(n), (self.get(key(n)) ?? 0) + us);
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const k = key(byId.get(cur)!);
    if (seen.has(k)) continue;
    seen.add(k);
    incl.set(k, (incl.get(k) ?? 0) + us);
  }
}
const show = (title: string, m: Map<string, number>) => {
  console.log(`\n${title} (total ${(total / 1000).toFixed(0)} ms sampled)`);
  [...m.entries()]
    .filter(([k]) => !filter || k.includes(filter))
    .sort((a, b) => b[1] - a[1])
    .slice(0, N)
    .forEach(([k, us]) => console.log(`${((100 * us) / total).toFixed(1).padStart(5)}%  ${k}`));
};
show('self time', self);
show('inclusive time', incl);

// Self time grouped by where the code lives (package, project file, Node internals, native).
const where = new Map<string, number>();
for (const [id, us] of selfUs) {
  const n = byId.get(id)!;
  const url = n.callFrame.url;
  let k: string;
  if (!url) k = n.callFrame.functionName.startsWith('(') ? n.callFrame.functionName : `native ${n.callFrame.functionName}`;
  else if (url.includes('node_modules/')) k = 'pkg ' + (/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ?? '?');
  else if (url.startsWith('node:')) k = 'node:' + url.slice(5).split('/')[0];
  else k = 'project ' + url.replace(/.*\/dist\/server\//, '').replace(/^file:\/\//, '');
  where.set(k, (where.get(k) ?? 0) + us);
}
show('self time by location', where);
