// Server environment (SPEC table), validated all at once into a frozen, typed object.
import { BROKER_LIMITS_ENV, BUS_ENV, busFromEnv, limitsFromEnv } from '@citygrid/broker';
import { envFlag, envLogLevel, envPort, envTrustProxy, parseDuration, parseEnv } from '@citygrid/contract';
import { SCENARIO_NAMES } from '@citygrid/simulators';
import { z } from 'zod';

const duration = (fallback: string, minMs: number, minText: string) =>
  z.string().default(fallback)
    .refine((v) => parseDuration(v) !== null, 'must be a duration like 30s, 15m, 24h, 7d')
    .refine((v) => (parseDuration(v) ?? minMs) >= minMs, `must be at least ${minText}`)
    .transform((v) => parseDuration(v)!);

/** A whole number of days, at least 1 (retention periods). */
const days = (fallback: number) =>
  z.string().regex(/^\d+$/, 'must be a whole number of days, at least 1, like 365').transform(Number)
    .refine((n) => n >= 1, 'must be at least 1 (day)').refine((n) => n <= 36_500, 'must be at most 36500 (days)').default(fallback);

const LOOPBACK = ['127.0.0.1', '::1', 'localhost'];

/** MQTTS_PORT values that turn MQTT over TLS off. */
const TLS_OFF = ['off', 'no', 'false'];

/** Problems that involve several variables, reported together with the per-variable ones. */
function crossChecks(env: Record<string, string>): string[] {
  const problems: string[] = [];
  if (env.STORE === 'influx' && !env.INFLUX_URL) problems.push('INFLUX_URL: is required when STORE=influx');
  const anonymous = ['1', 'true', 'yes'].includes(env.MQTT_ALLOW_ANONYMOUS ?? '');
  const host = env.MQTT_HOST ?? '0.0.0.0';
  if (anonymous && !env.MQTT_URL && !LOOPBACK.includes(host)) {
    problems.push(`MQTT_ALLOW_ANONYMOUS: 1 is only allowed when the embedded broker listens on loopback; set MQTT_HOST=127.0.0.1 (got MQTT_HOST=${host})`);
  }
  if (env.AUTH_SECRET !== undefined && env.AUTH_SECRET.length < 32) {
    problems.push(`AUTH_SECRET: must be at least 32 characters, got ${env.AUTH_SECRET.length} (value not shown); make one with \`openssl rand -base64 48\`, or unset it to have one generated in DATA_DIR/auth-secret`);
  }
  if (env.BUS_URL) {
    // cluster mode: replicas share InfluxDB, and a sign-in made on one must be good on every other
    if ((env.STORE ?? 'sqlite') !== 'influx') problems.push('STORE: cluster mode (BUS_URL) needs STORE=influx: SQLite is one file on one machine, and every replica writes and reads the same readings');
    if (env.AUTH_SECRET === undefined) problems.push('AUTH_SECRET: is required in cluster mode (BUS_URL): every replica must check the tokens the others sign; make one with `openssl rand -base64 48` and give all replicas the same');
    if (!env.REDIS_URL) problems.push('REDIS_URL: is required in cluster mode (BUS_URL): live events reach the browsers of every replica through Redis (redis://host:6379)');
    if (['1', 'true', 'yes'].includes(env.SIMULATE ?? '') && !env.MQTT_URL) problems.push('MQTT_URL: SIMULATE=1 in cluster mode needs MQTT_URL, the address of an edge for the simulated devices');
  }
  if (Boolean(env.TLS_CERT) !== Boolean(env.TLS_KEY)) {
    problems.push(`${env.TLS_CERT ? 'TLS_KEY' : 'TLS_CERT'}: TLS_CERT and TLS_KEY go together (PEM files of the certificate and its key); set both, or neither to have a self-signed pair made in DATA_DIR/tls/`);
  }
  if (env.TLS_CLIENT_CA && !env.MQTT_URL && !env.BUS_URL && TLS_OFF.includes((env.MQTTS_PORT ?? '').toLowerCase())) {
    problems.push(`TLS_CLIENT_CA: logs devices in over MQTT over TLS, which MQTTS_PORT=${env.MQTTS_PORT} turns off`);
  }
  if (env.METRICS_TOKEN !== undefined && env.METRICS_TOKEN.length < 16) {
    problems.push(`METRICS_TOKEN: must be at least 16 characters, got ${env.METRICS_TOKEN.length} (value not shown)`);
  }
  return problems;
}

