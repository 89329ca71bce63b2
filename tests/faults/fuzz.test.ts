// Proves hostile input breaks nothing and loses nothing: 100,000 mutated and random MQTT messages
// from signed-in devices (seeded, so a failure can be replayed) go through the real broker and
// pipeline while three good gauges keep publishing, then 10,000 random requests hit the REST API.
//
// Every message is checked on its own against an independent oracle (helpers/fuzz-oracle.ts, written
// from the README and SPEC, importing none of the contract's parsers):
// - refusals: each fuzzing device listens on its own city/v1/devices/{id}/rejections. The broker's
//   refusals and the server's each arrive in the device's publish order (the two streams interleave
//   differently), so each stream is compared, in order, with the messages the oracle says that side
//   refuses: reason, topic and (server) seq must match one for one;
// - acceptances: what the pipeline hands to the store is recorded per device, in order, and compared
//   with the messages the oracle accepts (readings, values, ts, seq; the event's fields); then the
//   store itself is read back;
// - totals: received per channel, refused per reason and side, readings accepted, /api/rejections.
// A message refused for another reason, accepted though it should be refused, or refused though it
// should be accepted, therefore fails the test naming the device, the message number, its topic and
// payload, and both verdicts. No pipeline step may fail, nothing may go unhandled, and every good
// reading is stored.
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REJECTION_REASON_CODES, deviceTopic, type Rejection, type RejectionsResponse } from '@citygrid/contract';
import { Fuzzer, prng, type FuzzDevice } from '../helpers/fuzz.js';
import { CATALOGUE_COPY, LATEST_TS, REASONS, expectedOutcome, readingsOf, type Accepted, type Expected, type ExpectedEvent, type ExpectedReading, type Refused } from '../helpers/fuzz-oracle.js';
import { startLoad } from '../helpers/load.js';
import { connectDevice, end, login, readMetrics, startTestSystem, subscribe, waitFor } from '../helpers/system.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261129);
const MESSAGES = Number(process.env.FUZZ_MESSAGES ?? 100_000);
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 10_000);
const WINDOW = 100; // QoS 1 messages in flight per fuzzing device
const SHOWN = 25; // disagreements listed in a failure (all are counted)

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

/** One published message and the oracle's verdict on it. */
interface Sent {
  device: string;
  /** 0-based position in the device's publish order (replay: Fuzzer(SEED + device index), message n). */
  n: number;
  topic: string;
  /** The first bytes, for failure messages (whole payloads of 100,000 messages are not kept). */
  excerpt: string;
  /** The first reading's (or the event's) seq and ts as sent, to tell which message an unexpected verdict belongs to. */
  hint: { seq?: unknown; ts?: unknown };
  sentAt: number;
  expected: Expected;
}

/** What the pipeline handed to the store for one accepted message. */
type Stored =
  | { channel: 'telemetry'; at: number; readings: { ts: number; metrics: Record<string, number | boolean>; seq?: number }[] }
  | { channel: 'event'; at: number; event: ExpectedEvent & { ts: number } };

interface DeviceRun {
  device: FuzzDevice;
  sent: Sent[];
  brokerNotices: Rejection[];
  serverNotices: Rejection[];
  stored: Stored[];
}

function excerptOf(payload: Buffer): string {
  const text = payload.toString('utf8');
  return JSON.stringify(text.length > 160 ? text.slice(0, 160) : text) + (text.length > 160 ? `… (${payload.length} bytes)` : '');
}

function hintOf(payload: Buffer): Sent['hint'] {
  try {
    const decoded: unknown = JSON.parse(payload.toString('utf8'));
    const first: unknown = Array.isArray(decoded) ? decoded[0] : decoded;
    if (first && typeof first === 'object' && !Array.isArray(first)) return { seq: (first as Sent['hint']).seq, ts: (first as Sent['hint']).ts };
  } catch {
    // not JSON: no hint
  }
  return {};
}

const name = (m: Sent) => `${m.device} message #${m.n} on ${m.topic.length > 60 ? JSON.stringify(m.topic.slice(0, 60)) + '…' : JSON.stringify(m.topic)} ${m.excerpt}`;
const verdict = (e: Expected) => (e.outcome === 'accepted'
  ? `accepted (${e.channel}${e.channel === 'telemetry' ? `, ${e.readings.length} reading${e.readings.length === 1 ? '' : 's'}` : ''})`
  : `refused by the ${e.by} as ${e.reason}${e.seq !== undefined ? ` (seq ${e.seq})` : ''} [${e.why}]`);
