// "Send test reading" (issue 18, the device's page): one reading published as the device through the
// real embedded broker, over a real MQTT connection on loopback, so that it goes the whole way a
// device's reading goes (login, ACL, rate budget, validation, store, rules, dashboards). The server
// never knows a device's secret: the broker mints a one-time credential for exactly that device,
// valid once for 30 s (broker/src/test-credentials.ts). The outcome is read back from where it
// lands: the store (accepted) or the rejections log (refused, with its reason).
import { randomBytes } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { deviceTopic, metricsOf, type Rejection, type TestReadingResponse } from '@citygrid/contract';
import type { CityDevice } from '@citygrid/contract/node';
import type { RejectionLog } from './rejection-log.js';
import type { TimeSeriesStore } from '../stores/store.js';

export interface TestBroker {
  mintTestCredential(device: string): string | null;
  revokeTestCredential(device: string, secret: string): void;
}

export interface TestReadingDeps {
  broker: TestBroker;
  /** The embedded broker's TCP listener, on loopback. */
  url: string;
  rejections: RejectionLog;
  store: TimeSeriesStore;
  /** The device's latest values (sent again, so a test changes no condition and raises no alert). */
  latest: (id: string) => Record<string, number | boolean>;
}

/** The whole test at most: connect, publish, acknowledgement. */
const TEST_TIMEOUT_MS = 10_000;
/** How long the stored reading is looked for after the broker acknowledged it (InfluxDB: spooled first). */
const STORE_WAIT_MS = 3_000;

export class TestReadingError extends Error {}

/**
 * A valid and quiet reading for the device's kind: its latest values where it has them, else a value
 * below every warning level (above, for metrics where low is bad) and the harmless boolean.
 */
export function quietReading(kind: CityDevice['kind'], latest: Record<string, number | boolean>): Record<string, number | boolean> {
  const out: Record<string, number | boolean> = {};
  for (const [metric, spec] of Object.entries(metricsOf(kind))) {
    const known = latest[metric];
    if (spec.type === 'boolean') {
      out[metric] = typeof known === 'boolean' ? known : spec.alarmWhen === undefined ? false : !spec.alarmWhen;
      continue;
    }
    if (typeof known === 'number' && known >= spec.min && known <= spec.max) {
      out[metric] = known;
      continue;
    }
    const low = spec.direction === 'below';
    const edge = spec.warn ?? (low ? spec.min : spec.max);
    const value = low ? (edge + spec.max) / 2 : (spec.min + edge) / 2;
    out[metric] = Math.round(value * 10) / 10;
  }
  return out;
}

export async function sendTestReading(deps: TestReadingDeps, device: CityDevice): Promise<TestReadingResponse> {
  const started = Date.now();
  const metrics = quietReading(device.kind, deps.latest(device.id));
  const secret = deps.broker.mintTestCredential(device.id);
  if (!secret) throw new TestReadingError('Too many test readings are under way; try again in a few seconds');
  const seq = randomBytes(4).readUInt32BE() >>> 1;
  let client: MqttClient | null = null;
  let ts = started;
  const outcome = (refusal: Rejection | null): TestReadingResponse => ({
    device: device.id,
    outcome: refusal ? 'refused' : 'accepted',
    sent: { ts, metrics },
    ...(refusal ? { reason: refusal.reason, message: refusal.message } : {}),
    tookMs: Date.now() - started,
  });
  try {
    try {
      client = await withTimeout(mqtt.connectAsync(deps.url, {
        clientId: `${device.id}/test-${randomBytes(6).toString('hex')}`,
        username: device.id, password: secret,
        protocolVersion: 4, clean: true, reconnectPeriod: 0, connectTimeout: TEST_TIMEOUT_MS,
      }), 'connecting to the broker');
    } catch (err) {
      // refused at login (a disabled device, say): the broker reported why in the rejections log
      const why = refusalSince(deps.rejections, device.id, started, null, true);
      if (why) return outcome(why);
      throw new TestReadingError(`The broker did not take the test login: ${(err as Error).message}`);
    }
    ts = Date.now();
    // QoS 1: the broker acknowledges once the reading is durable in the store, or refused and reported
    await withTimeout(client.publishAsync(deviceTopic(device.id, 'telemetry'), JSON.stringify({ ts, seq, metrics }), { qos: 1 }), 'waiting for the broker\'s acknowledgement');
  } finally {
    deps.broker.revokeTestCredential(device.id, secret);
    await client?.endAsync().catch(() => undefined);
  }
  const first = Object.keys(metrics)[0]!;
  for (const until = Date.now() + STORE_WAIT_MS; ;) {
    const refused = refusalSince(deps.rejections, device.id, started, seq, false);
    if (refused) return outcome(refused);
    const [series] = await deps.store.queryReadings({ device: device.id, kind: device.kind, metrics: [first], from: ts, to: ts + 1, step: null, limit: 1 });
    if (series?.points.length) return outcome(null);
    if (Date.now() >= until) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new TestReadingError('The broker acknowledged the test reading, but it is neither in the store nor among the refusals (the store may be behind: see GET /api/health)');
}

/** The device's refusal since `since`: of this reading (its seq), or one without a seq (a budget, an ACL); at login when `atLogin`. */
function refusalSince(log: RejectionLog, device: string, since: number, seq: number | null, atLogin: boolean): Rejection | null {
  for (const r of log.list({ device, limit: 50 }).items) {
    if (r.ts < since) break; // newest first
    if (atLogin ? r.preAuth === true : !r.preAuth && (r.seq === seq || r.seq === undefined)) return r;
  }
  return null;
}

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TestReadingError(`No answer from the broker within ${TEST_TIMEOUT_MS / 1000} s while ${what}`)), TEST_TIMEOUT_MS);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
