// A real InfluxDB (Debian's influxd 1.x) for tests: temp data dirs, both bind addresses on free ports.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { expect } from 'vitest';
import { tempDir, waitFor } from './system.js';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

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
  const [http, rpc] = [await freePort(), await freePort()];
  let config = spawnSync('influxd', ['config'], { encoding: 'utf8' }).stdout;
  config = config
    .replace(/^bind-address = .*$/m, `bind-address = "127.0.0.1:${rpc}"`)
    .replace(/dir = "\/var\/lib\/influxdb\/meta"/, `dir = "${join(dir.path, 'meta')}"`)
    .replace(/dir = "\/var\/lib\/influxdb\/data"/, `dir = "${join(dir.path, 'data')}"`)
    .replace(/wal-dir = "\/var\/lib\/influxdb\/wal"/, `wal-dir = "${join(dir.path, 'wal')}"`)
    .replace(/(\[http\][\s\S]*?bind-address = )":8086"/, `$1"127.0.0.1:${http}"`)
    .replace(/store-enabled = true/, 'store-enabled = false')
    .replace(/reporting-disabled = false/, 'reporting-disabled = true');
  mkdirSync(dir.path, { recursive: true });
  const configPath = join(dir.path, 'influxdb.conf');
  writeFileSync(configPath, config);
  const url = `http://127.0.0.1:${http}`;
  let child: ChildProcess | null = null;

  const ping = async () => (await fetch(`${url}/ping`).catch(() => null))?.status === 204;
  async function query(q: string, db = database) {
    const res = await fetch(`${url}/query?db=${encodeURIComponent(db)}&epoch=ms&q=${encodeURIComponent(q)}`, { method: 'POST' });
    const body = (await res.json()) as { results: { error?: string; series?: never[] }[]; error?: string };
    if (body.error) throw new Error(body.error);
    for (const r of body.results) if (r.error) throw new Error(r.error);
    return body.results;
  }
  async function start() {
    child = spawn('influxd', ['run', '-config', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr!.on('data', (d: Buffer) => { log = (log + d.toString()).slice(-4000); });
    const deadline = Date.now() + 30_000;
    while (!(await ping())) {
      if (child.exitCode !== null) throw new Error(`influxd exited: ${log}`);
      if (Date.now() > deadline) throw new Error(`influxd did not answer /ping within 30 s: ${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  async function stop(signal: NodeJS.Signals = 'SIGTERM') {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill(signal);
    });
  }
  await start();
  await query(`CREATE DATABASE "${database}"`, '');
  return { url, port: http, query, start, stop, remove: async () => { await stop('SIGKILL'); dir.remove(); } };
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
