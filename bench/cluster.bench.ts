// `npm run bench -- --cluster [--quick] [--batch N] [--rate R]`: cluster mode end to end, for 1, 2
// and 3 server replicas: 3 nats-server nodes (JetStream R3), redis-server and influxd from Debian,
// one edge, the replicas, and the benchmark's load generator in its own process. For each count:
//   (a) a fixed offered load: publish → Socket.IO `reading` latency seen by a browser on replica 1
//       (readings of every partition, through the Redis adapter);
//   (b) flat out: readings/s acknowledged by the edge (i.e. in the stream), and how many of all
//       acknowledged readings are in InfluxDB once the replicas have caught up.
// On a 2-core machine this measures function, not scale: every process shares the same two cores.
// A human table, then the LAST line is one JSON object.
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { PARTITIONS, type AlertSocketEvent, type HealthResponse, type ReadingEvent } from '@citygrid/contract';
import { percentile } from '../simulators/src/load/pacing.js';
import type { LoadDevice, RunResult } from '../simulators/src/load/generator.js';
import { freePort, influxd, natsCluster, redisServer, waitUntil } from '../scripts/engines.js';
import { writeSyntheticCity } from '../tests/helpers/synthetic-city.js';
import { startChild, type Child } from '../tests/helpers/processes.js';
import { connectSocket, login, tempDir, ROOT } from '../tests/helpers/system.js';
import { call } from './lib/ipc.js';
import { histogram, quantileBetween } from './lib/prom.js';

