// Environment of the standalone broker (`npm run broker`), validated at once. The edge limits'
// variables (BROKER_LIMITS_ENV) are shared with the server's config for its embedded broker.
import { envFlag, envLogLevel, envPort, parseDuration, parseEnv } from '@citygrid/contract';
import { z } from 'zod';
import { DEFAULT_LIMITS, type BrokerLimitsInput } from './limits.js';

export const SERVICE_USERNAME_DEFAULT = 'citygrid-server';
/** The broker's HTTP port when BROKER_HTTP_PORT is unset: clear of the server's 8080, MQTT's 1883 and MQTTS' 8883. */
export const BROKER_HTTP_PORT_DEFAULT = 9883;

const duration = (fallbackMs: number, fallback: string, minMs: number, minText: string) =>
  z.string().default(fallback)
    .refine((v) => parseDuration(v) !== null, 'must be a duration like 30s, 15m, 24h, 7d')
    .refine((v) => (parseDuration(v) ?? fallbackMs) >= minMs, `must be at least ${minText}`)
    .transform((v) => parseDuration(v)!);
const count = (fallback: number, what: string) =>
  z.string().regex(/^\d+$/, `must be a whole number of ${what}, like ${fallback}`).transform(Number).refine((n) => n >= 1, 'must be at least 1').default(fallback);

/** The broker's edge limits (limits.ts), as environment variables. */
export const BROKER_LIMITS_ENV = {
  MQTT_AUTH_TIMEOUT: duration(DEFAULT_LIMITS.authTimeoutMs, '10s', 1000, '1s'),
  MQTT_MAX_PENDING: count(DEFAULT_LIMITS.maxPending, 'connections'),
  MQTT_CONNECT_RATE: z.string().regex(/^\d+(\.\d+)?$/, 'must be connections per second, like 10 (0: no limit)').transform(Number).default(DEFAULT_LIMITS.connectRate.perSecond),
  MQTT_CONNECT_BURST: count(DEFAULT_LIMITS.connectRate.burst, 'connections'),
  MQTT_THROTTLE_LOOPBACK: envFlag(DEFAULT_LIMITS.throttleLoopback),
  MQTT_SESSIONS_PER_DEVICE: count(DEFAULT_LIMITS.sessionsPerDevice, 'sessions'),
  MQTT_SESSION_EXPIRY: duration(DEFAULT_LIMITS.sessionExpiryMs, '1d', 10_000, '10s'),
  MQTT_QUEUE_MAX: count(DEFAULT_LIMITS.queueMax, 'messages'),
  MQTT_SERVER_QUEUE_MAX: count(DEFAULT_LIMITS.serverQueueMax, 'messages'),
};

/** Cluster mode's bus (broker/src/bus/jetstream.ts): shared by `npm run broker` and the server. */
export const BUS_ENV = {
  BUS_URL: z.string().regex(/^nats:\/\/[^,\s]+(,\s*nats:\/\/[^,\s]+)*$/, 'must be one or more NATS URLs, comma-separated, like nats://n1:4222,nats://n2:4222').optional(),
  BUS_REPLICAS: z.string().regex(/^[1-5]$/, 'must be from 1 to 5 (copies of the stream across NATS nodes: 3 for a cluster of three, 1 for a single nats-server)').transform(Number).default(3),
  BUS_MAX_MB: count(1024, 'megabytes'),
  BUS_MAX_AGE: duration(86_400_000, '24h', 60_000, '1m'),
};

type BusEnv = { [K in keyof typeof BUS_ENV]: z.infer<(typeof BUS_ENV)[K]> };

export function busFromEnv(raw: Omit<BusEnv, 'BUS_URL'> & { BUS_URL?: string | undefined }): { url: string; stream: { replicas: number; maxBytes: number; maxAgeMs: number } } | null {
  if (!raw.BUS_URL) return null;
  return { url: raw.BUS_URL, stream: { replicas: raw.BUS_REPLICAS, maxBytes: raw.BUS_MAX_MB * 1_048_576, maxAgeMs: raw.BUS_MAX_AGE } };
}

type LimitsEnv = { [K in keyof typeof BROKER_LIMITS_ENV]: z.infer<(typeof BROKER_LIMITS_ENV)[K]> };

export function limitsFromEnv(raw: LimitsEnv): BrokerLimitsInput {
  return {
    authTimeoutMs: raw.MQTT_AUTH_TIMEOUT,
    maxPending: raw.MQTT_MAX_PENDING,
    connectRate: { perSecond: raw.MQTT_CONNECT_RATE, burst: raw.MQTT_CONNECT_BURST },
    throttleLoopback: raw.MQTT_THROTTLE_LOOPBACK,
    sessionsPerDevice: raw.MQTT_SESSIONS_PER_DEVICE,
    sessionExpiryMs: raw.MQTT_SESSION_EXPIRY,
    queueMax: raw.MQTT_QUEUE_MAX,
    serverQueueMax: raw.MQTT_SERVER_QUEUE_MAX,
  };
}

