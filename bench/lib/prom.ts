// Reading a Prometheus histogram of a CityGrid process's /metrics, for the benches: its cumulative
// buckets, and a quantile of what it counted between two scrapes, as the bound of the bucket that
// holds it ("≤ 0.05 s": a histogram knows no finer).
export type Buckets = { le: string; n: number }[];

export async function histogram(base: string, name: string): Promise<Buckets> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const re = new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\d+)`, 'gm');
  return [...text.matchAll(re)].map((m) => ({ le: m[1]!, n: Number(m[2]) }));
}

/** The q-quantile of what `after` counted since `before` (null: since the process started), or 'n/a'. */
export function quantileBetween(after: Buckets, before: Buckets | null, q: number): string {
  const counts = after.map((b, i) => ({ le: b.le, n: b.n - (before?.[i]?.n ?? 0) }));
  const total = counts.at(-1)?.n ?? 0;
  if (!total) return 'n/a';
  return `≤ ${counts.find((b) => b.n >= q * total)!.le} s`;
}
