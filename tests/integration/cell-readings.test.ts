// Proves GET /api/cells/:id/readings: a cell's metric is one series over all its devices that measure it
// (each bucket's count-weighted mean, lowest min, highest max, from readings stored over MQTT), every
// numeric metric of the cell by default; the cell's grid worker reads it and another cell's gets 403;
// an unknown cell, a metric the cell lacks and reads too big for one request are refused by code.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceTopic, type CellReadingsResponse } from '@citygrid/contract';
import { DEMO_CITY, connectDevice, end, getJson, login, publish, startTestSystem, tempDir, waitFor } from '../helpers/system.js';

const CELL = 'wuchang-006'; // wl-0001's cell (the underpass), with a rain gauge, a waste bin and a camera
const OTHER = 'jiangan-001';
const STEP = 300_000; // 5 minutes
const city = tempDir('citygrid-city-');
const data = tempDir();
let system: Awaited<ReturnType<typeof startTestSystem>>;
const clients: MqttClient[] = [];
const tokens: Record<string, string> = {};
/** A bucket an hour ago, and the one after it. */
const B = Math.floor((Date.now() - 3_600_000) / STEP) * STEP;

type Answer = CellReadingsResponse & { error?: { code: string } };
const get = (path: string, who = 'operator') => getJson<Answer>(`${system.baseUrl}${path}`, tokens[who]);

beforeAll(async () => {
  cpSync(DEMO_CITY, city.path, { recursive: true });
  // a second water gauge in the cell: wl-0002 moves there from jiangan-001, onto wl-0001's spot
  const devices = readFileSync(join(city.path, 'devices.yaml'), 'utf8');
  const spot = /- id: wl-0001\n {2}kind: water_level\n {2}location: (\[[^\]]*\])/.exec(devices)![1]!;
  const moved = devices.replace(/(- id: wl-0002\n {2}kind: water_level\n {2}location: )\[[^\]]*\]\n {2}grid: jiangan-001/, `$1${spot}\n  grid: ${CELL}`);
  expect(moved).not.toBe(devices);
  writeFileSync(join(city.path, 'devices.yaml'), moved);
  system = await startTestSystem({ CITY_DIR: city.path, DATA_DIR: data.path, SIMULATE: '0' });
  for (const who of ['operator', `gw-${CELL}`, `gw-${OTHER}`]) tokens[who] = await login(system.baseUrl, who);
  const url = `mqtt://127.0.0.1:${system.mqttPort}`;
  const send = async (id: string, points: [number, number][]) => {
    const c = await connectDevice(url, id);
    clients.push(c);
    await publish(c, deviceTopic(id, 'telemetry'), JSON.stringify(points.map(([ts, level]) => ({ ts, metrics: { level_cm: level } }))));
  };
  await send('wl-0001', [[B + 10_000, 10], [B + 70_000, 20], [B + STEP + 10_000, 12]]);
  await send('wl-0002', [[B + 30_000, 40]]);
  await waitFor(async () => (await get(`/api/cells/${CELL}/readings?metric=level_cm&from=${B}&to=${B + 2 * STEP}`)).body.series?.[0]?.points.length === 2, 'both buckets stored');
});

afterAll(async () => {
  await Promise.all(clients.map((c) => end(c)));
  await system?.stop();
  city.remove();
  data.remove();
});

describe('GET /api/cells/:id/readings', () => {
  it('merges the devices of the cell into one series per metric', async () => {
    const { status, body } = await get(`/api/cells/${CELL}/readings?metric=level_cm&from=${B}&to=${B + 2 * STEP}&step=5m`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ grid: CELL, from: B, to: B + 2 * STEP, step: STEP });
    expect(body.series).toHaveLength(1);
    const [s] = body.series;
    expect(s).toMatchObject({ metric: 'level_cm', kind: 'water_level', unit: 'cm', devices: ['wl-0001', 'wl-0002'] });
    expect(s!.points).toHaveLength(2);
    expect(s!.points[0]).toMatchObject({ ts: B, min: 10, max: 40, count: 3 });
    expect(s!.points[0]!.mean).toBeCloseTo((10 + 20 + 40) / 3, 6);
    expect(s!.points[1]).toEqual({ ts: B + STEP, mean: 12, min: 12, max: 12, count: 1 });
  });

  it('gives every numeric metric of the cell without metric=, for the last 24 h', async () => {
    const before = Date.now();
    const { status, body } = await get(`/api/cells/${CELL}/readings`);
    expect(status).toBe(200);
    expect(body.to - body.from).toBe(86_400_000);
    expect(body.to).toBeGreaterThanOrEqual(before);
    const kinds = new Set(system.city.devices.filter((d) => d.grid === CELL).map((d) => d.kind));
    expect(kinds.has('camera')).toBe(true); // no series of its own: cameras send events
    expect(body.series.map((s) => s.metric).sort()).toEqual(['fill_pct', 'level_cm', 'mm_h']);
    expect(body.series.find((s) => s.metric === 'level_cm')!.points.length).toBe(2);
  });

  it("answers the cell's grid worker and refuses another cell's with 403", async () => {
    expect((await get(`/api/cells/${CELL}/readings?metric=level_cm`, `gw-${CELL}`)).status).toBe(200);
    const refused = await get(`/api/cells/${CELL}/readings?metric=level_cm`, `gw-${OTHER}`);
    expect(refused.status).toBe(403);
    expect(refused.body.error?.code).toBe('CG_FORBIDDEN');
    expect(JSON.stringify(refused.body)).not.toContain('level_cm":');
  });

  it('refuses an unknown cell, a metric the cell lacks and too much for one request', async () => {
    const cases: [string, number, string][] = [
      ['/api/cells/no-such-cell/readings', 404, 'CG_GRID_NOT_FOUND'],
      [`/api/cells/${CELL}/readings?metric=pm25`, 400, 'CG_QUERY_INVALID'],
      [`/api/cells/${CELL}/readings?metric=level_cm;drop`, 400, 'CG_QUERY_INVALID'],
      [`/api/cells/${CELL}/readings?step=1s`, 400, 'CG_LIMIT_EXCEEDED'], // 86,400 buckets
      [`/api/cells/${CELL}/readings?from=${Date.now() - 40 * 86_400_000}&step=1d`, 400, 'CG_LIMIT_EXCEEDED'], // 40 days
      [`/api/cells/${CELL}/readings?from=${B}&to=${B - 1}`, 400, 'CG_QUERY_INVALID'],
    ];
    for (const [path, status, code] of cases) {
      const res = await get(path);
      expect([path, res.status, res.body.error?.code]).toEqual([path, status, code]);
    }
  });
});
