// Proves docker-compose.yml resolves, and gives broker and server only environment their config modules accept and use.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual, promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ConfigError } from '@citygrid/contract';
import { loadServerConfig } from '@citygrid/server';
import { loadBrokerConfig } from '../../broker/src/config.js';
import { parseCli } from '../../simulators/src/cli-args.js';
import { ROOT } from '../helpers/system.js';

const run = promisify(execFile);
const COMPOSE_FILE = join(ROOT, 'docker-compose.yml');
/** Inside the image the repository lives here (Dockerfile: WORKDIR /app). */
const APP_DIR = '/app';
/** What docker-compose.yml requires (`${VAR:?...}`); test values, long enough for every check. */
const SECRETS = {
  MQTT_SERVICE_PASSWORD: 'compose-test-mqtt-password',
  INFLUX_TOKEN: 'compose-test-influx-token',
  INFLUX_ADMIN_PASSWORD: 'compose-test-influx-password',
};

/** Debian's docker-compose (v1) first, else the Docker CLI plugin (v2); null when neither runs. */
async function findCompose(): Promise<string[] | null> {
  for (const cmd of [['docker-compose'], ['docker', 'compose']]) {
    const found = await run(cmd[0]!, [...cmd.slice(1), 'version'], { timeout: 30_000 }).then(() => true, () => false);
    if (found) return cmd;
  }
  return null;
}

// npm test checks first that docker-compose is installed (scripts/test-preflight.mjs): no silent skip
const compose = await findCompose();
if (!compose) throw new Error('compose.test.ts needs docker-compose: npm run test:setup (or apt-get install docker-compose)');

// an empty --env-file and a bare environment: a developer's .env or shell must not change the result
const work = mkdtempSync(join(tmpdir(), 'citygrid-compose-'));
const emptyEnvFile = join(work, 'empty.env');
writeFileSync(emptyEnvFile, '');
afterAll(() => rmSync(work, { recursive: true, force: true }));

function composeConfig(env: Record<string, string>) {
  if (!compose) throw new Error('docker-compose is not installed (CI must install it: apt-get install docker-compose)');
  return run(compose[0]!, [...compose.slice(1), '--env-file', emptyEnvFile, '-f', COMPOSE_FILE, 'config'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? work, ...env },
    timeout: 60_000,
  });
}

interface Service {
  image?: string;
  build?: unknown;
  init?: boolean;
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: (string | { target: number | string; published?: number | string; host_ip?: string })[];
  volumes?: (string | { type?: string; source?: string; target: string })[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
}

/** The resolved environment as strings (compose prints a map, or KEY=value lines). */
function envOf(service: Service): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(env.map((line) => {
      const at = line.indexOf('=');
      return at < 0 ? [line, ''] : [line.slice(0, at), line.slice(at + 1)];
    }));
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

function commandOf(service: Service): string[] {
  const cmd = service.command ?? [];
  return Array.isArray(cmd) ? cmd.map(String) : cmd.split(/\s+/).filter(Boolean);
}

/** "published:target" pairs, from short ("127.0.0.1:8086:8086/tcp") or long syntax. */
function portsOf(service: Service): string[] {
  return (service.ports ?? []).map((p) => {
    if (typeof p === 'object') return `${p.published ?? ''}:${p.target}`;
    const parts = p.replace(/\/\w+$/, '').split(':');
    return `${parts.at(-2) ?? ''}:${parts.at(-1)}`;
  });
}

/** "source:target" of each volume, from short ("server-data:/data:rw") or long syntax. */
function volumesOf(service: Service): string[] {
  return (service.volumes ?? []).map((v) => (typeof v === 'object' ? `${v.source ?? ''}:${v.target}` : v.split(':').slice(0, 2).join(':')));
}

function dependsOn(service: Service): Record<string, string | undefined> {
  const deps = service.depends_on ?? {};
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((d) => [d, undefined]));
  return Object.fromEntries(Object.entries(deps).map(([name, d]) => [name, d.condition]));
}

/** A path inside the image, as a path in this checkout. */
function inCheckout(path: string): string {
  return path.startsWith(`${APP_DIR}/`) ? join(ROOT, path.slice(APP_DIR.length + 1)) : join(ROOT, path);
}

/**
 * Every key must be one `load` reads: a probe value either changes the loaded config or is refused
 * with a problem naming that key. An unknown key (a typo such as INFLUXDB_URL) does neither, since
 * the config modules ignore variables they do not know.
 */
