// One contract, two stores: SQLite and a real InfluxDB answer the same writes with the same reads
// (raw, downsampled, streamed for exports, latest, camera events, ordering, idempotent re-writes, retention, restart).
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfluxStore, SqliteStore, type StoredCameraEvent, type StoredReading, type TimeSeriesStore } from '@citygrid/server';
import { startInflux, type TestInflux } from '../helpers/influx.js';
import { tempDir } from '../helpers/system.js';

const MIN = 60_000;
const T0 = Math.floor((Date.now() - 60 * MIN) / MIN) * MIN; // an hour ago, on a minute boundary
const logger = pino({ level: 'silent' });

function reading(device: string, ts: number, metrics: StoredReading['metrics'], extra: Partial<StoredReading> = {}): StoredReading {
  const kind = device.startsWith('mh') ? 'manhole_cover' : 'water_level';
  return { device, kind, grid: 'jianghan-001', district: 'jianghan', ts, metrics, ...extra };
}
function event(device: string, ts: number, grid: string, extra: Partial<StoredCameraEvent> = {}): StoredCameraEvent {
  return { device, ts, type: 'illegal_parking', confidence: 0.8, count: 1, grid, district: 'jianghan', ...extra };
}

interface Backend { name: string; open(): Promise<TimeSeriesStore>; reopen(): Promise<TimeSeriesStore>; cleanup(): Promise<void>; retentionApplied(): Promise<boolean> }


function sqliteBackend(): Backend {
  const dir = tempDir();
  const open = async () => new SqliteStore({ path: join(dir.path, 'citygrid.db') });
  let store: SqliteStore | null = null;
  return {
    name: 'sqlite',
    open: async () => (store = (await open()) as SqliteStore),
    reopen: async () => (store = (await open()) as SqliteStore),
    cleanup: async () => dir.remove(),
    // SQLite prunes on a timer: prune(cutoff) must remove what is older and keep the rest
    retentionApplied: async () => {
      const old = T0 - 40 * 24 * 60 * MIN;
      store!.writeReadings([reading('wl-9', old, { level_cm: 1 }), reading('wl-9', T0, { level_cm: 2 })]);
      store!.writeEvents([event('cam-9', old, 'jianghan-009')]);
      await store!.flush();
      const removed = await store!.prune(T0 - 30 * 24 * 60 * MIN);
      const [left] = await store!.queryReadings({ device: 'wl-9', kind: 'water_level', metrics: ['level_cm'], from: 0, to: T0 + MIN, step: null, limit: 10 });
      const events = await store!.queryEvents({ grid: 'jianghan-009', from: 0, to: T0 + MIN, limit: 10 });
      return removed === 2 && left!.points.length === 1 && left!.points[0]!.ts === T0 && events.length === 0;
    },
  };
}

function influxBackend(): Backend {
  const dir = tempDir();
  let influx: TestInflux;
  const open = async () => {
    influx ??= await startInflux('contract');
    const s = new InfluxStore({ url: influx.url, token: null, database: 'contract', spoolDir: join(dir.path, 'spool'), spoolMaxBytes: 64 * 1_048_576, retentionMs: 30 * 24 * 3_600_000, logger, flushIntervalMs: 50 });
    await s.init();
    return s;
  };
  return {
    name: 'influx',
    open, reopen: open,
    cleanup: async () => { await influx?.remove(); dir.remove(); },
    retentionApplied: async () => {
      const [r] = await influx.query('SHOW RETENTION POLICIES ON contract');
      const def = r!.series![0]!.values.find((v) => v[4] === true)!;
      return def[1] === '720h0m0s';
    },
  };
}

const backends = [sqliteBackend(), influxBackend()];

