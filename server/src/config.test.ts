// Proves the server's environment is validated as the SPEC table says: defaults, every bad value in one ConfigError, and the cross-field rules.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@citygrid/contract';
import { loadServerConfig } from './config.js';

function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadServerConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}
const problemFor = (err: ConfigError, name: string) => err.problems.filter((p) => p.startsWith(`${name}:`));

describe('loadServerConfig', () => {
  it('has the SPEC defaults', () => {
    const config = loadServerConfig({});
    expect(config.port).toBe(8080);
    expect(config.mqtt.port).toBe(1883);
    expect(config.mqtt.url).toBeNull();
    expect(config.store).toBe('sqlite');
    expect(config.dataDir).toBe('./data');
    expect(config.influx).toEqual({ url: null, token: null, database: 'citygrid' });
    expect(config.cityDir).toBe('./config/demo-city');
    expect(config.simulate).toBe(false);
    expect(config.mqtt.allowAnonymous).toBe(false);
    expect(config.simulateIntervalMs).toBe(5_000);
    expect(config.retentionMs).toBe(30 * 86_400_000);
  });

  it('treats empty strings as unset', () => {
    expect(loadServerConfig({ PORT: '', STORE: '', SIMULATE: '' })).toMatchObject({ port: 8080, store: 'sqlite', simulate: false });
  });

  it('reads every variable', () => {
    const config = loadServerConfig({
      PORT: '9090', MQTT_PORT: '1884', MQTT_URL: 'mqtt://broker:1883', STORE: 'influx', DATA_DIR: '/var/lib/cg',
      INFLUX_URL: 'http://influxdb:8086', INFLUX_TOKEN: 't0k', INFLUX_DATABASE: 'city', CITY_DIR: '/etc/city',
      SIMULATE: '1', RETENTION: '7d', SIMULATE_INTERVAL: '500ms',
    });
    expect(config).toMatchObject({
      port: 9090, store: 'influx', dataDir: '/var/lib/cg', cityDir: '/etc/city', simulate: true,
      retentionMs: 7 * 86_400_000, simulateIntervalMs: 500,
      influx: { url: 'http://influxdb:8086', token: 't0k', database: 'city' },
    });
    expect(config.mqtt).toMatchObject({ url: 'mqtt://broker:1883', port: 1884 });
  });

  it('returns a frozen object', () => {
    const config = loadServerConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.mqtt)).toBe(true);
  });

  it('reports ALL bad values in one ConfigError, each naming the variable and its value', () => {
    const err = configError({ PORT: 'abc', STORE: 'mongo', SIMULATE: 'maybe', MQTT_URL: 'nope' });
    for (const [name, value] of [['PORT', 'abc'], ['STORE', 'mongo'], ['SIMULATE', 'maybe'], ['MQTT_URL', 'nope']] as const) {
      const found = problemFor(err, name);
      expect(found, name).toHaveLength(1);
      expect(found[0]).toContain(value);
    }
    expect(err.problems).toHaveLength(4);
  });

  it('refuses out-of-range ports and bad durations', () => {
    expect(problemFor(configError({ MQTT_PORT: '70000' }), 'MQTT_PORT')).toHaveLength(1);
    expect(problemFor(configError({ RETENTION: 'forever' }), 'RETENTION')).toHaveLength(1);
  });

  it('keeps CORS closed by default and takes a list of exact origins, refusing paths and non-URLs', () => {
    expect(loadServerConfig({}).corsOrigins).toEqual([]);
    expect(loadServerConfig({ CORS_ORIGINS: 'https://ops.example.org, http://10.0.0.5:8080' }).corsOrigins).toEqual(['https://ops.example.org', 'http://10.0.0.5:8080']);
    for (const bad of ['*', 'https://ops.example.org/', 'ops.example.org', 'https://a.example,ftp://b.example']) {
      const found = problemFor(configError({ CORS_ORIGINS: bad }), 'CORS_ORIGINS');
      expect(found, bad).toHaveLength(1);
      expect(found[0]).toContain('origins like https://');
    }
  });

  it('refuses STORE=influx without INFLUX_URL, and accepts it with one', () => {
    expect(problemFor(configError({ STORE: 'influx' }), 'INFLUX_URL')).toHaveLength(1);
    expect(loadServerConfig({ STORE: 'influx', INFLUX_URL: 'http://127.0.0.1:8086' }).store).toBe('influx');
  });

  it('reports a cross-field problem together with bad values of other variables', () => {
    const err = configError({ STORE: 'influx', PORT: 'abc' });
    expect(problemFor(err, 'PORT')).toHaveLength(1);
    expect(problemFor(err, 'INFLUX_URL')).toHaveLength(1);
  });

  it('refuses MQTT_ALLOW_ANONYMOUS=1 unless the embedded broker listens on loopback', () => {
    expect(problemFor(configError({ MQTT_ALLOW_ANONYMOUS: '1' }), 'MQTT_ALLOW_ANONYMOUS')).toHaveLength(1);
    expect(problemFor(configError({ MQTT_ALLOW_ANONYMOUS: '1', MQTT_HOST: '192.168.1.10' }), 'MQTT_ALLOW_ANONYMOUS')).toHaveLength(1);
    const local = loadServerConfig({ MQTT_ALLOW_ANONYMOUS: '1', MQTT_HOST: '127.0.0.1' });
    expect(local.mqtt).toMatchObject({ allowAnonymous: true, host: '127.0.0.1' });
    expect(loadServerConfig({ MQTT_ALLOW_ANONYMOUS: '1', MQTT_HOST: '::1' }).mqtt.allowAnonymous).toBe(true);
  });

  it('takes AUTH_SECRET (at least 32 characters) and METRICS_TOKEN, and never echoes a refused secret', () => {
    expect(loadServerConfig({}).auth).toEqual({ secret: null, metricsToken: null, sessionMaxAgeMs: 12 * 3_600_000 });
    const secret = 'a-secret-that-is-long-enough-0123456789';
    expect(loadServerConfig({ AUTH_SECRET: secret, METRICS_TOKEN: 'scrape-token-0123' }).auth).toMatchObject({ secret, metricsToken: 'scrape-token-0123' });
    const err = configError({ AUTH_SECRET: 'short-secret-xyz', METRICS_TOKEN: 'tiny' });
    expect(problemFor(err, 'AUTH_SECRET')).toEqual([expect.stringContaining('at least 32 characters')]);
    expect(problemFor(err, 'METRICS_TOKEN')).toHaveLength(1);
    expect(err.message).not.toContain('short-secret-xyz');
    expect(err.message).not.toContain('tiny');
  });

  it('takes RETAIN_NAMES_DAYS and RETAIN_AUDIT_DAYS as whole days, 365 by default, refusing 0, negatives and non-numbers', () => {
    expect(loadServerConfig({}).retain).toEqual({ namesDays: 365, auditDays: 365 });
    expect(loadServerConfig({ RETAIN_NAMES_DAYS: '180', RETAIN_AUDIT_DAYS: '730' }).retain).toEqual({ namesDays: 180, auditDays: 730 });
    expect(loadServerConfig({ RETAIN_NAMES_DAYS: '1' }).retain.namesDays).toBe(1);
    for (const name of ['RETAIN_NAMES_DAYS', 'RETAIN_AUDIT_DAYS']) {
      for (const [bad, why] of [['0', 'at least 1'], ['-30', 'whole number of days'], ['1y', 'whole number of days'], ['12.5', 'whole number of days'], ['forever', 'whole number of days'], ['99999', 'at most 36500']]) {
        const found = problemFor(configError({ [name]: bad! }), name);
        expect(found, `${name}=${bad}`).toHaveLength(1);
        expect(found[0]).toContain(why);
        expect(found[0]).toContain(`"${bad}"`);
      }
    }
    // both wrong at once: both listed
    const both = configError({ RETAIN_NAMES_DAYS: '0', RETAIN_AUDIT_DAYS: 'x' });
    expect([problemFor(both, 'RETAIN_NAMES_DAYS'), problemFor(both, 'RETAIN_AUDIT_DAYS')].map((p) => p.length)).toEqual([1, 1]);
  });

  it('takes SESSION_MAX_AGE as a duration, 12h by default, from 5m to 30d', () => {
    expect(loadServerConfig({}).auth.sessionMaxAgeMs).toBe(12 * 3_600_000);
    expect(loadServerConfig({ SESSION_MAX_AGE: '30m' }).auth.sessionMaxAgeMs).toBe(30 * 60_000);
    expect(loadServerConfig({ SESSION_MAX_AGE: '7d' }).auth.sessionMaxAgeMs).toBe(7 * 86_400_000);
    for (const bad of ['forever', '12', '1m', '31d']) {
      const found = problemFor(configError({ SESSION_MAX_AGE: bad }), 'SESSION_MAX_AGE');
      expect(found, bad).toHaveLength(1);
      expect(found[0]).toContain(bad);
    }
  });

  it('takes TRUST_PROXY: off by default; 1/true one proxy (never "trust every X-Forwarded-For entry"); a number of proxies; or their addresses and subnets', () => {
    expect(loadServerConfig({}).trustProxy).toBe(false);
    for (const off of ['0', 'false', 'no']) expect(loadServerConfig({ TRUST_PROXY: off }).trustProxy, off).toBe(false);
    for (const one of ['1', 'true', 'yes']) expect(loadServerConfig({ TRUST_PROXY: one }).trustProxy, one).toBe(1);
    expect(loadServerConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadServerConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8,fd00::/8, 192.0.2.7, ::1' }).trustProxy).toEqual(['loopback', '10.0.0.0/8', 'fd00::/8', '192.0.2.7', '::1']);
    expect(loadServerConfig({ TRUST_PROXY: 'uniquelocal' }).trustProxy).toEqual(['uniquelocal']);
    for (const bad of ['all', '*', '10.0.0.0/33', '300.1.1.1', 'proxy.example', '-1', 'loopback,,']) {
      const found = problemFor(configError({ TRUST_PROXY: bad }), 'TRUST_PROXY');
      expect(found, bad).toHaveLength(1);
      expect(found[0]).toContain(bad);
    }
  });

  it('lists TRUST_PROXY and SESSION_MAX_AGE problems together with the others', () => {
    const err = configError({ TRUST_PROXY: 'everyone', SESSION_MAX_AGE: 'soon', PORT: 'abc' });
    expect(err.problems.map((p) => p.split(':')[0]).sort()).toEqual(['PORT', 'SESSION_MAX_AGE', 'TRUST_PROXY']);
  });
});
