// Embedded store on better-sqlite3: WAL, one transaction per batch, a clustered primary key per
// (device, metric, ts) that serves per-device time ranges and makes re-delivered readings idempotent.
// Writes run on a writer thread (sqlite-writer.ts) with its own connection; queries run here after
// everything queued before them is committed (read your writes). ':memory:' writes in-thread.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { isZoneName, type BucketPoint, type RawPoint } from '@citygrid/contract';
import { SqliteWriter, type WriterBatch } from './sqlite-writer.js';
import type {
  EventsQuery, HourlyAggregate, HourlyAggregatesQuery, LatestValue, ReadingsChunk, ReadingsExportQuery, ReadingsQuery, SeriesResult, StoreHealth, StoredCameraEvent,
  StoredReading, TimeSeriesStore, WrittenListener,
} from './store.js';

const MAX_BATCH_ROWS = 5000;
/** Points per chunk of streamReadings (rows: one range read of the primary key). */
const STREAM_CHUNK = 5000;
const RAW_READINGS = 'SELECT ts, value FROM readings WHERE device = ? AND metric = ? AND ts >= ? AND ts < ? ORDER BY ts LIMIT ?';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS readings (
  device TEXT NOT NULL, metric TEXT NOT NULL, ts INTEGER NOT NULL, value REAL NOT NULL, seq INTEGER,
  PRIMARY KEY (device, metric, ts)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS latest (
  device TEXT NOT NULL, metric TEXT NOT NULL, ts INTEGER NOT NULL, value REAL NOT NULL,
  PRIMARY KEY (device, metric)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS camera_events (
  device TEXT NOT NULL, ts INTEGER NOT NULL, type TEXT NOT NULL, grid TEXT NOT NULL, district TEXT NOT NULL,
  confidence REAL NOT NULL, count INTEGER NOT NULL, zone TEXT, seq INTEGER,
  PRIMARY KEY (device, ts, type)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS camera_events_grid_ts ON camera_events (grid, ts);
CREATE INDEX IF NOT EXISTS camera_events_district_ts ON camera_events (district, ts);
CREATE TABLE IF NOT EXISTS recent_messages (
  key TEXT NOT NULL PRIMARY KEY, at INTEGER NOT NULL
) WITHOUT ROWID;
`;

/** Message identities older than this are forgotten (pipeline/recent-messages.ts: DUPLICATE_WINDOW_MS). */
const REMEMBER_MS = 2 * 60_000;
/** How often the writer forgets old identities. */
const FORGET_EVERY_MS = 30_000;

/**
 * The file's format version (PRAGMA user_version), and the steps that bring an older file up to it.
 * Version 0 files were written before the versions began; CREATE ... IF NOT EXISTS above adds the
 * tables they lack (recent_messages).
 */
export const SCHEMA_VERSION = 1;
const MIGRATIONS: Record<number, (db: Database.Database) => void> = {
  // 1: camera event zones became zone names (contract isZoneName); free text written before could
  // hold a plate or phone number, so any zone that is not a zone name is removed.
  1: (db) => {
    db.function('cg_is_zone_name', { deterministic: true }, (zone: unknown) => (typeof zone === 'string' && isZoneName(zone) ? 1 : 0));
    db.prepare('UPDATE camera_events SET zone = NULL WHERE zone IS NOT NULL AND cg_is_zone_name(zone) = 0').run();
  },
};

function migrate(db: Database.Database): void {
  const from = db.pragma('user_version', { simple: true }) as number;
  if (from > SCHEMA_VERSION) throw new Error(`${db.name} was written by a newer CityGrid (format ${from}; this version reads up to ${SCHEMA_VERSION})`);
  db.transaction(() => {
    for (let v = from + 1; v <= SCHEMA_VERSION; v++) MIGRATIONS[v]!(db);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  })();
}

export interface SqliteStoreOptions {
  /** File path, or ':memory:'. */
  path: string;
  onWritten?: WrittenListener;
  onError?: (err: Error) => void;
  /** Write on a separate thread (default: yes, except for ':memory:'). */
  writerThread?: boolean;
}

/** Flat, thread-transferable rows of a batch; `latest` holds one row per series (its newest). */
export function toWriterBatch(readings: StoredReading[], events: StoredCameraEvent[], keys: (string | number)[] = [], kBefore: number | null = null): WriterBatch {
  const r: WriterBatch['r'] = [];
  const newest = new Map<string, { device: string; metric: string; ts: number; value: number }>();
  for (const x of readings) {
    for (const metric in x.metrics) {
      const v = x.metrics[metric]!;
      const value = typeof v === 'boolean' ? (v ? 1 : 0) : v;
      r.push(x.device, metric, x.ts, value, x.seq ?? null);
      const key = `${x.device}\0${metric}`;
      const n = newest.get(key);
      if (!n) newest.set(key, { device: x.device, metric, ts: x.ts, value });
      else if (x.ts >= n.ts) { n.ts = x.ts; n.value = value; }
    }
  }
  const l: WriterBatch['l'] = [];
  for (const n of newest.values()) l.push(n.device, n.metric, n.ts, n.value);
  const e: WriterBatch['e'] = [];
  for (const x of events) e.push(x.device, x.ts, x.type, x.grid, x.district, x.confidence, x.count, x.zone ?? null, x.seq ?? null);
  return { r, l, e, k: keys, kBefore };
}

export class SqliteStore implements TimeSeriesStore {
  readonly kind = 'sqlite' as const;
  private readonly db: Database.Database;
  private readingBuffer: StoredReading[] = [];
  private eventBuffer: StoredCameraEvent[] = [];
  /** key, at pairs of message identities (rememberMessage), written after the readings queued before them */
  private keyBuffer: (string | number)[] = [];
  private lastForget = 0;
  private scheduled: NodeJS.Immediate | null = null;
  private lastError: string | null = null;
  private closed = false;
  private readonly writeBatch: (readings: StoredReading[], events: StoredCameraEvent[], keys: (string | number)[], kBefore: number | null) => void;
  private readonly stmts;
  private readonly writer: SqliteWriter | null;
  /** Batches handed to the writer thread and not yet committed. */
  private readonly inflight = new Set<{ readings: StoredReading[]; events: StoredCameraEvent[]; done: Promise<void> }>();

  constructor(private readonly options: SqliteStoreOptions) {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    this.db = new Database(options.path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL'); // durable across a process crash; fsync at checkpoints
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    migrate(this.db);
    this.stmts = {
      reading: this.db.prepare('INSERT OR REPLACE INTO readings (device, metric, ts, value, seq) VALUES (?, ?, ?, ?, ?)'),
      latest: this.db.prepare(`INSERT INTO latest (device, metric, ts, value) VALUES (?, ?, ?, ?)
        ON CONFLICT (device, metric) DO UPDATE SET ts = excluded.ts, value = excluded.value WHERE excluded.ts >= latest.ts`),
      event: this.db.prepare(`INSERT OR REPLACE INTO camera_events (device, ts, type, grid, district, confidence, count, zone, seq)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      raw: this.db.prepare(RAW_READINGS),
      buckets: this.db.prepare(`SELECT (ts / CAST(? AS INTEGER)) * CAST(? AS INTEGER) AS ts, avg(value) AS mean, min(value) AS min, max(value) AS max, count(*) AS count
        FROM readings WHERE device = ? AND metric = ? AND ts >= ? AND ts < ? GROUP BY 1 ORDER BY 1`),
      allLatest: this.db.prepare('SELECT device, metric, ts, value FROM latest'),
      // open data: each series the city's devices have (latest) read by its primary key range, the
      // device's cell from the JSON object given (device -> cell), grouped by cell, metric and UTC hour
      hourly: this.db.prepare(`SELECT c.value AS grid, r.metric AS metric, (r.ts / 3600000) * 3600000 AS hour,
        min(r.value) AS min, avg(r.value) AS mean, max(r.value) AS max, count(*) AS count
        FROM json_each(?) c CROSS JOIN latest l CROSS JOIN readings r
        WHERE l.device = c.key AND r.device = l.device AND r.metric = l.metric AND r.ts >= ? AND r.ts < ?
        GROUP BY c.value, r.metric, hour`),
      pruneSeries: this.db.prepare('DELETE FROM readings WHERE device = ? AND metric = ? AND ts < ?'),
      pruneEvents: this.db.prepare('DELETE FROM camera_events WHERE ts < ?'),
      remember: this.db.prepare('INSERT OR REPLACE INTO recent_messages (key, at) VALUES (?, ?)'),
      forget: this.db.prepare('DELETE FROM recent_messages WHERE at < ?'),
      recent: this.db.prepare('SELECT key, at FROM recent_messages WHERE at >= ?'),
    };
    this.writeBatch = this.db.transaction((readings: StoredReading[], events: StoredCameraEvent[], keys: (string | number)[], kBefore: number | null) => {
      // `latest` gets one upsert per series and batch (its newest reading), not one per reading: a
      // device reporting several times per batch (or in a gateway batch) costs one row write, not n.
      const newest = new Map<string, { device: string; metric: string; ts: number; value: number }>();
      for (const r of readings) {
        for (const metric in r.metrics) {
          const v = r.metrics[metric]!;
          const value = typeof v === 'boolean' ? (v ? 1 : 0) : v;
          this.stmts.reading.run(r.device, metric, r.ts, value, r.seq ?? null);
          const key = `${r.device}\0${metric}`;
          const n = newest.get(key);
          if (!n) newest.set(key, { device: r.device, metric, ts: r.ts, value });
          else if (r.ts >= n.ts) { n.ts = r.ts; n.value = value; }
        }
      }
      for (const n of newest.values()) this.stmts.latest.run(n.device, n.metric, n.ts, n.value);
      for (const e of events) {
        this.stmts.event.run(e.device, e.ts, e.type, e.grid, e.district, e.confidence, e.count, e.zone ?? null, e.seq ?? null);
      }
      for (let i = 0; i < keys.length; i += 2) this.stmts.remember.run(keys[i], keys[i + 1]);
      if (kBefore !== null) this.stmts.forget.run(kBefore);
    });
    this.writer = options.path !== ':memory:' && options.writerThread !== false ? new SqliteWriter(options.path) : null;
  }

  writeReadings(readings: StoredReading[]): void {
    for (const r of readings) this.readingBuffer.push(r);
    this.schedule();
  }

  writeEvents(events: StoredCameraEvent[]): void {
    for (const e of events) this.eventBuffer.push(e);
    this.schedule();
  }

  rememberMessage(key: string, at: number): void {
    this.keyBuffer.push(key, at);
    this.schedule();
  }

  async recentMessages(since: number): Promise<{ key: string; at: number }[]> {
    await this.settled();
    return this.stmts.recent.all(since) as { key: string; at: number }[];
  }

  /** Everything queued in one turn of the event loop goes into one transaction. */
  private schedule(): void {
    if (this.readingBuffer.length + this.eventBuffer.length >= MAX_BATCH_ROWS) {
      this.flushNow();
      return;
    }
    if (!this.scheduled && !this.closed) this.scheduled = setImmediate(() => this.flushNow());
  }

  private flushNow(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = null;
    if (this.readingBuffer.length === 0 && this.eventBuffer.length === 0 && this.keyBuffer.length === 0) return;
    const readings = this.readingBuffer;
    const events = this.eventBuffer;
    const keys = this.keyBuffer;
    this.readingBuffer = [];
    this.eventBuffer = [];
    this.keyBuffer = [];
    const now = Date.now();
    let kBefore: number | null = null;
    if (keys.length > 0 && now - this.lastForget >= FORGET_EVERY_MS) {
      this.lastForget = now;
      kBefore = now - REMEMBER_MS;
    }
    if (this.writer) {
      this.sendToWriter(readings, events, toWriterBatch(readings, events, keys, kBefore));
      return;
    }
    try {
      this.writeBatch(readings, events, keys, kBefore);
      this.lastError = null;
      this.options.onWritten?.(readings.length, events.length);
    } catch (err) {
      // keep the batch: put it back in front and try again on the next turn
      this.readingBuffer = readings.concat(this.readingBuffer);
      this.eventBuffer = events.concat(this.eventBuffer);
      this.keyBuffer = keys.concat(this.keyBuffer);
      this.lastError = (err as Error).message;
      this.options.onError?.(err as Error);
      if (!this.closed) this.scheduled = setImmediate(() => this.flushNow()) as NodeJS.Immediate;
    }
  }

  private sendToWriter(readings: StoredReading[], events: StoredCameraEvent[], batch: WriterBatch, attempt = 0): void {
    const entry = { readings, events, done: Promise.resolve() };
    entry.done = this.writer!.write(batch).then(() => {
      this.inflight.delete(entry);
      this.lastError = null;
      this.options.onWritten?.(readings.length, events.length);
    }, (err: Error) => {
      this.lastError = err.message;
      this.options.onError?.(err);
      // keep the batch and try again shortly (bounded by the writer staying alive)
      return new Promise<void>((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** Math.min(attempt, 5)))).then(() => {
        this.inflight.delete(entry);
        if (this.closed && attempt > 3) return;
        this.sendToWriter(readings, events, batch, attempt + 1);
        return this.settled();
      });
    });
    this.inflight.add(entry);
  }

  /** Resolves once everything queued so far is committed (or failed for now). */
  private async settled(): Promise<void> {
    this.flushNow();
    for (let round = 0; round < 100 && this.inflight.size > 0; round++) {
      await Promise.all([...this.inflight].map((b) => b.done.catch(() => undefined)));
    }
  }

  /** Committed by the writer thread, failed or not (a failed batch is retried, not acknowledged as lost). */
  durable(): Promise<void> {
    return this.settled();
  }

  async flush(): Promise<void> {
    await this.settled();
    if (this.lastError) throw new Error(`SQLite write failed: ${this.lastError}`);
  }

  async queryReadings(q: ReadingsQuery): Promise<SeriesResult[]> {
    await this.settled(); // read your writes
    return q.metrics.map((metric) => {
      if (q.step === null) {
        return { metric, points: this.stmts.raw.all(q.device, metric, q.from, q.to, q.limit) as RawPoint[] };
      }
      return { metric, points: this.stmts.buckets.all(q.step, q.step, q.device, metric, q.from, q.to) as BucketPoint[] };
    });
  }

  /**
   * Chunk by chunk, each a keyset read of the primary key (device, metric, ts > the last one sent),
   * not one statement iterated for the whole export: between chunks nothing is held, no snapshot
   * keeps the WAL from being checkpointed, and the connection is free for other statements (better-
   * sqlite3 refuses any while one iterates). A file store reads on a connection of the export's own
   * with a 1 MiB page cache: a month of readings passing through the shared connection's 16 MiB cache
   * would fill it (16 MiB more resident memory) and push out what the dashboard's queries keep there.
   */
  async *streamReadings(q: ReadingsExportQuery): AsyncGenerator<ReadingsChunk> {
    await this.settled(); // read your writes
    const own = this.options.path === ':memory:' ? null : new Database(this.options.path, { readonly: true, fileMustExist: true });
    try {
      own?.pragma('cache_size = -1024');
      const raw = own ? own.prepare(RAW_READINGS) : this.stmts.raw;
      for (const metric of q.metrics) {
        for (let from = q.from; ;) {
          const points = raw.all(q.device, metric, from, q.to, STREAM_CHUNK) as RawPoint[];
          if (points.length) yield { metric, points };
          if (points.length < STREAM_CHUNK) break;
          from = points[points.length - 1]!.ts + 1; // ts is unique per device and metric (the primary key)
        }
      }
    } finally {
      own?.close();
    }
  }

  async hourlyAggregates(q: HourlyAggregatesQuery): Promise<HourlyAggregate[]> {
    await this.settled(); // read your writes
    const cells: Record<string, string> = {};
    if (q.device) {
      const cell = q.cells.get(q.device.id);
      if (cell === undefined) return [];
      cells[q.device.id] = cell;
    } else {
      for (const [device, cell] of q.cells) cells[device] = cell;
    }
    return this.stmts.hourly.all(JSON.stringify(cells), q.from, q.to) as HourlyAggregate[];
  }

  async latest(): Promise<LatestValue[]> {
    await this.settled();
    return this.stmts.allLatest.all() as LatestValue[];
  }

  async queryEvents(q: EventsQuery): Promise<StoredCameraEvent[]> {
    await this.settled();
    const where = ['ts >= ?', 'ts < ?'];
    const args: (string | number)[] = [q.from, q.to];
    if (q.grid) { where.push('grid = ?'); args.push(q.grid); }
    if (q.district) { where.push('district = ?'); args.push(q.district); }
    const rows = this.db.prepare(`SELECT device, ts, type, grid, district, confidence, count, zone, seq FROM camera_events
      WHERE ${where.join(' AND ')} ORDER BY ts DESC LIMIT ?`).all(...args, q.limit) as (StoredCameraEvent & { zone: string | null; seq: number | null })[];
    return rows.map(({ zone, seq, ...rest }) => ({ ...rest, ...(zone !== null ? { zone } : {}), ...(seq !== null ? { seq } : {}) }) as StoredCameraEvent);
  }

  async prune(olderThan: number): Promise<number> {
    await this.settled();
    const series = this.db.prepare('SELECT device, metric FROM latest').all() as { device: string; metric: string }[];
    let removed = 0;
    // per series, so each delete is a range scan of the primary key rather than a table scan
    for (const s of series) removed += this.stmts.pruneSeries.run(s.device, s.metric, olderThan).changes;
    removed += this.stmts.pruneEvents.run(olderThan).changes;
    return removed;
  }

  health(): StoreHealth {
    let buffered = this.readingBuffer.length + this.eventBuffer.length;
    for (const b of this.inflight) buffered += b.readings.length + b.events.length;
    if (this.closed) return { status: 'down', detail: 'closed', buffered };
    if (this.lastError) return { status: 'degraded', detail: `last write failed: ${this.lastError}`, buffered };
    return { status: 'ok', buffered };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.settled();
    this.closed = true;
    if (this.scheduled) clearImmediate(this.scheduled);
    await this.writer?.close();
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    this.db.close();
  }
}
