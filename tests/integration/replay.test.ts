// Proves GET /api/replay against the real server, on SQLite and on InfluxDB: a gauge's readings (sent
// with past times) come back per frame as its cell's status changes (ok, warn, alarm, then offline once
// silent for 10 minutes), with the sensors online and readings stored per frame; an alert open at the
// range's start is given as it was then and its acknowledgement as a transition; a grid worker gets
// only their cells and alerts; every out-of-bounds request is refused with its own code.
import type { MqttClient } from 'mqtt';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceTopic, type Alert, type ReplayResponse } from '@citygrid/contract';
import { startInflux, type TestInflux } from '../helpers/influx.js';
import { connectDevice, DEMO_CITY, end, getJson, login, publish, sendJson, startTestSystem, tempDir, waitFor } from '../helpers/system.js';

const MIN = 60_000;
const GAUGE = 'wl-0001'; // its readings are replayed
const OTHER = 'wl-0002'; // raises a live alert, in another cell
const RULES = `
- id: deep-water
  kind: threshold
  match: { kind: water_level, device: ${OTHER} }
  metric: level_cm
  above: 25
  clear_below: 20
  severity: orange
`;

describe.each(['sqlite', 'influx'] as const)('GET /api/replay (%s)', (store) => {
  const city = tempDir('citygrid-city-');
  let influx: TestInflux | undefined;
  let system: Awaited<ReturnType<typeof startTestSystem>>;
  let gauge: MqttClient;
  let other: MqttClient;
  let token: string;
  let cellA: string;
  let cellB: string;
  /** A whole minute about half an hour ago: the replayed readings' first frame. */
  let base: number;

  const replay = (query: string, as = token) => getJson<ReplayResponse & { error?: { code: string } }>(`${system.baseUrl}/api/replay?${query}`, as);

  beforeAll(async () => {
    cpSync(DEMO_CITY, city.path, { recursive: true });
    writeFileSync(join(city.path, 'rules.yaml'), RULES);
    if (store === 'influx') influx = await startInflux('replay');
    system = await startTestSystem({
      CITY_DIR: city.path, SIMULATE: '0',
      ...(influx ? { STORE: 'influx', INFLUX_URL: influx.url, INFLUX_DATABASE: 'replay' } : {}),
    });
    cellA = system.city.devicesById.get(GAUGE)!.grid;
    cellB = system.city.devicesById.get(OTHER)!.grid;
    token = await login(system.baseUrl, 'operator');
    const mqtt = `mqtt://127.0.0.1:${system.mqttPort}`;
    gauge = await connectDevice(mqtt, GAUGE);
    other = await connectDevice(mqtt, OTHER);
    base = Math.floor((Date.now() - 30 * MIN) / MIN) * MIN;
    // frame 0: 10 cm (ok), frame 1: 20 cm (warn), frame 2: 12 cm then 35 cm (alarm: the worst of the frame), then silence
    const levels: [number, number][] = [[10_000, 10], [70_000, 20], [125_000, 12], [130_000, 35]];
    for (const [at, level] of levels) await publish(gauge, deviceTopic(GAUGE, 'telemetry'), JSON.stringify({ ts: base + at, metrics: { level_cm: level } }));
  });

  afterAll(async () => {
    await end(gauge);
    await end(other);
    await system?.stop();
    await influx?.remove();
    city.remove();
  });

  it('gives each frame the cell status its readings make, and the sensors online and readings stored', async () => {
    const sensorsA = system.city.devices.filter((d) => d.grid === cellA && d.kind !== 'camera').length;
    const { status, body } = await waitFor(async () => {
      const r = await replay(`from=${base}&to=${base + 20 * MIN}&step=1m`);
      return r.body.cells?.[cellA]?.length === 4 ? r : undefined; // InfluxDB: once the spool has written them
    }, 'the readings in the replay', 30_000, 250);
    expect(status).toBe(200);
    expect(body).toMatchObject({ from: base, to: base + 20 * MIN, step: MIN, buckets: 20 });
    expect(body.cells[cellA]).toEqual([
      [0, 'ok', sensorsA, 1, 0, 0],
      [1, 'warn', sensorsA, 1, 0, 1],
      [2, 'alarm', sensorsA, 1, 1, 0],
      // silent for 10 minutes (frames 2..11 within the window): offline; the cell's other sensors never reported
      [12, 'offline', sensorsA, 0, 0, 0],
    ]);
    // every cell of the city is there; one that never reported is offline, one without sensors 'none'
    expect(Object.keys(body.cells).sort()).toEqual(system.city.cells.map((c) => c.id).sort());
    expect(body.sensors).toBe(system.city.devices.filter((d) => d.kind !== 'camera').length);
    expect(body.online.slice(0, 13)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0]);
    expect(body.readings.slice(0, 4)).toEqual([1, 1, 2, 0]);
    // a from that is not a whole frame starts at the frame it is in
    const shifted = await replay(`from=${base + 25_000}&to=${base + 20 * MIN}&step=1m`);
    expect(shifted.body.from).toBe(base);
  });

  it('gives an alert open at the start as it was then, and its later transitions', async () => {
    await publish(other, deviceTopic(OTHER, 'telemetry'), JSON.stringify({ metrics: { level_cm: 40 } }));
    const alert = await waitFor(async () => (await getJson<{ alerts: Alert[] }>(`${system.baseUrl}/api/alerts`, token)).body.alerts.find((a) => a.rule === 'deep-water' && a.state === 'firing'), 'the alert');
    // a whole second after it fired and before it is acknowledged (a replay starts at a whole frame)
    const between = Math.ceil((Date.now() + 1) / 1000) * 1000;
    await new Promise((r) => setTimeout(r, between + 20 - Date.now()));
    expect((await sendJson(`${system.baseUrl}/api/alerts/${alert.id}/ack`, { note: 'on my way' }, token)).status).toBe(200);
    const { status, body } = await replay(`from=${between}&to=${Date.now() + 1}&step=1s`);
    expect(status).toBe(200);
    expect(body.from).toBe(between);
    expect(body.alerts.find((a) => a.id === alert.id)).toMatchObject({ state: 'firing', acknowledgedBy: null });
    expect(body.events.filter((e) => e.alert.id === alert.id).map((e) => [e.type, e.alert.state, e.actor, e.note])).toEqual([['acknowledged', 'acknowledged', 'operator', 'on my way']]);
    // before it fired: not open, and its firing is a transition of the range
    const earlier = await replay(`from=${alert.startedAt - 5_000}&to=${Date.now() + 1}`);
    expect(earlier.body.alerts.some((a) => a.id === alert.id)).toBe(false);
    expect(earlier.body.events.filter((e) => e.alert.id === alert.id).map((e) => e.type)).toEqual(['firing', 'acknowledged']);

    // a grid worker: their own cell only, and not the other cell's alert
    const worker = system.city.people.find((p) => p.role === 'gridworker' && p.grids?.length === 1 && p.grids[0] === cellA && !p.districts?.length)!;
    const mine = await replay(`from=${alert.startedAt - 5_000}&to=${Date.now() + 1}`, await login(system.baseUrl, worker.username));
    expect(mine.status).toBe(200);
    expect(Object.keys(mine.body.cells)).toEqual([cellA]);
    expect(mine.body.sensors).toBe(system.city.devices.filter((d) => d.grid === cellA && d.kind !== 'camera').length);
    expect([...mine.body.alerts, ...mine.body.events.map((e) => e.alert)].some((a) => a.grid === cellB)).toBe(false);
    expect(earlier.body.events.some((e) => e.alert.grid === cellB)).toBe(true); // the control: the operator sees it
  });

  it('refuses what it does not serve, each with its own code', async () => {
    const now = Date.now();
    const refused = async (query: string) => {
      const r = await replay(query);
      return [r.status, r.body.error?.code];
    };
    expect(await refused(`from=${now - 25 * 60 * MIN}&to=${now}`)).toEqual([400, 'CG_LIMIT_EXCEEDED']); // over 24 h
    expect(await refused(`from=${now - 60 * MIN}&to=${now}&step=1s`)).toEqual([400, 'CG_LIMIT_EXCEEDED']); // 3,600 frames
    expect(await refused(`from=${now + 60 * MIN}&to=${now + 120 * MIN}`)).toEqual([400, 'CG_QUERY_INVALID']); // the future
    expect(await refused(`from=${now}&to=${now - MIN}`)).toEqual([400, 'CG_QUERY_INVALID']);
    expect(await refused('step=500ms')).toEqual([400, 'CG_QUERY_INVALID']);
    expect(await refused('from=yesterday')).toEqual([400, 'CG_QUERY_INVALID']);
    expect((await replay('', '')).status).toBe(401);
    // the defaults: the last hour, in frames of 5 s
    const fine = await replay('');
    expect(fine.status).toBe(200);
    expect([fine.body.step, fine.body.buckets]).toEqual([5_000, 721 - (fine.body.to % 5_000 === 0 ? 1 : 0)]);
  });
});