export function loadBrokerConfig(env: Record<string, string | undefined> = process.env) {
  const config = parseEnv({
    MQTT_PORT: envPort(1883),
    MQTT_HOST: z.string().default('0.0.0.0'),
    CITY_DIR: z.string().default('./config/demo-city'),
    MQTT_ALLOW_ANONYMOUS: envFlag(false),
    MQTT_SERVICE_USERNAME: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/).default(SERVICE_USERNAME_DEFAULT),
    MQTT_SERVICE_CLIENT_ID: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/).default('citygrid-server'),
    // required unless BUS_URL (cluster mode: servers read the bus, no one logs in as the service)
    MQTT_SERVICE_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
    MQTT_DEVICE_RATE: z.string().regex(/^\d+(\.\d+)?$/, 'must be messages per second, like 20 (0: no limit)').transform(Number).default(20),
    MQTT_DEVICE_BURST: z.string().regex(/^\d+$/, 'must be a whole number of messages, like 200').transform(Number).refine((n) => n >= 1, 'must be at least 1').default(200),
    // the broker's HTTP port (http.ts): GET /metrics, GET /health, MQTT over WebSockets at /mqtt.
    // 0: any free port (logged); off: none. Unset: BROKER_HTTP_PORT_DEFAULT, skipped with a warning when taken.
    BROKER_HTTP_PORT: z.string().regex(/^(\d{1,5}|off)$/, `must be a port number (0: any free port) or off, like ${BROKER_HTTP_PORT_DEFAULT}`)
      .refine((v) => v === 'off' || Number(v) <= 65_535, 'must be at most 65535').optional(),
    // default: MQTT_HOST
    BROKER_HTTP_HOST: z.string().min(1).optional(),
    MQTT_WS: envFlag(true),
    METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
    // MQTT over TLS (tls.ts): off unless MQTTS_PORT is set (0: any free port); then TLS_CERT and TLS_KEY
    // (PEM files) are required: the standalone broker makes no certificate of its own
    MQTTS_PORT: z.string().regex(/^\d{1,5}$/, 'must be a port number, like 8883 (0: any free port); leave it unset for no TLS').transform(Number)
      .refine((n) => n <= 65_535, 'must be at most 65535').optional(),
    TLS_CERT: z.string().min(1).optional(),
    TLS_KEY: z.string().min(1).optional(),
    TLS_CLIENT_CA: z.string().min(1).optional(),
    ...BROKER_LIMITS_ENV,
    ...BUS_ENV,
    CITYGRID_DEMO: envFlag(false),
    LOG_LEVEL: envLogLevel,
  }, env, (e) => [
    ...(!e.BUS_URL && !e.MQTT_SERVICE_PASSWORD ? ['MQTT_SERVICE_PASSWORD: is required: the CityGrid server logs in to the broker with it (or set BUS_URL for cluster mode)'] : []),
    ...(e.MQTTS_PORT !== undefined && (!e.TLS_CERT || !e.TLS_KEY) ? ['TLS_CERT, TLS_KEY: both are required with MQTTS_PORT (PEM files of the certificate and its key)'] : []),
    ...(e.MQTTS_PORT === undefined && (e.TLS_CERT || e.TLS_KEY || e.TLS_CLIENT_CA) ? ['MQTTS_PORT: set it (like 8883) for TLS_CERT, TLS_KEY or TLS_CLIENT_CA to be used'] : []),
  ]);
  return config;
}

/** Where the broker's HTTP port listens (null: not at all); `explicit`: BROKER_HTTP_PORT was set, so a taken port fails the start. */
export function brokerHttpFromEnv(c: { BROKER_HTTP_PORT?: string | undefined; BROKER_HTTP_HOST?: string | undefined; MQTT_HOST: string; MQTT_WS: boolean; METRICS_TOKEN?: string | undefined }): { port: number; host: string; explicit: boolean; mqttWs: boolean; metricsToken: string | null } | null {
  if (c.BROKER_HTTP_PORT === 'off') return null;
  return {
    port: c.BROKER_HTTP_PORT === undefined ? BROKER_HTTP_PORT_DEFAULT : Number(c.BROKER_HTTP_PORT),
    host: c.BROKER_HTTP_HOST ?? c.MQTT_HOST,
    explicit: c.BROKER_HTTP_PORT !== undefined,
    mqttWs: c.MQTT_WS,
    metricsToken: c.METRICS_TOKEN ?? null,
  };
}
export type BrokerConfig = ReturnType<typeof loadBrokerConfig>;
