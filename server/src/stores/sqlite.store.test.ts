// Proves the embedded SQLite store writes, downsamples, deduplicates, keeps the newest value per series, prunes and survives a reopen.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BucketPoint, RawPoint } from '@citygrid/contract';
import Database from 'better-sqlite3';
import { SqliteStore } from './sqlite.store.js';
import type { ReadingsQuery, StoredCameraEvent, StoredReading } from './store.js';

const T0 = Date.UTC(2026, 4, 1, 8, 0); // aligned to the minute
const S = 1000;
const MIN = 60 * S;

function wl(ts: number, level: number, extra: Partial<StoredReading> = {}): StoredReading {
  return { device: 'wl-1', kind: 'water_level', grid: 'c-a', district: 'east', ts, metrics: { level_cm: level }, ...extra };
}
function ev(device: string, ts: number, grid: string, extra: Partial<StoredCameraEvent> = {}): StoredCameraEvent {
  return { device, ts, type: 'illegal_parking', confidence: 0.9, count: 1, grid, district: grid === 'c-a' ? 'east' : 'west', ...extra };
}
const q = (over: Partial<ReadingsQuery> = {}): ReadingsQuery =>
  ({ device: 'wl-1', kind: 'water_level', metrics: ['level_cm'], from: T0 - MIN, to: T0 + 60 * MIN, step: null, limit: 10_000, ...over });

