// Proves the embedded broker + server + SQLite path: readings published over MQTT come back from REST
// and Socket.IO (camera events too), and every kind of bad input is refused with its own reason without
// disturbing others.
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  deviceTopic, type CameraSocketEvent, type DevicesResponse, type ReadingEvent, type ReadingsResponse,
  type Rejection, type RejectionsResponse,
} from '@citygrid/contract';
import {
  connectDevice, connectSocket, end, getJson, login, nextMessage, publish, startTestSystem, subscribe, waitFor, type CitySocket,
} from '../helpers/system.js';

let system: Awaited<ReturnType<typeof startTestSystem>>;
let mqttUrl: string;
let air: MqttClient;
let water: MqttClient;
let camera: MqttClient;
let socket: CitySocket;
let token: string;

async function rejectionsFor(device: string): Promise<Rejection[]> {
  const { body } = await getJson<RejectionsResponse>(`${system.baseUrl}/api/rejections?device=${device}&limit=1000`, token);
  return body.items;
}

beforeAll(async () => {
  system = await startTestSystem();
  mqttUrl = `mqtt://127.0.0.1:${system.mqttPort}`;
  [air, water, camera] = await Promise.all([connectDevice(mqttUrl, 'aq-0001'), connectDevice(mqttUrl, 'wl-0001'), connectDevice(mqttUrl, 'cam-0001')]);
  await Promise.all([subscribe(air, deviceTopic('aq-0001', 'rejections')), subscribe(camera, deviceTopic('cam-0001', 'rejections'))]);
  token = await login(system.baseUrl, 'viewer');
  socket = await connectSocket(system.baseUrl, token);
});

afterAll(async () => {
  socket?.close();
  await Promise.all([end(air), end(water), end(camera)]);
  await system?.stop();
});

describe('a device publishing over MQTT', () => {
  it('is stored, listed with its latest value, and pushed over Socket.IO', async () => {
    const seen = new Promise<ReadingEvent>((res) => {
      socket.on('reading', (e) => { if (e.device === 'wl-0001' && e.metrics.level_cm === 12.5) res(e); });
    });
    const ts = Date.now() - 1000;
    await publish(water, deviceTopic('wl-0001', 'telemetry'), JSON.stringify({ ts, metrics: { level_cm: 12.5 }, seq: 1 }));

    const event = await seen;
    expect(event).toMatchObject({ device: 'wl-0001', kind: 'water_level', ts, condition: 'ok' });
    expect(event.grid).toBeTruthy();

    const history = await waitFor(async () => {
      const { body } = await getJson<ReadingsResponse>(`${system.baseUrl}/api/devices/wl-0001/readings?metric=level_cm&from=${ts - 1}`, token);
      return body.series[0]!.points.length ? body : null;
    }, 'reading in REST history');
    expect(history.series[0]!.points).toEqual([{ ts, value: 12.5 }]);

    const { body } = await getJson<DevicesResponse>(`${system.baseUrl}/api/devices`, token);
    const wl = body.devices.find((d) => d.id === 'wl-0001')!;
    expect(wl.latest.level_cm).toEqual({ value: 12.5, ts });
    expect(wl.online).toBe(true);
  });

  it('downsamples history to the requested step', async () => {
    const base = Math.floor((Date.now() - 10 * 60_000) / 60_000) * 60_000;
    const batch = [0, 10, 20, 70, 80].map((s, i) => ({ ts: base + s * 1000, metrics: { level_cm: [10, 20, 30, 5, 7][i]! } }));
    await publish(water, deviceTopic('wl-0001', 'telemetry'), JSON.stringify(batch));
    const body = await waitFor(async () => {
      const r = await getJson<ReadingsResponse>(`${system.baseUrl}/api/devices/wl-0001/readings?metric=level_cm&from=${base}&to=${base + 120_000}&step=1m`, token);
      return r.body.series[0]!.points.length === 2 ? r.body : null;
    }, 'two one-minute buckets');
    expect(body.step).toBe(60_000);
    expect(body.series[0]!.points).toEqual([
      { ts: base, mean: 20, min: 10, max: 30, count: 3 },
      { ts: base + 60_000, mean: 6, min: 5, max: 7, count: 2 },
    ]);
  });

  it('stores camera events (no images), pushes and lists them, and refuses one carrying an image or a plate number', async () => {
    const cam = system.city.devicesById.get('cam-0001')!;
    const live = new Promise<CameraSocketEvent>((res) => socket.on('camera-event', (e) => { if (e.device === 'cam-0001') res(e); }));
    await publish(camera, deviceTopic('cam-0001', 'event'), JSON.stringify({ type: 'illegal_parking', confidence: 0.9, count: 2, zone: 'north-gate' }));
    expect(await live).toEqual({ device: 'cam-0001', grid: cam.grid, district: cam.district, ts: expect.any(Number), type: 'illegal_parking', confidence: 0.9, count: 2, zone: 'north-gate' });
    const listed = await getJson<{ events: CameraSocketEvent[] }>(`${system.baseUrl}/api/camera-events?grid=${cam.grid}`, token);
    expect(listed.body.events).toEqual([expect.objectContaining({ device: 'cam-0001', type: 'illegal_parking', count: 2, zone: 'north-gate' })]);
    for (const extra of [{ image: 'data:image/jpeg;base64,/9j/4AAQ' }, { plate: '鄂A12345' }]) {
      const refused = nextMessage(camera, deviceTopic('cam-0001', 'rejections'), (p) => p.includes('unknown_property'));
      await publish(camera, deviceTopic('cam-0001', 'event'), JSON.stringify({ type: 'illegal_parking', confidence: 0.9, ...extra }));
      const rejection = JSON.parse(await refused) as Rejection;
      expect(rejection.reason).toBe('unknown_property');
      expect(rejection.message).toContain(Object.keys(extra)[0]);
    }
    const events = await system.store.queryEvents({ from: 0, to: Date.now() + 1000, limit: 10, grid: system.city.devicesById.get('cam-0001')!.grid });
    expect(events.filter((e) => e.device === 'cam-0001')).toHaveLength(1);
  });
});

