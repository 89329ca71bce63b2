// Proves a database outage costs only delay: InfluxDB missing or down at start, and the server
// SIGKILLed while spooling; every acknowledged reading ends up in InfluxDB exactly once, counted with
// direct InfluxQL queries. (A 2-minute outage under load and a full spool: tests/faults/influx.test.ts.)
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBroker, type CityBroker } from '@citygrid/broker';
import type { DevicesResponse, HealthResponse } from '@citygrid/contract';
import { loadCity } from '@citygrid/contract/node';
import { expectExactlyOnce, startInflux, type TestInflux } from '../helpers/influx.js';
import { startLoad } from '../helpers/load.js';
import { startChild, type Child } from '../helpers/processes.js';
import { DEMO_CITY, connectDevice, end, getJson, login, publish, startTestSystem, tempDir, waitFor } from '../helpers/system.js';


describe('InfluxDB faults', () => {
  let influx: TestInflux;
  beforeAll(async () => {
    influx = await startInflux('faults');
  });
  afterAll(async () => {
    await influx?.remove();
  });

  it('says plainly in health when the database does not exist, and keeps the readings spooled', async () => {
    const system = await startTestSystem({ STORE: 'influx', INFLUX_URL: influx.url, INFLUX_DATABASE: 'no_such_db' });
    const device = await connectDevice(`mqtt://127.0.0.1:${system.mqttPort}`, 'wl-0009');
    try {
      await publish(device, 'city/v1/devices/wl-0009/telemetry', JSON.stringify({ metrics: { level_cm: 3 } }));
      const health = await waitFor(async () => {
        const h = (await getJson<HealthResponse>(`${system.baseUrl}/api/health`)).body;
        return h.store.status === 'degraded' ? h : null;
      }, 'store degraded');
      expect(health.store.detail).toContain('no database "no_such_db"');
      expect(health.store.detail).toMatch(/spool/);
    } finally {
      await end(device);
      await system.stop();
    }
  });

  it('starts with InfluxDB down, serves live data, reports degraded, and catches up when it appears', async () => {
    await influx.stop();
    const system = await startTestSystem({ STORE: 'influx', INFLUX_URL: influx.url, INFLUX_DATABASE: 'faults' });
    const device = await connectDevice(`mqtt://127.0.0.1:${system.mqttPort}`, 'wl-0010');
    try {
      const t0 = Date.now() - 120_000;
      for (let seq = 0; seq < 50; seq++) await publish(device, 'city/v1/devices/wl-0010/telemetry', JSON.stringify({ ts: t0 + seq, seq, metrics: { level_cm: 21 } }));
      const { body } = await getJson<DevicesResponse>(`${system.baseUrl}/api/devices`, await login(system.baseUrl, 'viewer'));
      expect(body.devices.find((d) => d.id === 'wl-0010')!.latest.level_cm!.value).toBe(21);
      const health = await waitFor(async () => {
        const h = (await getJson<HealthResponse>(`${system.baseUrl}/api/health`)).body;
        return h.store.status === 'degraded' ? h : null;
      }, 'store degraded');
      expect(health.store.detail).toMatch(/unreachable/i);
      expect(health.status).toBe('degraded');

      await influx.start();
      await expectExactlyOnce(influx, 'faults', new Map([['wl-0010', 50]]), t0);
      await waitFor(async () => (await getJson<HealthResponse>(`${system.baseUrl}/api/health`)).body.store.status === 'ok', 'store ok again', 60_000);
    } finally {
      await end(device);
      await system.stop();
    }
  });

  it('replays the spool after the server is SIGKILLed while InfluxDB is down', async () => {
    const data = tempDir();
    const service = { username: 'citygrid-server', password: 'faults-service-password' };
    const broker: CityBroker = await createBroker({ port: 0, host: '127.0.0.1', devices: loadCity(DEMO_CITY).devicesById, service, allowAnonymous: false, deviceRate: { perSecond: 0, burst: 1 }, logger: pino({ level: 'silent' }) });
    const env = {
      PORT: '0', HOST: '127.0.0.1', MQTT_URL: `mqtt://127.0.0.1:${broker.port}`, MQTT_PASSWORD: service.password,
      STORE: 'influx', INFLUX_URL: influx.url, INFLUX_DATABASE: 'faults', DATA_DIR: data.path, CITY_DIR: DEMO_CITY, LOG_LEVEL: 'info',
    };
    const startServer = () => startChild('server/src/main.ts', env, 'CityGrid is live', 30_000);
    let server: Child | null = null;
    const devices = ['wl-0016', 'wl-0017'];
    const t0 = Date.now() - 6_000_000;
    try {
      await influx.stop();
      server = await startServer();
      const load = await startLoad(`mqtt://127.0.0.1:${broker.port}`, devices, 100, t0);
      await waitFor(() => load.acked() > 400, 'readings flowing');
      await waitFor(() => readdirSync(join(data.path, 'spool')).some((f) => f.endsWith('.lp')), 'segments in the spool');
      await server.kill('SIGKILL');
      await new Promise((r) => setTimeout(r, 500)); // the broker keeps queueing for the server's persistent session
      const acked = await load.stop();

      await influx.start();
      server = await startServer();
      await expectExactlyOnce(influx, 'faults', acked, t0);
    } finally {
      await server?.kill('SIGINT');
      await broker.close();
      data.remove();
    }
  });
});