describe('SqliteStore', () => {
  let dir: string;
  let path: string;
  let store: SqliteStore;
  let written: number;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'citygrid-sqlite-'));
    path = join(dir, 'nested', 'citygrid.db');
    written = 0;
    store = new SqliteStore({ path, onWritten: (readings) => { written += readings; } });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('returns raw points in time order within [from, to)', async () => {
    store.writeReadings([wl(T0 + 2 * S, 12), wl(T0, 10), wl(T0 + S, 11), wl(T0 + 10 * S, 99)]);
    await store.flush();
    expect(written).toBe(4);
    const [series] = await store.queryReadings(q({ from: T0, to: T0 + 10 * S }));
    expect(series).toEqual({ metric: 'level_cm', points: [{ ts: T0, value: 10 }, { ts: T0 + S, value: 11 }, { ts: T0 + 2 * S, value: 12 }] });
  });

  it('reads its own writes without an explicit flush, and honours limit', async () => {
    store.writeReadings([wl(T0, 1), wl(T0 + S, 2), wl(T0 + 2 * S, 3)]);
    const [series] = await store.queryReadings(q({ limit: 2 }));
    expect((series!.points as RawPoint[]).map((p) => p.value)).toEqual([1, 2]);
  });

  it('returns one series per requested metric', async () => {
    store.writeReadings([{ device: 'tr-1', kind: 'traffic', grid: 'c-a', district: 'east', ts: T0, metrics: { flow: 30, speed: 42 } }]);
    const series = await store.queryReadings(q({ device: 'tr-1', metrics: ['flow', 'speed', 'occupancy'] }));
    expect(series).toEqual([
      { metric: 'flow', points: [{ ts: T0, value: 30 }] },
      { metric: 'speed', points: [{ ts: T0, value: 42 }] },
      { metric: 'occupancy', points: [] },
    ]);
  });

  it('downsamples to step with mean/min/max/count per bucket, bucket ts aligned to the step', async () => {
    store.writeReadings([
      wl(T0 + 5 * S, 10), wl(T0 + 20 * S, 20), wl(T0 + 59 * S, 30), // bucket T0
      wl(T0 + MIN + 1, 7), // bucket T0 + 1 min
      wl(T0 + 3 * MIN + 30 * S, 4), wl(T0 + 3 * MIN + 31 * S, 5), // bucket T0 + 3 min
    ]);
    const [series] = await store.queryReadings(q({ from: T0 + 1, to: T0 + 10 * MIN, step: MIN }));
    const points = series!.points as BucketPoint[];
    expect(points).toEqual([
      { ts: T0, mean: 20, min: 10, max: 30, count: 3 },
      { ts: T0 + MIN, mean: 7, min: 7, max: 7, count: 1 },
      { ts: T0 + 3 * MIN, mean: 4.5, min: 4, max: 5, count: 2 },
    ]);
    for (const p of points) {
      expect(p.ts % MIN).toBe(0);
      expect(Number.isInteger(p.ts)).toBe(true);
    }
  });

  it('aligns buckets to a step that does not divide the hour (7 s)', async () => {
    store.writeReadings([wl(T0 + 1, 1), wl(T0 + 8 * S, 2), wl(T0 + 13 * S, 3)]);
    const [series] = await store.queryReadings(q({ from: T0, to: T0 + MIN, step: 7 * S }));
    const points = series!.points as BucketPoint[];
    for (const p of points) expect(p.ts % (7 * S)).toBe(0);
    expect(points.map((p) => p.count).reduce((a, b) => a + b, 0)).toBe(3);
  });

  it('stores boolean metrics as 0/1', async () => {
    const base = { device: 'mh-1', kind: 'manhole_cover' as const, grid: 'c-a', district: 'east' };
    store.writeReadings([
      { ...base, ts: T0, metrics: { open: false, tilt_deg: 1 } },
      { ...base, ts: T0 + S, metrics: { open: true, tilt_deg: 20 } },
    ]);
    const [open] = await store.queryReadings(q({ device: 'mh-1', metrics: ['open'] }));
    expect(open!.points).toEqual([{ ts: T0, value: 0 }, { ts: T0 + S, value: 1 }]);
    const [bucket] = await store.queryReadings(q({ device: 'mh-1', metrics: ['open'], from: T0, to: T0 + MIN, step: MIN }));
    expect(bucket!.points).toEqual([{ ts: T0, mean: 0.5, min: 0, max: 1, count: 2 }]);
    expect(await store.latest()).toContainEqual({ device: 'mh-1', metric: 'open', ts: T0 + S, value: 1 });
  });

  it('does not duplicate a re-written (device, metric, ts)', async () => {
    store.writeReadings([wl(T0, 10, { seq: 1 }), wl(T0 + S, 11, { seq: 2 })]);
    await store.flush();
    store.writeReadings([wl(T0, 10, { seq: 1 }), wl(T0 + S, 11, { seq: 2 })]);
    store.writeReadings([wl(T0, 10, { seq: 1 })]);
    await store.flush();
    const [series] = await store.queryReadings(q());
    expect(series!.points).toEqual([{ ts: T0, value: 10 }, { ts: T0 + S, value: 11 }]);
  });

  it('latest() gives the newest value per device and metric, even when older readings arrive later', async () => {
    store.writeReadings([wl(T0 + 10 * S, 25), wl(T0 + 20 * S, 32, { device: 'wl-2' })]);
    await store.flush();
    store.writeReadings([wl(T0, 5), wl(T0 + 5 * S, 6)]); // late, older
    store.writeReadings([wl(T0 + 30 * S, 33, { device: 'wl-2' })]); // newer
    const latest = await store.latest();
    expect(latest).toHaveLength(2);
    expect(latest).toContainEqual({ device: 'wl-1', metric: 'level_cm', ts: T0 + 10 * S, value: 25 });
    expect(latest).toContainEqual({ device: 'wl-2', metric: 'level_cm', ts: T0 + 30 * S, value: 33 });
  });

  it('writes and queries camera events, newest first, filtered by grid, district and time', async () => {
    store.writeEvents([
      ev('cam-1', T0, 'c-a', { zone: 'gate', seq: 3, count: 4 }),
      ev('cam-1', T0 + MIN, 'c-a', { type: 'crowding' }),
      ev('cam-2', T0 + 2 * MIN, 'c-b'),
      ev('cam-1', T0 + 10 * MIN, 'c-a'),
    ]);
    const inA = await store.queryEvents({ grid: 'c-a', from: T0, to: T0 + 5 * MIN, limit: 100 });
    expect(inA).toEqual([
      { device: 'cam-1', ts: T0 + MIN, type: 'crowding', confidence: 0.9, count: 1, grid: 'c-a', district: 'east' },
      { device: 'cam-1', ts: T0, type: 'illegal_parking', confidence: 0.9, count: 4, grid: 'c-a', district: 'east', zone: 'gate', seq: 3 },
    ]);
    expect((await store.queryEvents({ district: 'west', from: T0, to: T0 + 60 * MIN, limit: 100 })).map((e) => e.device)).toEqual(['cam-2']);
    expect((await store.queryEvents({ from: T0 + MIN, to: T0 + 2 * MIN + 1, limit: 100 })).map((e) => e.ts)).toEqual([T0 + 2 * MIN, T0 + MIN]);
    expect(await store.queryEvents({ from: T0, to: T0 + 60 * MIN, limit: 2 })).toHaveLength(2);
  });

  it('prune() removes only rows older than the cutoff, and keeps the latest values', async () => {
    store.writeReadings([wl(T0, 1), wl(T0 + MIN, 2), wl(T0 + 2 * MIN, 3), wl(T0, 9, { device: 'wl-2' })]);
    store.writeEvents([ev('cam-1', T0, 'c-a'), ev('cam-1', T0 + 2 * MIN, 'c-a')]);
    const removed = await store.prune(T0 + MIN);
    expect(removed).toBe(3); // two readings and one event before T0 + 1 min
    const [series] = await store.queryReadings(q());
    expect(series!.points).toEqual([{ ts: T0 + MIN, value: 2 }, { ts: T0 + 2 * MIN, value: 3 }]);
    const [other] = await store.queryReadings(q({ device: 'wl-2' }));
    expect(other!.points).toEqual([]);
    expect((await store.queryEvents({ from: 0, to: T0 + 60 * MIN, limit: 10 })).map((e) => e.ts)).toEqual([T0 + 2 * MIN]);
    expect(await store.prune(T0 + MIN)).toBe(0);
  });

  it('keeps everything across close() and reopen, including writes queued just before close', async () => {
    store.writeReadings([wl(T0, 10), wl(T0 + S, 11)]);
    await store.flush();
    store.writeReadings([wl(T0 + 2 * S, 12)]); // not flushed yet
    store.writeEvents([ev('cam-1', T0, 'c-a', { zone: 'z' })]);
    await store.close();
    expect(store.health().status).toBe('down');

    store = new SqliteStore({ path });
    const [series] = await store.queryReadings(q());
    expect((series!.points as RawPoint[]).map((p) => p.value)).toEqual([10, 11, 12]);
    expect(await store.latest()).toEqual([{ device: 'wl-1', metric: 'level_cm', ts: T0 + 2 * S, value: 12 }]);
    expect(await store.queryEvents({ from: 0, to: T0 + MIN, limit: 10 })).toEqual([
      { device: 'cam-1', ts: T0, type: 'illegal_parking', confidence: 0.9, count: 1, grid: 'c-a', district: 'east', zone: 'z' },
    ]);
    expect(store.health()).toEqual({ status: 'ok', buffered: 0 });
  });

  it('reports buffered rows in health() until they are written', async () => {
    store.writeReadings([wl(T0, 1), wl(T0 + S, 2)]);
    expect(store.health()).toMatchObject({ status: 'ok', buffered: 2 });
    await store.flush();
    expect(store.health()).toEqual({ status: 'ok', buffered: 0 });
  });

  it('keeps message identities with the readings, across a reopen, and forgets those older than two minutes', async () => {
    const now = Date.now();
    store.writeReadings([wl(now, 1, { seq: 1 })]);
    store.rememberMessage('wl-1\0telemetry\0aaa', now - 3 * MIN); // written long ago: forgotten at the next write
    store.rememberMessage('wl-1\0telemetry\0bbb', now);
    await store.flush();
    expect(await store.recentMessages(now - 2 * MIN)).toEqual([{ key: 'wl-1\0telemetry\0bbb', at: now }]);
    await store.close();
    store = new SqliteStore({ path });
    expect((await store.recentMessages(0)).map((k) => k.key)).toContain('wl-1\0telemetry\0bbb');
  });
});

