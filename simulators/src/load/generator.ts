// The load generator: many device connections (raw MQTT, see mqtt-wire.ts), each publishing QoS 1
// telemetry with a rising `seq` and distinct timestamps, several messages in flight per connection,
// paced to a total rate in readings per second (or flat out). Used by `npm run simulate -- --devices N`
// (load mode) and by `npm run bench`.
import { connect as netConnect, type Socket } from 'node:net';
import { CATALOGUE, deviceTopic, isSensorKind, type DeviceKind } from '@citygrid/contract';
import {
  CONNACK, DISCONNECT_PACKET, PINGREQ_PACKET, PUBACK, PUBLISH, PacketReader, decodePublish, encodeConnect, encodePublish, encodePuback,
} from './mqtt-wire.js';
import { Pacer } from './pacing.js';

export interface LoadDevice { id: string; kind: DeviceKind; secret?: string }

export interface LoadTarget {
  host: string;
  port: number;
  /** Loopback source addresses to spread connections over (a client port is unique per source address). */
  sourceAddresses?: string[];
  /** Connect without credentials (bare brokers in the benchmark). */
  anonymous?: boolean;
}

export interface GeneratorCounters {
  /** Messages and readings handed to sockets, acknowledged by the broker, and errors (refused connections, lost sockets). */
  messages: number;
  readings: number;
  ackedMessages: number;
  ackedReadings: number;
  errors: number;
}

const CONNECT_TIMEOUT_MS = 15_000;

const templates = new Map<DeviceKind, string[]>();

/** A value in each metric's normal range (below `warn`, or above it for `direction: below`), varied by seq. */
export function metricsJson(kind: DeviceKind, seq: number): string {
  let t = templates.get(kind);
  if (!t) {
    t = Array.from({ length: 100 }, (_, i) => buildMetricsJson(kind, i));
    templates.set(kind, t);
  }
  return t[seq % 100]!;
}

function buildMetricsJson(kind: DeviceKind, seq: number): string {
  if (!isSensorKind(kind)) return '{}';
  const parts: string[] = [];
  for (const [name, spec] of Object.entries(CATALOGUE[kind])) {
    if (spec.type === 'boolean') {
      parts.push(`"${name}":${spec.alarmWhen === true ? 'false' : spec.alarmWhen === false ? 'true' : 'false'}`);
      continue;
    }
    const lo = spec.direction === 'below' ? (spec.warn ?? spec.min) : spec.min;
    const hi = spec.direction === 'below' ? spec.max : Math.min(spec.max, spec.warn ?? spec.max);
    const span = hi - lo;
    const v = lo + span * (0.2 + 0.5 * ((seq % 100) / 100));
    parts.push(`"${name}":${Math.round(v * 10) / 10}`);
  }
  return `{${parts.join(',')}}`;
}

export class LoadConnection {
  readonly device: LoadDevice;
  connected = false;
  seq = 0;
  lastTs = 0;
  private socket: Socket | null = null;
  private readonly topic: Buffer;
  private readonly inflight = new Map<number, number>();
  private nextId = 1;
  private lastWrite = 0;
  /** Readings acknowledged, for the benchmark's loss count. */
  ackedReadings = 0;
  onMessage: ((topic: string, payload: Buffer) => void) | null = null;

  constructor(device: LoadDevice, private readonly window: number, private readonly counters: GeneratorCounters, private readonly onAck: (c: LoadConnection) => void) {
    this.device = device;
    this.topic = Buffer.from(device.kind === 'camera' ? deviceTopic(device.id, 'event') : deviceTopic(device.id, 'telemetry'));
  }

  get inFlight(): number {
    return this.inflight.size;
  }

  canSend(): boolean {
    return this.connected && this.inflight.size < this.window;
  }

