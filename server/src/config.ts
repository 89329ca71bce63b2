// Server environment (SPEC table), validated all at once into a frozen, typed object.
import { envFlag, envLogLevel, envPort, parseDuration, parseEnv, ConfigError } from '@citygrid/contract';
import { z } from 'zod';

const duration = (fallback: string) =>
  z.string().default(fallback).refine((v) => parseDuration(v) !== null, 'must be a duration like 30s, 15m, 24h, 7d').transform((v) => parseDuration(v)!);

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
    STORE: z.enum(['sqlite', 'influx'], { message: 'must be sqlite or influx' }).default('sqlite'),
    DATA_DIR: z.string().default('./data'),
    INFLUX_URL: z.string().url('must be a URL like http://influxdb:8086').optional(),
    INFLUX_TOKEN: z.string().optional(),
    INFLUX_DATABASE: z.string().default('citygrid'),
    CITY_DIR: z.string().default('./config/demo-city'),
    SIMULATE: envFlag(false),
    SIMULATE_INTERVAL: duration('5s'),
    RETENTION: duration('30d'),
    WEB_DIST: z.string().default('./web/dist'),
    LOG_LEVEL: envLogLevel,
  }, env);
  const problems: string[] = [];
  if (raw.STORE === 'influx' && !raw.INFLUX_URL) problems.push('INFLUX_URL: is required when STORE=influx');
  if (raw.MQTT_ALLOW_ANONYMOUS && !raw.MQTT_URL && !['127.0.0.1', '::1', 'localhost'].includes(raw.MQTT_HOST)) {
    problems.push(`MQTT_ALLOW_ANONYMOUS: 1 is only allowed when the embedded broker listens on loopback; set MQTT_HOST=127.0.0.1 (got MQTT_HOST=${raw.MQTT_HOST})`);
  }
  if (problems.length) throw new ConfigError(problems);
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
    }),
    store: raw.STORE,
    dataDir: raw.DATA_DIR,
    influx: Object.freeze({ url: raw.INFLUX_URL ?? null, token: raw.INFLUX_TOKEN ?? null, database: raw.INFLUX_DATABASE }),
    cityDir: raw.CITY_DIR,
    simulate: raw.SIMULATE,
    simulateIntervalMs: raw.SIMULATE_INTERVAL,
    retentionMs: raw.RETENTION,
    webDist: raw.WEB_DIST,
    logLevel: raw.LOG_LEVEL,
  });
}
export type ServerConfig = ReturnType<typeof loadServerConfig>;
