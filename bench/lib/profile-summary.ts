// `node --import tsx bench/lib/profile-summary.ts <file.cpuprofile> [top]`: self and total time by
// function (and by package), to read a `npm run bench -- --profile` CPU profile without DevTools.
import { readFileSync } from 'node:fs';

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
const [file, topText] = process.argv.slice(2);
const profile = JSON.parse(readFileSync(file!, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
const top = Number(topText ?? 30);
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const where = (n: Node) => {
  const url = n.callFrame.url.replace(/^file:\/\//, '');
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  const short = m ? m[1]! : url.includes('/work/') ? url.split('/').slice(-2).join('/') : url || '(native)';
  return { key: `${n.callFrame.functionName || '(anon)'} ${short}:${n.callFrame.lineNumber + 1}`, pkg: m ? m[1]! : url.includes('/src/') ? 'citygrid' : n.callFrame.functionName.startsWith('(') ? n.callFrame.functionName : 'node' };
};
const self = new Map<string, number>(), total = new Map<string, number>(), pkgs = new Map<string, number>();
let all = 0;
profile.samples.forEach((id, i) => {
  const dt = (profile.timeDeltas[i] ?? 0) / 1000;
  all += dt;
  const n = byId.get(id)!;
  const w = where(n);
  self.set(w.key, (self.get(w.key) ?? 0) + dt);
  pkgs.set(w.pkg, (pkgs.get(w.pkg) ?? 0) + dt);
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const k = where(byId.get(cur)!).key;
    if (seen.has(k)) continue;
    seen.add(k);
    total.set(k, (total.get(k) ?? 0) + dt);
  }
});
const show = (title: string, m: Map<string, number>, n: number) => {
  console.log(`\n${title} (of ${all.toFixed(0)} ms sampled)`);
  for (const [k, ms] of [...m].sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`${ms.toFixed(0).padStart(8)} ms ${((100 * ms) / all).toFixed(1).padStart(5)}%  ${k}`);
};
show('self time by package', pkgs, 15);
show('self time by function', self, top);
show('total time by function', total, top);
