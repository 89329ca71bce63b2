// Proves the open GET /api/health answers states and plain reasons only (no broker URL, credentials, hosts, ports or raw store and rules error texts), that those details go to the log and to signed-in users as GET /api/rules and the admin already see them, and that the field names stay.
import { cpSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBroker, type CityBroker } from '@citygrid/broker';
import type { HealthResponse } from '@citygrid/contract';
import { loadCity } from '@citygrid/contract/node';
import { createLogger } from '../../server/src/logger.js';
import { freePort } from '../helpers/influx.js';
import { DEMO_CITY, getJson, login, startTestSystem, tempDir, waitFor } from '../helpers/system.js';

const BROKER_PASSWORD = 'broker-pass-in-the-url-0123';
const INFLUX_PASSWORD = 'influx-pass-in-the-url-4567';
const INFLUX_TOKEN = 'influx-token-never-shown-89ab';
let broker: CityBroker;
let influxPort = 0;
let system: Awaited<ReturnType<typeof startTestSystem>>;
const city = tempDir('citygrid-city-');
const logs: string[] = [];
const tokens: Record<string, string> = {};


beforeAll(async () => {
  cpSync(DEMO_CITY, city.path, { recursive: true });
  broker = await createBroker({
    port: 0, host: '127.0.0.1', devices: loadCity(city.path).devicesById, allowAnonymous: false,
    service: { username: 'citygrid-server', password: BROKER_PASSWORD }, logger: pino({ level: 'silent' }),
  });
  influxPort = await freePort(); // taken from the OS, then let go: nothing listens there
  const logger = createLogger('debug', 'json', { write: (line: string) => { logs.push(line); } });
  system = await startTestSystem({
    CITY_DIR: city.path,
    MQTT_URL: `mqtt://citygrid-server:${BROKER_PASSWORD}@127.0.0.1:${broker.port}`, MQTT_PASSWORD: BROKER_PASSWORD,
    STORE: 'influx', INFLUX_URL: `http://citygrid:${INFLUX_PASSWORD}@127.0.0.1:${influxPort}`, INFLUX_TOKEN,
  }, logger);
  for (const who of ['viewer', 'operator', 'admin']) tokens[who] = await login(system.baseUrl, who);
});
afterAll(async () => {
  await system?.stop();
  await broker?.close();
  city.remove();
});

const health = async (who?: string) => {
  const res = await fetch(`${system.baseUrl}/api/health`, { headers: who ? { authorization: `Bearer ${tokens[who]}` } : {} });
  const text = await res.text();
  return { status: res.status, text, body: JSON.parse(text) as HealthResponse };
};
const degraded = (who?: string) => waitFor(async () => {
  const h = await health(who);
  return h.body.store.status === 'degraded' ? h : null;
}, 'the store degraded (InfluxDB unreachable)');

/** What no open answer may hold. */
const SECRETS = () => [BROKER_PASSWORD, INFLUX_PASSWORD, INFLUX_TOKEN, '://', '127.0.0.1', 'localhost', String(broker.port), String(influxPort), 'ECONNREFUSED', 'citygrid-server'];

describe('GET /api/health without sign-in', () => {
  it('names states and plain reasons, never a URL, credentials, a host, a port or a raw error', async () => {
    const h = await degraded();
    expect(h.status).toBe(200);
    expect(h.body).toMatchObject({
      status: 'degraded', uptimeS: expect.any(Number),
      broker: { status: 'ok', mode: 'external', connected: true },
      store: { status: 'degraded', kind: 'influx', detail: expect.stringMatching(/unreachable/i) },
      rules: { status: 'ok' },
      ingest: { received: expect.any(Number), stored: expect.any(Number), rejected: expect.any(Number) },
    });
    expect(h.body.store.detail).toMatch(/spool/);
    expect(Object.keys(h.body.broker).sort()).toEqual(['connected', 'mode', 'status']);
    for (const secret of SECRETS()) expect(h.text, secret).not.toContain(secret);
  });

  it('leaves the details to the log', async () => {
    await degraded();
    expect(logs.some((l) => l.includes('InfluxDB is unreachable') && l.includes(String(influxPort)))).toBe(true);
  });
});

describe('GET /api/health signed in', () => {
  it('gives viewers and operators the same plain answer', async () => {
    const open = (await degraded()).body;
    for (const who of ['viewer', 'operator']) {
      const h = await degraded(who);
      expect(h.body.store).toEqual(open.store);
      for (const secret of SECRETS()) expect(h.text, `${who}: ${secret}`).not.toContain(secret);
    }
  });

  it("gives an admin the store's own words, still without credentials", async () => {
    const h = await degraded('admin');
    expect(h.body.store.detail).toContain(String(influxPort));
    for (const secret of [BROKER_PASSWORD, INFLUX_PASSWORD, INFLUX_TOKEN]) expect(h.text, secret).not.toContain(secret);
  });
});

describe('refused rules', () => {
  it('are a count in the open answer, and the problem itself for signed-in users (as GET /api/rules)', async () => {
    const file = join(city.path, 'rules.yaml');
    const good = readFileSync(file, 'utf8');
    writeFileSync(file, `${good}\n- { id: broken-rule, kind: threshold, match: { kind: water_level }, metric: depth_secret, above: 1, severity: blue }\n`);
    try {
      const open = await waitFor(async () => { const h = await health(); return h.body.rules.status === 'degraded' ? h : null; }, 'rules refused');
      expect(open.body.rules.detail).toMatch(/refused/);
      expect(open.text).not.toContain('broken-rule');
      expect(open.text).not.toContain('depth_secret');
      const signedIn = (await health('operator')).body.rules;
      const rules = (await getJson<{ detail?: string }>(`${system.baseUrl}/api/rules`, tokens.operator)).body;
      expect(signedIn.detail).toContain('rule "broken-rule"');
      expect(signedIn.detail).toBe(rules.detail);
    } finally {
      writeFileSync(file, good);
    }
    await waitFor(async () => (await health()).body.rules.status === 'ok', 'the good rules back');
  });
});
