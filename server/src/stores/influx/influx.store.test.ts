// Proves InfluxStore against a scripted fake InfluxDB over HTTP: writes arrive as line protocol, retention is set, outages keep data spooled and replay it once and in order, malformed batches are set aside, bad tokens and full spools are reported.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { StoredCameraEvent, StoredReading } from '../store.js';
import { InfluxStore, type InfluxStoreOptions } from './influx.store.js';
import { eventLine, readingLine } from './line-protocol.js';

const realSetTimeout = globalThis.setTimeout; // captured before any test fakes timers
const T0 = Date.UTC(2026, 4, 1, 8, 0);
const DAY = 86_400_000;
const name = (id: number) => `${String(id).padStart(12, '0')}.lp`;

interface Recorded { method: string; path: string; query: URLSearchParams; body: string; headers: IncomingHttpHeaders }
interface Reply { status: number; json?: unknown; headers?: Record<string, string> }

const RP_AUTOGEN = { results: [{ statement_id: 0, series: [{ columns: ['name', 'duration', 'shardGroupDuration', 'replicaN', 'default'], values: [['autogen', '0s', '168h0m0s', 1, true]] }] }] };
const OK_STATEMENT = { results: [{ statement_id: 0 }] };

/** A tiny InfluxDB stand-in: records every request and answers as the test scripts it. */
class FakeInflux {
  readonly requests: Recorded[] = [];
  /** Bodies of /write requests answered 2xx, in the order they were answered. */
  readonly accepted: string[] = [];
  write: (req: Recorded) => Reply = () => ({ status: 204 });
  query: (q: string) => Reply = (q) => ({ status: 200, json: q.startsWith('SHOW RETENTION POLICIES') ? RP_AUTOGEN : OK_STATEMENT });
  private holding = false;
  private readonly held: (() => void)[] = [];
  private readonly server: Server;
  url = '';

  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const u = new URL(req.url ?? '/', 'http://x');
        const rec: Recorded = { method: req.method ?? '', path: u.pathname, query: u.searchParams, body: Buffer.concat(chunks).toString('utf8'), headers: req.headers };
        this.requests.push(rec);
        const answer = () => {
          const reply = rec.path === '/write' ? this.write(rec) : this.query(rec.query.get('q') ?? '');
          if (rec.path === '/write' && reply.status < 300) this.accepted.push(rec.body);
          const headers: Record<string, string> = { ...reply.headers };
          if (reply.json !== undefined) headers['content-type'] = 'application/json';
          res.writeHead(reply.status, headers);
          res.end(reply.json === undefined ? undefined : JSON.stringify(reply.json));
        };
        if (this.holding && rec.path === '/write') this.held.push(answer);
        else answer();
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  get writes(): Recorded[] {
    return this.requests.filter((r) => r.path === '/write');
  }
  get queries(): string[] {
    return this.requests.filter((r) => r.path === '/query').map((r) => r.query.get('q') ?? '');
  }
  get pending(): number {
    return this.held.length;
  }
  /** Holds /write answers until released one by one (so the test decides the order). */
  hold(): void {
    this.holding = true;
  }
  releaseNext(): void {
    this.held.shift()?.();
  }
  releaseAll(): void {
    this.holding = false;
    while (this.held.length) this.releaseNext();
  }

  async stop(): Promise<void> {
    this.releaseAll();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Polls (with real timers, a few ms apart) until fn returns something truthy; fails after `ms`. */
async function until<T>(what: string, fn: () => T | null | undefined | false, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => realSetTimeout(r, 5));
  }
}

function wl(seq: number): StoredReading {
  return { device: 'wl-1', kind: 'water_level', grid: 'c-a', district: 'east', ts: T0 + seq * 1000, metrics: { level_cm: 10 + seq / 4 }, seq };
}
function ev(seq: number): StoredCameraEvent {
  return { device: 'cam-1', ts: T0 + seq * 1000, type: 'crowding', confidence: 0.9, count: 3, zone: 'north gate', grid: 'c-a', district: 'east', seq };
}
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const lp = (readings: StoredReading[]) => readings.map((r) => `${readingLine(r)}\n`).join('');
const seqsOf = (body: string) => [...body.matchAll(/seq=(\d+)i/g)].map((m) => Number(m[1]));