export function loadServerConfig(env: Record<string, string | undefined> = process.env) {
  const raw = parseEnv({
    PORT: envPort(8080),
    HOST: z.string().default('0.0.0.0'),
    MQTT_PORT: envPort(1883),
    MQTT_HOST: z.string().default('0.0.0.0'),
    MQTT_URL: z.string().regex(/^(mqtt|mqtts|tcp|ws|wss):\/\/.+/, 'must be a URL like mqtt://broker:1883').optional(),
    MQTT_USERNAME: z.string().default('citygrid-server'),
    MQTT_PASSWORD: z.string().optional(),
    MQTT_CLIENT_ID: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/).default('citygrid-server'),
    MQTT_ALLOW_ANONYMOUS: envFlag(false),
    MQTT_WS: envFlag(true),
    // MQTT over TLS on the embedded broker: a port (0: any free one) or off
    MQTTS_PORT: z.string().default('8883').transform((v) => v.toLowerCase())
      .refine((v) => TLS_OFF.includes(v) || (/^\d{1,5}$/.test(v) && Number(v) <= 65535), 'must be a port number from 0 to 65535 (0: any free one), or off')
      .transform((v) => (TLS_OFF.includes(v) ? null : Number(v))),
    TLS_CERT: z.string().optional(),
    TLS_KEY: z.string().optional(),
    TLS_CLIENT_CA: z.string().optional(),
    HTTPS: envFlag(false),
    MQTT_DEVICE_RATE: z.string().regex(/^\d+(\.\d+)?$/, 'must be messages per second, like 20 (0: no limit)').transform(Number).default(20),
    MQTT_DEVICE_BURST: z.string().regex(/^\d+$/, 'must be a whole number of messages, like 200').transform(Number).refine((n) => n >= 1, 'must be at least 1').default(200),
    ...BROKER_LIMITS_ENV, // the embedded broker's edge limits (not used with MQTT_URL)
    ...BUS_ENV, // cluster mode: read the edges' NATS JetStream bus instead of running a broker
    REDIS_URL: z.string().regex(/^rediss?:\/\/.+/, 'must be a URL like redis://127.0.0.1:6379').optional(),
    STORE: z.enum(['sqlite', 'influx'], { message: 'must be sqlite or influx' }).default('sqlite'),
    DATA_DIR: z.string().default('./data'),
    INFLUX_URL: z.string().url('must be a URL like http://influxdb:8086').optional(),
    INFLUX_TOKEN: z.string().optional(),
    INFLUX_DATABASE: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be a database (2.x: bucket) name').default('citygrid'),
    SPOOL_MAX_MB: z.string().regex(/^\d+$/, 'must be a whole number of megabytes').transform(Number).refine((n) => n >= 1, 'must be at least 1').default(1024),
    CITY_DIR: z.string().default('./config/demo-city'),
    SIMULATE: envFlag(false),
    SIMULATE_INTERVAL: duration('5s', 100, '100ms'),
    SIMULATE_SCENARIO: z.enum(SCENARIO_NAMES, { message: `must be a known scenario: ${SCENARIO_NAMES.join(', ')}` }).optional(),
    SIMULATE_SPEED: z.string().regex(/^\d+(\.\d+)?$/, 'must be a number like 1 or 20').transform(Number).refine((n) => n >= 0.1 && n <= 1000, 'must be from 0.1 to 1000').default(1),
    RETENTION: duration('30d', 3_600_000, '1h'),
    RETAIN_NAMES_DAYS: days(365),
    RETAIN_AUDIT_DAYS: days(365),
    REPORTS: envFlag(true),
    RETAIN_REPORT_TEXT_DAYS: days(180),
    REPORT_POW_BITS: z.string().regex(/^\d+$/, 'must be a whole number of bits, like 18').transform(Number)
      .refine((n) => n >= 1 && n <= 28, 'must be 1 to 28 (bits of proof-of-work; 18 takes a phone a few seconds)').default(18),
    WEB_DIST: z.string().default('./web/dist'),
    CORS_ORIGINS: z.string().default('').transform((v) => v.split(',').map((o) => o.trim()).filter(Boolean))
      .refine((list) => list.every((o) => /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/.test(o)), 'must be a comma-separated list of origins like https://ops.example.org (scheme, host, optional port; no path)'),
    TRUST_PROXY: envTrustProxy,
    SESSION_MAX_AGE: duration('12h', 5 * 60_000, '5m').refine((ms) => ms <= 30 * 86_400_000, 'must be at most 30d'),
    CITYGRID_DEMO: envFlag(false),
    // secrets: checked in crossChecks, which never echo the value
    AUTH_SECRET: z.string().optional(),
    METRICS_TOKEN: z.string().optional(),
    LOG_LEVEL: envLogLevel,
    LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
  }, env, crossChecks);
  return Object.freeze({
    port: raw.PORT,
    host: raw.HOST,
    mqtt: Object.freeze({
      /** null: embed a broker on host:port. */
      url: raw.MQTT_URL ?? null,
      port: raw.MQTT_PORT,
      host: raw.MQTT_HOST,
      username: raw.MQTT_USERNAME,
      password: raw.MQTT_PASSWORD ?? null,
      clientId: raw.MQTT_CLIENT_ID,
      allowAnonymous: raw.MQTT_ALLOW_ANONYMOUS,
      /** The embedded broker also takes MQTT over WebSockets on the HTTP port, at /mqtt (MQTT_WS=0: not). */
      ws: raw.MQTT_WS,
      /** The embedded broker's per-device publish budget (messages/s, burst); 0: no limit. */
      deviceRate: Object.freeze({ perSecond: raw.MQTT_DEVICE_RATE, burst: raw.MQTT_DEVICE_BURST }),
      /** The embedded broker's edge limits: connections, logins, sessions, queues (MQTT_* variables). */
      limits: Object.freeze(limitsFromEnv(raw)),
    }),
    tls: Object.freeze({
      /**
       * The embedded broker's MQTT over TLS port (default 8883; 0: any free one); null: off (MQTTS_PORT=off).
       * Left at its default and found in use, TLS is off for that run, with a warning; set, it must be free.
       */
      mqttsPort: raw.MQTTS_PORT,
      mqttsPortSet: env.MQTTS_PORT !== undefined,
      /** PEM files of the certificate and key; null: a self-signed pair made on first start in DATA_DIR/tls/. */
      certFile: raw.TLS_CERT ?? null,
      keyFile: raw.TLS_KEY ?? null,
      /** PEM file of the CA whose client certificates log devices in (subject CN = device id); null: none asked for. */
      clientCaFile: raw.TLS_CLIENT_CA ?? null,
      /** HTTPS=1: the HTTP port serves TLS with the same certificate (https://, and wss:// at /mqtt). */
      https: raw.HTTPS,
    }),
    /** Cluster mode: the NATS servers and how the stream is kept; null: one process (embedded or MQTT_URL). */
    bus: busFromEnv(raw),
    /** Cluster mode: Redis for Socket.IO's adapter (live events across replicas). */
    redisUrl: raw.REDIS_URL ?? null,
    store: raw.STORE,
    dataDir: raw.DATA_DIR,
    influx: Object.freeze({ url: raw.INFLUX_URL ?? null, token: raw.INFLUX_TOKEN ?? null, database: raw.INFLUX_DATABASE }),
    /** Cap of the InfluxDB write spool under DATA_DIR/spool. */
    spoolMaxBytes: raw.SPOOL_MAX_MB * 1_048_576,
    cityDir: raw.CITY_DIR,
    simulate: raw.SIMULATE,
    simulateIntervalMs: raw.SIMULATE_INTERVAL,
    /** A storyline played on top of the normal demo city (e.g. an underpass flooding). */
    simulateScenario: raw.SIMULATE_SCENARIO ?? null,
    simulateSpeed: raw.SIMULATE_SPEED,
    retentionMs: raw.RETENTION,
    /** What names a person (retention.ts): alert actors and notes are anonymised, audit entries removed, after these. */
    retain: Object.freeze({ namesDays: raw.RETAIN_NAMES_DAYS, auditDays: raw.RETAIN_AUDIT_DAYS }),
    reports: Object.freeze({ enabled: raw.REPORTS, powBits: raw.REPORT_POW_BITS, textDays: raw.RETAIN_REPORT_TEXT_DAYS }),
    webDist: raw.WEB_DIST,
    /** Other origins allowed to call the API and open the socket from a browser; none by default. */
    corsOrigins: Object.freeze(raw.CORS_ORIGINS),
    /** Express's `trust proxy`: false (clients connect directly), a number of proxies in front, or their addresses. */
    trustProxy: raw.TRUST_PROXY,
    auth: Object.freeze({
      /** Signs sign-in tokens (HS256); null: a random one kept in DATA_DIR/auth-secret (mode 0600). */
      secret: raw.AUTH_SECRET ?? null,
      /** When set, GET /metrics needs `Authorization: Bearer <token>`; unset, /metrics is open. */
      metricsToken: raw.METRICS_TOKEN ?? null,
      /** A sign-in's absolute lifetime: refreshes never take a session past it. */
      sessionMaxAgeMs: raw.SESSION_MAX_AGE,
    }),
    /** CITYGRID_DEMO=1: the demo city or placeholder secrets may be served beyond loopback (contract demo-guard.ts). */
    demoAllowed: raw.CITYGRID_DEMO,
    logLevel: raw.LOG_LEVEL,
    /** auto: readable on a terminal, JSON lines otherwise. */
    logFormat: raw.LOG_FORMAT,
  });
}
export type ServerConfig = ReturnType<typeof loadServerConfig>;