function expectEveryKeyKnown(load: (env: Record<string, string>) => unknown, env: Record<string, string>): void {
  expect(Object.keys(env).length, 'no environment to check').toBeGreaterThan(0);
  const baseline = load(env);
  const probe = 'compose-test-probe';
  for (const key of Object.keys(env)) {
    expect(env[key], `${key} is already the probe value`).not.toBe(probe);
    let problems: string[] | null = null;
    let loaded: unknown;
    try {
      loaded = load({ ...env, [key]: probe });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems = err.problems;
    }
    if (problems) {
      expect(problems.some((p) => p.startsWith(`${key}:`)), `${key}=${probe} was refused, but not for ${key}: ${problems.join('; ')}`).toBe(true);
    } else {
      expect(isDeepStrictEqual(loaded, baseline), `${key} is not a variable this config reads (changing it changes nothing)`).toBe(false);
    }
  }
}

describe('docker-compose.yml', () => {
  let services: Record<string, Service>;
  let volumes: Record<string, unknown>;

  beforeAll(async () => {
    const { stdout } = await composeConfig(SECRETS);
    const resolved = parse(stdout) as { services?: Record<string, Service>; volumes?: Record<string, unknown> };
    services = resolved.services ?? {};
    volumes = resolved.volumes ?? {};
  });

  it('resolves with the required secrets set, and has broker, server, influxdb and simulators', () => {
    expect(Object.keys(services)).toEqual(expect.arrayContaining(['broker', 'server', 'influxdb', 'simulators']));
  });

  it('refuses to resolve without each required secret, naming it', async () => {
    for (const name of Object.keys(SECRETS)) {
      const env: Record<string, string> = { ...SECRETS };
      delete env[name];
      const failure = await composeConfig(env).then(() => null, (err: { code?: number; stderr?: string }) => err);
      expect(failure, `docker-compose config succeeded without ${name}`).not.toBeNull();
      expect(failure!.code).not.toBe(0);
      expect(failure!.stderr).toContain(name);
    }
  });

  it("gives the server only variables loadServerConfig accepts and reads, for the influx store", () => {
    const env = envOf(services.server!);
    const config = loadServerConfig(env);
    expect(config.store).toBe('influx');
    expect(config.simulate).toBe(false);
    expect(config.mqtt.url).toBe('mqtt://broker:1883');
    expect(config.dataDir).toBe('/data');
    expect(existsSync(join(inCheckout(config.cityDir), 'devices.yaml')), `CITY_DIR ${config.cityDir}`).toBe(true);
    expectEveryKeyKnown(loadServerConfig, env);
  });

  it('gives the broker only variables loadBrokerConfig accepts and reads', () => {
    const env = envOf(services.broker!);
    const config = loadBrokerConfig(env);
    expect(config.MQTT_HOST).toBe('0.0.0.0');
    expect(existsSync(join(inCheckout(config.CITY_DIR), 'devices.yaml')), `CITY_DIR ${config.CITY_DIR}`).toBe(true);
    expectEveryKeyKnown(loadBrokerConfig, env);
  });

  it('wires the server to the broker and to InfluxDB with matching names and secrets', () => {
    const server = loadServerConfig(envOf(services.server!));
    const broker = loadBrokerConfig(envOf(services.broker!));
    const influx = envOf(services.influxdb!);

    const mqttUrl = new URL(server.mqtt.url!);
    expect(mqttUrl.hostname).toBe('broker');
    expect(Number(mqttUrl.port || 1883)).toBe(broker.MQTT_PORT);
    expect(server.mqtt.username).toBe(broker.MQTT_SERVICE_USERNAME);
    expect(server.mqtt.password).toBe(SECRETS.MQTT_SERVICE_PASSWORD);
    expect(broker.MQTT_SERVICE_PASSWORD).toBe(SECRETS.MQTT_SERVICE_PASSWORD);

    expect(services.influxdb!.image).toMatch(/^influxdb:2\.7/);
    expect(new URL(server.influx.url!).hostname).toBe('influxdb');
    expect(influx).toMatchObject({
      DOCKER_INFLUXDB_INIT_MODE: 'setup',
      DOCKER_INFLUXDB_INIT_ORG: 'citygrid',
      DOCKER_INFLUXDB_INIT_BUCKET: server.influx.database,
      DOCKER_INFLUXDB_INIT_ADMIN_TOKEN: SECRETS.INFLUX_TOKEN,
      DOCKER_INFLUXDB_INIT_PASSWORD: SECRETS.INFLUX_ADMIN_PASSWORD,
    });
    expect(server.influx.token).toBe(SECRETS.INFLUX_TOKEN);
    expect(influx.DOCKER_INFLUXDB_INIT_RETENTION).toMatch(/^\d+[smhdw]$/);
  });

  it("runs the npm scripts' commands (without npm, so SIGTERM reaches node), the simulators with arguments their CLI accepts", () => {
    const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    for (const [service, script] of [['broker', 'broker'], ['server', 'server'], ['simulators', 'simulate']] as const) {
      const expected = scripts[script]?.split(/\s+/) ?? [];
      expect(expected, `npm script ${script}`).not.toEqual([]);
      expect(commandOf(services[service]!).slice(0, expected.length), `${service} runs \`npm run ${script}\``).toEqual(expected);
      expect(services[service]!.build, `${service} builds the image`).toBeDefined();
      expect(services[service]!.init, `${service} has an init as PID 1 that passes SIGTERM on`).toBe(true);
    }
    const args = commandOf(services.simulators!).slice(scripts.simulate!.split(/\s+/).length);
    const parsed = parseCli(args, {});
    expect(parsed.kind, args.join(' ')).toBe('run');
    if (parsed.kind !== 'run') return;
    expect(parsed.options.url).toBe('mqtt://broker:1883');
    expect(existsSync(join(inCheckout(parsed.options.cityDir), 'devices.yaml')), `--city ${parsed.options.cityDir}`).toBe(true);
  });

  it('publishes 8080 and 1883, keeps data in named volumes, and starts in order once healthy', () => {
    expect(portsOf(services.server!)).toContain('8080:8080');
    expect(portsOf(services.broker!)).toContain('1883:1883');

    const named = Object.keys(volumes);
    const serverData = volumesOf(services.server!).find((v) => v.endsWith(':/data'));
    expect(serverData, 'a volume at the server DATA_DIR /data').toBeDefined();
    expect(named).toContain(serverData!.split(':')[0]);
    const influxData = volumesOf(services.influxdb!).find((v) => v.endsWith(':/var/lib/influxdb2'));
    expect(influxData, 'a volume at /var/lib/influxdb2').toBeDefined();
    expect(named).toContain(influxData!.split(':')[0]);

    for (const name of ['broker', 'server', 'influxdb']) {
      const check = services[name]!.healthcheck;
      expect(check?.test && !check.disable, `${name} has a healthcheck`).toBeTruthy();
    }
    expect(dependsOn(services.server!)).toEqual({ broker: 'service_healthy', influxdb: 'service_healthy' });
    expect(dependsOn(services.simulators!)).toMatchObject({ broker: 'service_healthy' });
  });
});

