// Proves CityGrid's operations kit names only what CityGrid exposes: ops/prometheus (alerting rules and
// scrape config) passes Debian's `promtool check rules|config`, and `promtool test rules` shows each
// alert firing on its synthetic case and not on the normal one; every metric that each rule's `expr`
// and each Prometheus query of the Grafana dashboard uses (parsed with the maintained PromQL parser,
// @prometheus-io/lezer-promql) is declared in the live /metrics of a server, of `npm run broker` and
// of a cluster-mode edge (with its own nats-server); the dashboard's InfluxQL queries read
// measurements and fields the server writes, and runs on a real InfluxDB 1.x. And the broker's HTTP port: /health and /metrics answer
// (the broker's counters as they move), an edge's /health says degraded once NATS is gone, and an
// mqtt.js device over ws://.../mqtt on that port has its reading stored by the server behind it.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { MqttClient } from 'mqtt';
import { parser } from '@prometheus-io/lezer-promql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { CATALOGUE, SENSOR_KINDS, deviceTopic } from '@citygrid/contract';
import { SERVICE_PASSWORD, freePort, startChild, type Child } from '../helpers/processes.js';
import { startInflux, type TestInflux } from '../helpers/influx.js';
import { startNats, type TestNats } from '../helpers/nats.js';
import { DEMO_CITY, ROOT, connectDevice, end, publish, readMetrics, startTestSystem, tempDir, waitFor } from '../helpers/system.js';

const run = promisify(execFile);
const RULES = join(ROOT, 'ops', 'prometheus', 'citygrid-rules.yml');
const RULE_TESTS = join(ROOT, 'ops', 'prometheus', 'citygrid-rules.test.yml');
const PROMETHEUS = join(ROOT, 'ops', 'prometheus', 'prometheus.yml');
const DASHBOARD = join(ROOT, 'ops', 'grafana', 'dashboards', 'citygrid.json');
/** Series Prometheus makes itself for each scrape target (not in any /metrics). */
const PROMETHEUS_OWN = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped']);
/** Grafana's variables in the dashboard's queries, as something PromQL parses. */
const GRAFANA_VARS: Record<string, string> = { $__rate_interval: '5m', $__interval: '1m', $__range: '1h' };

interface RuleFile { groups: { name: string; rules: { alert?: string; record?: string; expr: string }[] }[] }
interface Panel { title?: string; type: string; datasource?: { type: string }; targets?: { datasource?: { type: string; uid: string }; expr?: string; query?: string }[]; panels?: Panel[] }

/** The metric names a PromQL expression selects; throws on a syntax error, naming where. */
function metricNames(expr: string): string[] {
  const tree = parser.parse(expr);
  const names: string[] = [];
  const errors: number[] = [];
  tree.iterate({
    enter(node) {
      if (node.type.isError) errors.push(node.from);
      if (node.name === 'VectorSelector') {
        const id = node.node.getChild('Identifier');
        if (id) names.push(expr.slice(id.from, id.to));
        // {__name__="..."}: not used by us, and not allowed to hide a name from this check
        if (/__name__/.test(expr.slice(node.from, node.to))) throw new Error(`__name__ matcher in ${expr}: name the metric instead`);
      }
    },
  });
  if (errors.length) throw new Error(`PromQL syntax error at ${errors[0]} in: ${expr}`);
  return names;
}

/** Every metric name declared in a /metrics text (a histogram's _bucket, _sum and _count too). */
function declaredIn(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^# TYPE (\S+) (\S+)/.exec(line);
    if (!m) continue;
    names.add(m[1]!);
    if (m[2] === 'histogram' || m[2] === 'summary') for (const s of ['_bucket', '_sum', '_count']) names.add(m[1]! + s);
  }
  return names;
}

async function scrape(url: string): Promise<string> {
  const res = await fetch(url);
  expect(res.status, url).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

const rules = parseYaml(readFileSync(RULES, 'utf8')) as RuleFile;
const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { uid: string; panels: Panel[] };
const panels = (list: Panel[]): Panel[] => list.flatMap((p) => [p, ...panels(p.panels ?? [])]);
const dashboardTargets = panels(dashboard.panels).flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title ?? '', ...t })));
/** A connect that neither succeeds nor fails (the socket just closed) fails here, saying what. */
const within = <T>(p: Promise<T>, ms: number, what: string) => Promise.race([p, new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`${what}: not within ${ms} ms`)), ms).unref())]);
const withVars = (q: string) => Object.entries(GRAFANA_VARS).reduce((s, [k, v]) => s.split(k).join(v), q);