  connect(target: LoadTarget, localAddress: string | undefined, keepaliveS: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host: target.host, port: target.port, ...(localAddress ? { localAddress } : {}) });
      this.socket = socket;
      socket.setNoDelay(true);
      let settled = false;
      const timer = setTimeout(() => fail(new Error(`no CONNACK for ${this.device.id} within ${CONNECT_TIMEOUT_MS} ms`)), CONNECT_TIMEOUT_MS);
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.counters.errors++;
        socket.destroy();
        reject(err);
      };
      const reader = new PacketReader((type, flags, body) => {
        if (type === PUBACK) {
          const id = body.readUInt16BE(0);
          const readings = this.inflight.get(id);
          if (readings === undefined) return;
          this.inflight.delete(id);
          this.counters.ackedMessages++;
          this.counters.ackedReadings += readings;
          this.ackedReadings += readings;
          this.onAck(this);
        } else if (type === PUBLISH) {
          const p = decodePublish(flags, body);
          if (p.qos === 1) socket.write(encodePuback(p.id));
          this.onMessage?.(p.topic, p.payload);
        } else if (type === CONNACK) {
          const code = body[1] ?? 255;
          if (code !== 0) {
            fail(Object.assign(new Error(`broker refused ${this.device.id}: CONNACK return code ${code}`), { code }));
            return;
          }
          settled = true;
          clearTimeout(timer);
          this.connected = true;
          resolve();
        }
      });
      socket.on('data', (chunk) => {
        try {
          reader.push(chunk);
        } catch (err) {
          fail(err as Error);
          socket.destroy();
        }
      });
      socket.on('error', (err) => fail(err));
      socket.on('close', () => {
        if (this.connected) this.counters.errors += 1;
        this.connected = false;
        this.inflight.clear();
        if (!settled) fail(new Error(`connection of ${this.device.id} closed before CONNACK`));
      });
      socket.write(encodeConnect({
        clientId: `load-${this.device.id}`,
        ...(target.anonymous ? {} : { username: this.device.id, password: this.device.secret ?? `demo-${this.device.id}` }),
        keepaliveS, clean: true,
      }));
      this.lastWrite = Date.now();
    });
  }

  /** Publishes `readings` readings (one object, or a batch when more than one) at QoS 1. */
  publishReadings(count: number, now: number, value?: (seq: number) => string): void {
    const items: string[] = [];
    for (let i = 0; i < count; i++) {
      const seq = this.seq++;
      const ts = (this.lastTs = Math.max(now - count + 1 + i, this.lastTs + 1));
      const metrics = value ? value(seq) : metricsJson(this.device.kind, seq);
      items.push(this.device.kind === 'camera'
        ? `{"ts":${ts},"seq":${seq},"type":"crowding","confidence":0.6,"count":3}`
        : `{"ts":${ts},"seq":${seq},"metrics":${metrics}}`);
    }
    const payload = Buffer.from(count === 1 || this.device.kind === 'camera' ? items[0]! : `[${items.join(',')}]`);
    this.send(payload, this.device.kind === 'camera' ? 1 : count);
  }

  private send(payload: Buffer, readings: number): void {
    let id = this.nextId;
    for (let k = 0; k < 65_535 && this.inflight.has(id); k++) id = (id % 65_535) + 1;
    this.nextId = (id % 65_535) + 1;
    this.inflight.set(id, readings);
    this.counters.messages++;
    this.counters.readings += readings;
    this.lastWrite = Date.now();
    this.socket!.write(encodePublish(this.topic, payload, 1, id));
  }

  /** Writes a PINGREQ when nothing was sent for `idleMs` (keeps the broker's keepalive happy). */
  ping(now: number, idleMs: number): void {
    if (this.connected && now - this.lastWrite >= idleMs) {
      this.lastWrite = now;
      this.socket!.write(PINGREQ_PACKET);
    }
  }

  cork(): void { this.socket?.cork(); }
  uncork(): void { this.socket?.uncork(); }

  writeRaw(packet: Buffer): void {
    this.socket?.write(packet);
  }

  close(): Promise<void> {
    const socket = this.socket;
    if (!socket || socket.destroyed) return Promise.resolve();
    this.connected = false;
    return new Promise((resolve) => {
      const timer = setTimeout(() => { socket.destroy(); resolve(); }, 2000);
      socket.once('close', () => { clearTimeout(timer); resolve(); });
      socket.end(DISCONNECT_PACKET);
    });
  }
}

export interface RunOptions {
  /** Readings per second in total; Infinity: as fast as the in-flight windows allow. */
  rate: number;
  durationMs: number;
  /** Readings per message (1: one object; more: a batch array, at most 500). */
  batch: number;
  /** Called for every message to pick the metrics of a device's reading (default: normal values). */
  value?: (c: LoadConnection, seq: number, now: number) => string | undefined;
  /** Stop early when this returns true (checked every tick). */
  stopped?: () => boolean;
  /** Called every tick with the counters. */
  onTick?: (c: GeneratorCounters) => void;
}

export interface RunResult {
  offered: number;
  messages: number;
  readings: number;
  ackedReadings: number;
  errors: number;
  seconds: number;
  /** Readings the pacer asked for that could not be sent because every in-flight window was full. */
  behind: number;
}

/** A pool of device connections driven together. */
export class LoadGenerator {
  readonly counters: GeneratorCounters = { messages: 0, readings: 0, ackedMessages: 0, ackedReadings: 0, errors: 0 };
  readonly connections: LoadConnection[];
  private pump: ((c: LoadConnection) => void) | null = null;
  private cursor = 0;

  constructor(devices: LoadDevice[], private readonly window: number) {
    this.connections = devices.map((d) => new LoadConnection(d, window, this.counters, (c) => this.pump?.(c)));
  }

  connected(): number {
    let n = 0;
    for (const c of this.connections) if (c.connected) n++;
    return n;
  }

