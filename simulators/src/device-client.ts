// One simulated device's MQTT connection: credentials, a retained `offline` will, retained
// `online` on every connect, telemetry and camera events at QoS 1 with a rising seq, and
// the server's rejections logged. mqtt.js reconnects by itself when the broker goes away.
// A gateway's client (`children`) also carries its children's messages (ChildReporter), on
// city/v1/gateways/{gateway}/devices/{child}/..., and announces them online and offline.
import { deviceTopic, gatewayTopic } from '@citygrid/contract';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { CameraDetection } from './camera.js';
import type { Metrics } from './model.js';

export interface DeviceClientOptions {
  url: string;
  deviceId: string;
  secret: string;
  logger: Logger;
  /** Base delay before reconnecting; `reconnectJitterMs` is added so clients do not return in step. */
  reconnectPeriodMs?: number; // default 2 s
  reconnectJitterMs?: number; // default 0
  /** Called after every successful (re)connect. */
  onConnect?: () => void;
  /** Gateway mode: the children whose messages this connection carries (each announced online on connect, offline on stop). */
  children?: string[];
}

/** What a device's reports go out through: its own connection, or its gateway's (ChildReporter). */
export interface Reporter {
  readonly deviceId: string;
  publishTelemetry(metrics: Metrics, ts: number): void;
  publishEvent(detection: CameraDetection, ts: number): void;
}

export interface DeviceCounters {
  sent: number;
  errors: number;
}

const STOP_TIMEOUT_MS = 2_000; // how long a graceful stop waits for the broker

export class DeviceClient implements Reporter {
  readonly deviceId: string;
  readonly counters: DeviceCounters = { sent: 0, errors: 0 };
  private readonly log: Logger;
  private readonly client: MqttClient;
  private seq = 0;
  private stopping = false;

  constructor(private readonly options: DeviceClientOptions) {
    this.deviceId = options.deviceId;
    this.log = options.logger.child({ device: options.deviceId });
    const id = options.deviceId;
    const connectOptions: IClientOptions = {
      clientId: id,
      username: id,
      password: options.secret,
      protocolVersion: 4, // the broker speaks MQTT 3.1.1
      clean: true,
      reconnectPeriod: (options.reconnectPeriodMs ?? 2_000) + (options.reconnectJitterMs ?? 0),
      connectTimeout: 10_000,
      will: { topic: deviceTopic(id, 'status'), payload: Buffer.from('offline'), retain: true, qos: 1 },
    };
    // several brokers (cluster mode's edges, comma-separated): mqtt.js tries the next on each reconnect
    const urls = options.url.split(',').map((u) => u.trim());
    if (urls.length > 1) connectOptions.servers = urls.map((u) => ({ host: new URL(u).hostname, port: Number(new URL(u).port) || 1883 }));
    this.client = mqtt.connect(urls[0]!, connectOptions);
    this.client.on('connect', () => this.onConnect());
    this.client.on('message', (topic, payload) => this.onMessage(topic, payload));
    this.client.on('error', (err) => this.onError(err));
    this.client.on('reconnect', () => this.log.debug('reconnecting'));
    this.client.on('offline', () => {
      if (!this.stopping) this.log.debug('connection lost');
    });
  }

  get connected(): boolean {
    return this.client.connected && !this.stopping;
  }

  publishTelemetry(metrics: Metrics, ts: number): void {
    this.publish('telemetry', { ts, metrics, seq: this.seq++ });
  }

  publishEvent(detection: CameraDetection, ts: number): void {
    this.publish('event', { ts, ...detection, seq: this.seq++ });
  }

  /** Gateway mode: a child's message on its gateway topic, with the child's own seq (ChildReporter). */
  publishFor(childId: string, channel: 'telemetry' | 'event', body: object): void {
    this.send(gatewayTopic(this.deviceId, childId, channel), channel, body);
  }

  /** Publishes a retained `offline` (for its children too), disconnects and resolves once the client is closed. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const client = this.client;
    if (client.connected) {
      const topics = [deviceTopic(this.deviceId, 'status'), ...(this.options.children ?? []).map((c) => gatewayTopic(this.deviceId, c, 'status'))];
      await withTimeout(
        Promise.all(topics.map((topic) => new Promise<void>((resolve) => {
          client.publish(topic, 'offline', { qos: 1, retain: true }, () => resolve());
        }))).then(() => undefined),
        STOP_TIMEOUT_MS,
      );
    }
    const ended = new Promise<void>((resolve) => client.end(!client.connected, () => resolve()));
    if (!(await withTimeout(ended, STOP_TIMEOUT_MS))) {
      await new Promise<void>((resolve) => client.end(true, () => resolve()));
    }
  }

  private publish(channel: 'telemetry' | 'event', body: object): void {
    this.send(deviceTopic(this.deviceId, channel), channel, body);
  }

  private send(topic: string, channel: 'telemetry' | 'event', body: object): void {
    if (!this.connected) return;
    this.client.publish(topic, JSON.stringify(body), { qos: 1 }, (err) => {
      if (err) {
        this.counters.errors++;
        if (!this.stopping) this.log.debug({ err: err.message }, `${channel} not delivered`);
      } else {
        this.counters.sent++;
      }
    });
  }

  private onConnect(): void {
    if (this.stopping) return;
    this.log.debug('connected');
    const id = this.deviceId;
    for (const topic of [deviceTopic(id, 'status'), ...(this.options.children ?? []).map((c) => gatewayTopic(id, c, 'status'))]) {
      this.client.publish(topic, 'online', { qos: 1, retain: true }, (err) => {
        if (err) this.counters.errors++;
      });
    }
    this.client.subscribe(deviceTopic(id, 'rejections'), { qos: 1 }, (err) => {
      if (err) this.log.warn({ err: err.message }, 'could not subscribe to rejections');
    });
    this.options.onConnect?.();
  }

  private onMessage(topic: string, payload: Buffer): void {
    if (topic !== deviceTopic(this.deviceId, 'rejections')) return;
    const text = payload.toString('utf8').slice(0, 2_000);
    let rejection: unknown = text;
    try {
      rejection = JSON.parse(text);
    } catch {
      // not JSON: log the text as it is
    }
    this.log.warn({ rejection }, 'server rejected a message');
  }

  private onError(err: Error & { code?: unknown }): void {
    this.counters.errors++;
    if (this.stopping) return;
    // connection refused by the broker (bad credentials) is worth a warning; a broker that
    // is down would otherwise log once per device every couple of seconds
    if (typeof err.code === 'number') this.log.warn({ err: err.message }, 'broker refused the connection');
    else this.log.debug({ err: err.message, code: err.code }, 'connection error');
  }
}

/** Resolves true if `promise` settled within `ms`, false if the time ran out (and clears its timer). */
async function withTimeout(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A gateway's child: its reports, with its own rising seq, go out through the gateway's connection. */
export class ChildReporter implements Reporter {
  private seq = 0;

  constructor(readonly deviceId: string, readonly gateway: DeviceClient) {}

  publishTelemetry(metrics: Metrics, ts: number): void {
    this.gateway.publishFor(this.deviceId, 'telemetry', { ts, metrics, seq: this.seq++ });
  }

  publishEvent(detection: CameraDetection, ts: number): void {
    this.gateway.publishFor(this.deviceId, 'event', { ts, ...detection, seq: this.seq++ });
  }
}