describe('ops/prometheus and the dashboard, as files', () => {
  it('pass promtool check rules, test rules (each alert fires on its synthetic case, not on the normal one) and check config', async () => {
    const checked = await run('promtool', ['check', 'rules', RULES], { timeout: 30_000 });
    expect(checked.stdout).toMatch(/SUCCESS: \d+ rules found/);
    // promtool exits non-zero on a failed case: run() rejects with its output
    const tested = await run('promtool', ['test', 'rules', RULE_TESTS], { timeout: 60_000 });
    expect(tested.stdout).toMatch(/SUCCESS/);
    const config = await run('promtool', ['check', 'config', PROMETHEUS], { timeout: 30_000 });
    expect(config.stdout).toMatch(/SUCCESS: 1 rule files found/);
    // scrapes the compose file's services by their names
    const cfg = parseYaml(readFileSync(PROMETHEUS, 'utf8')) as { scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[] };
    const targets = Object.fromEntries(cfg.scrape_configs.map((j) => [j.job_name, j.static_configs.flatMap((s) => s.targets)]));
    expect(targets).toEqual({
      'citygrid-server': ['server:8080'], 'citygrid-broker': ['broker:9883'],
      'citygrid-replicas': ['replica-1:8080', 'replica-2:8080', 'replica-3:8080'], 'citygrid-edges': ['edge-1:9883', 'edge-2:9883'],
    });
  });

  it('has the alerts the issue asks for, each with a severity and a summary', () => {
    const alerts = rules.groups.flatMap((g) => g.rules);
    for (const name of ['CityGridIngestStalled', 'CityGridSpoolFilling', 'CityGridStoreLagging', 'CityGridBrokerRefusingLogins', 'CityGridReplicaWithoutPartitions', 'CityGridEdgeNatsDisconnected', 'CityGridTargetDown']) {
      expect(alerts.map((a) => a.alert), name).toContain(name);
    }
    for (const a of alerts) {
      expect((a as { labels?: { severity?: string } }).labels?.severity, a.alert).toMatch(/^(warning|critical)$/);
      expect((a as { annotations?: { summary?: string } }).annotations?.summary, a.alert).toBeTruthy();
    }
  });

  it('the PromQL parser finds the metrics of an expression, and refuses a broken one', () => {
    expect(metricNames('sum by (le) (rate(a_bucket{job="x"}[5m])) > 1 and on (job) b')).toEqual(['a_bucket', 'b']);
    expect(() => metricNames('sum(rate(a[5m])')).toThrow(/syntax error/);
  });

  it('the dashboard parses, uses its two provisioned data sources, and its InfluxQL reads what the server writes', () => {
    const provisioned = parseYaml(readFileSync(join(ROOT, 'ops', 'grafana', 'provisioning', 'datasources', 'citygrid.yml'), 'utf8')) as { datasources: { uid: string; type: string }[] };
    const uids = new Map(provisioned.datasources.map((d) => [d.uid, d.type]));
    expect(dashboardTargets.length).toBeGreaterThan(10);
    const influx = dashboardTargets.filter((t) => t.datasource?.type === 'influxdb');
    expect(influx.length).toBeGreaterThan(0);
    // measurement -> its fields, as server/src/stores/influx/line-protocol.ts writes them
    const fields: Record<string, string[]> = {
      ...Object.fromEntries(SENSOR_KINDS.map((k) => [k, [...Object.keys(CATALOGUE[k]), 'seq']])),
      camera_event: ['confidence', 'count', 'zone', 'seq'],
      alert_event: ['alert_id', 'state', 'actor', 'message', 'escalation', 'event_seq', 'note'],
      resident_report: ['receipt', 'alert_id'],
    };
    for (const t of dashboardTargets) {
      expect(uids.get(t.datasource!.uid), `${t.panel}: data source ${t.datasource?.uid}`).toBe(t.datasource!.type);
      if (t.datasource!.type !== 'influxdb') continue;
      const q = t.query!;
      const from = /FROM "([^"]+)"/.exec(q)?.[1];
      expect(Object.keys(fields), `${t.panel}: ${q}`).toContain(from);
      for (const [, field] of q.matchAll(/\w+\("([^"]+)"\)/g)) expect(fields[from!], `${t.panel}: field ${field} of ${from}`).toContain(field);
      for (const [, tag] of q.matchAll(/GROUP BY time\([^)]*\), "([^"]+)"/g)) expect(['device', 'grid', 'district', 'kind', 'type', 'rule', 'severity', 'event', 'category'], `${t.panel}: tag ${tag}`).toContain(tag);
      expect(q, t.panel).toContain('$timeFilter');
    }
  });
});

