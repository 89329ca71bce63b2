// Proves the pipeline's steps in order on one message: a valid reading reaches the store, the rules
// and the live feed once; a copy of an identifiable message (or one marked DUP) stops at dedupe and
// is counted; a repeat that cannot be told from a new reading is taken; readings without ts get
// distinct receipt times.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { deviceTopic, type Rejection } from '@citygrid/contract';
import { loadCity } from '@citygrid/contract/node';
import { DeviceRegistry } from '../live/device-registry.js';
import { createMetrics } from '../metrics.js';
import type { Observation } from '../rules/types.js';
import type { StoredCameraEvent, StoredReading, TimeSeriesStore } from '../stores/store.js';
import { createPipeline, type Pipeline } from './index.js';
import { RecentMessages } from './recent-messages.js';

const T = Date.UTC(2026, 4, 1, 8, 0);
const dir = mkdtempSync(join(tmpdir(), 'citygrid-pipeline-'));
const ring = [[114, 30], [114.01, 30], [114.01, 30.01], [114, 30.01], [114, 30]];
writeFileSync(join(dir, 'grid.geojson'), JSON.stringify({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: { id: 'c-1', name: 'c-1', district: 'east' }, geometry: { type: 'Polygon', coordinates: [ring] } }] }));
writeFileSync(join(dir, 'devices.yaml'), stringify([
  { id: 'wl-1', kind: 'water_level', location: [114.005, 30.005], secret_hash: 'scrypt$10$8$1$c2FsdA==$aGFzaA==' },
  { id: 'cam-1', kind: 'camera', location: [114.006, 30.005], secret_hash: 'scrypt$10$8$1$c2FsdA==$aGFzaA==' },
]));
const city = loadCity(dir);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let rows: StoredReading[];
let events: StoredCameraEvent[];
let observations: Observation[];
let fed: number;
let refused: Rejection[];
let metrics: ReturnType<typeof createMetrics>;
let pipeline: Pipeline;

beforeEach(() => {
  rows = [];
  events = [];
  observations = [];
  fed = 0;
  refused = [];
  metrics = createMetrics();
  const store = { writeReadings: (r: StoredReading[]) => rows.push(...r), writeEvents: (e: StoredCameraEvent[]) => events.push(...e) } as unknown as TimeSeriesStore;
  pipeline = createPipeline({
    alerts: { observe: (o) => observations.push(...o) },
    registry: new DeviceRegistry(city),
    store,
    feed: { reading: () => fed++, deviceStatus: () => undefined, cameraEvent: () => fed++ },
    metrics,
    logger: pino({ level: 'silent' }),
    recent: new RecentMessages(),
  }, (r) => refused.push(r));
});

const send = (payload: unknown, at = T, dup = false, id = 'wl-1', channel: 'telemetry' | 'event' = 'telemetry') =>
  pipeline.offerTopic(deviceTopic(id, channel), Buffer.from(JSON.stringify(payload)), at, dup);
const duplicates = async (channel = 'telemetry') => (await metrics.duplicates.get()).values.find((v) => v.labels.channel === channel)?.value ?? 0;

describe('pipeline', () => {
  it('takes a valid reading once through store, rules and live feed', async () => {
    send({ ts: T - 5, seq: 1, metrics: { level_cm: 3 } });
    expect(rows).toMatchObject([{ device: 'wl-1', ts: T - 5, seq: 1, metrics: { level_cm: 3 }, grid: 'c-1' }]);
    expect(observations).toMatchObject([{ type: 'reading', ts: T - 5, metrics: { level_cm: 3 } }]);
    expect(fed).toBe(1);
    expect(refused).toEqual([]);
    expect(await duplicates()).toBe(0);
  });

  it.each([
    { what: 'with ts', payload: { ts: T - 5, metrics: { level_cm: 3 } } },
    { what: 'with seq only', payload: { seq: 7, metrics: { level_cm: 3 } } },
    { what: 'a batch whose every item has ts or seq', payload: [{ ts: T - 9, metrics: { level_cm: 1 } }, { seq: 8, metrics: { level_cm: 2 } }] },
  ])('stops a copy of a message $what at dedupe, and counts it', async ({ payload }) => {
    send(payload);
    const taken = { rows: rows.length, observations: observations.length, fed };
    send(payload, T + 3000); // the device re-sent it after a reconnect, without DUP
    expect({ rows: rows.length, observations: observations.length, fed }).toEqual(taken);
    expect(await duplicates()).toBe(1);
    expect(refused).toEqual([]);
  });

  it('stops a copied camera event, so a count rule sees it once', async () => {
    const event = { ts: T - 5, type: 'road_obstruction', confidence: 0.9 };
    send(event, T, false, 'cam-1', 'event');
    send(event, T + 2000, false, 'cam-1', 'event');
    expect(events).toHaveLength(1);
    expect(observations).toHaveLength(1);
    expect(fed).toBe(1);
    expect(await duplicates('event')).toBe(1);
  });

  it('takes a repeat of a reading without ts or seq (a stuck sensor), unless the copy says DUP', async () => {
    const payload = { metrics: { level_cm: 3 } };
    send(payload, T);
    send(payload, T + 5000); // five seconds later, the same value again: a new reading
    expect(rows.map((r) => r.ts)).toEqual([T, T + 5000]);
    send(payload, T + 5001, true); // the last one again, marked DUP by the device
    expect(rows).toHaveLength(2);
    expect(observations).toHaveLength(2);
    expect(await duplicates()).toBe(1);
  });

  it('takes the same bytes again once the window has passed', async () => {
    const payload = { seq: 1, metrics: { level_cm: 3 } };
    send(payload, T);
    send(payload, T + 2 * 60_000 + 1); // a device that restarted its seq long after
    expect(rows).toHaveLength(2);
  });

  it('stamps readings without ts with distinct, rising receipt times', () => {
    send({ metrics: { level_cm: 1 } }, T);
    send([{ metrics: { level_cm: 2 } }, { metrics: { level_cm: 3 } }], T);
    send({ ts: T - 60_000, metrics: { level_cm: 4 } }, T); // its own ts stays
    expect(rows.map((r) => [r.ts, r.metrics.level_cm])).toEqual([[T, 1], [T + 1, 2], [T + 2, 3], [T - 60_000, 4]]);
  });

  it('refuses a bad copy each time it comes (refusals are not deduplicated)', () => {
    send({ ts: T - 5, metrics: { level_cm: 'deep' } });
    send({ ts: T - 5, metrics: { level_cm: 'deep' } }, T + 1000);
    expect(refused.map((r) => r.reason)).toEqual(['wrong_type', 'wrong_type']);
    expect(rows).toEqual([]);
  });
});
