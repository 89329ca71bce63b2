// The low-code baseline's Node-RED flow (bench/lowcode/flow.ts, run by `npm run bench:lowcode`):
// the flows file wires mqtt in → json → function → InfluxDB write as Node-RED reads it, and the
// function's code, run as Node-RED runs it (its On Start code, then each message, with context,
// node.send and timers), turns the load generator's telemetry into the points CityGrid writes.
// Node-RED itself is not installed for the tests (the benchmark installs it into a cache).
import { describe, expect, it } from 'vitest';
import { allDevicesTopic, deviceTopic } from '@citygrid/contract';
import { metricsJson } from '../../simulators/src/load/generator.js';
import { lowcodeFlow, type FlowNode, type LowcodeVariant } from '../../bench/lowcode/flow.js';

const devices = [
  { id: 'wl-1', kind: 'water_level', grid: 'g-1', district: 'north' },
  { id: 'mc-1', kind: 'manhole_cover', grid: 'g-2', district: 'south' },
];
const flow = (variant: LowcodeVariant, batch: { batchPoints?: number; batchMs?: number } = {}) =>
  lowcodeFlow({ variant, mqttPort: 18830, influxPort: 18086, database: 'lowcode_x', devices, ...batch });
const byId = (nodes: FlowNode[], id: string) => nodes.find((n) => n.id === id)!;
/** The telemetry payload the load generator publishes (generator.ts publishReadings, one reading). */
const reading = (kind: 'water_level' | 'manhole_cover', seq: number, ts: number) => JSON.parse(`{"ts":${ts},"seq":${seq},"metrics":${metricsJson(kind, seq)}}`) as unknown;

/** A function node run as Node-RED runs one: On Start once, then the body per message. */
function runFunction(fn: FlowNode) {
  const store = new Map<string, unknown>();
  const sent: { payload: unknown }[] = [];
  const warnings: string[] = [];
  const timers = new Map<number, () => void>();
  let nextTimer = 1;
  const context = { get: (k: string) => store.get(k), set: (k: string, v: unknown) => void store.set(k, v) };
  const node = { send: (m: { payload: unknown }) => void sent.push(m), warn: (w: string) => void warnings.push(w) };
  const setTimeout = (f: () => void) => { timers.set(nextTimer, f); return nextTimer++; };
  const clearTimeout = (id: number | null) => void timers.delete(id ?? 0);
  new Function('context', 'node', fn.initialize as string)(context, node);
  const body = new Function('msg', 'context', 'node', 'setTimeout', 'clearTimeout', fn.func as string) as (...a: unknown[]) => unknown;
  return {
    input: (msg: { topic: string; payload: unknown }) => body(msg, context, node, setTimeout, clearTimeout),
    fireTimers: () => { const due = [...timers.values()]; timers.clear(); for (const f of due) f(); },
    pendingTimers: () => timers.size,
    sent, warnings,
  };
}

describe('the low-code flow file', () => {
  for (const variant of ['tuned', 'untuned'] as const) {
    it(`${variant}: mqtt in (QoS 1, persistent session) → json → function → ${variant === 'tuned' ? 'influxdb batch' : 'influxdb out'}, every wire to a node that exists`, () => {
      const nodes = flow(variant);
      expect(JSON.parse(JSON.stringify(nodes))).toEqual(nodes); // what is written to flows.json
      expect(new Set(nodes.map((n) => n.id)).size).toBe(nodes.length);
      const tab = nodes.find((n) => n.type === 'tab')!;
      // Node-RED tells flow nodes from config nodes by x/y: flow nodes sit on the tab, config nodes do not
      const flowNodes = nodes.filter((n) => 'x' in n && 'y' in n);
      expect(flowNodes.map((n) => n.type).sort()).toEqual(['function', variant === 'tuned' ? 'influxdb batch' : 'influxdb out', 'json', 'mqtt in']);
      expect(flowNodes.every((n) => n.z === tab.id)).toBe(true);
      for (const n of flowNodes) for (const out of n.wires ?? []) for (const to of out) expect(byId(nodes, to), `${n.id} → ${to}`).toBeDefined();
      // follow the wires from the mqtt in node
      const chain: string[] = [];
      for (let n: FlowNode | undefined = nodes.find((x) => x.type === 'mqtt in'); n; n = n.wires?.[0]?.[0] ? byId(nodes, n.wires[0][0]) : undefined) chain.push(n.type);
      expect(chain).toEqual(['mqtt in', 'json', 'function', variant === 'tuned' ? 'influxdb batch' : 'influxdb out']);
      const mqttIn = nodes.find((n) => n.type === 'mqtt in')!;
      expect(mqttIn).toMatchObject({ topic: allDevicesTopic('telemetry'), qos: '1', datatype: 'utf8' });
      const broker = byId(nodes, mqttIn.broker as string);
      expect(broker).toMatchObject({ type: 'mqtt-broker', broker: '127.0.0.1', port: '18830', cleansession: false, protocolVersion: '4' });
      expect(broker.clientid).toBeTruthy();
      expect('x' in broker).toBe(false);
      const write = nodes.find((n) => n.type.startsWith('influxdb '))!;
      expect(write.precision).toBe('ms');
      expect(byId(nodes, write.influxdb as string)).toMatchObject({ type: 'influxdb', hostname: '127.0.0.1', port: '18086', database: 'lowcode_x', influxdbVersion: '1.x' });
    });
  }
});

