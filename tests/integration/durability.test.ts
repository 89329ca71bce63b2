// Proves no reading is lost while the server is down: the broker holds the server's persistent QoS 1
// session, and every reading published meanwhile is stored once the server is back.
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createBroker, type CityBroker } from '@citygrid/broker';
import { deviceTopic } from '@citygrid/contract';
import { loadCity } from '@citygrid/contract/node';
import type { MqttClient } from 'mqtt';
import { DEMO_CITY, connectDevice, end, publish, startTestSystem, tempDir, waitFor } from '../helpers/system.js';

const SERVICE = { username: 'citygrid-server', password: 'test-service-password' };
let broker: CityBroker;
let device: MqttClient;
const data = tempDir();

beforeAll(async () => {
  const city = loadCity(DEMO_CITY);
  broker = await createBroker({ port: 0, host: '127.0.0.1', devices: city.devicesById, service: SERVICE, allowAnonymous: false, deviceRate: { perSecond: 0, burst: 1 }, logger: pino({ level: 'silent' }) });
  device = await connectDevice(`mqtt://127.0.0.1:${broker.port}`, 'wl-0002');
});

afterAll(async () => {
  await end(device);
  await broker?.close();
  data.remove();
});

it('stores every QoS 1 reading published while the server was stopped, once it restarts', async () => {
  const env = { MQTT_URL: `mqtt://127.0.0.1:${broker.port}`, MQTT_PASSWORD: SERVICE.password, DATA_DIR: data.path };
  const t0 = Date.now() - 60_000;

  const first = await startTestSystem(env);
  await publish(device, deviceTopic('wl-0002', 'telemetry'), JSON.stringify({ ts: t0, metrics: { level_cm: 1 }, seq: 0 }));
  await waitFor(async () => (await first.store.queryReadings({ device: 'wl-0002', kind: 'water_level', metrics: ['level_cm'], from: t0, to: t0 + 1, step: null, limit: 10 }))[0]!.points.length === 1, 'first reading stored');
  await first.stop();

  // the server is away: 200 readings, each acknowledged by the broker
  for (let seq = 1; seq <= 200; seq++) {
    await publish(device, deviceTopic('wl-0002', 'telemetry'), JSON.stringify({ ts: t0 + seq * 100, metrics: { level_cm: seq % 50 }, seq }));
  }

  const second = await startTestSystem(env);
  try {
    const points = await waitFor(async () => {
      const [series] = await second.store.queryReadings({ device: 'wl-0002', kind: 'water_level', metrics: ['level_cm'], from: t0, to: t0 + 1_000_000, step: null, limit: 1000 });
      return series!.points.length === 201 ? series!.points : null;
    }, 'all 201 readings stored');
    expect(points.map((p) => p.ts)).toEqual(Array.from({ length: 201 }, (_, i) => t0 + i * 100));
  } finally {
    await second.stop();
  }
});