describe('every metric of the rules and the dashboard is in live /metrics', () => {
  const data = tempDir();
  let broker: Child;
  let edge: Child | undefined;
  let nats: TestNats | undefined;
  let influx: TestInflux | undefined;
  let system: Awaited<ReturnType<typeof startTestSystem>>;
  let brokerHttp: number;
  let edgeHttp: number;
  let brokerMqtt: number;
  let edgeMqtt: number;
  const devices: MqttClient[] = [];

  beforeAll(async () => {
    [brokerMqtt, brokerHttp, edgeMqtt, edgeHttp] = [await freePort(), await freePort(), await freePort(), await freePort()];
    broker = await startChild('broker/src/main.ts', {
      MQTT_PORT: String(brokerMqtt), MQTT_HOST: '127.0.0.1', BROKER_HTTP_PORT: String(brokerHttp), CITY_DIR: DEMO_CITY, MQTT_SERVICE_PASSWORD: SERVICE_PASSWORD, LOG_LEVEL: 'info',
    }, 'broker HTTP listening');
    influx = await startInflux('citygrid');
    // the server behind the broker, storing in a real InfluxDB 1.x (the dashboard's InfluxQL runs there)
    system = await startTestSystem({ MQTT_URL: `mqtt://127.0.0.1:${brokerMqtt}`, MQTT_PASSWORD: SERVICE_PASSWORD, DATA_DIR: data.path, SIMULATE: '0', STORE: 'influx', INFLUX_URL: influx.url, INFLUX_DATABASE: 'citygrid' });
    nats = await startNats(1);
    edge = await startChild('broker/src/main.ts', {
      MQTT_PORT: String(edgeMqtt), MQTT_HOST: '127.0.0.1', BROKER_HTTP_PORT: String(edgeHttp), CITY_DIR: DEMO_CITY, BUS_URL: nats.url, BUS_REPLICAS: '1', LOG_LEVEL: 'info',
    }, 'broker HTTP listening');
  }, 120_000);

  afterAll(async () => {
    for (const d of devices) await end(d);
    await system?.stop();
    await edge?.kill('SIGTERM');
    await broker?.kill('SIGTERM');
    await nats?.remove();
    await influx?.remove();
    data.remove();
  });

  it('names in the alerting rules and the dashboard\'s Prometheus queries are declared by the server, the broker or an edge', async () => {
    const declared = new Set([
      ...declaredIn(await scrape(`${system.baseUrl}/metrics`)),
      ...declaredIn(await scrape(`http://127.0.0.1:${brokerHttp}/metrics`)),
      ...declaredIn(await scrape(`http://127.0.0.1:${edgeHttp}/metrics`)),
    ]);
    const used: { where: string; name: string }[] = [];
    for (const g of rules.groups) for (const r of g.rules) for (const name of metricNames(r.expr)) used.push({ where: `rule ${r.alert ?? r.record}`, name });
    for (const t of dashboardTargets) if (t.datasource?.type === 'prometheus') for (const name of metricNames(withVars(t.expr!))) used.push({ where: `panel ${t.panel}`, name });
    expect(used.length).toBeGreaterThan(40);
    const missing = used.filter((u) => !declared.has(u.name) && !PROMETHEUS_OWN.has(u.name));
    expect(missing, 'metrics no CityGrid /metrics declares').toEqual([]);
    // the edge's own metrics are there only with a bus; the broker's without one has none of them
    const brokerOnly = declaredIn(await scrape(`http://127.0.0.1:${brokerHttp}/metrics`));
    expect(brokerOnly.has('citygrid_edge_bus_connected')).toBe(false);
    expect(brokerOnly.has('citygrid_mqtt_login_failures_total')).toBe(true);
  });

  it('the broker\'s /health is ok and its /metrics count what happens: a refused login, a device over ws:// at /mqtt whose reading is stored', async () => {
    const health = await fetch(`http://127.0.0.1:${brokerHttp}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', reasons: [], mqtt: { listening: true, websocket: true } });
    const before = await readMetrics(`http://127.0.0.1:${brokerHttp}`);
    const refusedBefore = before('citygrid_mqtt_login_failures_total');

    const wrong = await within(connectDevice(`ws://127.0.0.1:${brokerHttp}/mqtt`, 'wl-0012', 'not-its-secret').then(() => 'connected', (err: Error & { code?: number }) => err.code), 10_000, 'a CONNACK over ws://.../mqtt');
    expect(wrong).toBe(4); // bad user name or password
    const device = await within(connectDevice(`ws://127.0.0.1:${brokerHttp}/mqtt`, 'wl-0012'), 10_000, 'a device connecting over ws://.../mqtt');
    devices.push(device);
    const ts = Date.now() - 5_000;
    await publish(device, deviceTopic('wl-0012', 'telemetry'), JSON.stringify({ ts, metrics: { level_cm: 17.5 }, seq: 1 }));
    const stored = await waitFor(async () => {
      const series = await system.store.queryReadings({ device: 'wl-0012', kind: 'water_level', metrics: ['level_cm'], from: ts - 1, to: ts + 1, step: null, limit: 10 });
      return series[0]?.points.length ? series[0].points : null;
    }, 'the reading sent over ws://.../mqtt stored by the server', 20_000);
    expect(stored).toHaveLength(1);

    const after = await readMetrics(`http://127.0.0.1:${brokerHttp}`);
    expect(after('citygrid_mqtt_login_failures_total')).toBe(refusedBefore + 1);
    expect(after('citygrid_broker_websocket_clients')).toBe(1);
    expect(after('citygrid_broker_clients')).toBeGreaterThanOrEqual(2); // the server and the device
    expect(after('citygrid_mqtt_connects_total')).toBeGreaterThanOrEqual(2);
    expect(after('citygrid_broker_listening')).toBe(1);

    // anything else on the port: 404; not GET: 405 (nothing read)
    expect((await fetch(`http://127.0.0.1:${brokerHttp}/api/health`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${brokerHttp}/metrics`, { method: 'POST', body: 'x' })).status).toBe(405);
  });

  it('the dashboard\'s InfluxQL runs on a real InfluxDB 1.x, and its water level panel shows the reading sent over ws://', async () => {
    const influxTargets = dashboardTargets.filter((t) => t.datasource?.type === 'influxdb');
    for (const t of influxTargets) {
      // as Grafana sends it: $timeFilter and $__interval filled in
      const q = t.query!.replace('$timeFilter', 'time > now() - 1h').replace('$__interval', '1m');
      await expect(influx!.query(q), `${t.panel}: ${q}`).resolves.toBeDefined(); // query() throws on an InfluxQL error
    }
    const water = influxTargets.find((t) => /FROM "water_level"/.test(t.query!))!;
    const result = await influx!.query(water.query!.replace('$timeFilter', 'time > now() - 1h').replace('$__interval', '1m'));
    const series = result[0]?.series ?? [];
    expect(series.length, 'a series per district').toBeGreaterThan(0);
    expect(series.flatMap((s) => s.values.map((v) => v[1]))).toContain(17.5);
    expect(series[0]!.tags).toHaveProperty('district');
  });

  it('a BROKER_HTTP_PORT that is taken stops the broker at start, saying so', async () => {
    const taken = await startChild('broker/src/main.ts', {
      MQTT_PORT: String(await freePort()), MQTT_HOST: '127.0.0.1', BROKER_HTTP_PORT: String(brokerHttp), CITY_DIR: DEMO_CITY, MQTT_SERVICE_PASSWORD: SERVICE_PASSWORD, LOG_LEVEL: 'info',
    }, 'broker HTTP listening', 30_000).then((c) => c, (err: Error) => err);
    if (!(taken instanceof Error)) await taken.kill('SIGTERM');
    expect(taken).toBeInstanceOf(Error);
    expect((taken as Error).message).toContain(`BROKER_HTTP_PORT: could not listen on 127.0.0.1:${brokerHttp} (EADDRINUSE)`);
  });

  it('an edge counts the stream\'s acks, and its /health says degraded (503, nats_disconnected) once NATS is gone', async () => {
    const ok = await fetch(`http://127.0.0.1:${edgeHttp}/health`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ status: 'ok', bus: { connected: true, pending: 0 } });

    const device = await connectDevice(`mqtt://127.0.0.1:${edgeMqtt}`, 'wl-0013');
    devices.push(device);
    await publish(device, deviceTopic('wl-0013', 'telemetry'), JSON.stringify({ ts: Date.now(), metrics: { level_cm: 3 }, seq: 1 })); // PUBACK: the stream has it
    const m = await readMetrics(`http://127.0.0.1:${edgeHttp}`);
    expect(m('citygrid_edge_bus_published_total')).toBe(1);
    expect(m('citygrid_edge_bus_ack_seconds_count')).toBe(1);
    expect(m('citygrid_edge_bus_connected')).toBe(1);

    await nats!.stop();
    const degraded = await waitFor(async () => {
      const res = await fetch(`http://127.0.0.1:${edgeHttp}/health`);
      return res.status === 503 ? res.json() : null;
    }, 'the edge\'s /health to answer 503', 15_000);
    expect(degraded).toMatchObject({ status: 'degraded', reasons: ['nats_disconnected'], bus: { connected: false } });
    expect((await readMetrics(`http://127.0.0.1:${edgeHttp}`))('citygrid_edge_bus_connected')).toBe(0);
  });
});
