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
import { PARTITIONS, type HealthResponse, type ReadingEvent } from '@citygrid/contract';
import { percentile } from '../simulators/src/load/pacing.js';
import type { LoadDevice, RunResult } from '../simulators/src/load/generator.js';
import { freePort, influxd, natsCluster, redisServer, waitUntil } from '../scripts/engines.js';
import { writeSyntheticCity } from '../tests/helpers/synthetic-city.js';
import { startChild, type Child } from '../tests/helpers/processes.js';
import { connectSocket, login, tempDir, ROOT } from '../tests/helpers/system.js';
import { call } from './lib/ipc.js';

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
const results: { replicas: number; acked_per_s: number; lost: number; stored_after_ms: number | null; p50_ms: number; p99_ms: number; events: number; generator_cpu_pct: number }[] = [];

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
    const conn = await call<{ failed: number; firstError: string | null }>(gen, { cmd: 'connect', devices, window: WINDOW, target: { host: '127.0.0.1', port: edgePort } });
    if (conn.failed) throw new Error(`${conn.failed} devices could not connect: ${conn.firstError}`);
    const run = (rate: number, seconds: number) => call<RunResult & { cpuPct: number }>(gen, { cmd: 'run', rate, seconds, batch: BATCH }, (seconds + 120) * 1000);
    let acked = (await run(Math.min(1000, RATE), 2)).ackedReadings; // warm-up
    await sleep(1500);
    measuring = true;
    const fixed = await run(RATE, FIXED_S);
    acked += fixed.ackedReadings;
    await sleep(500);
    measuring = false;
    latency.sort((a, b) => a - b);
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
    };
    results.push(row);
    log(`[${elapsed()}] ${count} replica(s): flat out ${perS.toLocaleString('en-US')} readings/s acknowledged (generator CPU ${flat.cpuPct}%), all in InfluxDB ${afterMs ?? '>120000'} ms after, ${row.lost} missing; at ${RATE.toLocaleString('en-US')}/s publish → browser p50/p99 ${row.p50_ms}/${row.p99_ms} ms (${row.events} events)`);
    socket.close();
    await call(gen, { cmd: 'close' });
  } finally {
    gen.kill('SIGKILL');
    for (const p of procs.reverse()) await p.kill('SIGTERM');
    await influx.stop();
    await redis.stop();
    await nats.stop();
    dir.remove();
  }
}
city.remove();

log('');
log('| replicas | flat out, acknowledged readings/s | missing in InfluxDB | publish → browser p50 / p99 at fixed load |');
log('|---|---|---|---|');
for (const r of results) log(`| ${r.replicas} | ${r.acked_per_s.toLocaleString('en-US')} | ${r.lost} | ${r.p50_ms} / ${r.p99_ms} ms |`);
log(`total ${elapsed()}`);
log(JSON.stringify({ bench: 'cluster', quick: QUICK, nats_nodes: NATS_NODES, devices: DEVICES, batch: BATCH, fixed_rate: RATE, results, seconds: Math.round((performance.now() - started) / 1000) }));
process.exit(0);
