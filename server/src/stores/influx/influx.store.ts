// InfluxDB store: every accepted reading goes to the on-disk spool first (durable before the MQTT
// PUBACK), in segments sealed by size or time and written to /write by a bounded number of requests.
// When InfluxDB is down or refuses a batch with a retryable error, segments wait and are replayed in
// order with backoff; re-sent points overwrite themselves (same series and time), so nothing doubles.
import { HttpError, InfluxDB, type Transport } from '@influxdata/influxdb-client';
import { CATALOGUE, SENSOR_KINDS, type AlertEvent, type BucketPoint, type CameraEventType, type RawPoint } from '@citygrid/contract';
import type { Logger } from 'pino';
import type {
  EventsQuery, HourlyAggregate, HourlyAggregatesQuery, LatestValue, ReadingsChunk, ReadingsExportQuery, ReadingsQuery, SeriesResult, StoreHealth, StoredCameraEvent, StoredReading, StoredReportEvent,
  TimeSeriesStore, WrittenListener,
} from '../store.js';
import { InfluxQueryError, ident, influxChunks, influxQuery, literal, rows, timeRange } from './influxql.js';
import { EVENT_MEASUREMENT, alertEventLine, countLines, eventLine, readingLine, reportLine } from './line-protocol.js';
import { Spool, type Segment } from './spool.js';

export interface InfluxStoreOptions {
  url: string;
  token: string | null;
  database: string;
  spoolDir: string;
  spoolMaxBytes: number;
  retentionMs: number;
  logger: Logger;
  batchLines?: number;
  flushIntervalMs?: number;
  maxConcurrentWrites?: number;
  requestTimeoutMs?: number;
  onWritten?: WrittenListener;
  /** Points refused for good (malformed), and readings dropped because the spool was full. */
  onRefused?: (points: number) => void;
  onDropped?: (points: number) => void;
}

/** Rows per chunk of streamReadings (InfluxQL's chunk_size). */
const STREAM_CHUNK = 5000;
/** An export's connection may sit idle this long while its client is slow to take the file (ms: 10 minutes). */
const EXPORT_IDLE_MS = 10 * 60_000;
const NEAR_FULL = 0.8;
const RESUME_BELOW = 0.9; // intake resumes once the spool is below 90 % of its cap
const MAX_BACKOFF_MS = 30_000;

/** Network errors, timeouts, 5xx and 429 are worth retrying; 401/403/404 too, since they are fixed by a person, not by the data. */
function classify(err: unknown): { retry: boolean; status: number | null; message: string; retryAfterMs: number | null } {
  if (err instanceof HttpError) {
    const body = (err.json as { error?: string } | undefined)?.error ?? err.body ?? err.message;
    const retry = err.statusCode >= 500 || [401, 403, 404, 408, 429].includes(err.statusCode);
    const after = err.retryAfter(); // the Retry-After header: seconds (RFC 9110)
    return { retry, status: err.statusCode, message: `HTTP ${err.statusCode}: ${String(body).slice(0, 300)}`, retryAfterMs: after > 0 ? Math.min(after * 1000, MAX_BACKOFF_MS * 4) : null };
  }
  return { retry: true, status: null, message: (err as Error)?.message ?? String(err), retryAfterMs: null };
}

function explain(status: number | null, message: string, database: string): string {
  if (status === 401 || status === 403) return `InfluxDB refused the token (${message}); check INFLUX_TOKEN`;
  if (status === 404 || /database not found/i.test(message)) return `InfluxDB has no database "${database}" (${message}); create it (1.x: CREATE DATABASE ${database}; 2.x: a bucket named ${database}) or set INFLUX_DATABASE`;
  if (status === null) return `InfluxDB is unreachable (${message})`;
  return `InfluxDB write failed (${message})`;
}

