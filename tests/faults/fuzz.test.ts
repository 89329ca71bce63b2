// Proves hostile input breaks nothing and loses nothing: 100,000 mutated and random MQTT messages
// from signed-in devices (seeded, so a failure can be replayed) go through the real broker and
// pipeline while three good gauges keep publishing, then 10,000 random requests hit the REST API.
// Every message is accounted for: accepted as the contract says, or refused with a reason by the
// broker or the server; no step fails unexpectedly, nothing is left unhandled, and every good
// reading is stored.
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REJECTION_REASON_CODES, type RejectionsResponse } from '@citygrid/contract';
import { expectedOutcome, Fuzzer, prng, readingsIn, type FuzzDevice } from '../helpers/fuzz.js';
import { startLoad } from '../helpers/load.js';
import { connectDevice, end, login, readMetrics, startTestSystem, waitFor } from '../helpers/system.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261129);
const MESSAGES = Number(process.env.FUZZ_MESSAGES ?? 100_000);
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 10_000);
const WINDOW = 100; // QoS 1 messages in flight per fuzzing device

let system: Awaited<ReturnType<typeof startTestSystem>>;
const unhandled: unknown[] = [];
const onUnhandled = (err: unknown) => unhandled.push(err);

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  process.on('uncaughtException', onUnhandled);
  system = await startTestSystem({ SIMULATE: '0', MQTT_DEVICE_RATE: '0' }); // each fuzzing device sends ~100 messages/s
});
afterAll(async () => {
  await system?.stop();
  process.off('unhandledRejection', onUnhandled);
  process.off('uncaughtException', onUnhandled);
});

const counters = () => readMetrics(system.baseUrl);

describe('fuzzing MQTT', () => {
  it(`accounts for each of ${MESSAGES.toLocaleString('en')} hostile messages and stores every good reading meanwhile (seed ${SEED})`, async () => {
    const url = `mqtt://127.0.0.1:${system.mqttPort}`;
    const kinds = ['water_level', 'manhole_cover', 'air_quality', 'gas', 'traffic', 'weather', 'streetlight', 'camera'] as const;
    const fuzzed: FuzzDevice[] = kinds.map((kind) => system.city.devices.find((d) => d.kind === kind && !['wl-0001', 'wl-0002', 'wl-0003'].includes(d.id))!);
    const good = await startLoad(url, ['wl-0001', 'wl-0002', 'wl-0003'], 40);
    const before = await counters();

    const expected = { accept: 0, broker: 0, server: 0, readings: 0 };
    let sent = 0;
    const sendStart = Date.now();
    const clients: MqttClient[] = [];
    await Promise.all(fuzzed.map(async (device, i) => {
      const fuzzer = new Fuzzer(SEED + i, fuzzed); // one stream per device: the same messages whatever the interleaving
      const client = await connectDevice(url, device.id, undefined, { clientId: `fuzz-${device.id}` });
      clients.push(client);
      client.on('error', () => undefined); // a refused packet must not end the run; counted below
      const share = Math.floor(MESSAGES / fuzzed.length) + (i < MESSAGES % fuzzed.length ? 1 : 0);
      let next = 0;
      await new Promise<void>((resolve, reject) => {
        let inFlight = 0;
        const pump = () => {
          while (inFlight < WINDOW && next < share) {
            const m = fuzzer.message(device, Date.now());
            const outcome = expectedOutcome(device, m, Date.now());
            expected[outcome]++;
            if (outcome === 'accept') expected.readings += readingsIn(m);
            next++;
            inFlight++;
            client.publish(m.topic, m.payload, { qos: 1 }, (err) => {
              inFlight--;
              if (err) return reject(new Error(`${device.id}: publish ${next} failed: ${err.message}`));
              sent++;
              if (next === share && inFlight === 0) resolve();
              else pump();
            });
          }
        };
        pump();
      });
    }));
    expect(sent).toBe(MESSAGES);
    const sendMs = Date.now() - sendStart;

    // every message reaches a verdict: the server received it, or the broker refused it
    const goodAcked = await good.stop();
    const goodTotal = [...goodAcked.values()].reduce((a, b) => a + b, 0);
    let last = '';
    const c = await waitFor(async () => {
      const now = await counters();
      const received = now('citygrid_messages_received_total') - before('citygrid_messages_received_total');
      const byBroker = now('citygrid_messages_rejected_total', { by: 'broker' }) - before('citygrid_messages_rejected_total', { by: 'broker' });
      last = `received ${received} + refused by the broker ${byBroker} of ${MESSAGES + goodTotal} (expected broker ${expected.broker}, server ${expected.server})`;
      return received + byBroker >= MESSAGES + goodTotal ? now : null;
    }, 'every message accounted for', 60_000, 250).catch((err: Error) => { throw new Error(`${err.message}: ${last}`); });
    console.log(`fuzz: sent in ${sendMs} ms; ${last}`);
    const delta = (name: string, labels?: Record<string, string>) => c(name, labels) - before(name, labels);

    expect(delta('citygrid_messages_rejected_total', { by: 'broker' }), 'refused by the broker (topic, size)').toBe(expected.broker);
    expect(delta('citygrid_messages_rejected_total', { by: 'server' }), 'refused by the server (payload)').toBe(expected.server);
    expect(delta('citygrid_readings_accepted_total'), 'readings accepted').toBe(expected.readings + goodTotal);
    expect(c('citygrid_pipeline_errors_total'), 'unexpected errors in a pipeline step').toBe(0);
    expect(expected.accept).toBeGreaterThan(MESSAGES * 0.05); // the fuzz is not all garbage...
    expect(expected.server).toBeGreaterThan(MESSAGES * 0.3); // ...nor all valid
    expect(expected.broker).toBeGreaterThan(MESSAGES * 0.05);

    // every refusal names a known reason
    const token = await login(system.baseUrl, 'admin');
    const recent = await (await fetch(`${system.baseUrl}/api/rejections?limit=500`, { headers: { authorization: `Bearer ${token}` } })).json() as RejectionsResponse;
    expect(recent.total).toBe(expected.broker + expected.server);
    expect(Object.keys(recent.byReason).every((reason) => (REJECTION_REASON_CODES as readonly string[]).includes(reason))).toBe(true);
    expect(recent.items).toHaveLength(500);
    for (const r of recent.items) {
      expect(REJECTION_REASON_CODES).toContain(r.reason);
      expect(r.message.length).toBeGreaterThan(5);
    }

    // the good gauges lost nothing: each of seq 0..n-1 is stored
    await system.store.flush();
    for (const [id, acked] of goodAcked) {
      const series = await system.store.queryReadings({ device: id, kind: 'water_level', metrics: ['level_cm'], from: 0, to: Date.now(), step: null, limit: 1_000_000 });
      expect(series.reduce((n, s) => n + s.points.length, 0), `${id} stored readings`).toBe(acked);
    }
    await Promise.all(clients.map((cl) => end(cl)));
    expect(unhandled).toEqual([]);
  }, 600_000);
});

