// The standalone broker's HTTP port (BROKER_HTTP_PORT, default 9883): GET /metrics (Prometheus text,
// the same citygrid_mqtt_* names as the server's embedded broker, plus the edge's JetStream publish
// outcomes in cluster mode), GET /health (JSON, 200 ok / 503 degraded with the reasons) and MQTT over
// WebSockets at /mqtt (websocket.ts, as the server mounts it). Everything else: 404. Only GET (and
// HEAD) are answered; a request body is never read.
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CityBroker } from './broker.js';
import { EDGE_REFUSALS, type BrokerStats } from './context.js';
import { serveMqttOverWebSocket, type MqttWebSocketEdge } from './websocket.js';

/** The edge's view of its bus (cluster mode): JetStreamEdge's counters and the NATS connection's state. */
export interface EdgeBusState {
  stats: Readonly<{ published: number; streamMessages: number; duplicates: number; refusals: number; failed: number }>;
  /** Device messages accepted and not yet acknowledged by the stream. */
  pending(): number;
  /** False while the NATS connection is down (disconnected, reconnecting, closed). */
  connected(): boolean;
}

export interface BrokerHttpOptions {
  port: number;
  host: string;
  logger: Logger;
  broker: Pick<CityBroker, 'stats' | 'connectedClients' | 'handleStream'>;
  /** True while the MQTT listener takes connections (false once closing). */
  listening: () => boolean;
  /** Cluster mode: the edge's bus. */
  bus?: EdgeBusState | null;
  /** Mount MQTT over WebSockets at /mqtt (MQTT_WS). */
  mqttWs: boolean;
  /** METRICS_TOKEN: when set, GET /metrics needs it as a bearer token. */
  metricsToken?: string | null;
  /** The registry to fill (default: a new one). */
  registry?: Registry;
}

export type BrokerHealthStatus = 'ok' | 'degraded';
export interface BrokerHealth {
  status: BrokerHealthStatus;
  /** Why it is degraded (empty when ok): `mqtt_not_listening`, `nats_disconnected`. */
  reasons: string[];
  mqtt: { listening: boolean; clients: number; websocket: boolean };
  /** Cluster mode only. */
  bus?: { connected: boolean; pending: number };
  uptimeS: number;
}

export interface BrokerHttp {
  port: number;
  registry: Registry;
  health(): BrokerHealth;
  close(): Promise<void>;
}

/** Times a sink's promise (device message accepted to the stream's ack); the histogram the edge's /metrics shows. */
export type AckTimer = (seconds: number, ok: boolean) => void;

