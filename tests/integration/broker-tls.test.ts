// The standalone broker (`npm run broker`, also each cluster edge) over TLS (issue 18): with
// MQTTS_PORT, TLS_CERT and TLS_KEY, `mosquitto_pub --cafile` publishes over TLS and the server attached
// to the broker (MQTT_URL) stores the reading; without TLS_CERT/TLS_KEY the broker refuses to start and
// says why.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RawPoint, ReadingsResponse } from '@citygrid/contract';
import { pino } from 'pino';
import { loadTlsMaterial } from '../../server/src/tls-cert.js';
import { freePort, SERVICE_PASSWORD, startChild, type Child } from '../helpers/processes.js';
import { DEMO_CITY, getJson, login, startTestSystem, tempDir, waitFor } from '../helpers/system.js';

let broker: Child;
let system: Awaited<ReturnType<typeof startTestSystem>>;
const pki = tempDir('citygrid-pki-');
let tlsPort: number;

beforeAll(async () => {
  // the server's own self-signed certificate (localhost, 127.0.0.1), made into a temp folder
  await loadTlsMaterial({ certFile: null, keyFile: null, clientCaFile: null }, pki.path, pino({ level: 'silent' }));
  const port = await freePort();
  tlsPort = await freePort();
  broker = await startChild('broker/src/main.ts', {
    MQTT_PORT: String(port), MQTT_HOST: '127.0.0.1', MQTTS_PORT: String(tlsPort), TLS_CERT: join(pki.path, 'tls', 'cert.pem'), TLS_KEY: join(pki.path, 'tls', 'key.pem'),
    BROKER_HTTP_PORT: 'off', CITY_DIR: DEMO_CITY, MQTT_SERVICE_PASSWORD: SERVICE_PASSWORD, LOG_LEVEL: 'debug', // debug: each connection's transport
  }, 'MQTT over TLS listening');
  system = await startTestSystem({ MQTT_URL: `mqtt://127.0.0.1:${port}`, MQTT_PASSWORD: SERVICE_PASSWORD });
}, 90_000);

afterAll(async () => {
  await system?.stop();
  await broker?.kill('SIGTERM');
  pki.remove();
});

it('takes mosquitto_pub --cafile over TLS, and the server behind it stores the reading', async () => {
  const pub = spawnSync('mosquitto_pub', ['--cafile', join(pki.path, 'tls', 'cert.pem'), '-h', 'localhost', '-p', String(tlsPort), '-u', 'wl-0005', '-P', 'demo-wl-0005',
    '-t', 'city/v1/devices/wl-0005/telemetry', '-q', '1', '-m', '{"metrics":{"level_cm":21.5}}'], { encoding: 'utf8', timeout: 20_000 });
  expect(pub.status, pub.stderr).toBe(0);
  const token = await login(system.baseUrl, 'viewer');
  const values = await waitFor(async () => {
    const { body } = await getJson<ReadingsResponse>(`${system.baseUrl}/api/devices/wl-0005/readings?metric=level_cm`, token);
    const points = (body.series[0]?.points ?? []).map((p) => (p as RawPoint).value);
    return points.length ? points : null;
  }, 'the reading sent over TLS');
  expect(values).toContain(21.5);
  expect(broker.output()).toMatch(/"transport":"tls"/);
});

it('refuses to start with MQTTS_PORT but no certificate, and says what is missing', async () => {
  const started = startChild('broker/src/main.ts', {
    MQTT_PORT: String(await freePort()), MQTT_HOST: '127.0.0.1', MQTTS_PORT: '0', BROKER_HTTP_PORT: 'off', CITY_DIR: DEMO_CITY, MQTT_SERVICE_PASSWORD: SERVICE_PASSWORD,
  }, 'MQTT broker listening', 30_000);
  await expect(started).rejects.toThrow(/TLS_CERT, TLS_KEY: both are required with MQTTS_PORT/);
});