describe('bad input', () => {
  const cases: [string, string | Buffer, string][] = [
    ['malformed JSON', '{"metrics": {', 'malformed_json'],
    ['a metric not in the catalogue', JSON.stringify({ metrics: { level_cm: 3 } }), 'unknown_metric'],
    ['a value of the wrong type', JSON.stringify({ metrics: { pm25: 'high' } }), 'wrong_type'],
    ['a value outside the plausible range', JSON.stringify({ metrics: { pm25: 5000 } }), 'out_of_range'],
    ['ts more than 5 minutes in the future', JSON.stringify({ ts: Date.now() + 3_600_000, metrics: { pm25: 10 } }), 'ts_in_future'],
    ['a batch over 500', JSON.stringify(Array.from({ length: 501 }, () => ({ metrics: { pm25: 10 } }))), 'batch_too_large'],
    ['a payload over 64 KiB', Buffer.alloc(70 * 1024, 0x20), 'payload_too_large'],
  ];

  it.each(cases)('refuses %s with its own reason, tells the device, and lists it', async (_name, payload, reason) => {
    const told = nextMessage(air, deviceTopic('aq-0001', 'rejections'), (p) => (JSON.parse(p) as Rejection).reason === reason);
    await publish(air, deviceTopic('aq-0001', 'telemetry'), payload);
    const rejection = JSON.parse(await told) as Rejection;
    expect(rejection).toMatchObject({ device: 'aq-0001', reason });
    expect(rejection.message.length).toBeGreaterThan(10);
    const listed = await waitFor(async () => (await rejectionsFor('aq-0001')).find((r) => r.reason === reason && r.ts === rejection.ts), `${reason} in /api/rejections`);
    expect(listed.by).toBe(reason === 'payload_too_large' ? 'broker' : 'server');
  });

  it('refuses publishing under another device id (and stores nothing for it)', async () => {
    const told = nextMessage(air, deviceTopic('aq-0001', 'rejections'), (p) => p.includes('foreign_topic'));
    await publish(air, deviceTopic('aq-0002', 'telemetry'), JSON.stringify({ metrics: { pm25: 99 } }));
    expect((JSON.parse(await told) as Rejection).reason).toBe('foreign_topic');
    // the control: the same device's next, good reading is stored (the forged one, had it gone
    // through, would have reached the server before it)
    const ts = Date.now();
    await publish(air, deviceTopic('aq-0001', 'telemetry'), JSON.stringify({ ts, metrics: { pm25: 98 } }));
    await waitFor(async () => {
      const [own] = await system.store.queryReadings({ device: 'aq-0001', kind: 'air_quality', metrics: ['pm25'], from: ts, to: ts + 1, step: null, limit: 10 });
      return own!.points.length === 1;
    }, "aq-0001's own reading stored");
    const series = await system.store.queryReadings({ device: 'aq-0002', kind: 'air_quality', metrics: ['pm25'], from: 0, to: Date.now() + 1000, step: null, limit: 10 });
    expect(series[0]!.points.some((p) => 'value' in p && p.value === 99)).toBe(false);
  });

  it('refuses a wrong password and an unknown device at connect, and lists both', async () => {
    await expect(connectDevice(mqttUrl, 'aq-0003', 'not-the-secret')).rejects.toThrow(/bad username or password/i);
    await expect(connectDevice(mqttUrl, 'no-such-device', 'whatever')).rejects.toThrow(/not authorized/i);
    await waitFor(async () => (await rejectionsFor('aq-0003')).some((r) => r.reason === 'bad_credentials'), 'bad_credentials listed');
    await waitFor(async () => (await rejectionsFor('no-such-device')).some((r) => r.reason === 'unknown_device'), 'unknown_device listed');
    const { body } = await getJson<RejectionsResponse>(`${system.baseUrl}/api/rejections`, token);
    expect(body.byReason.bad_credentials).toBeGreaterThanOrEqual(1);
    expect(body.byReason.unknown_device).toBeGreaterThanOrEqual(1);
  });

  it('counts rejections per reason in /metrics', async () => {
    const text = await (await fetch(`${system.baseUrl}/metrics`)).text();
    expect(text).toMatch(/citygrid_messages_rejected_total\{reason="malformed_json",by="server"\} [1-9]/);
    expect(text).toMatch(/citygrid_messages_rejected_total\{reason="foreign_topic",by="broker"\} [1-9]/);
  });

  it('keeps storing good readings from other devices throughout', async () => {
    const ts = Date.now();
    await publish(water, deviceTopic('wl-0001', 'telemetry'), JSON.stringify({ ts, metrics: { level_cm: 1 } }));
    await publish(air, deviceTopic('aq-0001', 'telemetry'), JSON.stringify({ ts, metrics: { pm25: 33 } }));
    await waitFor(async () => {
      const { body } = await getJson<DevicesResponse>(`${system.baseUrl}/api/devices`, token);
      return body.devices.find((d) => d.id === 'aq-0001')?.latest.pm25?.value === 33 && body.devices.find((d) => d.id === 'wl-0001')?.latest.level_cm?.ts === ts;
    }, 'both good readings');
    const { body } = await getJson<{ status: string }>(`${system.baseUrl}/api/health`, token);
    expect(body.status).toBe('ok');
  });
});