export class InfluxStore implements TimeSeriesStore {
  readonly kind = 'influx' as const;
  private readonly transport: Transport;
  /** For streamReadings: the same server, with a socket timeout an export's slow client cannot trip. */
  private readonly exportTransport: Transport;
  private readonly spool: Spool;
  private readonly log: Logger;
  private readonly queue: Segment[] = [];
  private linesInOpen = 0;
  private inflight = 0;
  private failing: { since: number; message: string; attempts: number } | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly sealTimer: NodeJS.Timeout;
  private closed = false;
  private dropped = 0;
  private lastDropLog = 0;
  private idleWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  /** Sealed segments not yet in InfluxDB (queued or being sent), by id. */
  private readonly unwritten = new Set<number>();
  private writtenWaiters: { upTo: number; resolve: () => void }[] = [];
  private retentionNote: string | null = null;
  private readonly batchLines: number;
  private readonly maxConcurrent: number;

  constructor(private readonly o: InfluxStoreOptions) {
    this.transport = new InfluxDB({ url: o.url, token: o.token ?? undefined, timeout: o.requestTimeoutMs ?? 10_000 }).transport;
    this.exportTransport = new InfluxDB({ url: o.url, token: o.token ?? undefined, timeout: EXPORT_IDLE_MS }).transport;
    this.log = o.logger.child({ stage: 'store', store: 'influx' });
    this.batchLines = o.batchLines ?? 5000;
    this.maxConcurrent = o.maxConcurrentWrites ?? 2;
    this.spool = new Spool(o.spoolDir);
    const left = this.spool.recover();
    if (left.length) {
      this.log.info({ segments: left.length, bytes: this.spool.bytes() }, 'replaying spooled readings from an earlier run');
      this.queue.push(...left);
      for (const s of left) this.unwritten.add(s.id);
    }
    this.sealTimer = setInterval(() => this.sealOpen(), o.flushIntervalMs ?? 1000);
    this.sealTimer.unref();
    this.pump();
  }

  /** Checks the database and applies the retention period; never throws (health reports problems). */
  async init(): Promise<void> {
    try {
      const [policies] = await influxQuery(this.transport, this.o.database, [`SHOW RETENTION POLICIES ON ${ident(this.o.database)}`]);
      const list = policies?.[0] ? rows(policies[0]) : [];
      const def = list.find((p) => p.default === true);
      const hours = Math.max(1, Math.round(this.o.retentionMs / 3_600_000));
      if (def && String(def.duration) !== `${hours}h0m0s`) {
        await influxQuery(this.transport, this.o.database, [`ALTER RETENTION POLICY ${ident(String(def.name))} ON ${ident(this.o.database)} DURATION ${hours}h DEFAULT`]);
        this.log.info({ policy: def.name, hours }, 'retention policy set');
      }
    } catch (err) {
      const { status, message } = classify(err);
      if (err instanceof InfluxQueryError && /not found/i.test(err.message)) {
        this.fail(explain(404, err.message, this.o.database));
      } else if (err instanceof InfluxQueryError) {
        // InfluxDB 2.x/3.x manage retention per bucket and refuse ALTER over the v1 API
        this.retentionNote = `retention is the bucket's setting (${err.message})`;
        this.log.info(this.retentionNote);
      } else {
        this.fail(explain(status, message, this.o.database));
      }
    }
  }

  private fail(message: string): void {
    if (!this.failing) this.log.error(message);
    this.failing = { since: this.failing?.since ?? Date.now(), message, attempts: (this.failing?.attempts ?? 0) + 1 };
  }

  writeReadings(readings: StoredReading[]): void {
    this.append(readings.map(readingLine), readings.length);
  }

  writeEvents(events: StoredCameraEvent[]): void {
    this.append(events.map(eventLine), events.length);
  }

  writeAlertEvents(events: AlertEvent[]): void {
    this.append(events.map(alertEventLine), events.length);
  }

  writeReports(events: StoredReportEvent[]): void {
    this.append(events.map(reportLine), events.length);
  }

  private append(lines: string[], points: number): void {
    if (lines.length === 0 || this.closed) return;
    if (this.spool.bytes() >= this.o.spoolMaxBytes) {
      this.dropped += points;
      this.o.onDropped?.(points);
      if (Date.now() - this.lastDropLog > 10_000) {
        this.lastDropLog = Date.now();
        this.log.error({ dropped: this.dropped, spoolBytes: this.spool.bytes() }, 'spool is full: new readings are being dropped until InfluxDB accepts writes again');
      }
      return;
    }
    this.spool.append(`${lines.join('\n')}\n`);
    this.linesInOpen += lines.length;
    if (this.linesInOpen >= this.batchLines) this.sealOpen();
  }