const { values: args } = parseArgs({
  options: {
    cluster: { type: 'boolean', default: true },
    quick: { type: 'boolean', default: false },
    rate: { type: 'string', default: '2000' },
    batch: { type: 'string', default: '1' },
    devices: { type: 'string', default: '200' },
    window: { type: 'string', default: '16' },
    replicas: { type: 'string', default: '1,2,3' },
    // NATS nodes: 3 (JetStream R3, the shape of a real cluster) or 1 (R1: a one-box cluster mode)
    nats: { type: 'string', default: '3' },
    // CPU profiles of the edge and the first replica, written when they stop (into bench/results)
    profile: { type: 'boolean', default: false },
  },
  strict: false,
});
const QUICK = args.quick === true;
const RATE = Number(args.rate);
const BATCH = Number(args.batch);
const DEVICES = Number(args.devices);
const WINDOW = Number(args.window);
const FIXED_S = QUICK ? 8 : 20;
const FLAT_S = QUICK ? 6 : 15;
const NATS_NODES = Number(args.nats) === 1 ? 1 : 3;
const PROFILE = args.profile === true ? ['--cpu-prof', `--cpu-prof-dir=${join(ROOT, 'bench', 'results')}`] : [];
const COUNTS = String(args.replicas).split(',').map(Number).filter((n) => n >= 1 && n <= 5);
const log = (s: string) => process.stdout.write(`${s}\n`);
const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0)}s`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const AUTH_SECRET = 'bench-cluster-auth-secret-0123456789-abcdefgh';
const TICK_MS = 10; // Linux clock ticks (USER_HZ 100)

/** CPU seconds and RSS of a process, from /proc (Linux), or null once it is gone. */
function usageOf(pid: number): { cpuS: number; rssMb: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const rssPages = Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]);
    return { cpuS: ((Number(f[11]) + Number(f[12])) * TICK_MS) / 1000, rssMb: Math.round((rssPages * 4096) / 1048576) };
  } catch {
    return null;
  }
}

/** The replica's event-loop delay p99 and max since the last scrape (prom-client resets its histogram on each). */
async function loopLagMs(base: string): Promise<{ p99: number; max: number }> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const of = (q: string) => {
    const m = new RegExp(`^citygrid_nodejs_eventloop_lag_${q}_seconds (\\S+)$`, 'm').exec(text);
    return m ? Math.round(Number(m[1]) * 1000) : NaN;
  };
  return { p99: of('p99'), max: of('max') };
}

function generator(): Promise<ChildProcess> {
  const proc = fork(join(ROOT, 'bench', 'lib', 'generator-child.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    proc.on('message', (m: Record<string, unknown>) => { if (m.ready) resolve(proc); });
    proc.once('exit', (code) => reject(new Error(`the generator exited with ${code}`)));
  });
}

log(`CityGrid cluster bench${QUICK ? ' (quick)' : ''}: ${DEVICES} devices, ${BATCH} reading(s) per message, replicas ${COUNTS.join(', ')}, 1 edge, ${NATS_NODES} NATS node(s), fixed load ${RATE.toLocaleString('en-US')} readings/s`);
const city = await writeSyntheticCity({ cols: 20, rows: 10, devices: DEVICES, kinds: ['water_level', 'water_level', 'water_level', 'noise'] });
const devices: LoadDevice[] = city.city.devices.map((d) => ({ id: d.id, kind: d.kind }));
const noiseDevices = devices.filter((d) => d.kind === 'noise').map((d) => d.id);
interface Row {
  replicas: number; acked_per_s: number; lost: number; stored_after_ms: number | null; p50_ms: number; p99_ms: number; events: number; generator_cpu_pct: number;
  alert_p50_ms: number; alert_p99_ms: number; alerts: number; alerts_missed: number; loop_delay_p99_ms: number; loop_delay_max_ms: number; bus_lag_p50: string; bus_lag_p99: string;
  /** At the fixed load: % of one core and RSS (MB) of each process. */
  processes: Record<string, { cpu_pct: number; rss_mb: number }>;
}
const results: Row[] = [];

for (const count of COUNTS) {
  const dir = tempDir('citygrid-cluster-bench-');
  const nats = await natsCluster(join(dir.path), NATS_NODES);
  const redis = await redisServer(dir.path);
  const influx = await influxd(join(dir.path, 'influxdb'));
  await fetch(`${influx.url}/query?q=${encodeURIComponent('CREATE DATABASE "citygrid"')}`, { method: 'POST' });
  const procs: Child[] = [];
  const gen = await generator();
  try {
    const edgePort = await freePort();
    procs.push(await startChild('broker/src/main.ts', {
      MQTT_PORT: String(edgePort), MQTT_HOST: '127.0.0.1', CITY_DIR: city.dir, BUS_URL: nats.url, BUS_REPLICAS: String(NATS_NODES), MQTT_DEVICE_RATE: '0', LOG_LEVEL: 'info',
    }, 'MQTT broker listening', 60_000, PROFILE));
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const port = await freePort();
      ports.push(port);
      procs.push(await startChild('server/src/main.ts', {
        PORT: String(port), HOST: '127.0.0.1', CITY_DIR: city.dir, DATA_DIR: join(dir.path, `replica-${i + 1}`), BUS_URL: nats.url, BUS_REPLICAS: String(NATS_NODES),
        STORE: 'influx', INFLUX_URL: influx.url, INFLUX_DATABASE: 'citygrid', AUTH_SECRET, REDIS_URL: redis.url, SIMULATE: '0', LOG_LEVEL: 'info',
      }, 'CityGrid is live', 120_000, i === 0 ? PROFILE : []));
    }
    await waitUntil(async () => {
      const owned = await Promise.all(ports.map(async (p) => ((await (await fetch(`http://127.0.0.1:${p}/api/health`)).json()) as HealthResponse).cluster?.partitions.length ?? 0));
      return owned.reduce((a, b) => a + b, 0) === PARTITIONS && owned.every((n) => n > 0);
    }, 'the partitions shared among the replicas', 60_000);
    const base = `http://127.0.0.1:${ports[0]}`;
    const socket = await connectSocket(base, await login(base, 'operator'));
    const latency: number[] = [];
    let measuring = false;
    socket.on('reading', (e: ReadingEvent) => { if (measuring) latency.push(Date.now() - e.ts); });
    const alertAt = new Map<string, number>();
    socket.on('alert', (e: AlertSocketEvent) => {
      const d = e.alert.devices[0];
      if ((e.event === 'firing' || e.event === 'reopened') && d && !alertAt.has(d)) alertAt.set(d, Date.now());
    });
    // every process but the generator and this one, by name
    const named: [string, number][] = [
      ['edge', procs[0]!.process.pid!], ...procs.slice(1).map((c, i): [string, number] => [`replica-${i + 1}`, c.process.pid!]),
      ...nats.nodes.map((n, i): [string, number] => [`nats-${i + 1}`, n.pid()!]), ['influxd', influx.pid()!], ['redis', redis.pid()!],
    ];
    const conn = await call<{ failed: number; firstError: string | null }>(gen, { cmd: 'connect', devices, window: WINDOW, target: { host: '127.0.0.1', port: edgePort } });
    if (conn.failed) throw new Error(`${conn.failed} devices could not connect: ${conn.firstError}`);
    const run = (rate: number, seconds: number, cross: Record<string, unknown> = {}) => call<RunResult & { cpuPct: number; crossed: [string, number][] }>(gen, { cmd: 'run', rate, seconds, batch: BATCH, ...cross }, (seconds + 120) * 1000);
    let acked = (await run(Math.min(1000, RATE), 2)).ackedReadings; // warm-up
    await sleep(1500);
    await loopLagMs(base);
    const busBefore = await histogram(base, 'citygrid_bus_lag_seconds');
    const ingestBefore = await histogram(base, 'citygrid_ingest_lag_seconds');
    const u0 = named.map(([, pid]) => usageOf(pid));
    const t0Fixed = performance.now();
    alertAt.clear();
    measuring = true;
    const fixed = await run(RATE, FIXED_S, { crossDevices: noiseDevices, crossMetric: 'laeq', crossValue: 90 });
    const seconds = (performance.now() - t0Fixed) / 1000;
    const u1 = named.map(([, pid]) => usageOf(pid));
    const loop = await loopLagMs(base);
    const lag = loop.p99;
    const busAfter = await histogram(base, 'citygrid_bus_lag_seconds');
    const ingestAfter = await histogram(base, 'citygrid_ingest_lag_seconds');
    acked += fixed.ackedReadings;
    await sleep(500);
    measuring = false;
    latency.sort((a, b) => a - b);
    const alertMs = fixed.crossed.map(([d, at]) => (alertAt.has(d) ? alertAt.get(d)! - at : null));
    const alertsSeen = alertMs.filter((x): x is number => x !== null).sort((a, b) => a - b);
    const processes: Row['processes'] = {};
    named.forEach(([name], i) => {
      const a = u0[i], b = u1[i];
      if (a && b) processes[name] = { cpu_pct: Math.round(((b.cpuS - a.cpuS) / seconds) * 100), rss_mb: b.rssMb };
    });
    const flat = await run(0, FLAT_S);
    acked += flat.ackedReadings;
    const perS = Math.round(flat.ackedReadings / flat.seconds);
    // everything acknowledged (in the stream) must reach InfluxDB once the replicas catch up
    const t0 = performance.now();
    let stored = 0;
    const count_ = async () => {
      let n = 0;
      for (const [m, f] of [['water_level', 'level_cm'], ['noise', 'laeq']] as const) {
        const res = await (await fetch(`${influx.url}/query?db=citygrid&q=${encodeURIComponent(`SELECT count("${f}") FROM "${m}"`)}`)).json() as { results: { series?: { values: [string, number][] }[] }[] };
        n += Number(res.results[0]?.series?.[0]?.values[0]?.[1] ?? 0);
      }
      return n;
    };
    while ((stored = await count_()) < acked && performance.now() - t0 < 120_000) await sleep(500);
    const afterMs = stored >= acked ? Math.round(performance.now() - t0) : null;
    const row = {
      replicas: count, acked_per_s: perS, lost: Math.max(0, acked - stored), stored_after_ms: afterMs,
      p50_ms: Math.round(percentile(latency, 0.5)), p99_ms: Math.round(percentile(latency, 0.99)), events: latency.length, generator_cpu_pct: flat.cpuPct,
      alert_p50_ms: Math.round(percentile(alertsSeen, 0.5)), alert_p99_ms: Math.round(percentile(alertsSeen, 0.99)), alerts: alertsSeen.length, alerts_missed: alertMs.length - alertsSeen.length,
      loop_delay_p99_ms: lag, loop_delay_max_ms: loop.max, processes,
      // edge receipt → replica-1 taking it, at the fixed load (a histogram's bucket bound)
      bus_lag_p50: quantileBetween(busAfter, busBefore, 0.5), bus_lag_p99: quantileBetween(busAfter, busBefore, 0.99),
      // publish → the edge receiving it (the generator's clock and the edge's: one machine)
      ingest_lag_p50: quantileBetween(ingestAfter, ingestBefore, 0.5), ingest_lag_p99: quantileBetween(ingestAfter, ingestBefore, 0.99),
      // stream messages replica-1 took a second at the fixed load (each a single reading or an edge's batch)
      stream_msgs_per_s: Math.round(((busAfter.at(-1)?.n ?? 0) - (busBefore.at(-1)?.n ?? 0)) / seconds),
    };
    results.push(row);
    log(`[${elapsed()}] ${count} replica(s): flat out ${perS.toLocaleString('en-US')} readings/s acknowledged (generator CPU ${flat.cpuPct}%), all in InfluxDB ${afterMs ?? '>120000'} ms after, ${row.lost} missing; at ${RATE.toLocaleString('en-US')}/s publish → browser p50/p99 ${row.p50_ms}/${row.p99_ms} ms (${row.events} events), → alert p50/p99 ${row.alert_p50_ms}/${row.alert_p99_ms} ms (${row.alerts} alerts, ${row.alerts_missed} missed), replica-1 event-loop delay p99 ${lag} ms (max ${loop.max}); of publish → browser, publish → edge receipt p50/p99 ${row.ingest_lag_p50} / ${row.ingest_lag_p99}, edge receipt → replica-1 taking it p50/p99 ${row.bus_lag_p50} / ${row.bus_lag_p99}, in ${row.stream_msgs_per_s.toLocaleString('en-US')} stream messages/s`);
    log(`      at the fixed load, CPU (% of a core) / RSS: ${Object.entries(processes).map(([n, u]) => `${n} ${u.cpu_pct}% / ${u.rss_mb} MB`).join(', ')}`);
    socket.close();
    await call(gen, { cmd: 'close' });
  } finally {
    gen.kill('SIGKILL');
    for (const p of procs.reverse()) await p.kill('SIGTERM');
    // the edge's and replicas' logs, for what the figures do not say (refusals, retries, takeovers)
    mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
    procs.reverse().forEach((p, i) => writeFileSync(join(ROOT, 'bench', 'results', `cluster-${count}-${i === 0 ? 'edge' : `replica-${i}`}.log`), p.output()));
    await influx.stop();
    await redis.stop();
    await nats.stop();
    dir.remove();
  }
}
city.remove();

log('');
log('| replicas | flat out, acknowledged readings/s | missing in InfluxDB | at the fixed load: publish → browser p50 / p99 | → alert p50 / p99 | replica-1 loop delay p99 / CPU / RSS |');
log('|---|---|---|---|---|---|');
for (const r of results) log(`| ${r.replicas} | ${r.acked_per_s.toLocaleString('en-US')} | ${r.lost} | ${r.p50_ms} / ${r.p99_ms} ms | ${r.alert_p50_ms} / ${r.alert_p99_ms} ms | ${r.loop_delay_p99_ms} ms / ${r.processes['replica-1']?.cpu_pct}% / ${r.processes['replica-1']?.rss_mb} MB |`);
log(`total ${elapsed()}`);
log(JSON.stringify({ bench: 'cluster', quick: QUICK, nats_nodes: NATS_NODES, devices: DEVICES, batch: BATCH, fixed_rate: RATE, results, seconds: Math.round((performance.now() - started) / 1000) }));
process.exit(0);