describe.each(backends)('$name store', (backend) => {
  let store: TimeSeriesStore;
  beforeAll(async () => {
    store = await backend.open();
    store.writeReadings([
      reading('wl-1', T0 + 30_000, { level_cm: 20 }),
      reading('wl-1', T0, { level_cm: 10 }, { seq: 1 }),
      reading('wl-1', T0 + 50_000, { level_cm: 30 }),
      reading('wl-1', T0 + 90_000, { level_cm: 5 }),
      reading('wl-1', T0 + 100_000, { level_cm: 7 }),
      reading('wl-2', T0 + 5_000, { level_cm: 99 }),
      reading('mh-1', T0, { tilt_deg: 1.5, open: false }),
      reading('mh-1', T0 + 60_000, { tilt_deg: 20, open: true }),
    ]);
    // an older reading that arrives late must not become the latest
    store.writeReadings([reading('wl-1', T0 - 60_000, { level_cm: 55 })]);
    // the same point again (a QoS 1 re-delivery) must not double
    store.writeReadings([reading('wl-1', T0 + 30_000, { level_cm: 20 })]);
    store.writeEvents([
      event('cam-1', T0 + 1000, 'jianghan-001'),
      event('cam-1', T0 + 2000, 'jianghan-001', { type: 'crowding', count: 12, zone: 'north-gate' }),
      event('cam-2', T0 + 3000, 'jianghan-002', { seq: 7 }),
    ]);
    await store.flush();
  });
  afterAll(async () => {
    await store?.close();
    await backend.cleanup();
  });

  it('reads raw readings back in time order, each once', async () => {
    const [series] = await store.queryReadings({ device: 'wl-1', kind: 'water_level', metrics: ['level_cm'], from: T0 - 2 * MIN, to: T0 + 10 * MIN, step: null, limit: 100 });
    expect(series!.points).toEqual([
      { ts: T0 - 60_000, value: 55 }, { ts: T0, value: 10 }, { ts: T0 + 30_000, value: 20 },
      { ts: T0 + 50_000, value: 30 }, { ts: T0 + 90_000, value: 5 }, { ts: T0 + 100_000, value: 7 },
    ]);
  });

  it('honours the time range (from inclusive, to exclusive) and the limit', async () => {
    const [series] = await store.queryReadings({ device: 'wl-1', kind: 'water_level', metrics: ['level_cm'], from: T0, to: T0 + 50_000, step: null, limit: 100 });
    expect(series!.points.map((p) => p.ts)).toEqual([T0, T0 + 30_000]);
    const [limited] = await store.queryReadings({ device: 'wl-1', kind: 'water_level', metrics: ['level_cm'], from: T0 - 2 * MIN, to: T0 + 10 * MIN, step: null, limit: 2 });
    expect(limited!.points).toHaveLength(2);
  });

  it('downsamples to mean/min/max/count per step, buckets aligned to the step', async () => {
    const [series] = await store.queryReadings({ device: 'wl-1', kind: 'water_level', metrics: ['level_cm'], from: T0, to: T0 + 2 * MIN, step: MIN, limit: 100 });
    expect(series!.points).toEqual([
      { ts: T0, mean: 20, min: 10, max: 30, count: 3 },
      { ts: T0 + MIN, mean: 6, min: 5, max: 7, count: 2 },
    ]);
  });

  it('keeps booleans as 0/1 and answers several metrics at once', async () => {
    const result = await store.queryReadings({ device: 'mh-1', kind: 'manhole_cover', metrics: ['tilt_deg', 'open'], from: T0, to: T0 + 2 * MIN, step: null, limit: 10 });
    expect(result).toEqual([
      { metric: 'tilt_deg', points: [{ ts: T0, value: 1.5 }, { ts: T0 + MIN, value: 20 }] },
      { metric: 'open', points: [{ ts: T0, value: 0 }, { ts: T0 + MIN, value: 1 }] },
    ]);
  });

  it('streams every raw reading for an export: metric by metric as asked, each in time order, in chunks, and stops when left', async () => {
    const n = 12_345; // more than two chunks
    store.writeReadings(Array.from({ length: n }, (_, i) => reading('wl-5', T0 + i * 100, { level_cm: i % 1000 })));
    await store.flush();
    const chunks: { metric: string; points: { ts: number; value: number }[] }[] = [];
    for await (const c of store.streamReadings({ device: 'wl-5', kind: 'water_level', metrics: ['level_cm'], from: T0, to: T0 + n * 100 })) chunks.push(c);
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks.every((c) => c.metric === 'level_cm' && c.points.length > 0 && c.points.length <= 5000)).toBe(true);
    const points = chunks.flatMap((c) => c.points);
    expect(points).toHaveLength(n);
    expect(points.every((p, i) => p.ts === T0 + i * 100 && p.value === i % 1000)).toBe(true);
    // to exclusive, from inclusive; several metrics in the order asked
    const two: unknown[] = [];
    for await (const c of store.streamReadings({ device: 'mh-1', kind: 'manhole_cover', metrics: ['open', 'tilt_deg'], from: T0, to: T0 + MIN + 1 })) two.push(c);
    expect(two).toEqual([{ metric: 'open', points: [{ ts: T0, value: 0 }, { ts: T0 + MIN, value: 1 }] }, { metric: 'tilt_deg', points: [{ ts: T0, value: 1.5 }, { ts: T0 + MIN, value: 20 }] }]);
    // leaving after the first chunk ends the read; the store goes on writing and answering
    for await (const c of store.streamReadings({ device: 'wl-5', kind: 'water_level', metrics: ['level_cm'], from: T0, to: T0 + n * 100 })) {
      expect(c.points[0]!.ts).toBe(T0);
      break;
    }
    store.writeReadings([reading('wl-5', T0 + n * 100, { level_cm: 1 })]);
    await store.flush();
    const [after] = await store.queryReadings({ device: 'wl-5', kind: 'water_level', metrics: ['level_cm'], from: T0 + (n - 1) * 100, to: T0 + (n + 1) * 100, step: null, limit: 10 });
    expect(after!.points.map((p) => p.ts)).toEqual([T0 + (n - 1) * 100, T0 + n * 100]);
  });

  it('gives the newest value of every metric of every device', async () => {
    const latest = await store.latest();
    const find = (device: string, metric: string) => latest.find((l) => l.device === device && l.metric === metric);
    expect(find('wl-1', 'level_cm')).toEqual({ device: 'wl-1', metric: 'level_cm', ts: T0 + 100_000, value: 7 });
    expect(find('wl-2', 'level_cm')).toMatchObject({ ts: T0 + 5_000, value: 99 });
    expect(find('mh-1', 'open')).toMatchObject({ ts: T0 + MIN, value: 1 });
  });

  it('finds camera events by grid and time, newest first, with every field', async () => {
    const all = await store.queryEvents({ from: T0, to: T0 + MIN, limit: 10 });
    expect(all.map((e) => e.ts)).toEqual([T0 + 3000, T0 + 2000, T0 + 1000]);
    const cell = await store.queryEvents({ grid: 'jianghan-001', from: T0, to: T0 + MIN, limit: 10 });
    expect(cell).toEqual([
      { device: 'cam-1', ts: T0 + 2000, type: 'crowding', confidence: 0.8, count: 12, zone: 'north-gate', grid: 'jianghan-001', district: 'jianghan' },
      { device: 'cam-1', ts: T0 + 1000, type: 'illegal_parking', confidence: 0.8, count: 1, grid: 'jianghan-001', district: 'jianghan' },
    ]);
    const other = await store.queryEvents({ grid: 'jianghan-002', from: T0, to: T0 + MIN, limit: 10 });
    expect(other).toEqual([{ device: 'cam-2', ts: T0 + 3000, type: 'illegal_parking', confidence: 0.8, count: 1, seq: 7, grid: 'jianghan-002', district: 'jianghan' }]);
  });

  it('applies the retention period', async () => {
    expect(await backend.retentionApplied()).toBe(true);
  });

  it('still has everything after a restart', async () => {
    await store.close();
    store = await backend.reopen();
    const [series] = await store.queryReadings({ device: 'wl-1', kind: 'water_level', metrics: ['level_cm'], from: T0, to: T0 + 10 * MIN, step: null, limit: 100 });
    expect(series!.points).toHaveLength(5);
    expect((await store.latest()).length).toBeGreaterThanOrEqual(4);
  });
});