  private sealOpen(): void {
    const segment = this.spool.seal();
    this.linesInOpen = 0;
    if (segment) {
      this.unwritten.add(segment.id);
      this.queue.push(segment);
      this.pump();
    } else {
      this.settleWaiters();
    }
  }

  private pump(): void {
    if (this.retryTimer) return;
    const limit = this.failing ? 1 : this.maxConcurrent; // while failing, probe with one segment at a time
    while (this.inflight < limit && this.queue.length > 0) {
      const segment = this.queue.shift()!;
      this.inflight++;
      void this.send(segment);
    }
    this.settleWaiters();
  }

  private async send(segment: Segment): Promise<void> {
    const text = this.spool.read(segment);
    try {
      if (text) {
        await this.transport.request(`/write?db=${encodeURIComponent(this.o.database)}&precision=ms`, text, {
          method: 'POST', headers: { 'content-type': 'text/plain; charset=utf-8' },
        });
      }
      this.spool.remove(segment);
      const { readings, events } = countLines(text);
      this.o.onWritten?.(readings, events);
      if (this.failing) this.log.info({ downForS: Math.round((Date.now() - this.failing.since) / 1000), queued: this.queue.length }, 'InfluxDB accepts writes again; replaying the spool');
      this.failing = null;
    } catch (err) {
      const c = classify(err);
      if (c.retry) {
        // back into the queue in id order, so the oldest goes first when InfluxDB comes back
        const at = this.queue.findIndex((s) => s.id > segment.id);
        if (at < 0) this.queue.push(segment);
        else this.queue.splice(at, 0, segment);
        this.fail(explain(c.status, c.message, this.o.database));
        const backoff = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(5, this.failing!.attempts - 1));
        const delay = c.retryAfterMs ?? backoff * (0.8 + Math.random() * 0.4);
        if (!this.retryTimer && !this.closed) {
          this.retryTimer = setTimeout(() => {
            this.retryTimer = null;
            this.pump();
          }, delay);
          this.retryTimer.unref();
        }
        this.rejectWaiters(new Error(this.failing!.message));
      } else {
        const { readings, events } = countLines(text);
        const kept = this.spool.setAside(segment);
        this.o.onRefused?.(readings + events);
        this.log.error({ status: c.status, error: c.message, firstPoint: text.slice(0, text.indexOf('\n')).slice(0, 300), keptIn: kept }, 'InfluxDB refused a batch as malformed; it is kept aside and not retried');
      }
    } finally {
      this.inflight--;
      this.pump();
    }
    if (!this.queue.includes(segment)) {
      this.unwritten.delete(segment.id);
      this.settleWritten();
    }
  }

  private settleWaiters(): void {
    if (this.idleWaiters.length && this.queue.length === 0 && this.inflight === 0 && this.linesInOpen === 0) {
      for (const w of this.idleWaiters.splice(0)) w.resolve();
    }
  }

  private rejectWaiters(err: Error): void {
    for (const w of this.idleWaiters.splice(0)) w.reject(err);
  }

  /** Seals what is open and resolves once InfluxDB has everything (rejects while it cannot take it). */
  flush(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.idleWaiters.push({ resolve, reject });
      if (this.failing && this.retryTimer) {
        this.rejectWaiters(new Error(this.failing.message));
        return;
      }
      this.sealOpen();
    });
  }

  async queryReadings(q: ReadingsQuery): Promise<SeriesResult[]> {
    const where = `${ident('device')} = ${literal(q.device)} AND ${timeRange(q.from, q.to)}`;
    const statements = q.metrics.map((m) => q.step === null
      ? `SELECT ${ident(m)} AS value FROM ${ident(q.kind)} WHERE ${where} ORDER BY time ASC LIMIT ${q.limit}`
      : `SELECT mean(${ident(m)}) AS mean, min(${ident(m)}) AS min, max(${ident(m)}) AS max, count(${ident(m)}) AS count FROM ${ident(q.kind)} WHERE ${where} GROUP BY time(${q.step}ms) fill(none)`);
    const results = await influxQuery(this.transport, this.o.database, statements);
    return q.metrics.map((metric, i) => {
      const series = results[i]?.[0];
      const points = series ? rows(series).map((r) => ({ ...r, ts: r.time as number })) : [];
      for (const p of points) delete (p as { time?: unknown }).time;
      return { metric, points: points as unknown as RawPoint[] | BucketPoint[] };
    });
  }

  /** One chunked query per metric (so the order is the SQLite store's: metric by metric, each in time order). */
  async *streamReadings(q: ReadingsExportQuery): AsyncGenerator<ReadingsChunk> {
    const where = `${ident('device')} = ${literal(q.device)} AND ${timeRange(q.from, q.to)}`;
    for (const metric of q.metrics) {
      const statement = `SELECT ${ident(metric)} AS value FROM ${ident(q.kind)} WHERE ${where} ORDER BY time ASC`;
      for await (const values of influxChunks(this.exportTransport, this.o.database, statement, STREAM_CHUNK)) {
        yield { metric, points: values.map(([ts, value]) => ({ ts: ts as number, value: Number(value) })) };
      }
    }
  }

  /**
   * One statement per sensor kind (its measurement): min, mean, max and count of each of its metrics,
   * `GROUP BY time(1h), "grid"` (InfluxDB's buckets start on UTC hours). The cell is the `grid` tag
   * written with each reading; readings of devices no longer in the city still count in their cell.
   */
  async hourlyAggregates(q: HourlyAggregatesQuery): Promise<HourlyAggregate[]> {
    const kinds = q.device ? (q.device.kind === 'camera' ? [] : [q.device.kind]) : SENSOR_KINDS;
    const where = `${timeRange(q.from, q.to)}${q.device ? ` AND ${ident('device')} = ${literal(q.device.id)}` : ''}`;
    const statements = kinds.map((kind) => {
      const fields = Object.keys(CATALOGUE[kind]).flatMap((m) => ['min', 'mean', 'max', 'count'].map((f) => `${f}(${ident(m)}) AS ${ident(`${f}:${m}`)}`));
      return `SELECT ${fields.join(', ')} FROM ${ident(kind)} WHERE ${where} GROUP BY time(1h), ${ident('grid')} fill(none)`;
    });
    const results = await influxQuery(this.transport, this.o.database, statements);
    const out: HourlyAggregate[] = [];
    results.forEach((seriesList, i) => {
      const metrics = Object.keys(CATALOGUE[kinds[i]!]);
      for (const s of seriesList) {
        const grid = s.tags?.grid;
        if (!grid) continue;
        for (const row of rows(s)) {
          for (const metric of metrics) {
            const count = Number(row[`count:${metric}`] ?? 0);
            if (!count) continue;
            out.push({
              hour: row.time as number, grid, metric, count,
              min: Number(row[`min:${metric}`]), mean: Number(row[`mean:${metric}`]), max: Number(row[`max:${metric}`]),
            });
          }
        }
      }
    });
    return out;
  }

  async latest(): Promise<LatestValue[]> {
    const statements: string[] = [];
    const keys: [string, string][] = [];
    for (const kind of SENSOR_KINDS) {
      for (const metric of Object.keys(CATALOGUE[kind])) {
        statements.push(`SELECT last(${ident(metric)}) AS value FROM ${ident(kind)} GROUP BY ${ident('device')}`);
        keys.push([kind, metric]);
      }
    }
    const results = await influxQuery(this.transport, this.o.database, statements);
    const out: LatestValue[] = [];
    results.forEach((seriesList, i) => {
      for (const s of seriesList) {
        const [row] = rows(s);
        if (row && s.tags?.device) out.push({ device: s.tags.device, metric: keys[i]![1], ts: row.time as number, value: Number(row.value) });
      }
    });
    return out;
  }

  async queryEvents(q: EventsQuery): Promise<StoredCameraEvent[]> {
    const filters = [timeRange(q.from, q.to)];
    if (q.grid) filters.push(`${ident('grid')} = ${literal(q.grid)}`);
    if (q.district) filters.push(`${ident('district')} = ${literal(q.district)}`);
    const [series] = await influxQuery(this.transport, this.o.database, [
      `SELECT "confidence", "count", "zone", "seq", "device", "grid", "district", "type" FROM ${ident(EVENT_MEASUREMENT)} WHERE ${filters.join(' AND ')} ORDER BY time DESC LIMIT ${q.limit}`,
    ]);
    const first = series?.[0];
    if (!first) return [];
    return rows(first).map((r) => {
      const e: StoredCameraEvent = {
        device: String(r.device), ts: r.time as number, type: r.type as CameraEventType, grid: String(r.grid), district: String(r.district),
        confidence: Number(r.confidence), count: Number(r.count),
      };
      if (r.zone !== null && r.zone !== undefined) e.zone = String(r.zone);
      if (r.seq !== null && r.seq !== undefined) e.seq = Number(r.seq);
      return e;
    });
  }

  /** InfluxDB's retention policy removes old data itself. */
  async prune(): Promise<number> {
    return 0;
  }

  health(): StoreHealth {
    const buffered = this.queue.length + (this.linesInOpen ? 1 : 0);
    const bytes = this.spool.bytes();
    const share = bytes / this.o.spoolMaxBytes;
    const mb = (n: number) => `${(n / 1_048_576).toFixed(1)} MB`;
    const spool = `spool ${mb(bytes)} of ${mb(this.o.spoolMaxBytes)} (${Math.round(share * 100)}%)`;
    if (this.closed) return { status: 'down', detail: 'closed', buffered };
    if (share >= 1) {
      const dropped = this.dropped ? `; ${this.dropped} points that came while it was full were dropped` : '';
      return { status: 'degraded', detail: `${this.failing?.message ?? 'InfluxDB is behind'}; ${spool}: FULL, so the server has stopped taking messages from the broker, which keeps them until the spool has room${dropped}`, buffered };
    }
    if (this.failing) return { status: 'degraded', detail: `${this.failing.message}; readings are kept in the ${spool} and will be written when it is back`, buffered };
    if (share >= NEAR_FULL) return { status: 'degraded', detail: `${spool}: nearly full`, buffered };
    return { status: 'ok', ...(this.retentionNote ? { detail: this.retentionNote } : {}), buffered };
  }

  /**
   * Resolves once every point appended so far is in InfluxDB (or set aside as malformed): cluster
   * mode acknowledges the stream only then, since a replica's spool is its own and a replica that
   * dies may not come back. Waits for the open segment's seal (at most flushIntervalMs).
   */
  written(): Promise<void> {
    const upTo = this.spool.openId() ?? Math.max(0, ...this.unwritten);
    if (this.oldestUnwritten() > upTo) return Promise.resolve();
    return new Promise((resolve) => this.writtenWaiters.push({ upTo, resolve }));
  }

  private oldestUnwritten(): number {
    let min = this.spool.openId() ?? Infinity;
    for (const id of this.unwritten) if (id < min) min = id;
    return min;
  }

  private settleWritten(): void {
    if (this.writtenWaiters.length === 0) return;
    const oldest = this.oldestUnwritten();
    this.writtenWaiters = this.writtenWaiters.filter((w) => {
      if (w.upTo >= oldest) return true;
      w.resolve();
      return false;
    });
  }

  /** What writeReadings appended is in the spool file once this is called (written at once if the turn's write is still to come). */
  durable(): Promise<void> {
    this.spool.flush();
    return Promise.resolve();
  }

  full(): boolean {
    return this.spool.bytes() >= this.o.spoolMaxBytes;
  }

  /** Room again once the spool is below 90 % of its cap (not at 99.9 %: intake would flap). */
  async whenRoom(): Promise<void> {
    while (!this.closed && this.spool.bytes() >= this.o.spoolMaxBytes * RESUME_BELOW) await new Promise((r) => setTimeout(r, 250));
  }

  spoolBytes(): number {
    return this.spool.bytes();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    clearInterval(this.sealTimer);
    const drained = this.failing ? Promise.reject(new Error('failing')) : this.flush();
    await Promise.race([drained.catch(() => undefined), new Promise((r) => setTimeout(r, 3000).unref())]);
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.spool.close(); // whatever InfluxDB has not confirmed stays on disk for the next start
  }
}
