// A real InfluxDB (Debian's influxd 1.x) for tests: temp data dirs, both bind addresses on free ports
// (scripts/engines.ts starts it).
import { spawnSync } from 'node:child_process';
import { expect } from 'vitest';
import { freePort, influxd } from '../../scripts/engines.js';
import { tempDir, waitFor } from './system.js';

export { freePort };

/** Whether Debian's influxd is installed (the benchmarks skip InfluxDB without it; npm test requires it). */
export function haveInfluxd(): boolean {
  return spawnSync('sh', ['-c', 'command -v influxd']).status === 0;
}

export interface TestInflux {
  url: string;
  port: number;
  /** Runs InfluxQL; throws on an error in the result. */
  query(q: string, db?: string): Promise<{ series?: { name: string; columns: string[]; values: unknown[][]; tags?: Record<string, string> }[] }[]>;
  /** Stops the process (data stays) and starts it again on the same port. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  start(): Promise<void>;
  remove(): Promise<void>;
}

export async function startInflux(database = 'citygrid'): Promise<TestInflux> {
  const dir = tempDir('citygrid-influx-');
  const engine = await influxd(dir.path);
  const url = engine.url;
  async function query(q: string, db = database) {
    const res = await fetch(`${url}/query?db=${encodeURIComponent(db)}&epoch=ms&q=${encodeURIComponent(q)}`, { method: 'POST' });
    const body = (await res.json()) as { results: { error?: string; series?: never[] }[]; error?: string };
    if (body.error) throw new Error(body.error);
    for (const r of body.results) if (r.error) throw new Error(r.error);
    return body.results;
  }
  const start = () => engine.start();
  const stop = (signal: NodeJS.Signals = 'SIGTERM') => engine.stop(signal);
  await query(`CREATE DATABASE "${database}"`, '');
  return { url, port: engine.port, query, start, stop, remove: async () => { await stop('SIGKILL'); dir.remove(); } };
}

/** Per device: points of `level_cm` since t0, distinct seq, and the lowest and highest seq, counted with InfluxQL. */
export async function countStored(influx: TestInflux, db: string, devices: string[], t0: number): Promise<Map<string, { n: number; distinct: number; minSeq: number; maxSeq: number }>> {
  const out = new Map<string, { n: number; distinct: number; minSeq: number; maxSeq: number }>();
  const where = `FROM "water_level" WHERE time >= ${t0}ms GROUP BY "device"`;
  const [r] = await influx.query(`SELECT count("level_cm") AS n, min("seq") AS minseq, max("seq") AS maxseq ${where}`, db);
  const [d] = await influx.query(`SELECT count(distinct("seq")) AS distinct_ ${where}`, db);
  const distinct = new Map((d?.series ?? []).map((s) => [s.tags!.device!, (s.values[0] as [number, number])[1]]));
  for (const s of r?.series ?? []) {
    const [, n, minSeq, maxSeq] = s.values[0] as [number, number, number, number];
    if (devices.includes(s.tags!.device!)) out.set(s.tags!.device!, { n, distinct: distinct.get(s.tags!.device!) ?? 0, minSeq, maxSeq });
  }
  return out;
}

/**
 * Waits until InfluxDB holds each acknowledged reading, then checks each seq 0..n-1 is there exactly
 * once. Readings that carry ts = t0 + seq overwrite themselves if stored twice; those stamped on
 * receipt (no ts) would show a copy as a second point with the same seq.
 */
export async function expectExactlyOnce(influx: TestInflux, db: string, acked: Map<string, number>, t0: number) {
  const devices = [...acked.keys()];
  let last = new Map<string, unknown>();
  const stored = await waitFor(async () => {
    const s = await countStored(influx, db, devices, t0);
    last = s;
    return devices.every((d) => (s.get(d)?.n ?? 0) >= acked.get(d)!) ? s : null;
  }, 'every acknowledged reading in InfluxDB', 60_000, 500).catch((err: Error) => {
    throw new Error(`${err.message}: acked ${JSON.stringify([...acked])}, stored ${JSON.stringify([...last])}`);
  });
  for (const d of devices) {
    const n = acked.get(d)!;
    expect(stored.get(d), d).toEqual({ n, distinct: n, minSeq: 0, maxSeq: n - 1 });
  }
}
