// The SQLite store's writer thread: inserts readings, latest values and camera events on its own
// connection (WAL lets the main connection keep reading), so the B-tree work, about a fifth of the
// embedded server's CPU at 20,000 readings/s, runs beside the event loop instead of on it.
// Batches arrive as flat arrays of primitives (cheap to copy between threads).
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

export interface WriterBatch {
  /** device, metric, ts, value, seq (or null): 5 per reading row */
  r: (string | number | null)[];
  /** device, metric, ts, value: 4 per series (the newest of this batch) */
  l: (string | number)[];
  /** device, ts, type, grid, district, confidence, count, zone, seq: 9 per event */
  e: (string | number | null)[];
  /** key, at: 2 per message identity (recent_messages), written after the readings */
  k?: (string | number)[];
  /** forget identities older than this (epoch ms), or null */
  kBefore?: number | null;
}

// Plain CommonJS so it runs in a worker under any loader (tsx, vitest, plain node).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('busy_timeout = 5000');
const reading = db.prepare('INSERT OR REPLACE INTO readings (device, metric, ts, value, seq) VALUES (?, ?, ?, ?, ?)');
const latest = db.prepare(\`INSERT INTO latest (device, metric, ts, value) VALUES (?, ?, ?, ?)
  ON CONFLICT (device, metric) DO UPDATE SET ts = excluded.ts, value = excluded.value WHERE excluded.ts >= latest.ts\`);
const event = db.prepare(\`INSERT OR REPLACE INTO camera_events (device, ts, type, grid, district, confidence, count, zone, seq)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)\`);
const remember = db.prepare('INSERT OR REPLACE INTO recent_messages (key, at) VALUES (?, ?)');
const forget = db.prepare('DELETE FROM recent_messages WHERE at < ?');
const write = db.transaction((r, l, e, k, kBefore) => {
  for (let i = 0; i < r.length; i += 5) reading.run(r[i], r[i + 1], r[i + 2], r[i + 3], r[i + 4]);
  for (let i = 0; i < l.length; i += 4) latest.run(l[i], l[i + 1], l[i + 2], l[i + 3]);
  for (let i = 0; i < e.length; i += 9) event.run(e[i], e[i + 1], e[i + 2], e[i + 3], e[i + 4], e[i + 5], e[i + 6], e[i + 7], e[i + 8]);
  if (k) for (let i = 0; i < k.length; i += 2) remember.run(k[i], k[i + 1]);
  if (kBefore != null) forget.run(kBefore);
});
parentPort.on('message', (m) => {
  if (m.type === 'close') {
    try { db.close(); } catch {}
    parentPort.postMessage({ id: m.id, ok: true });
    return;
  }
  try {
    write(m.batch.r, m.batch.l, m.batch.e, m.batch.k, m.batch.kBefore);
    parentPort.postMessage({ id: m.id, ok: true });
  } catch (err) {
    parentPort.postMessage({ id: m.id, error: String(err && err.message || err) });
  }
});
`;

export class SqliteWriter {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly waiting = new Map<number, (err: Error | null) => void>();
  private dead: Error | null = null;

  constructor(path: string) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, driver } });
    this.worker.unref(); // referenced only while a batch is out (see send)
    this.worker.on('message', (m: { id: number; ok?: boolean; error?: string }) => {
      const done = this.waiting.get(m.id);
      if (!done) return;
      this.waiting.delete(m.id);
      if (this.waiting.size === 0) this.worker.unref();
      done(m.error ? new Error(m.error) : null);
    });
    const fail = (err: Error) => {
      this.dead = err;
      for (const done of this.waiting.values()) done(err);
      this.waiting.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`SQLite writer thread exited (${code})`)));
  }

  /** Writes one batch in one transaction; resolves once committed. */
  write(batch: WriterBatch): Promise<void> {
    return this.send({ type: 'write', batch });
  }

  async close(): Promise<void> {
    if (this.dead) return;
    await this.send({ type: 'close' }).catch(() => undefined);
    await this.worker.terminate();
  }

  private send(msg: Record<string, unknown>): Promise<void> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, (err) => (err ? reject(err) : resolve()));
      if (this.waiting.size === 1) this.worker.ref();
      this.worker.postMessage({ ...msg, id });
    });
  }
}