const notice = (r: Rejection) => `${r.reason}${r.seq !== undefined ? ` (seq ${r.seq})` : ''} "${r.message.slice(0, 140)}"`;

/** Deep equality of JSON-ish values (metric maps, events). */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/**
 * Does a stored message match the oracle's acceptance? A reading without ts gets the receive time;
 * the server keeps one device's receipt stamps distinct (1 ms apart), so they may run a little ahead.
 */
const STAMP_LEAD_MS = 5_000;
function storedAs(m: Sent, s: Stored): boolean {
  const e = m.expected as Accepted;
  const tsOk = (expected: number | null, actual: number) => (expected === null ? actual >= m.sentAt - 1 && actual <= s.at + STAMP_LEAD_MS : actual === expected);
  if (e.channel === 'telemetry' && s.channel === 'telemetry') {
    return e.readings.length === s.readings.length && e.readings.every((r: ExpectedReading, i) => {
      const a = s.readings[i]!;
      return tsOk(r.ts, a.ts) && r.seq === a.seq && same(r.metrics, a.metrics);
    });
  }
  if (e.channel === 'event' && s.channel === 'event') {
    const { ts, ...rest } = e.event;
    const { ts: ats, ...arest } = s.event;
    return tsOk(ts, ats) && same(rest, arest);
  }
  return false;
}
/** Could `m`, as sent, have been stored as `s`? (same channel, first seq and, when given in ms, ts) */
function couldBe(m: Sent, s: Stored): boolean {
  if (!m.topic.endsWith(`/${s.channel}`)) return false;
  const first = s.channel === 'telemetry' ? s.readings[0] : s.event;
  return first !== undefined && first.seq === m.hint.seq && (typeof m.hint.ts !== 'number' || m.hint.ts === first.ts);
}
const storedText = (s: Stored) => (s.channel === 'telemetry'
  ? `${s.readings.length} reading(s): ${JSON.stringify(s.readings.slice(0, 2)).slice(0, 200)}`
  : `event ${JSON.stringify(s.event).slice(0, 200)}`);

/**
 * Compares what the oracle expects of one stream (in publish order) with what arrived (in arrival
 * order), one for one. On a disagreement it looks one step ahead on both sides to tell a missing
 * item (expected, never arrived) from an unexpected one (arrived, not expected) from a different
 * one, and names the message; the unexpected ones are matched to the messages between their
 * neighbours that `candidate` says could have produced them.
 */