describe('SqliteStore on a database written by the previous version', () => {
  it('opens it, keeps its rows, adds the recent_messages table and removes zones that are not zone names', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'citygrid-sqlite-old-'));
    const path = join(dir, 'citygrid.db');
    try {
      // the schema as it was before message identities were kept and zones became names (commit 75bf1aa)
      const old = new Database(path);
      old.exec(`CREATE TABLE readings (device TEXT NOT NULL, metric TEXT NOT NULL, ts INTEGER NOT NULL, value REAL NOT NULL, seq INTEGER, PRIMARY KEY (device, metric, ts)) WITHOUT ROWID;
        CREATE TABLE latest (device TEXT NOT NULL, metric TEXT NOT NULL, ts INTEGER NOT NULL, value REAL NOT NULL, PRIMARY KEY (device, metric)) WITHOUT ROWID;
        CREATE TABLE camera_events (device TEXT NOT NULL, ts INTEGER NOT NULL, type TEXT NOT NULL, grid TEXT NOT NULL, district TEXT NOT NULL, confidence REAL NOT NULL, count INTEGER NOT NULL, zone TEXT, seq INTEGER, PRIMARY KEY (device, ts, type)) WITHOUT ROWID;
        INSERT INTO readings VALUES ('wl-1', 'level_cm', ${T0}, 7, 3);
        INSERT INTO latest VALUES ('wl-1', 'level_cm', ${T0}, 7);
        INSERT INTO camera_events VALUES ('cam-1', ${T0}, 'illegal_parking', 'c-a', 'east', 0.9, 1, '鄂A12345', NULL);
        INSERT INTO camera_events VALUES ('cam-1', ${T0 + 1}, 'illegal_parking', 'c-a', 'east', 0.9, 1, 'gate-north', NULL);`);
      old.close();
      const store = new SqliteStore({ path });
      try {
        const [series] = await store.queryReadings(q());
        expect(series!.points).toEqual([{ ts: T0, value: 7 }]);
        expect(await store.recentMessages(0)).toEqual([]);
        // free-text zones from before zone names: the plate number is gone, the zone name stays
        const events = await store.queryEvents({ from: 0, to: T0 + 10, limit: 10 });
        expect(events.map((e) => e.zone ?? null)).toEqual(['gate-north', null]);
        store.rememberMessage('k', Date.now());
        store.writeReadings([wl(T0 + S, 8)]);
        await store.flush();
        expect((await store.recentMessages(0)).map((k) => k.key)).toEqual(['k']);
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