describe('docker-compose.yml, profile cluster', () => {
  let services: Record<string, Service>;
  const AUTH_SECRET = 'compose-test-auth-secret-0123456789-abcdef';
  const CLUSTER = ['nats-1', 'nats-2', 'nats-3', 'redis', 'edge-1', 'edge-2', 'replica-1', 'replica-2', 'replica-3', 'haproxy', 'cluster-simulators'];

  beforeAll(async () => {
    const { stdout } = await composeConfig({ ...SECRETS, AUTH_SECRET });
    services = (parse(stdout) as { services?: Record<string, Service & { profiles?: string[] }> }).services ?? {};
  });

  it('has the cluster topology, all of it in the cluster profile only', () => {
    for (const name of CLUSTER) expect((services[name] as { profiles?: string[] } | undefined)?.profiles, name).toEqual(['cluster']);
    for (const name of ['broker', 'server', 'influxdb', 'simulators']) expect((services[name] as { profiles?: string[] }).profiles, name).toBeUndefined();
  });

  it('gives the replicas only variables loadServerConfig accepts, in cluster mode with InfluxDB, Redis and one AUTH_SECRET', () => {
    for (const name of ['replica-1', 'replica-2', 'replica-3']) {
      const env = envOf(services[name]!);
      const config = loadServerConfig(env);
      expect(config.bus?.url.split(',').map((u) => new URL(u).hostname)).toEqual(['nats-1', 'nats-2', 'nats-3']);
      expect(config.bus?.stream.replicas).toBe(3);
      expect(new URL(config.redisUrl!).hostname).toBe('redis');
      expect(config.store).toBe('influx');
      expect(new URL(config.influx.url!).hostname).toBe('influxdb');
      expect(config.auth.secret).toBe(AUTH_SECRET);
      expect(volumesOf(services[name]!).find((v) => v.endsWith(':/data')), `${name} keeps its spool in a volume`).toBeDefined();
      expectEveryKeyKnown(loadServerConfig, env);
    }
    // without AUTH_SECRET a replica refuses to start, saying so
    expect(() => loadServerConfig({ ...envOf(services['replica-1']!), AUTH_SECRET: '' })).toThrow(/AUTH_SECRET: is required in cluster mode/);
  });

  it('gives the edges only variables loadBrokerConfig accepts, in cluster mode', () => {
    for (const name of ['edge-1', 'edge-2']) {
      const env = envOf(services[name]!);
      const config = loadBrokerConfig(env);
      expect(config.BUS_URL?.split(',').map((u) => new URL(u).hostname)).toEqual(['nats-1', 'nats-2', 'nats-3']);
      expect(config.MQTT_SERVICE_PASSWORD, 'no service account in cluster mode').toBeUndefined();
      expectEveryKeyKnown(loadBrokerConfig, env);
    }
  });

  it('puts HAProxy in front of every edge (MQTT) and every replica (HTTP and websockets), with a config HAProxy accepts', async () => {
    expect(portsOf(services.haproxy!)).toEqual(expect.arrayContaining(['1883:1883', '8080:8080']));
    const mount = volumesOf(services.haproxy!).find((v) => v.endsWith(':/usr/local/etc/haproxy/haproxy.cfg'));
    expect(mount, 'haproxy.cfg mounted').toBeDefined();
    const cfgPath = join(ROOT, 'config', 'haproxy.cfg');
    const cfg = readFileSync(cfgPath, 'utf8');
    for (const edge of ['edge-1', 'edge-2']) expect(cfg).toMatch(new RegExp(`server ${edge} ${edge}:1883`));
    for (const r of ['replica-1', 'replica-2', 'replica-3']) expect(cfg).toMatch(new RegExp(`server ${r} ${r}:8080`));
    expect(cfg).toMatch(/timeout tunnel/); // websockets and MQTT connections outlive the client timeout
    const { stderr } = await run('haproxy', ['-c', '-f', cfgPath], { timeout: 30_000 });
    expect(stderr).not.toMatch(/\[ALERT\]/);
    const args = commandOf(services['cluster-simulators']!).slice(4);
    const parsed = parseCli(args, {});
    expect(parsed.kind === 'run' && parsed.options.url).toBe('mqtt://haproxy:1883');
  });
});