describe('InfluxStore (against a fake InfluxDB)', () => {
  let influx: FakeInflux;
  let spoolDir: string;
  let stores: InfluxStore[];
  let written: { readings: number; events: number };
  let refused: number[];
  let dropped: number[];

  const lpFiles = () => readdirSync(spoolDir).filter((f) => f.endsWith('.lp')).sort();

  function makeStore(over: Partial<InfluxStoreOptions> = {}): InfluxStore {
    const store = new InfluxStore({
      url: influx.url,
      token: 'test-token',
      database: 'citygrid',
      spoolDir,
      spoolMaxBytes: 10 * 1_048_576,
      retentionMs: 30 * DAY,
      logger: pino({ level: 'silent' }),
      batchLines: 10,
      flushIntervalMs: 20,
      requestTimeoutMs: 2000,
      onWritten: (r, e) => {
        written.readings += r;
        written.events += e;
      },
      onRefused: (n) => refused.push(n),
      onDropped: (n) => dropped.push(n),
      ...over,
    });
    stores.push(store);
    return store;
  }

  beforeEach(async () => {
    influx = await new FakeInflux().start();
    spoolDir = mkdtempSync(join(tmpdir(), 'citygrid-influx-'));
    stores = [];
    written = { readings: 0, events: 0 };
    refused = [];
    dropped = [];
  });
  afterEach(async () => {
    vi.useRealTimers();
    vi.restoreAllMocks();
    await Promise.all(stores.map((s) => s.close()));
    await influx.stop();
    rmSync(spoolDir, { recursive: true, force: true });
  });

  it('(a) writes line protocol to /write?db=…&precision=ms, counts it, and flush() resolves with the spool empty', async () => {
    const store = makeStore();
    const readings = [wl(0), wl(1), wl(2)];
    const events = [ev(0), ev(1)];
    store.writeReadings(readings);
    store.writeEvents(events);
    await store.flush();

    expect(influx.writes).toHaveLength(1);
    const w = influx.writes[0]!;
    expect(w.method).toBe('POST');
    expect(w.query.get('db')).toBe('citygrid');
    expect(w.query.get('precision')).toBe('ms');
    expect(w.headers.authorization).toBe('Token test-token');
    expect(w.body).toBe([...readings.map(readingLine), ...events.map(eventLine)].join('\n') + '\n');
    expect(w.body).toContain(`water_level,device=wl-1,district=east,grid=c-a,kind=water_level level_cm=10,seq=0i ${T0}\n`);
    expect(written).toEqual({ readings: 3, events: 2 });
    expect(lpFiles()).toEqual([]);
    expect(store.spoolBytes()).toBe(0);
    expect(store.health()).toEqual({ status: 'ok', buffered: 0 });
  });

  it('(a) seals by line count and by time, writing everything exactly once', async () => {
    const store = makeStore({ maxConcurrentWrites: 1, flushIntervalMs: 30 });
    store.writeReadings(range(0, 10).map(wl)); // reaches batchLines: sealed and sent at once
    store.writeReadings(range(10, 13).map(wl)); // sealed by the timer, no flush()
    await until('both batches written', () => written.readings === 13);
    expect(influx.writes.map((w) => seqsOf(w.body))).toEqual([range(0, 10), range(10, 13)]);
    await store.flush(); // nothing left: resolves at once
    expect(influx.writes).toHaveLength(2);
    expect(lpFiles()).toEqual([]);
  });

  it('written() resolves only once what was appended before it is in InfluxDB, not while it waits in the spool (cluster mode acknowledges the bus then)', async () => {
    const store = makeStore({ maxConcurrentWrites: 2, flushIntervalMs: 20 });
    await expect(store.written()).resolves.toBeUndefined(); // nothing appended: at once
    influx.hold();
    store.writeReadings(range(0, 10).map(wl)); // segment 1: sealed and sent, held by the fake
    store.writeReadings(range(10, 13).map(wl)); // segment 2: open, sealed by the timer
    let first = false;
    void store.written().then(() => { first = true; });
    await until('both in flight', () => influx.pending === 2);
    influx.releaseNext(); // segment 1 in InfluxDB; segment 2 still held
    await until('segment 1 written', () => written.readings === 10);
    await new Promise((r) => setTimeout(r, 50));
    expect(first, 'resolved with segment 2 not yet written').toBe(false);
    store.writeReadings(range(13, 15).map(wl)); // after the call: not waited for
    influx.releaseNext();
    await until('the first wait resolved', () => first);
    expect(written.readings).toBe(13);
    influx.releaseAll();
    await store.written();
    expect(written.readings).toBe(15);
  });

  it('(b) sets the default retention policy to the configured duration in hours', async () => {
    const store = makeStore({ retentionMs: 30 * DAY });
    await store.init();
    expect(influx.queries).toEqual([
      'SHOW RETENTION POLICIES ON "citygrid"',
      'ALTER RETENTION POLICY "autogen" ON "citygrid" DURATION 720h DEFAULT',
    ]);
    const q = influx.requests.find((r) => r.path === '/query')!;
    expect(q.query.get('db')).toBe('citygrid');
    expect(q.query.get('epoch')).toBe('ms');
    expect(store.health()).toEqual({ status: 'ok', buffered: 0 });
  });

  it('(b) leaves a retention policy that already has the right duration alone', async () => {
    influx.query = (q) => ({
      status: 200,
      json: q.startsWith('SHOW') ? { results: [{ statement_id: 0, series: [{ columns: ['name', 'duration', 'shardGroupDuration', 'replicaN', 'default'], values: [['autogen', '168h0m0s', '24h0m0s', 1, true]] }] }] } : OK_STATEMENT,
    });
    const store = makeStore({ retentionMs: 7 * DAY });
    await store.init();
    expect(influx.queries).toEqual(['SHOW RETENTION POLICIES ON "citygrid"']);
  });

  it('(c) keeps data spooled through a 500 outage and replays it by itself, exactly once, oldest segment first', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval'] });
    const store = makeStore({ maxConcurrentWrites: 2, flushIntervalMs: 50 });
    influx.write = () => ({ status: 500, json: { error: 'timeout' } });
    influx.hold();

    store.writeReadings(range(0, 10).map(wl)); // segment 1, sent at once
    store.writeReadings(range(10, 20).map(wl)); // segment 2, sent alongside
    await until('two writes in flight', () => influx.pending === 2);
    influx.releaseNext(); // segment 1 fails first, as responses usually come back in order
    await until('segment 1 re-queued', () => store.health().buffered === 1);
    influx.releaseNext();
    await until('segment 2 re-queued', () => store.health().buffered === 2);
    influx.releaseAll();

    await expect(store.flush()).rejects.toThrow(/HTTP 500/);
    const h = store.health();
    expect(h.status).toBe('degraded');
    expect(h.detail).toMatch(/InfluxDB write failed/);
    expect(h.detail).toMatch(/spool/);
    expect(lpFiles()).toEqual([name(1), name(2)]);
    expect(readFileSync(join(spoolDir, name(1)), 'utf8')).toBe(lp(range(0, 10).map(wl)));
    expect(readFileSync(join(spoolDir, name(2)), 'utf8')).toBe(lp(range(10, 20).map(wl)));

    store.writeReadings(range(20, 25).map(wl)); // keeps spooling while InfluxDB is down
    await vi.advanceTimersByTimeAsync(100); // the seal timer closes segment 3; it waits behind the others
    expect(store.health().buffered).toBe(3);
    expect(lpFiles()).toEqual([name(1), name(2), name(3)]);
    await vi.advanceTimersByTimeAsync(600); // still inside the first backoff (≥ 800 ms): no retry yet
    expect(store.health().buffered).toBe(3);
    expect(influx.writes).toHaveLength(2);
    expect(written.readings).toBe(0);

    influx.write = () => ({ status: 204 });
    await vi.advanceTimersByTimeAsync(600); // past the first backoff (≤ 1200 ms): the store retries by itself
    await until('everything written', () => written.readings === 25);

    expect(influx.writes).toHaveLength(5); // two failed, three accepted
    expect(influx.accepted).toHaveLength(3);
    expect(seqsOf(influx.accepted[0]!)).toEqual(range(0, 10)); // the oldest segment goes first
    expect(seqsOf(influx.accepted.join('')).sort((a, b) => a - b)).toEqual(range(0, 25)); // each exactly once
    expect(lpFiles()).toEqual([]);
    expect(store.health()).toEqual({ status: 'ok', buffered: 0 });
    await expect(store.flush()).resolves.toBeUndefined();
  });

  it('(c) reports an unreachable InfluxDB (connection refused) and keeps the data', async () => {
    const gone = await new FakeInflux().start();
    const url = gone.url;
    await gone.stop();
    const store = makeStore({ url });
    store.writeReadings([wl(0), wl(1)]);
    await expect(store.flush()).rejects.toThrow(/unreachable/);
    const h = store.health();
    expect(h.status).toBe('degraded');
    expect(h.detail).toMatch(/InfluxDB is unreachable/);
    expect(h.detail).toMatch(/kept in the spool/);
    expect(h.buffered).toBe(1);
    expect(lpFiles()).toEqual([name(1)]);
    expect(readFileSync(join(spoolDir, name(1)), 'utf8')).toBe(lp([wl(0), wl(1)]));
  });

  it('honours Retry-After (seconds) before retrying a 503', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval'] });
    const store = makeStore({ flushIntervalMs: 50 });
    influx.write = () => ({ status: 503, json: { error: 'overloaded' }, headers: { 'retry-after': '2' } });
    store.writeReadings([wl(0)]);
    await expect(store.flush()).rejects.toThrow(/HTTP 503/);
    influx.write = () => ({ status: 204 });

    await vi.advanceTimersByTimeAsync(1500); // InfluxDB asked for 2 s
    expect(store.health().buffered).toBe(1); // not re-sent yet
    expect(influx.writes).toHaveLength(1);

    await vi.advanceTimersByTimeAsync(1100);
    await until('the reading written', () => written.readings === 1);
    expect(influx.writes).toHaveLength(2);
  });

  it('(d) sets a malformed batch aside in refused/, reports it, does not retry it, and keeps writing', async () => {
    const store = makeStore();
    influx.write = () => ({ status: 400, json: { error: 'partial write: unable to parse \'water_level,device=wl-1 level_cm=\': missing field value' } });
    const bad = [wl(0), wl(1), wl(2)];
    store.writeReadings(bad);
    await store.flush().catch(() => undefined);
    await until('refusal reported', () => refused.length === 1);

    expect(refused).toEqual([3]);
    expect(written).toEqual({ readings: 0, events: 0 });
    expect(lpFiles()).toEqual([]);
    expect(readdirSync(join(spoolDir, 'refused'))).toEqual([name(1)]);
    expect(readFileSync(join(spoolDir, 'refused', name(1)), 'utf8')).toBe(lp(bad));
    expect(store.spoolBytes()).toBe(0);
    expect(store.health().status).toBe('ok'); // a bad batch is not an outage

    influx.write = () => ({ status: 204 });
    store.writeReadings([wl(3)]);
    await store.flush();
    expect(influx.writes).toHaveLength(2); // the refused batch was sent once only
    expect(influx.accepted).toEqual([lp([wl(3)])]);
    expect(written).toEqual({ readings: 1, events: 0 });
    expect(refused).toEqual([3]);
  });

  it('(e) on 401 reports degraded with a hint at INFLUX_TOKEN and keeps the data', async () => {
    const store = makeStore({ token: 'wrong-token' });
    influx.write = () => ({ status: 401, json: { error: 'authorization failed' } });
    store.writeReadings([wl(0)]);
    store.writeEvents([ev(1)]);
    await expect(store.flush()).rejects.toThrow(/INFLUX_TOKEN/);

    expect(influx.writes[0]!.headers.authorization).toBe('Token wrong-token');
    const h = store.health();
    expect(h.status).toBe('degraded');
    expect(h.detail).toMatch(/INFLUX_TOKEN/);
    expect(h.detail).toMatch(/spool/);
    expect(refused).toEqual([]);
    expect(written).toEqual({ readings: 0, events: 0 });
    expect(lpFiles()).toEqual([name(1)]);
    expect(readFileSync(join(spoolDir, name(1)), 'utf8')).toBe(`${readingLine(wl(0))}\n${eventLine(ev(1))}\n`);
  });

  it('(f) sends segments left in the spool dir by an earlier run at start, oldest first, without torn lines', async () => {
    writeFileSync(join(spoolDir, name(10)), `${eventLine(ev(2))}\n${readingLine(wl(2))}\nwater_level,device=wl-1,district=ea`);
    writeFileSync(join(spoolDir, name(2)), lp([wl(0), wl(1)]));
    const store = makeStore({ maxConcurrentWrites: 1 });
    await until('left-over segments written', () => influx.accepted.length === 2);

    expect(influx.accepted).toEqual([lp([wl(0), wl(1)]), `${eventLine(ev(2))}\n${readingLine(wl(2))}\n`]);
    await until('both counted', () => written.readings === 3);
    expect(written).toEqual({ readings: 3, events: 1 });
    expect(lpFiles()).toEqual([]);
    expect(store.spoolBytes()).toBe(0);

    store.writeReadings([wl(3)]);
    await store.flush();
    expect(influx.accepted.at(-1)).toBe(lp([wl(3)]));
  });

  it('(g) says it is full once the spool is over spoolMaxBytes (ingest then pauses), drops what still comes, and has room again below 90 %', async () => {
    const store = makeStore({ spoolMaxBytes: 200 });
    influx.write = () => ({ status: 500, json: { error: 'down' } });
    const kept = [wl(0), wl(1), wl(2)]; // ~270 bytes: accepted while the spool is under the limit
    store.writeReadings(kept);
    await expect(store.flush()).rejects.toThrow(/HTTP 500/);
    expect(store.spoolBytes()).toBe(Buffer.byteLength(lp(kept)));
    expect(store.spoolBytes()).toBeGreaterThan(200);

    store.writeReadings([wl(3), wl(4)]);
    store.writeEvents([ev(5)]);
    expect(dropped).toEqual([2, 1]);
    const h = store.health();
    expect(h.status).toBe('degraded');
    expect(h.detail).toMatch(/FULL/);
    expect(h.detail).toMatch(/stopped taking messages from the broker/);
    expect(h.detail).toMatch(/3 points that came while it was full were dropped/);
    expect(store.full()).toBe(true);
    let room = false;
    void store.whenRoom().then(() => { room = true; });
    await new Promise((r) => setTimeout(r, 300)); // whenRoom looks every 250 ms
    expect(room).toBe(false);
    expect(lpFiles()).toEqual([name(1)]);
    expect(readFileSync(join(spoolDir, name(1)), 'utf8')).toBe(lp(kept));
    expect(existsSync(join(spoolDir, name(2)))).toBe(false);

    // InfluxDB back: the store retries by itself, the spool drains, and the same waiter is told there is room again
    influx.write = () => ({ status: 204 });
    await until('room again', () => room, 15_000);
    expect(store.spoolBytes()).toBeLessThan(200 * 0.9);
    expect(store.full()).toBe(false);
  }, 30_000);
});