describe('fuzzing the REST API', () => {
  it(`answers ${REQUESTS.toLocaleString('en')} random requests with a status and, for errors, a coded reason; never a 5xx`, async () => {
    const random = prng(SEED + 1);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
    const token = await login(system.baseUrl, 'operator');
    const paths = [
      '/api/devices', '/api/devices/wl-0001', '/api/devices/wl-0001/readings', '/api/devices/nope/readings', '/api/grid', '/api/districts',
      '/api/alerts', '/api/alerts/x/ack', '/api/alerts/x/resolve', '/api/maintenance', '/api/rules', '/api/rules/reload', '/api/scores',
      '/api/rejections', '/api/audit', '/api/auth/login', '/api/auth/logout', '/api/auth/refresh', '/api/me', '/api/health', '/api/camera-events',
      '/api/%', '/api/devices/%E0%A4%A', '/api/../etc/passwd', '/api/devices/' + 'x'.repeat(3000), '/metrics',
    ];
    const params = ['from', 'to', 'step', 'metric', 'limit', 'grid', 'district', 'kind', 'reason', 'device', 'state', 'severity', '__proto__', 'constructor'];
    const values = ['', '1', '-1', 'abc', '1e309', 'NaN', '2026-02-30', '9'.repeat(40), '5m', '0s', "'", '%00', '[]', 'wl-0001', 'red', 'firing', 'water_level'];
    const bodies = [undefined, '', '{', '{}', '[]', 'null', '"x"', '{"note":""}', '{"note":"ok"}', '{"__proto__":{"admin":true}}', '{"username":"admin","password":"x"}',
      `{"note":"${'n'.repeat(70_000)}"}`, '{"from":"x","to":1}', '{"devices":["wl-0001"],"until":"tomorrow"}'];
    const statuses = new Map<number, number>();
    const problems: string[] = [];
    let started = 0;
    let done = 0;
    const one = async () => {
      const method = pick(['GET', 'GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD']);
      let path = pick(paths);
      if (random() < 0.5) path += '?' + Array.from({ length: 1 + Math.floor(random() * 3) }, () => `${pick(params)}=${encodeURIComponent(pick(values))}`).join('&');
      const headers: Record<string, string> = {};
      const auth = random();
      if (auth < 0.6) headers.authorization = `Bearer ${token}`;
      else if (auth < 0.75) headers.authorization = pick(['Bearer ', 'Bearer x.y.z', `Bearer ${token.slice(0, -3)}abc`, 'Basic YWRtaW46YWRtaW4=', `bearer ${token}`]);
      const body = method === 'GET' || method === 'HEAD' ? undefined : pick(bodies);
      if (body !== undefined) headers['content-type'] = pick(['application/json', 'application/json', 'text/plain', 'application/x-www-form-urlencoded']);
      try {
        const res = await fetch(system.baseUrl + path, { method, headers, body });
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        const text = await res.text();
        if (res.status >= 500) problems.push(`${method} ${path.slice(0, 80)} → ${res.status} ${text.slice(0, 120)}`);
        else if (res.status >= 400 && method !== 'HEAD' && new URL(path, system.baseUrl).pathname.startsWith('/api/')) {
          const parsed = JSON.parse(text) as { error?: { code?: string; message?: string } };
          if (!parsed.error?.code?.startsWith('CG_') || !parsed.error.message) problems.push(`${method} ${path.slice(0, 80)} → ${res.status} without a coded reason: ${text.slice(0, 120)}`);
        }
      } catch (err) {
        problems.push(`${method} ${path.slice(0, 80)} → ${(err as Error).message}`);
      }
      done++;
    };
    const workers = Array.from({ length: 16 }, async () => {
      while (started < REQUESTS) {
        started++;
        await one();
      }
    });
    await Promise.all(workers);
    expect(problems.slice(0, 10)).toEqual([]);
    expect(done).toBe(REQUESTS);
    expect([...statuses.keys()].some((s) => s >= 400)).toBe(true);
    expect(statuses.get(200) ?? 0).toBeGreaterThan(0);
    // still serving
    expect((await fetch(`${system.baseUrl}/api/health`)).status).toBe(200);
    expect(unhandled).toEqual([]);
  }, 300_000);
});