export async function startBrokerHttp(o: BrokerHttpOptions): Promise<BrokerHttp & { ackTimer: AckTimer }> {
  const registry = o.registry ?? new Registry();
  const started = Date.now();
  const metrics = brokerMetrics(registry, o);
  const health = (): BrokerHealth => {
    const reasons: string[] = [];
    const listening = o.listening();
    if (!listening) reasons.push('mqtt_not_listening');
    const bus = o.bus ? { connected: o.bus.connected(), pending: o.bus.pending() } : undefined;
    if (bus && !bus.connected) reasons.push('nats_disconnected');
    return {
      status: reasons.length ? 'degraded' : 'ok',
      reasons,
      mqtt: { listening, clients: o.broker.connectedClients(), websocket: o.mqttWs },
      ...(bus ? { bus } : {}),
      uptimeS: Math.round((Date.now() - started) / 1000),
    };
  };
  const log = o.logger.child({ stage: 'http' });
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log.warn({ err }, 'HTTP request failed');
      if (!res.headersSent) send(res, 500, 'application/json', JSON.stringify({ error: 'internal error' }));
      else res.destroy();
    });
  });
  // bounded: no client can make us hold a request (no bodies read; headers cut short)
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  server.maxHeadersCount = 50;
  server.on('clientError', (_err, socket) => socket.destroy());

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = pathOf(req.url);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return send(res, 405, 'application/json', JSON.stringify({ error: `${String(req.method).slice(0, 10)} is not allowed: GET /metrics, GET /health` }));
    }
    if (path === '/health') {
      const h = health();
      return send(res, h.status === 'ok' ? 200 : 503, 'application/json', JSON.stringify(h));
    }
    if (path === '/metrics') {
      if (o.metricsToken && !sameSecret(req.headers.authorization ?? '', `Bearer ${o.metricsToken}`)) {
        return send(res, 401, 'application/json', JSON.stringify({ error: 'GET /metrics needs Authorization: Bearer <METRICS_TOKEN>' }));
      }
      return send(res, 200, registry.contentType, await registry.metrics());
    }
    return send(res, 404, 'application/json', JSON.stringify({ error: 'not found: GET /metrics, GET /health' + (o.mqttWs ? ', MQTT over WebSockets at /mqtt' : '') }));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // mounted once listening (its log line says it is served); upgrades before it find no listener and are closed
  const mqttWs: MqttWebSocketEdge | null = o.mqttWs ? serveMqttOverWebSocket(server, o.broker, { logger: o.logger }) : null;
  metrics.webSockets = mqttWs;
  const port = (server.address() as AddressInfo).port;
  log.info({ host: o.host, port, mqttWs: o.mqttWs }, 'broker HTTP listening (GET /metrics, GET /health)');
  return {
    port,
    registry,
    health,
    ackTimer: (seconds, ok) => {
      if (ok) metrics.ack.observe(seconds);
    },
    async close() {
      mqttWs?.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // a scrape still running gets 2 s
      const force = setTimeout(() => server.closeAllConnections(), 2_000);
      await closed;
      clearTimeout(force);
    },
  };
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