function compareStream<A>(
  stream: string,
  run: DeviceRun,
  expected: Sent[],
  actual: A[],
  matches: (m: Sent, a: A) => boolean,
  show: (a: A) => string,
  candidate: (m: Sent, a: A) => boolean,
  problems: string[],
): number {
  let i = 0;
  let j = 0;
  let count = 0;
  const report = (text: string) => {
    count++;
    if (problems.length < SHOWN) problems.push(`[${stream}] ${text}`);
  };
  const unexpected = (a: A) => {
    const from = i > 0 ? expected[i - 1]!.n + 1 : 0;
    const to = i < expected.length ? expected[i]!.n : run.sent.length;
    const who = run.sent.slice(from, to).filter((m) => candidate(m, a)).slice(0, 2);
    report(`${run.device.id}: ${show(a)} arrived for no message the oracle says; ${who.length
      ? `it fits ${who.map((m) => `${name(m)}, which the oracle has ${verdict(m.expected)}`).join('; or ')}`
      : `between messages #${from} and #${to - 1}`}`);
  };
  while (i < expected.length || j < actual.length) {
    if (i < expected.length && j < actual.length && matches(expected[i]!, actual[j]!)) {
      i++;
      j++;
      continue;
    }
    if (j >= actual.length) {
      report(`${name(expected[i]!)}: expected ${verdict(expected[i]!.expected)}; nothing arrived`);
      i++;
    } else if (i >= expected.length) {
      unexpected(actual[j]!);
      j++;
    } else {
      const missing = i + 1 < expected.length && matches(expected[i + 1]!, actual[j]!);
      const extra = j + 1 < actual.length && matches(expected[i]!, actual[j + 1]!);
      if (missing && !extra) {
        report(`${name(expected[i]!)}: expected ${verdict(expected[i]!.expected)}; nothing arrived for it`);
        i++;
      } else if (extra && !missing) {
        unexpected(actual[j]!);
        j++;
      } else {
        report(`${name(expected[i]!)}: expected ${verdict(expected[i]!.expected)}; got ${show(actual[j]!)}`);
        i++;
        j++;
      }
    }
  }
  return count;
}

describe('fuzzing MQTT', () => {
  it(`checks each of ${MESSAGES.toLocaleString('en')} hostile messages against an independent oracle and stores every good reading meanwhile (seed ${SEED})`, async () => {
    const url = `mqtt://127.0.0.1:${system.mqttPort}`;
    const kinds = ['water_level', 'manhole_cover', 'air_quality', 'gas', 'traffic', 'weather', 'streetlight', 'camera'] as const;
    const fuzzed: FuzzDevice[] = kinds.map((kind) => system.city.devices.find((d) => d.kind === kind && !['wl-0001', 'wl-0002', 'wl-0003'].includes(d.id))!);
    const runs = new Map<string, DeviceRun>(fuzzed.map((device) => [device.id, { device, sent: [], brokerNotices: [], serverNotices: [], stored: [] }]));

    // what the pipeline hands to the store, per fuzzing device and in order (one call per accepted message)
    const store = system.store;
    const writeReadings = store.writeReadings.bind(store);
    const writeEvents = store.writeEvents.bind(store);
    store.writeReadings = (rows) => {
      const run = rows[0] && runs.get(rows[0].device);
      if (run) run.stored.push({ channel: 'telemetry', at: Date.now(), readings: rows.map((r) => ({ ts: r.ts, metrics: r.metrics, ...(r.seq !== undefined ? { seq: r.seq } : {}) })) });
      writeReadings(rows);
    };
    store.writeEvents = (events) => {
      for (const e of events) {
        const run = runs.get(e.device);
        if (!run) continue;
        const event: Stored & { channel: 'event' } = { channel: 'event', at: Date.now(), event: { ts: e.ts, type: e.type, confidence: e.confidence, count: e.count } };
        if (e.zone !== undefined) event.event.zone = e.zone;
        if (e.seq !== undefined) event.event.seq = e.seq;
        run.stored.push(event);
      }
      writeEvents(events);
    };

    const good = await startLoad(url, ['wl-0001', 'wl-0002', 'wl-0003'], 40);
    const before = await counters();

    let sent = 0;
    const sendStart = Date.now();
    const clients: MqttClient[] = [];
    await Promise.all(fuzzed.map(async (device, i) => {
      const run = runs.get(device.id)!;
      const fuzzer = new Fuzzer(SEED + i, fuzzed); // one stream per device: the same messages whatever the interleaving
      const client = await connectDevice(url, device.id, undefined, { clientId: `fuzz-${device.id}` });
      clients.push(client);
      client.on('error', () => undefined); // a refused packet must not end the run; counted below
      const own = deviceTopic(device.id, 'rejections');
      client.on('message', (topic, payload) => {
        if (topic !== own) return;
        const r = JSON.parse(payload.toString('utf8')) as Rejection;
        (r.by === 'broker' ? run.brokerNotices : run.serverNotices).push(r);
      });
      await subscribe(client, own);
      const share = Math.floor(MESSAGES / fuzzed.length) + (i < MESSAGES % fuzzed.length ? 1 : 0);
      await new Promise<void>((resolve, reject) => {
        let inFlight = 0;
        // a closed connection would leave its in-flight messages unacknowledged: say so at once
        client.once('close', () => reject(new Error(`${device.id}: the broker closed the connection after ${run.sent.length} messages (the last: ${run.sent.at(-1)?.excerpt ?? '-'})`)));
        const pump = () => {
          while (inFlight < WINDOW && run.sent.length < share) {
            const m = fuzzer.message(device, Date.now());
            const sentAt = Date.now();
            run.sent.push({ device: device.id, n: run.sent.length, topic: m.topic, excerpt: excerptOf(m.payload), hint: hintOf(m.payload), sentAt, expected: expectedOutcome(device, m.topic, m.payload, sentAt) });
            inFlight++;
            client.publish(m.topic, m.payload, { qos: 1 }, (err) => {
              inFlight--;
              if (err) return reject(new Error(`${device.id}: publish ${run.sent.length} failed: ${err.message}`));
              sent++;
              if (run.sent.length === share && inFlight === 0) resolve();
              else pump();
            });
          }
        };
        pump();
      });
    }));
    expect(sent).toBe(MESSAGES);
    const sendMs = Date.now() - sendStart;

    // the oracle's totals
    const all = [...runs.values()].flatMap((r) => r.sent);
    const refusedBy = (by: 'broker' | 'server') => all.filter((m) => m.expected.outcome === 'refused' && m.expected.by === by);
    const expected = {
      accept: all.filter((m) => m.expected.outcome === 'accepted').length,
      broker: refusedBy('broker').length,
      server: refusedBy('server').length,
      readings: all.reduce((n, m) => n + readingsOf(m.expected), 0),
    };

    // every message reaches a verdict: the server received it, or the broker refused it
    const goodAcked = await good.stop();
    const goodTotal = [...goodAcked.values()].reduce((a, b) => a + b, 0);
    let last = '';
    const c = await waitFor(async () => {
      const now = await counters();
      const received = now('citygrid_messages_received_total') - before('citygrid_messages_received_total');
      const byBroker = now('citygrid_messages_rejected_total', { by: 'broker' }) - before('citygrid_messages_rejected_total', { by: 'broker' });
      last = `received ${received} + refused by the broker ${byBroker} of ${MESSAGES + goodTotal} (expected broker ${expected.broker}, server ${expected.server}, accepted ${expected.accept})`;
      return received + byBroker >= MESSAGES + goodTotal ? now : null;
    }, 'every message accounted for', 60_000, 250).catch((err: Error) => { throw new Error(`${err.message}: ${last}`); });
    const accountedMs = Date.now() - sendStart;
    // every refusal was sent by now; let the notices reach the devices
    const expectedNotices = (run: DeviceRun, by: 'broker' | 'server') => run.sent.filter((m) => m.expected.outcome === 'refused' && m.expected.by === by).length;
    await waitFor(() => [...runs.values()].every((r) => r.brokerNotices.length >= expectedNotices(r, 'broker') && r.serverNotices.length >= expectedNotices(r, 'server')), 'every refusal notice', 30_000, 100).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 500)); // and any beyond those expected
    console.log(`fuzz: sent in ${sendMs} ms, accounted for after ${accountedMs} ms; ${last}; notices broker ${[...runs.values()].reduce((n, r) => n + r.brokerNotices.length, 0)}, server ${[...runs.values()].reduce((n, r) => n + r.serverNotices.length, 0)}`);

    // message by message: the broker's refusals, the server's refusals, and what was accepted
    const problems: string[] = [];
    const disagreements = { broker: 0, server: 0, accepted: 0 };
    for (const run of runs.values()) {
      const refused = (by: 'broker' | 'server') => run.sent.filter((m) => m.expected.outcome === 'refused' && m.expected.by === by);
      disagreements.broker += compareStream('broker refusals', run, refused('broker'), run.brokerNotices,
        (m, r) => r.reason === (m.expected as Refused).reason && r.topic === m.topic.slice(0, 200),
        (r) => `broker refusal ${notice(r)}`,
        (m, r) => m.topic.slice(0, 200) === r.topic,
        problems);
      disagreements.server += compareStream('server refusals', run, refused('server'), run.serverNotices,
        (m, r) => r.reason === (m.expected as Refused).reason && r.topic === m.topic.slice(0, 200) && r.seq === (m.expected as Refused).seq,
        (r) => `server refusal ${notice(r)}`,
        (m, r) => m.expected.outcome === 'accepted' && m.topic.slice(0, 200) === r.topic && (r.seq === undefined || r.seq === m.hint.seq),
        problems);
      const acceptedData = run.sent.filter((m) => m.expected.outcome === 'accepted' && m.expected.channel !== 'status');
      disagreements.accepted += compareStream('accepted', run, acceptedData, run.stored,
        storedAs,
        (s) => `an accepted message (${storedText(s)})`,
        (m, s) => m.expected.outcome === 'refused' && m.expected.by === 'server' && couldBe(m, s),
        problems);
    }
    const total = disagreements.broker + disagreements.server + disagreements.accepted;
    const tally = new Map<string, number>();
    for (const m of all) if (m.expected.outcome === 'refused') tally.set(`${m.expected.by}:${m.expected.reason}`, (tally.get(`${m.expected.by}:${m.expected.reason}`) ?? 0) + 1);
    console.log(`fuzz: oracle: accepted ${expected.accept} (${expected.readings} readings), refused by the broker ${expected.broker}, by the server ${expected.server}; ${[...tally].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ')}; disagreements ${total}`);
    expect(problems, `${total} disagreement(s) with the oracle (broker ${disagreements.broker}, server ${disagreements.server}, accepted ${disagreements.accepted}); the first ${Math.min(total, SHOWN)}`).toEqual([]);

    // the totals agree too
    const delta = (metric: string, labels?: Record<string, string>) => c(metric, labels) - before(metric, labels);
    for (const channel of ['telemetry', 'event', 'status']) {
      const toServer = all.filter((m) => m.topic.endsWith(`/${channel}`) && !(m.expected.outcome === 'refused' && m.expected.by === 'broker')).length;
      expect(delta('citygrid_messages_received_total', { channel }), `received on ${channel}`).toBe(toServer + (channel === 'telemetry' ? goodTotal : 0));
    }
    for (const reason of REASONS) {
      for (const by of ['broker', 'server'] as const) {
        expect(delta('citygrid_messages_rejected_total', { reason, by }), `refused as ${reason} by the ${by}`).toBe(tally.get(`${by}:${reason}`) ?? 0);
      }
    }
    expect(delta('citygrid_readings_accepted_total'), 'readings accepted').toBe(expected.readings + goodTotal);
    expect(c('citygrid_pipeline_errors_total'), 'unexpected errors in a pipeline step').toBe(0);
    expect(expected.accept).toBeGreaterThan(MESSAGES * 0.05); // the fuzz is not all garbage...
    expect(expected.server).toBeGreaterThan(MESSAGES * 0.3); // ...nor all valid
    expect(expected.broker).toBeGreaterThan(MESSAGES * 0.05);

    // the rejections API lists them all, with the oracle's reasons, each a known code with words
    const token = await login(system.baseUrl, 'admin');
    const recent = await (await fetch(`${system.baseUrl}/api/rejections?limit=500`, { headers: { authorization: `Bearer ${token}` } })).json() as RejectionsResponse;
    expect(recent.total).toBe(expected.broker + expected.server);
    const oracleByReason: Record<string, number> = {};
    for (const m of all) if (m.expected.outcome === 'refused') oracleByReason[m.expected.reason] = (oracleByReason[m.expected.reason] ?? 0) + 1;
    expect(recent.byReason).toEqual(oracleByReason);
    expect(recent.items).toHaveLength(Math.min(500, recent.total));
    for (const r of recent.items) {
      expect(REJECTION_REASON_CODES).toContain(r.reason);
      expect(r.message.length).toBeGreaterThan(5);
    }

    // the store holds what was accepted: per series, the last value written at each ts
    await system.store.flush();
    for (const run of runs.values()) {
      if (run.device.kind === 'camera') {
        const keys = new Set(run.stored.map((s) => (s.channel === 'event' ? `${s.event.ts}\0${s.event.type}` : '')));
        const events = (await system.store.queryEvents({ from: 0, to: LATEST_TS, limit: 1_000_000 })).filter((e) => e.device === run.device.id);
        expect(events.length, `${run.device.id} stored camera events`).toBe(keys.size);
        continue;
      }
      const want = new Map<string, Map<number, number>>();
      for (const s of run.stored) {
        if (s.channel !== 'telemetry') continue;
        for (const r of s.readings) {
          for (const [metric, value] of Object.entries(r.metrics)) {
            if (!want.has(metric)) want.set(metric, new Map());
            want.get(metric)!.set(r.ts, typeof value === 'boolean' ? Number(value) : value);
          }
        }
      }
      const metrics = Object.keys(CATALOGUE_COPY[run.device.kind]!);
      const series = await system.store.queryReadings({ device: run.device.id, kind: run.device.kind, metrics, from: 0, to: LATEST_TS, step: null, limit: 1_000_000 });
      for (const s of series) {
        const got = new Map((s.points as { ts: number; value: number }[]).map((p) => [p.ts, p.value]));
        expect(got, `${run.device.id} ${s.metric} in the store`).toEqual(want.get(s.metric) ?? new Map());
      }
    }

    // the good gauges lost nothing: each of seq 0..n-1 is stored
    for (const [id, acked] of goodAcked) {
      const series = await system.store.queryReadings({ device: id, kind: 'water_level', metrics: ['level_cm'], from: 0, to: Date.now(), step: null, limit: 1_000_000 });
      expect(series.reduce((n, s) => n + s.points.length, 0), `${id} stored readings`).toBe(acked);
    }
    store.writeReadings = writeReadings;
    store.writeEvents = writeEvents;
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
