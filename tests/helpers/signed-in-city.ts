// A demo city for the sign-in suites: a known AUTH_SECRET, every log line captured, eight rules on
// manhole covers so that one open cover raises eight alerts at once, two open covers in two cells
// (A and B), and a token for each role (the grid worker answers for cell A).
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import type { Alert, Role } from '@citygrid/contract';
import { loadCity, type CityDevice } from '@citygrid/contract/node';
import { TokenService } from '../../server/src/auth/tokens.js';
import { createLogger } from '../../server/src/logger.js';
import { DEMO_CITY, connectDevice, end, getJson, login, publish, startTestSystem, tempDir, waitFor } from './system.js';

export const AUTH_SECRET = 'integration-test-secret-0123456789-abcdefghij';
export const RULE_IDS = ['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8'] as const;
const RULES = RULE_IDS.map((id) => `- { id: ${id}, kind: threshold, match: { kind: manhole_cover }, metric: open, above: 0.5, severity: orange, message: Cover open (${id}) }`).join('\n');

export type Who = 'none' | Exclude<Role, 'gridworker'> | 'gridworker';

export interface SignedInCity {
  system: Awaited<ReturnType<typeof startTestSystem>>;
  /** Every log line the system wrote. */
  logs: string[];
  A: CityDevice;
  B: CityDevice;
  /** The grid worker of A's cell. */
  gridworker: string;
  tokens: Record<Who, string | null>;
  /** Alerts by rule id, in cell A and in cell B. */
  alertsA: Record<string, Alert>;
  alertsB: Record<string, Alert>;
  close(): Promise<void>;
}

/** A token the server accepts (same secret), issued `issuedAgoMs` ago and living `ttlMs`: expired ones too. */
export async function signToken(user: { username: string; role: Role }, o: { issuedAgoMs?: number; ttlMs?: number; secret?: string } = {}): Promise<string> {
  const tokens = new TokenService(new TextEncoder().encode(o.secret ?? AUTH_SECRET), () => Date.now() - (o.issuedAgoMs ?? 0), o.ttlMs);
  return (await tokens.issue(user)).token;
}

export async function startSignedInCity(): Promise<SignedInCity> {
  const city = tempDir('citygrid-city-');
  const data = tempDir();
  cpSync(DEMO_CITY, city.path, { recursive: true });
  writeFileSync(join(city.path, 'rules.yaml'), `${RULES}\n`);
  const demo = loadCity(city.path);
  const A = demo.devicesById.get('mh-0001')!;
  const B = demo.devices.find((d) => d.kind === 'manhole_cover' && d.grid !== A.grid && d.district !== A.district)!;
  const logs: string[] = [];
  // the production logger (with its redaction), writing JSON lines here
  const logger = createLogger('debug', 'json', { write: (line: string) => { logs.push(line); } });
  const system = await startTestSystem({ CITY_DIR: city.path, DATA_DIR: data.path, AUTH_SECRET, REPORTS: '1' }, logger);
  const devices: MqttClient[] = [];
  try {
    const gridworker = `gw-${A.grid}`;
    const tokens: Record<Who, string | null> = {
      none: null,
      viewer: await login(system.baseUrl, 'viewer'),
      gridworker: await login(system.baseUrl, gridworker),
      operator: await login(system.baseUrl, 'operator'),
      admin: await login(system.baseUrl, 'admin'),
    };
    for (const d of [A, B]) {
      const client = await connectDevice(`mqtt://127.0.0.1:${system.mqttPort}`, d.id);
      devices.push(client);
      await publish(client, `city/v1/devices/${d.id}/telemetry`, JSON.stringify({ metrics: { open: true, tilt_deg: 30 } }));
    }
    const byRule = async (grid: string) => waitFor(async () => {
      const { body } = await getJson<{ alerts: Alert[] }>(`${system.baseUrl}/api/alerts?grid=${grid}`, tokens.admin);
      const firing = body.alerts.filter((a) => a.state === 'firing');
      return firing.length === RULE_IDS.length ? Object.fromEntries(firing.map((a) => [a.rule, a])) : null;
    }, `${RULE_IDS.length} firing alerts in ${grid}`);
    const alertsA = await byRule(A.grid);
    const alertsB = await byRule(B.grid);
    return {
      system, logs, A, B, gridworker, tokens, alertsA, alertsB,
      async close() {
        await Promise.all(devices.map((c) => end(c)));
        await system.stop();
        city.remove();
        data.remove();
      },
    };
  } catch (err) {
    await Promise.all(devices.map((c) => end(c)));
    await system.stop();
    throw err;
  }
}
