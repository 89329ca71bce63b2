// Proves a grid worker's REST reads are scoped like their socket: alerts, devices, history, camera events, rejections and maintenance of their own cells (a supervisor: their district) only, 404 for another cell's alert or device, while viewers read the whole city and the map stays city-wide.
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricsOf, type Alert, type AlertSocketEvent, type CameraSocketEvent, type DeviceView, type MaintenanceWindow, type RejectionsResponse } from '@citygrid/contract';
import { loadCity, type CityDevice } from '@citygrid/contract/node';
import { DEMO_CITY, connectDevice, connectSocket, end, getJson, login, publish, sendJson, startTestSystem, waitFor, type CitySocket } from '../helpers/system.js';

type System = Awaited<ReturnType<typeof startTestSystem>>;
let system: System;
const clients: MqttClient[] = [];
const sockets: CitySocket[] = [];
const demo = loadCity(DEMO_CITY);

/** Per side: a camera and a sensor in the same cell; X and Y in different districts. */
function side(notDistrict?: string): { cam: CityDevice; sensor: CityDevice } {
  for (const cam of demo.devices.filter((d) => d.kind === 'camera' && d.district !== notDistrict)) {
    const sensor = demo.devices.find((d) => d.grid === cam.grid && d.kind !== 'camera');
    if (sensor) return { cam, sensor };
  }
  throw new Error('the demo city has no camera sharing a cell with a sensor');
}
const X = side();
const Y = side(X.cam.district);
const worker = `gw-${X.cam.grid}`;
const supervisor = `sup-${Y.cam.district}`;
const tokens: Record<string, string> = {};
const workerAlerts = new Map<string, Alert>(); // what the worker's socket was sent

/** A valid reading for any sensor kind: each metric at the bottom of its range. */
function reading(d: CityDevice): string {
  const metrics = Object.fromEntries(Object.entries(metricsOf(d.kind)).map(([name, spec]) => [name, spec.type === 'number' ? spec.min : false]));
  return JSON.stringify({ metrics });
}

const get = <T>(path: string, who: string) => getJson<T & { error?: { code: string; message: string } }>(`${system.baseUrl}${path}`, tokens[who]);
const idsOf = (list: { id: string }[]) => list.map((x) => x.id).sort();

beforeAll(async () => {
  system = await startTestSystem();
  for (const who of ['viewer', 'operator', worker, supervisor]) tokens[who] = await login(system.baseUrl, who);
  const socket = await connectSocket(system.baseUrl, tokens[worker]!);
  sockets.push(socket);
  socket.on('alert', (e: AlertSocketEvent) => workerAlerts.set(e.alert.id, e.alert));
  const url = `mqtt://127.0.0.1:${system.mqttPort}`;
  for (const { cam, sensor } of [X, Y]) {
    const c = await connectDevice(url, cam.id);
    const s = await connectDevice(url, sensor.id);
    clients.push(c, s);
    await publish(s, `city/v1/devices/${sensor.id}/telemetry`, reading(sensor));
    await publish(s, `city/v1/devices/${sensor.id}/telemetry`, JSON.stringify({ metrics: { no_such_metric: 1 } })); // refused: unknown_metric
    await publish(c, `city/v1/devices/${cam.id}/event`, JSON.stringify({ type: 'smoke_fire', confidence: 0.95, count: 1 })); // red smoke-fire alert
    const res = await sendJson(`${system.baseUrl}/api/maintenance`, { device: sensor.id, reason: 'calibration', for: '1h' }, tokens.operator);
    expect(res.status).toBe(201);
  }
  // the positive control for everything below: the whole city's data is there, seen by a viewer
  await waitFor(async () => {
    const alerts = (await get<{ alerts: Alert[] }>('/api/alerts?state=all', 'viewer')).body.alerts;
    const events = (await get<{ events: CameraSocketEvent[] }>('/api/camera-events', 'viewer')).body.events;
    const rejections = (await get<RejectionsResponse>('/api/rejections', 'viewer')).body.items;
    return [X, Y].every(({ cam, sensor }) => alerts.some((a) => a.rule === 'smoke-fire' && a.grid === cam.grid)
      && events.some((e) => e.device === cam.id) && rejections.some((r) => r.device === sensor.id));
  }, 'alerts, camera events and rejections in both cells');
});
afterAll(async () => {
  sockets.forEach((s) => s.close());
  await Promise.all(clients.map((c) => end(c)));
  await system?.stop();
});

const inX = (grid: string) => grid === X.cam.grid;