  /**
   * Opens the connections, at most `parallel` handshakes at a time and at most `perSecond` new
   * ones per second; `onProgress` is called as they complete. Resolves with the failures.
   */
  async connectAll(target: LoadTarget, o: { parallel?: number; perSecond?: number; keepaliveS?: number; onProgress?: (done: number, failed: number) => void } = {}): Promise<{ failed: number; firstError: string | null }> {
    const parallel = o.parallel ?? 200;
    const perSecond = o.perSecond ?? Number.POSITIVE_INFINITY;
    const sources = target.sourceAddresses?.length ? target.sourceAddresses : [undefined];
    let next = 0, done = 0, failed = 0;
    let firstError: string | null = null;
    const start = Date.now();
    const worker = async () => {
      while (next < this.connections.length) {
        const i = next++;
        if (perSecond !== Number.POSITIVE_INFINITY) {
          const at = start + (i * 1000) / perSecond;
          if (at > Date.now()) await new Promise((r) => setTimeout(r, at - Date.now()));
        }
        try {
          await this.connections[i]!.connect(target, sources[i % sources.length], o.keepaliveS ?? 60);
        } catch (err) {
          failed++;
          firstError ??= (err as Error).message;
        }
        done++;
        o.onProgress?.(done, failed);
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, this.connections.length) }, worker));
    return { failed, firstError };
  }

  /** Publishes at `rate` readings/s for `durationMs`, then waits (≤ 10 s) for outstanding acks. */
  async run(o: RunOptions): Promise<RunResult> {
    const batch = Math.max(1, Math.min(500, Math.floor(o.batch)));
    const before = { ...this.counters };
    const start = Date.now();
    const pacer = new Pacer(o.rate, start, Math.max(batch * this.connections.length * this.window, o.rate));
    let behind = 0;
    let ending = false;
    const conns = this.connections;
    const sendDue = () => {
      if (ending) return;
      const now = Date.now();
      let due = pacer.due(now);
      if (due < batch) return;
      const corked: LoadConnection[] = [];
      let idle = 0;
      while (due >= batch && idle < conns.length) {
        const c = conns[this.cursor]!;
        this.cursor = (this.cursor + 1) % conns.length;
        if (!c.canSend()) {
          idle++;
          continue;
        }
        idle = 0;
        if (corked.length < 64 && !corked.includes(c)) { c.cork(); corked.push(c); }
        const pick = o.value;
        c.publishReadings(batch, now, pick ? (seq) => pick(c, seq, now) ?? metricsJson(c.device.kind, seq) : undefined);
        pacer.take(batch);
        due -= batch;
      }
      for (const c of corked) c.uncork();
    };
    // Flat out, an acknowledgement frees a slot on its own connection: refill that one at once.
    // Paced, the tick hands the due readings round-robin, one message per connection per pass, so
    // that no connection takes a burst (its readings would get timestamps ahead of the clock).
    this.pump = o.rate !== Number.POSITIVE_INFINITY ? null : (c) => {
      if (ending || !c.canSend()) return;
      const now = Date.now();
      let due = pacer.due(now);
      if (due < batch) return;
      const pick = o.value;
      while (due >= batch && c.canSend()) {
        c.publishReadings(batch, now, pick ? (seq) => pick(c, seq, now) ?? metricsJson(c.device.kind, seq) : undefined);
        pacer.take(batch);
        due -= batch;
      }
    };
    const TICK_MS = 5;
    let lastBehindCheck = start;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const now = Date.now();
        if (now - start >= o.durationMs || o.stopped?.()) {
          clearInterval(timer);
          resolve();
          return;
        }
        sendDue();
        if (o.rate !== Number.POSITIVE_INFINITY && now - lastBehindCheck >= 1000) {
          lastBehindCheck = now;
          const owed = pacer.due(now);
          if (owed >= batch) behind = Math.max(behind, owed);
        }
        o.onTick?.(this.counters);
      }, TICK_MS);
    });
    ending = true;
    this.pump = null;
    const seconds = (Date.now() - start) / 1000;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && conns.some((c) => c.connected && c.inFlight > 0)) await new Promise((r) => setTimeout(r, 20));
    return {
      offered: o.rate === Number.POSITIVE_INFINITY ? Number.POSITIVE_INFINITY : Math.round(o.rate * seconds),
      messages: this.counters.messages - before.messages,
      readings: this.counters.readings - before.readings,
      ackedReadings: this.counters.ackedReadings - before.ackedReadings,
      errors: this.counters.errors - before.errors,
      seconds,
      behind,
    };
  }

  /** PINGREQ on idle connections; call every few seconds while holding connections open. */
  keepAlive(idleMs: number): void {
    const now = Date.now();
    for (const c of this.connections) c.ping(now, idleMs);
  }

  async close(): Promise<void> {
    const all = this.connections;
    for (let i = 0; i < all.length; i += 1000) await Promise.all(all.slice(i, i + 1000).map((c) => c.close()));
  }
}