describe('docker-compose.yml, profile ops', () => {
  let services: Record<string, Service & { profiles?: string[] }>;
  let volumes: Record<string, unknown>;

  beforeAll(async () => {
    const { stdout } = await composeConfig({ ...SECRETS, AUTH_SECRET: 'compose-test-auth-secret-0123456789-abcdef' });
    const resolved = parse(stdout) as { services?: Record<string, Service & { profiles?: string[] }>; volumes?: Record<string, unknown> };
    services = resolved.services ?? {};
    volumes = resolved.volumes ?? {};
  });

  /** A bind mount's host path (absolute, as compose resolves ./ops/...) for the container path `target`. */
  const mountOf = (service: Service, target: string): string | undefined => {
    for (const v of service.volumes ?? []) {
      if (typeof v === 'object' && v.target === target) return v.source;
      if (typeof v === 'string') {
        const [source, t] = v.split(':');
        if (t === target) return source;
      }
    }
    return undefined;
  };

  it('adds Prometheus and Grafana from their official images, in the ops profile only, on this machine only, with their data in named volumes', () => {
    expect(services.prometheus?.profiles).toEqual(['ops']);
    expect(services.grafana?.profiles).toEqual(['ops']);
    expect(services.prometheus!.image).toMatch(/^prom\/prometheus:v\d+\.\d+\.\d+$/);
    expect(services.grafana!.image).toMatch(/^grafana\/grafana-oss:\d+\.\d+\.\d+$/);
    expect(services.prometheus!.build).toBeUndefined();
    expect(services.grafana!.build).toBeUndefined();
    for (const [name, port] of [['prometheus', '9090'], ['grafana', '3000']] as const) {
      const ports = services[name]!.ports ?? [];
      expect(portsOf(services[name]!)).toEqual([`${port}:${port}`]);
      // bound to loopback: neither is meant for the open network
      expect(ports.map((p) => (typeof p === 'string' ? p.split(':')[0] : p.host_ip))).toEqual(['127.0.0.1']);
    }
    expect(Object.keys(volumes)).toEqual(expect.arrayContaining(['prometheus-data', 'grafana-data']));
    expect(mountOf(services.prometheus!, '/prometheus')).toBe('prometheus-data');
    expect(mountOf(services.grafana!, '/var/lib/grafana')).toBe('grafana-data');
  });

  it('mounts ./ops: the Prometheus config it starts with, and Grafana provisioning that finds the dashboard', () => {
    const promDir = mountOf(services.prometheus!, '/etc/prometheus');
    expect(promDir).toBe(join(ROOT, 'ops', 'prometheus'));
    const configArg = commandOf(services.prometheus!).find((a) => a.startsWith('--config.file='));
    expect(configArg).toBe('--config.file=/etc/prometheus/prometheus.yml');
    expect(existsSync(join(promDir!, 'prometheus.yml'))).toBe(true);

    const provisioning = mountOf(services.grafana!, '/etc/grafana/provisioning');
    expect(provisioning).toBe(join(ROOT, 'ops', 'grafana', 'provisioning'));
    const providers = (parse(readFileSync(join(provisioning!, 'dashboards', 'citygrid.yml'), 'utf8')) as { providers: { options: { path: string } }[] }).providers;
    const dashboards = mountOf(services.grafana!, providers[0]!.options.path);
    expect(dashboards, `a mount at the provider's path ${providers[0]!.options.path}`).toBe(join(ROOT, 'ops', 'grafana', 'dashboards'));
    expect(existsSync(join(dashboards!, 'citygrid.json'))).toBe(true);
  });

  it('points Prometheus at the services and ports the compose file runs, and Grafana at Prometheus and InfluxDB with the server\'s token', () => {
    const prom = parse(readFileSync(join(ROOT, 'ops', 'prometheus', 'prometheus.yml'), 'utf8')) as { scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[] };
    const server = loadServerConfig(envOf(services.server!));
    const portOf = (name: string): number => {
      const env = envOf(services[name]!);
      if (name === 'server' || name.startsWith('replica-')) return loadServerConfig(env).port;
      const port = loadBrokerConfig(env).BROKER_HTTP_PORT;
      expect(port, `${name} sets BROKER_HTTP_PORT`).toMatch(/^\d+$/);
      return Number(port);
    };
    const targets = prom.scrape_configs.flatMap((j) => j.static_configs.flatMap((s) => s.targets));
    expect(targets.length).toBe(7);
    for (const target of targets) {
      const [host, port] = target.split(':');
      expect(Object.keys(services), target).toContain(host);
      expect(Number(port), target).toBe(portOf(host!));
    }
    // each broker and edge is checked through its /health on that port
    for (const name of ['broker', 'edge-1', 'edge-2']) {
      const test = services[name]!.healthcheck?.test;
      expect(Array.isArray(test) ? test.join(' ') : test, name).toContain(`http://127.0.0.1:${portOf(name)}/health`);
    }

    const sources = (parse(readFileSync(join(ROOT, 'ops', 'grafana', 'provisioning', 'datasources', 'citygrid.yml'), 'utf8')) as {
      datasources: { type: string; url: string; jsonData?: { dbName?: string }; secureJsonData?: Record<string, string> }[];
    }).datasources;
    const promSource = sources.find((d) => d.type === 'prometheus')!;
    expect(new URL(promSource.url).hostname).toBe('prometheus');
    expect(new URL(promSource.url).port).toBe('9090');
    const influxSource = sources.find((d) => d.type === 'influxdb')!;
    expect(new URL(influxSource.url).hostname).toBe(new URL(server.influx.url!).hostname);
    expect(influxSource.jsonData?.dbName).toBe(server.influx.database);
    // Grafana expands ${INFLUX_TOKEN} from its environment: the server's token
    expect(influxSource.secureJsonData?.httpHeaderValue1).toBe('Token ${INFLUX_TOKEN}');
    expect(envOf(services.grafana!).INFLUX_TOKEN).toBe(SECRETS.INFLUX_TOKEN);
    expect(server.influx.token).toBe(SECRETS.INFLUX_TOKEN);
  });
});