describe("a grid worker's REST reads", () => {
  it('list only the alerts of their own cells, like their socket', async () => {
    const mine = (await get<{ alerts: Alert[] }>('/api/alerts?state=all', worker)).body.alerts;
    expect(mine.some((a) => a.rule === 'smoke-fire' && inX(a.grid))).toBe(true); // positive control
    expect(mine.filter((a) => !inX(a.grid))).toEqual([]);
    expect((await get<{ alerts: Alert[] }>(`/api/alerts?grid=${Y.cam.grid}`, worker)).body.alerts).toEqual([]);
    expect((await get<{ alerts: Alert[] }>(`/api/alerts?grid=${Y.cam.grid}`, 'viewer')).body.alerts.length).toBeGreaterThan(0);
    // the same set the socket was sent (every alert of this run started after it connected)
    await waitFor(() => mine.every((a) => workerAlerts.has(a.id)), "the REST alerts on the worker's socket");
    expect(idsOf([...workerAlerts.values()])).toEqual(idsOf(mine));
  });

  it("answer 404 for another cell's alert, exactly as for an alert that does not exist", async () => {
    const all = (await get<{ alerts: Alert[] }>('/api/alerts?state=all', 'viewer')).body.alerts;
    const theirs = all.find((a) => a.grid === Y.cam.grid)!;
    const own = all.find((a) => inX(a.grid))!;
    expect((await get(`/api/alerts/${own.id}`, worker)).status).toBe(200);
    expect((await get(`/api/alerts/${theirs.id}`, 'viewer')).status).toBe(200);
    const refused = await get(`/api/alerts/${theirs.id}`, worker);
    const missing = await get('/api/alerts/al-no-such-alert', worker);
    expect(refused.status).toBe(404);
    expect(refused.body.error).toEqual({ code: 'CG_ALERT_NOT_FOUND', message: missing.body.error!.message.replace('al-no-such-alert', theirs.id) });
  });

  it('list only the devices of their own cells; another cell\'s device and its history answer 404', async () => {
    const mine = (await get<{ devices: DeviceView[] }>('/api/devices', worker)).body.devices;
    expect(idsOf(mine)).toContain(X.sensor.id);
    expect(mine.filter((d) => !inX(d.grid))).toEqual([]);
    expect(idsOf((await get<{ devices: DeviceView[] }>('/api/devices', 'viewer')).body.devices)).toContain(Y.sensor.id);
    expect((await get<{ devices: DeviceView[] }>(`/api/devices?grid=${Y.cam.grid}`, worker)).body.devices).toEqual([]);

    expect((await get(`/api/devices/${X.sensor.id}`, worker)).status).toBe(200);
    const own = await get<{ series: { points: unknown[] }[] }>(`/api/devices/${X.sensor.id}/readings`, worker);
    expect(own.status).toBe(200);
    expect(own.body.series.some((s) => s.points.length > 0)).toBe(true);
    expect((await get(`/api/devices/${Y.sensor.id}/readings`, 'viewer')).status).toBe(200);
    for (const path of [`/api/devices/${Y.sensor.id}`, `/api/devices/${Y.sensor.id}/readings`]) {
      const res = await get(path, worker);
      expect(res.status, path).toBe(404);
      expect(res.body.error).toEqual({ code: 'CG_DEVICE_NOT_FOUND', message: `No device with id "${Y.sensor.id}"` });
    }
  });

  it('list only the camera events of their own cells', async () => {
    const mine = (await get<{ events: CameraSocketEvent[] }>('/api/camera-events', worker)).body.events;
    expect(mine.some((e) => e.device === X.cam.id)).toBe(true);
    expect(mine.filter((e) => !inX(e.grid))).toEqual([]);
    expect((await get<{ events: CameraSocketEvent[] }>(`/api/camera-events?grid=${Y.cam.grid}`, worker)).body.events).toEqual([]);
    expect((await get<{ events: CameraSocketEvent[] }>(`/api/camera-events?district=${Y.cam.district}`, worker)).body.events).toEqual([]);
    expect((await get<{ events: CameraSocketEvent[] }>(`/api/camera-events?grid=${Y.cam.grid}`, 'viewer')).body.events.length).toBeGreaterThan(0);
  });

  it('list only the rejections of their own devices, and count only those', async () => {
    const mine = (await get<RejectionsResponse>('/api/rejections', worker)).body;
    expect(mine.items.some((r) => r.device === X.sensor.id)).toBe(true);
    expect(mine.items.filter((r) => !r.device || !inX(demo.devicesById.get(r.device)?.grid ?? ''))).toEqual([]);
    expect(mine.total).toBe(mine.items.length);
    expect(mine.byReason).toEqual({ unknown_metric: mine.items.length });
    expect((await get<RejectionsResponse>(`/api/rejections?device=${Y.sensor.id}`, worker)).body.items).toEqual([]);
    expect((await get<RejectionsResponse>(`/api/rejections?device=${Y.sensor.id}`, 'viewer')).body.items.length).toBeGreaterThan(0);
  });

  it('list only the maintenance windows of their own cells', async () => {
    const mine = (await get<{ windows: MaintenanceWindow[] }>('/api/maintenance', worker)).body.windows;
    const all = (await get<{ windows: MaintenanceWindow[] }>('/api/maintenance', 'viewer')).body.windows;
    expect(all.map((w) => w.target)).toEqual(expect.arrayContaining([{ device: X.sensor.id }, { device: Y.sensor.id }]));
    expect(mine.map((w) => w.target)).toEqual([{ device: X.sensor.id }]);
  });

  it('keep the map, rules and scores city-wide', async () => {
    const grid = (await get<{ features: unknown[] }>('/api/grid', worker)).body.features;
    expect(grid).toHaveLength(demo.cells.length);
    expect((await get('/api/rules', worker)).status).toBe(200);
    expect((await get<{ scores: unknown[] }>('/api/scores', worker)).body.scores).toEqual((await get<{ scores: unknown[] }>('/api/scores', 'viewer')).body.scores);
  });
});

describe("a district supervisor's REST reads", () => {
  it('cover every cell of their district and nothing else', async () => {
    const mine = (await get<{ alerts: Alert[] }>('/api/alerts?state=all', supervisor)).body.alerts;
    expect(mine.some((a) => a.grid === Y.cam.grid)).toBe(true);
    expect(mine.filter((a) => a.district !== Y.cam.district)).toEqual([]);
    expect((await get(`/api/devices/${Y.sensor.id}/readings`, supervisor)).status).toBe(200);
    expect((await get(`/api/devices/${X.sensor.id}/readings`, supervisor)).status).toBe(404);
  });
});
