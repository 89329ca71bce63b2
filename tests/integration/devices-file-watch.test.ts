// devices.yaml changed on disk while the standalone broker (`npm run broker`, also each cluster edge)
// and a server attached to it (MQTT_URL) run (issue 18): both pick it up without a restart. A removed
// device is disconnected and refused by the broker; a new one logs in, and the server stores what it
// sends; a bad file is refused by both and the last good devices stay. The admin API of a server
// that does not run the broker says it cannot change devices, and why.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ReadingsResponse } from '@citygrid/contract';
import { devicesYaml, loadCity } from '@citygrid/contract/node';
import { freePort, SERVICE_PASSWORD, startChild, type Child } from '../helpers/processes.js';
import { connectDevice, DEMO_CITY, end, getJson, login, publish, sendJson, startTestSystem, tempDir, waitFor } from '../helpers/system.js';

let broker: Child;
let system: Awaited<ReturnType<typeof startTestSystem>>;
let cityDir: { path: string; remove(): void };
let url: string;
const clients: MqttClient[] = [];

beforeAll(async () => {
  cityDir = tempDir('citygrid-city-');
  cpSync(DEMO_CITY, cityDir.path, { recursive: true });
  const port = await freePort();
  url = `mqtt://127.0.0.1:${port}`;
  broker = await startChild('broker/src/main.ts', {
    MQTT_PORT: String(port), MQTT_HOST: '127.0.0.1', BROKER_HTTP_PORT: 'off', CITY_DIR: cityDir.path, MQTT_SERVICE_PASSWORD: SERVICE_PASSWORD, LOG_LEVEL: 'info',
  }, 'MQTT broker listening');
  system = await startTestSystem({ CITY_DIR: cityDir.path, MQTT_URL: url, MQTT_PASSWORD: SERVICE_PASSWORD });
}, 90_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => end(c)));
  await system?.stop();
  await broker?.kill('SIGTERM');
  cityDir?.remove();
});

async function connectCode(id: string, secret = `demo-${id}`): Promise<number> {
  try {
    clients.push(await connectDevice(url, id, secret));
    return 0;
  } catch (err) {
    return (err as { code?: number }).code ?? -1;
  }
}

it('a device removed and one added by hand: the broker disconnects and refuses the one, and the server stores the other\'s readings', async () => {
  const city = loadCity(cityDir.path);
  const gone = city.devices.find((d) => d.kind === 'air_quality')!;
  const a = await connectDevice(url, gone.id);
  const closed = new Promise<void>((resolve) => a.once('close', () => resolve()));
  // the new device takes the removed one's secret (its hash), so demo-<removed id> logs it in
  const added = { id: 'aq-hand-0001', kind: 'air_quality' as const, location: gone.location, secret_hash: gone.secret_hash };
  const path = join(cityDir.path, 'devices.yaml');
  writeFileSync(path, devicesYaml([...city.devices.filter((d) => d.id !== gone.id), added], { previousText: readFileSync(path, 'utf8') }));
  await closed;
  await waitFor(async () => (await connectCode(gone.id)) === 5, 'the removed device to be refused');
  await waitFor(async () => (await connectCode('aq-hand-0001', `demo-${gone.id}`)) === 0, 'the added device to log in');
  const client = clients.at(-1)!;
  await publish(client, 'city/v1/devices/aq-hand-0001/telemetry', JSON.stringify({ metrics: { pm25: 17 } }));
  const token = await login(system.baseUrl, 'admin');
  await waitFor(async () => {
    const { body } = await getJson<ReadingsResponse>(`${system.baseUrl}/api/devices/aq-hand-0001/readings?metric=pm25`, token);
    return body.series?.[0]?.points.length ? true : null;
  }, 'the server to store the added device\'s reading');
  expect(broker.output()).toMatch(/devices\.yaml changed on disk/);
});

it('a bad file is refused by both, and the last good devices stay', async () => {
  const path = join(cityDir.path, 'devices.yaml');
  const good = readFileSync(path, 'utf8');
  writeFileSync(path, good.replace('kind: air_quality', 'kind: air_quallity'));
  await waitFor(() => broker.output().includes('devices.yaml was refused'), 'the broker to refuse the file');
  await waitFor(() => system.provisioning!.problems().length > 0, 'the server to refuse the file');
  expect(await connectCode('aq-hand-0001', `demo-${loadCity(DEMO_CITY).devices.find((d) => d.kind === 'air_quality')!.id}`)).toBe(0);
  writeFileSync(path, good);
});

it('the admin API of a server without the broker cannot change devices, and says why', async () => {
  const token = await login(system.baseUrl, 'admin');
  const res = await sendJson<{ error: { code: string; message: string } }>(`${system.baseUrl}/api/admin/devices`, { id: 'x-1', kind: 'noise', location: [0, 0] }, token);
  expect(res.status).toBe(409);
  expect(res.body.error.code).toBe('CG_DEVICES_READ_ONLY');
  expect(res.body.error.message).toMatch(/does not run the broker/);
});