describe('the function: telemetry to InfluxDB points', () => {
  const fnOf = (nodes: FlowNode[]) => nodes.find((n) => n.type === 'function')!;

  it('untuned: one message out per message, in the influxdb out form (fields with time, tags), measurement = kind', () => {
    const f = runFunction(fnOf(flow('untuned')));
    const out = f.input({ topic: deviceTopic('wl-1', 'telemetry'), payload: reading('water_level', 7, 1_800_000_000_007) }) as { measurement: string; payload: unknown };
    expect(out.measurement).toBe('water_level');
    const level = (JSON.parse(metricsJson('water_level', 7)) as { level_cm: number }).level_cm;
    expect(out.payload).toEqual([[{ time: 1_800_000_000_007, level_cm: level, seq: 7 }, { device: 'wl-1', grid: 'g-1', district: 'north', kind: 'water_level' }]]);
    // a gateway's batch array: one point per reading; booleans as 0/1, as CityGrid writes them
    const batch = f.input({ topic: deviceTopic('mc-1', 'telemetry'), payload: [{ ts: 1, seq: 1, metrics: { tilt_deg: 2, open: true } }, { ts: '2027-01-01T00:00:00Z', seq: 2, metrics: { tilt_deg: 3, open: false } }] }) as { payload: [Record<string, unknown>, unknown][] };
    expect(batch.payload.map(([fields]) => fields)).toEqual([{ time: 1, tilt_deg: 2, open: 1, seq: 1 }, { time: Date.parse('2027-01-01T00:00:00Z'), tilt_deg: 3, open: 0, seq: 2 }]);
  });

  it('untuned: an unknown device or a payload without metrics writes nothing', () => {
    const f = runFunction(fnOf(flow('untuned')));
    expect(f.input({ topic: deviceTopic('nobody', 'telemetry'), payload: reading('water_level', 1, 1) })).toBeNull();
    expect(f.warnings).toEqual(['unknown device nobody']);
    expect(f.input({ topic: deviceTopic('wl-1', 'telemetry'), payload: { ts: 1 } })).toBeNull();
  });

  it('tuned: gathers points and sends one batch when it holds batchPoints, the rest when the timer fires', () => {
    const f = runFunction(fnOf(flow('tuned', { batchPoints: 3, batchMs: 500 })));
    for (let seq = 0; seq < 4; seq++) expect(f.input({ topic: deviceTopic('wl-1', 'telemetry'), payload: reading('water_level', seq, 1000 + seq) })).toBeNull();
    expect(f.sent).toHaveLength(1);
    const first = f.sent[0]!.payload as { measurement: string; tags: Record<string, string>; fields: Record<string, number>; timestamp: number }[];
    expect(first.map((p) => p.fields.seq)).toEqual([0, 1, 2]);
    expect(first[0]).toEqual({ measurement: 'water_level', tags: { device: 'wl-1', grid: 'g-1', district: 'north', kind: 'water_level' }, fields: { level_cm: (JSON.parse(metricsJson('water_level', 0)) as { level_cm: number }).level_cm, seq: 0 }, timestamp: 1000 });
    // the fourth waits for the timer (one timer, however many points arrive meanwhile)
    f.input({ topic: deviceTopic('mc-1', 'telemetry'), payload: reading('manhole_cover', 4, 2000) });
    expect(f.pendingTimers()).toBe(1);
    f.fireTimers();
    expect(f.sent).toHaveLength(2);
    expect((f.sent[1]!.payload as { fields: { seq: number } }[]).map((p) => p.fields.seq)).toEqual([3, 4]);
    f.fireTimers(); // nothing left: no empty batch
    expect(f.sent).toHaveLength(2);
  });
});
