// The low-code baseline's Node-RED flow, as an integrator would wire CityGrid's telemetry into
// InfluxDB 1.x with node-red-contrib-influxdb:
//   mqtt in (QoS 1, persistent session, city/v1/devices/+/telemetry) → json → function → InfluxDB
// The function turns one telemetry message (one reading `{ts, seq, metrics}` or a batch array of
// them) into points shaped as CityGrid writes them (measurement = kind; tags device, grid,
// district, kind; the metrics as fields, booleans 0/1, and seq; time in ms), looking the device up
// in a table set by its On Start code.
//   untuned: one write per message through the `influxdb out` node, as most tutorials show;
//   tuned:   the same function also gathers points, up to `batchPoints` or `batchMs`, whichever
//            comes first, and hands each batch to the `influxdb batch` node (one write per batch).
import { allDevicesTopic } from '@citygrid/contract';

export type LowcodeVariant = 'tuned' | 'untuned';

export interface LowcodeDevice { id: string; kind: string; grid: string; district: string }

export interface LowcodeFlowOptions {
  variant: LowcodeVariant;
  mqttPort: number;
  influxPort: number;
  database: string;
  devices: LowcodeDevice[];
  /** tuned: a batch is written when it holds this many points... */
  batchPoints?: number;
  /** ...or this long after its first point (ms). */
  batchMs?: number;
  clientId?: string;
}

export type FlowNode = { id: string; type: string; z?: string; wires?: string[][]; [k: string]: unknown };

/** Defaults of the tuned variant: InfluxDB's documented batch size, and at most 1 s of delay. */
export const TUNED_BATCH_POINTS = 5000;
export const TUNED_BATCH_MS = 1000;

/** Common part of both functions: `points` from `msg` (topic city/v1/devices/<id>/telemetry). */
const TO_POINTS = `
const devices = context.get('devices');
const id = msg.topic.split('/')[3];
const d = devices[id];
if (d === undefined) { node.warn('unknown device ' + id); return null; }
const items = Array.isArray(msg.payload) ? msg.payload : [msg.payload];
const points = [];
for (const r of items) {
  if (r === null || typeof r !== 'object' || r.metrics === null || typeof r.metrics !== 'object') continue;
  const fields = {};
  for (const k in r.metrics) {
    const v = r.metrics[k];
    fields[k] = typeof v === 'boolean' ? (v ? 1 : 0) : v;
  }
  if (typeof r.seq === 'number') fields.seq = r.seq;
  const ts = typeof r.ts === 'number' ? r.ts : typeof r.ts === 'string' ? Date.parse(r.ts) : Date.now();
  points.push({ measurement: d.kind, tags: { device: id, grid: d.grid, district: d.district, kind: d.kind }, fields, timestamp: ts });
}
if (points.length === 0) return null;
`;

/** untuned: the influxdb out node's form, [fields, tags] per point, the time as field `time`. */
const UNTUNED_TAIL = `
msg.measurement = points[0].measurement;
msg.payload = points.map((p) => [Object.assign({ time: p.timestamp }, p.fields), p.tags]);
return msg;
`;

/** tuned: gather into the batch held in context; flush when full or when its timer fires. */
const tunedTail = (batchPoints: number, batchMs: number) => `
const batch = context.get('batch');
for (const p of points) batch.push(p);
const flush = () => {
  const full = context.get('batch');
  clearTimeout(context.get('timer'));
  context.set('timer', null);
  if (full.length === 0) return;
  context.set('batch', []);
  node.send({ payload: full }, false);
};
if (batch.length >= ${batchPoints}) flush();
else if (context.get('timer') === null) context.set('timer', setTimeout(flush, ${batchMs}));
return null;
`;

/** The function node's On Start code: the device table (and the empty batch). */
export function functionInitialize(devices: LowcodeDevice[]): string {
  const table = Object.fromEntries(devices.map((d) => [d.id, { kind: d.kind, grid: d.grid, district: d.district }]));
  return `context.set('devices', ${JSON.stringify(table)});\ncontext.set('batch', []);\ncontext.set('timer', null);\n`;
}

export function functionBody(variant: LowcodeVariant, batchPoints = TUNED_BATCH_POINTS, batchMs = TUNED_BATCH_MS): string {
  return TO_POINTS + (variant === 'tuned' ? tunedTail(batchPoints, batchMs) : UNTUNED_TAIL);
}

/**
 * The flows file: one tab, the broker and InfluxDB config nodes (no x/y: that is how Node-RED tells
 * config nodes), and the four flow nodes in a line.
 */
export function lowcodeFlow(o: LowcodeFlowOptions): FlowNode[] {
  const z = 'cg-tab';
  const write = o.variant === 'tuned'
    ? { id: 'cg-write', type: 'influxdb batch', z, x: 820, y: 80, name: 'InfluxDB batch write', influxdb: 'cg-influx', precision: 'ms', retentionPolicy: '', wires: [] }
    : { id: 'cg-write', type: 'influxdb out', z, x: 820, y: 80, name: 'InfluxDB write', influxdb: 'cg-influx', measurement: '', precision: 'ms', retentionPolicy: '', wires: [] };
  return [
    { id: z, type: 'tab', label: `CityGrid telemetry to InfluxDB (${o.variant})`, disabled: false },
    {
      id: 'cg-broker', type: 'mqtt-broker', name: 'city broker', broker: '127.0.0.1', port: String(o.mqttPort),
      clientid: o.clientId ?? 'nodered-lowcode', autoConnect: true, usetls: false, protocolVersion: '4', keepalive: '60',
      cleansession: false, autoUnsubscribe: false, birthTopic: '', closeTopic: '', willTopic: '',
    },
    { id: 'cg-influx', type: 'influxdb', hostname: '127.0.0.1', port: String(o.influxPort), protocol: 'http', database: o.database, name: 'citygrid influx', usetls: false, influxdbVersion: '1.x' },
    { id: 'cg-in', type: 'mqtt in', z, x: 120, y: 80, name: 'telemetry', topic: allDevicesTopic('telemetry'), qos: '1', datatype: 'utf8', broker: 'cg-broker', nl: false, rap: true, rh: 0, inputs: 0, wires: [['cg-json']] },
    { id: 'cg-json', type: 'json', z, x: 300, y: 80, name: 'parse', property: 'payload', action: 'obj', pretty: false, wires: [['cg-points']] },
    {
      id: 'cg-points', type: 'function', z, x: 520, y: 80, name: o.variant === 'tuned' ? `to points, batches of ${o.batchPoints ?? TUNED_BATCH_POINTS} or ${o.batchMs ?? TUNED_BATCH_MS} ms` : 'to points',
      func: functionBody(o.variant, o.batchPoints, o.batchMs), outputs: 1, timeout: 0, noerr: 0,
      initialize: functionInitialize(o.devices), finalize: '', libs: [], wires: [['cg-write']],
    },
    write,
  ];
}