function pathOf(url: string | undefined): string | null {
  try {
    return new URL(url ?? '', 'http://localhost').pathname;
  } catch {
    return null;
  }
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The broker's metrics, read from its counters at each scrape. Names shared with the server's
 * embedded broker (server/src/metrics.ts) mean the same; the rest are the standalone broker's and
 * the edge's own. Labelled counters start at 0 for every known label value, so rate() sees them.
 */
function brokerMetrics(registry: Registry, o: BrokerHttpOptions) {
  collectDefaultMetrics({ register: registry, prefix: 'citygrid_' });
  const stats = o.broker.stats;
  const state: { webSockets: MqttWebSocketEdge | null; ack: Histogram<string> } = {
    webSockets: null,
    ack: null as unknown as Histogram<string>,
  };
  const follow = (name: string, help: string, read: (s: Readonly<BrokerStats>) => number) => followCounter(registry, name, help, () => read(stats));
  follow('citygrid_mqtt_connects_total', 'MQTT clients that connected (authenticated, session ready)', (s) => s.connects);
  follow('citygrid_mqtt_disconnects_total', 'MQTT clients that disconnected', (s) => s.disconnects);
  follow('citygrid_mqtt_logins_refused_total', 'MQTT logins refused, for any reason (credentials, client id, back-off)', (s) => s.authFailures);
  follow('citygrid_mqtt_login_failures_total', 'MQTT logins refused for their credentials (wrong or missing password, unknown device)', (s) => s.loginFailures);
  follow('citygrid_mqtt_logins_throttled_total', 'MQTT logins refused unchecked because their address was backed off after failed ones', (s) => s.loginsThrottled);
  follow('citygrid_mqtt_publishes_rejected_total', 'Publishes the broker refused (topic, ACL, size, budget)', (s) => s.rejectedPublishes);
  follow('citygrid_mqtt_queue_dropped_total', 'Messages dropped from session queues over their cap (oldest first)', (s) => s.queueDropped);
  followLabelled(registry, 'citygrid_mqtt_connections_closed_total', 'Connections the broker closed at its edge, by reason (packet_too_large, preauth_bytes, auth_timeout, pending_limit, address_rate)', 'reason', EDGE_REFUSALS, () => stats.connectionsClosed);
  followLabelled(registry, 'citygrid_mqtt_sessions_ended_total', 'Persistent sessions the broker ended, by reason (evicted: beyond a device\'s cap; expired: idle too long)', 'reason', ['evicted', 'expired'], () => stats.sessionsEnded);
  new Gauge({ name: 'citygrid_broker_clients', help: 'Clients connected to the broker', registers: [registry], collect() { this.set(o.broker.connectedClients()); } });
  new Gauge({ name: 'citygrid_broker_websocket_clients', help: 'MQTT connections over WebSockets (/mqtt on the broker\'s HTTP port) open now', registers: [registry], collect() { this.set(state.webSockets?.connections() ?? 0); } });
  new Gauge({ name: 'citygrid_broker_listening', help: '1 while the MQTT listener takes connections', registers: [registry], collect() { this.set(o.listening() ? 1 : 0); } });
  const bus = o.bus;
  if (bus) {
    new Gauge({ name: 'citygrid_edge_bus_connected', help: 'Cluster-mode edge: 1 while connected to NATS, 0 while disconnected or reconnecting', registers: [registry], collect() { this.set(bus.connected() ? 1 : 0); } });
    new Gauge({ name: 'citygrid_edge_bus_pending', help: 'Cluster-mode edge: device messages accepted and not yet acknowledged by the stream (their PUBACKs wait)', registers: [registry], collect() { this.set(bus.pending()); } });
    followCounter(registry, 'citygrid_edge_bus_published_total', 'Cluster-mode edge: device messages the stream acknowledged (then PUBACKed to the device)', () => bus.stats.published);
    followCounter(registry, 'citygrid_edge_bus_stream_messages_total', 'Cluster-mode edge: stream messages published and acknowledged (one device message, or a batch)', () => bus.stats.streamMessages);
    followCounter(registry, 'citygrid_edge_bus_duplicates_total', 'Cluster-mode edge: publishes the stream recognised as copies within its duplicate window', () => bus.stats.duplicates);
    followCounter(registry, 'citygrid_edge_bus_publish_failed_total', 'Cluster-mode edge: device messages the stream did not take (no PUBACK; the device sends them again)', () => bus.stats.failed);
    followCounter(registry, 'citygrid_edge_bus_refusals_total', 'Cluster-mode edge: refusals (broker and contract checks) put on the stream', () => bus.stats.refusals);
    state.ack = new Histogram({
      name: 'citygrid_edge_bus_ack_seconds', help: 'Cluster-mode edge: a device message handed to the edge to the stream\'s ack, when its PUBACK can go (contract refusals, answered at once, included)',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 20], registers: [registry],
    });
  } else {
    // nothing to observe without a bus; a detached histogram keeps ackTimer() safe
    state.ack = new Histogram({ name: 'citygrid_edge_bus_ack_seconds', help: 'unused', registers: [] });
  }
  return state;
}

/** A counter that follows one of the broker's monotonic numbers (read at each scrape). */
function followCounter(registry: Registry, name: string, help: string, read: () => number): void {
  let seen = 0;
  new Counter({
    name, help, registers: [registry],
    collect(this: Counter<string>) {
      const n = read();
      if (n > seen) {
        this.inc(n - seen);
        seen = n;
      }
    },
  });
}

function followLabelled(registry: Registry, name: string, help: string, label: string, known: readonly string[], read: () => Readonly<Record<string, number>>): void {
  const seen = new Map<string, number>();
  const counter = new Counter({
    name, help, labelNames: [label], registers: [registry],
    collect(this: Counter<string>) {
      for (const [key, n] of Object.entries(read())) {
        const delta = n - (seen.get(key) ?? 0);
        if (delta <= 0) continue;
        seen.set(key, n);
        this.inc({ [label]: key }, delta);
      }
    },
  });
  for (const value of known) counter.inc({ [label]: value }, 0);
}
