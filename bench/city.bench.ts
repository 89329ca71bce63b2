// `npm run bench:city [-- --quick]`: Y city on one box. 100,000 devices connected at once, each
// reporting one reading every 10 s (10,000 messages/s), for 10 minutes, through cluster mode on this
// one machine: the open-files limit per process (20,000 here) is why the devices are spread over
// several edges (`npm run broker` with a NATS bus) and several generator processes (bench/city/plan.ts).
// Engines from Debian on free loopback ports in a temp dir: one nats-server (JetStream, stream R1:
// one node is enough to carry the load; R3 costs two more copies of every message on the same two
// cores and is what `npm run bench -- --cluster` measures), redis-server (cluster mode's Socket.IO
// adapter), influxd (the store). One server replica owns every partition. Reports the time to
// connect every device, messages sent / acknowledged by the edges / stored in InfluxDB (lost =
// acknowledged but not stored), publish → Socket.IO `reading` on the replica (a Socket.IO client
// in this process, as the cluster bench measures), and CPU and RSS of every process.
// `--quick` keeps the 100,000 devices and shortens only the steady phase, 600 s → 30 s.
// A human summary, then the LAST line is one JSON object.
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BUS_STREAM, PARTITIONS, type HealthResponse, type ReadingEvent } from '@citygrid/contract';
import type { LoadDevice } from '../simulators/src/load/generator.js';
import { openFilesLimit } from '../simulators/src/load/load-mode.js';
import { freePort, influxd, natsCluster, redisServer, waitUntil, type EngineProcess } from '../scripts/engines.js';
import { writeSyntheticCity } from '../scripts/synthetic-city-lib.js';
import { connectSocket, login, tempDir, ROOT } from '../tests/helpers/system.js';
import { planCity, processesFor, socketsPerProcess } from './city/plan.js';
import { LatencyHistogram, readUsage, startNode, stopProcess, UsageMeter, type NodeProc } from './city/procs.js';
import { call } from './lib/ipc.js';
import { histogram, quantileBetween } from './lib/prom.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    devices: { type: 'string', default: '100000' },
    interval: { type: 'string', default: '10' },
    seconds: { type: 'string' },
    edges: { type: 'string' },
    generators: { type: 'string' },
    ramp: { type: 'string', default: '0' },
    parallel: { type: 'string', default: '600' },
    // CPU profiles of edge 1 and the replica, written when they stop (into bench/results)
    profile: { type: 'boolean', default: false },
  },
  strict: true,
});
const QUICK = args.quick === true;
const DEVICES = Number(args.devices);
const INTERVAL_S = Number(args.interval);
const STEADY_S = Number(args.seconds ?? (QUICK ? 30 : 600));
const RAMP = Number(args.ramp); // new connections per second in all, 0: as fast as the edges take them
const PARALLEL = Number(args.parallel); // handshakes in progress at once, in all
const PROFILE = args.profile === true ? ['--cpu-prof', `--cpu-prof-dir=${join(ROOT, 'bench', 'results')}`] : [];
const bad = [
  [!Number.isInteger(DEVICES) || DEVICES < 10 || DEVICES > 1_000_000, '--devices must be 10..1000000'],
  [!(INTERVAL_S >= 1 && INTERVAL_S <= 3600), '--interval must be 1..3600 seconds'],
  [!(STEADY_S >= 5 && STEADY_S <= 7200), '--seconds must be 5..7200'],
  [!(RAMP >= 0), '--ramp must be ≥ 0 connections/s'],
  [!Number.isInteger(PARALLEL) || PARALLEL < 1 || PARALLEL > 10_000, '--parallel must be 1..10000'],
].filter(([b]) => b).map(([, m]) => m);
if (bad.length) {
  process.stderr.write(`bench:city: ${bad.join('; ')}\n`);
  process.exit(2);
}
const missing = ['nats-server', 'redis-server', 'influxd'].filter((c) => spawnSync('sh', ['-c', `command -v ${c}`], { stdio: 'ignore' }).status !== 0);
if (missing.length) {
  process.stderr.write(`bench:city needs ${missing.join(', ')} from Debian (apt-get install nats-server redis-server influxdb)\n`);
  process.exit(1);
}

const log = (s: string) => process.stdout.write(`${s}\n`);
const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0)}s`.padStart(5);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const AUTH_SECRET = 'bench-city-auth-secret-0123456789-abcdefghijkl';

// Everything started is stopped by pid, in reverse order, once: at the end, on failure, on Ctrl-C.
const stops: { name: string; stop: () => Promise<void> }[] = [];
let stopping: Promise<void> | null = null;
function stopAll(): Promise<void> {
  stopping ??= (async () => {
    for (const s of stops.reverse()) await s.stop().catch((err: Error) => log(`  (stopping ${s.name}: ${err.message})`));
  })();
  return stopping;
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    log(`\n${sig}: stopping every process this benchmark started`);
    void stopAll().then(() => process.exit(130));
  });
}

const limit = openFilesLimit() ?? 1024;
const perProcess = socketsPerProcess(limit);
const EDGES = Number(args.edges ?? processesFor(DEVICES, perProcess));
const GENERATORS = Number(args.generators ?? EDGES);
const RATE = DEVICES / INTERVAL_S;
const meter = new UsageMeter();
const DRAIN_MAX_S = Math.max(180, STEADY_S / 2);
const CORES = Number(spawnSync('nproc', { encoding: 'utf8' }).stdout.trim()) || 1;
const nodeProcs: NodeProc[] = [];
const givenUp = new Map<string, number>();
/** Times a partition's consumer stopped delivering (missed heartbeats: the library pulls again after ~2 of them). */
let pullsStalled = 0;

/** The stream's size and what its consumers (the replica's, one a partition) have not yet been delivered or not yet acknowledged. */
async function streamState(http: string): Promise<{ messages: number; bytes: number; pending: number }> {
  const jsz = await (await fetch(`${http}/jsz?streams=true&consumers=true`)).json() as {
    account_details?: { stream_detail?: { name: string; state: { messages: number; bytes: number }; consumer_detail?: { name: string; num_pending: number; num_ack_pending: number }[] }[] }[];
  };
  const s = jsz.account_details?.flatMap((a) => a.stream_detail ?? []).find((d) => d.name === BUS_STREAM);
  // the partitions' durable consumers (p0 … p63) only: a replay's ordered consumer reads the same messages again
  const durable = (s?.consumer_detail ?? []).filter((c) => /^p\d+$/.test(c.name));
  return { messages: s?.state.messages ?? 0, bytes: s?.state.bytes ?? 0, pending: durable.reduce((n, c) => n + c.num_pending + c.num_ack_pending, 0) };
}

async function main(): Promise<Record<string, unknown>> {
  log(`CityGrid city bench${QUICK ? ' (quick: steady phase 30 s instead of 600 s)' : ''}: ${fmt(DEVICES)} devices, one reading each every ${INTERVAL_S} s (${fmt(RATE)} messages/s) for ${STEADY_S} s`);
  log(`open files per process: ${fmt(limit)} → at most ${fmt(perProcess)} device sockets each: ${EDGES} edges, ${GENERATORS} generator processes, 1 replica, 1 NATS node (R1), Redis, InfluxDB`);
  const dir = tempDir('citygrid-city-bench-');
  stops.push({ name: 'temp dir', stop: async () => dir.remove() });
  const city = await writeSyntheticCity({ devices: DEVICES, kinds: ['water_level', 'noise'], out: join(dir.path, 'city') });
  const devices: LoadDevice[] = city.city!.devices.map((d) => ({ id: d.id, kind: d.kind }));
  const plan = planCity(devices, { edges: EDGES, generators: GENERATORS, perProcess });
  log(`[${elapsed()}] city written: ${fmt(city.city!.cells.length)} cells, ${fmt(devices.length)} devices; per edge ${plan.perEdge.map(fmt).join(' / ')}`);

  const engine = (e: EngineProcess) => stops.push({ name: e.name, stop: () => e.stop() });
  const nats = await natsCluster(join(dir.path, 'nats'), 1);
  nats.nodes.forEach(engine);
  const redis = await redisServer(dir.path);
  engine(redis);
  const influx = await influxd(join(dir.path, 'influxdb'));
  engine(influx);
  await fetch(`${influx.url}/query?q=${encodeURIComponent('CREATE DATABASE "citygrid"')}`, { method: 'POST' });
  meter.add('nats-server', nats.nodes[0]!.pid());
  meter.add('redis-server', redis.pid());
  meter.add('influxd', influx.pid());
  const node = (p: NodeProc) => { nodeProcs.push(p); stops.push({ name: p.name, stop: () => p.stop(15_000) }); meter.add(p.name, p.pid); return p; };

  // the edges (each loads the city's 100,000 devices), then the replica
  const edgePorts = await Promise.all(Array.from({ length: EDGES }, () => freePort()));
  // the stream may hold up to 1,900 MB (scripts/engines.ts gives a NATS node 2 GB of file store): 10 minutes at 10,000 messages/s
  const bus = { CITY_DIR: city.dir, BUS_URL: nats.url, BUS_REPLICAS: '1', BUS_MAX_MB: '1900', LOG_LEVEL: 'info' };
  const edge = (port: number, i: number) => startNode(ROOT, `edge-${i + 1}`, 'broker/src/main.ts', { ...bus, MQTT_PORT: String(port), MQTT_HOST: '127.0.0.1' }, 'MQTT broker listening', 180_000, i === 0 ? PROFILE : []);
  // the first edge makes the stream: edges creating it at once each reserve its 1,900 MB, which the
  // node's 2 GB refuses ("insufficient storage resources") to all but one
  const edges = [node(await edge(edgePorts[0]!, 0))];
  // every edge that started is stopped by pid even if another failed to
  const rest = await Promise.allSettled(edgePorts.slice(1).map((port, i) => edge(port, i + 1)));
  for (const r of rest) if (r.status === 'fulfilled') edges.push(node(r.value));
  const failedEdge = rest.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failedEdge) throw failedEdge.reason;
  log(`[${elapsed()}] ${EDGES} edges listening`);
  const httpPort = await freePort();
  node(await startNode(ROOT, 'replica', 'server/src/main.ts', {
    ...bus, PORT: String(httpPort), HOST: '127.0.0.1', DATA_DIR: join(dir.path, 'replica'), STORE: 'influx', INFLUX_URL: influx.url,
    INFLUX_DATABASE: 'citygrid', AUTH_SECRET, REDIS_URL: redis.url, SIMULATE: '0',
  }, 'CityGrid is live', 180_000, PROFILE, (line) => {
    // why the replica gave partitions up (a lease it could not renew, or a renewal refused)
    if (line.includes('consumer is not answering')) pullsStalled++;
    if (!line.includes('partition given up')) return;
    const why = /"why":"([^"(]*)/.exec(line)?.[1]?.trim() ?? '?';
    givenUp.set(why, (givenUp.get(why) ?? 0) + 1);
  }));
  const base = `http://127.0.0.1:${httpPort}`;
  await waitUntil(async () => (((await (await fetch(`${base}/api/health`)).json()) as HealthResponse).cluster?.partitions.length ?? 0) === PARTITIONS, 'the replica to own every partition', 60_000);
  log(`[${elapsed()}] replica live, owning all ${PARTITIONS} partitions`);

  const socket = await connectSocket(base, await login(base, 'operator'));
  stops.push({ name: 'socket', stop: async () => { socket.close(); } });
  const latency = new LatencyHistogram();
  let measuring = false;
  // and per 10 s of the steady phase: the devices' first readings (new series, new rule state) come
  // in its first interval, so a short run's totals weigh that start more than a long run's
  let window = new LatencyHistogram(300_000);
  let lastWindow = { p50: Number.NaN, p99: Number.NaN };
  socket.on('reading', (e: ReadingEvent) => {
    if (!measuring) return;
    latency.add(Date.now() - e.ts);
    window.add(Date.now() - e.ts);
  });

  const gens: ChildProcess[] = [];
  for (let g = 0; g < GENERATORS; g++) {
    const proc = fork(join(ROOT, 'bench', 'city', 'generator-child.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    stops.push({ name: `generator-${g + 1}`, stop: () => stopProcess(proc, 5_000, 'SIGKILL') });
    gens.push(proc);
    meter.add(`generator-${g + 1}`, proc.pid);
    await new Promise<void>((resolve, reject) => {
      proc.on('message', (m: Record<string, unknown>) => { if (m.ready) resolve(); });
      proc.once('exit', (code) => reject(new Error(`generator-${g + 1} exited with ${code}`)));
    });
  }
  meter.add('bench (Socket.IO client)', process.pid);
  const edgeRssBefore = edges.map((e) => readUsage(e.pid)?.rss ?? 0);

  // connect every device; progress every 5 s
  type Status = { messages: number; acked: number; errors: number; connected: number; failed: number; firstError: string | null };
  const statusAll = async () => {
    const rs = await Promise.all(gens.map((p) => call<Status>(p, { cmd: 'status' }, 30_000)));
    return { connected: rs.reduce((s, r) => s + r.connected, 0), messages: rs.reduce((s, r) => s + r.messages, 0), acked: rs.reduce((s, r) => s + r.acked, 0), errors: rs.reduce((s, r) => s + r.errors, 0) };
  };
  // the replica's partitions, every 2 s from the connect phase to the end of the steady phase: a lease missed shows as fewer than all owned
  const owned = { samples: 0, short: 0, min: PARTITIONS, loopMaxS: 0 };
  const watch = setInterval(() => {
    void fetch(`${base}/metrics`, { signal: AbortSignal.timeout(1900) }).then((r) => r.text()).then((text) => {
      const n = Number(/^citygrid_bus_partitions_owned (\d+)/m.exec(text)?.[1] ?? Number.NaN);
      if (Number.isNaN(n)) return;
      owned.samples++;
      if (n < PARTITIONS) owned.short++;
      owned.min = Math.min(owned.min, n);
      owned.loopMaxS = Math.max(owned.loopMaxS, Number(/^citygrid_nodejs_eventloop_lag_max_seconds ([\d.e+-]+)/m.exec(text)?.[1] ?? 0));
    }, () => undefined);
  }, 2000);
  meter.begin(2000);
  const t0 = performance.now();
  const progress = setInterval(() => { void statusAll().then((s) => log(`[${elapsed()}]   connected ${fmt(s.connected)} of ${fmt(DEVICES)}`), () => undefined); }, 5000);
  const conns = await Promise.all(gens.map((p, g) => call<Status & { ms: number }>(p, {
    cmd: 'connect', parallel: Math.max(1, Math.round(PARALLEL / GENERATORS)), perSecond: RAMP / GENERATORS,
    shares: plan.shares.filter((s) => s.generator === g).map((s) => ({ port: edgePorts[s.edge]!, devices: s.devices })),
  }, 900_000))).finally(() => clearInterval(progress));
  const connectMs = Math.round(performance.now() - t0);
  const connected = conns.reduce((s, r) => s + r.connected, 0);
  const failed = conns.reduce((s, r) => s + r.failed, 0);
  const connectUsage = meter.end();
  const cpuOf = (u: typeof connectUsage, prefix: string) => u.rows.filter((r) => r.name.startsWith(prefix)).reduce((a, r) => a + r.cpu_pct, 0);
  const edgeKbPerConn = Math.round(edges.reduce((s, e, i) => s + ((readUsage(e.pid)?.rss ?? 0) - edgeRssBefore[i]!), 0) / 1024 / Math.max(1, connected));
  log(`[${elapsed()}] ${fmt(connected)} of ${fmt(DEVICES)} connected in ${(connectMs / 1000).toFixed(1)} s (${fmt(connected / (connectMs / 1000))}/s), ${fmt(failed)} failed${failed ? ` (first: ${conns.find((c) => c.firstError)?.firstError})` : ''}; edges grew ${edgeKbPerConn} KB per connection; CPU meanwhile (% of a core): edges ${cpuOf(connectUsage, 'edge')}, generators ${cpuOf(connectUsage, 'generator')}, the machine ${connectUsage.machine.busy_pct} of ${CORES * 100}`);
  if (connected === 0) throw new Error('no device could connect');

  // steady: every device once per interval
  meter.begin(2000);
  measuring = true;
  const steadyStart = performance.now();
  let last = await statusAll();
  const ticker = setInterval(() => {
    void statusAll().then((s) => {
      const secs = 10;
      lastWindow = { p50: window.quantile(0.5), p99: window.quantile(0.99) };
      window = new LatencyHistogram(300_000);
      log(`[${elapsed()}]   sent ${fmt((s.messages - last.messages) / secs)}/s, acknowledged ${fmt((s.acked - last.acked) / secs)}/s, browser p50 / p99 these 10 s ${lastWindow.p50} / ${lastWindow.p99} ms (so far ${latency.quantile(0.99)}), ${fmt(s.connected)} connected, errors ${s.errors}`);
      last = s;
    }, () => undefined);
  }, 10_000);
  const runs = await Promise.all(gens.map((p) => call<{ messages: number; acked: number; errors: number; behind: number; connected: number; seconds: number }>(p, { cmd: 'run', intervalMs: INTERVAL_S * 1000, seconds: STEADY_S }, (STEADY_S + 120) * 1000)))
    .finally(() => { clearInterval(ticker); clearInterval(watch); });
  const steadyS = (performance.now() - steadyStart) / 1000;
  const { rows: usage, machine } = meter.end();
  const stream = await streamState(nats.nodes[0]!.http);
  // publish → browser in legs: to the edge (the replica's ingest-lag histogram), and from the edge to
  // the replica's take (its bus-lag histogram); the rest is the replica's work and Socket.IO
  const [ingest, taken] = await Promise.all([histogram(base, 'citygrid_ingest_lag_seconds'), histogram(base, 'citygrid_bus_lag_seconds')]);
  const edgeLag = { p50: quantileBetween(ingest, null, 0.5), p99: quantileBetween(ingest, null, 0.99) };
  const busLag = { p50: quantileBetween(taken, null, 0.5), p99: quantileBetween(taken, null, 0.99) };
  const sent = runs.reduce((s, r) => s + r.messages, 0);
  const acked = runs.reduce((s, r) => s + r.acked, 0);
  const errors = runs.reduce((s, r) => s + r.errors, 0);
  const stillConnected = runs.reduce((s, r) => s + r.connected, 0);
  log(`[${elapsed()}] steady phase over: sent ${fmt(sent)}, acknowledged ${fmt(acked)} (${fmt(acked / steadyS)}/s), ${errors} connection errors, ${fmt(stillConnected)} still connected; the stream holds ${fmt(stream.messages)} messages (${fmt(stream.bytes / Math.max(1, stream.messages))} bytes each), the replica has ${fmt(stream.pending)} of them still to take; it owned fewer than all ${PARTITIONS} partitions in ${owned.short} of ${owned.samples} samples (2 s apart, since the devices began to connect; fewest ${owned.min}); its event loop stalled ${owned.loopMaxS.toFixed(1)} s at most; partitions given up since it started: ${[...givenUp].map(([why, n]) => `${n} (${why})`).join(', ') || 'none'}; a partition's consumer stood still ${pullsStalled} times`);

  // every acknowledged reading must be in InfluxDB once the replica has caught up
  const countStored = async () => {
    let n = 0;
    for (const [m, f] of [['water_level', 'level_cm'], ['noise', 'laeq']] as const) {
      const res = await fetch(`${influx.url}/query?db=citygrid&q=${encodeURIComponent(`SELECT count("${f}") FROM "${m}"`)}`, { signal: AbortSignal.timeout(60_000) });
      const body = await res.json() as { results: { series?: { values: [string, number][] }[] }[] };
      n += Number(body.results[0]?.series?.[0]?.values[0]?.[1] ?? 0);
    }
    return n;
  };
  // the replica may be behind: wait while it makes progress (the browser's latency counts until the
  // last reading arrives), giving up after 60 s without progress or DRAIN_MAX_S in all
  const c0 = performance.now();
  let stored = 0, lastStored = -1, lastProgress = c0;
  for (;;) {
    stored = await countStored();
    const now = performance.now();
    if (stored > lastStored) { lastStored = stored; lastProgress = now; }
    if (stored >= acked || now - lastProgress > 60_000 || now - c0 > DRAIN_MAX_S * 1000) break;
    await sleep(2000);
  }
  const storedAfterMs = stored >= acked ? Math.round(performance.now() - c0) : null;
  await sleep(1000);
  measuring = false;
  const lost = Math.max(0, acked - stored);
  // missing readings with nothing left for the replica to take are lost; otherwise they may only be late
  const left = storedAfterMs === null ? (await streamState(nats.nodes[0]!.http)).pending : 0;
  log(`[${elapsed()}] InfluxDB holds ${fmt(stored)} readings${storedAfterMs === null ? ` after ${Math.round((performance.now() - c0) / 1000)} s of waiting` : ` (all acknowledged ones ${storedAfterMs} ms after the end)`}: ${fmt(lost)} ${storedAfterMs === null ? `missing, with ${fmt(left)} stream messages still for the replica to take${left ? ' (late, not necessarily lost)' : ' (lost)'}` : 'lost'}`);
  socket.close();
  await Promise.all(gens.map((p) => call(p, { cmd: 'close' }, 60_000).catch(() => undefined)));

  const p50 = latency.quantile(0.5), p99 = latency.quantile(0.99);
  log('');
  log(`| measure (${fmt(DEVICES)} devices, ${INTERVAL_S} s interval, ${STEADY_S} s steady) | value |`);
  log('|---|---|');
  log(`| connect time, all devices | ${(connectMs / 1000).toFixed(1)} s (${fmt(connected)} connected, ${fmt(failed)} failed) |`);
  log(`| messages sent / acknowledged | ${fmt(sent)} / ${fmt(acked)} (${fmt(acked / steadyS)}/s) |`);
  log(`| lost (acknowledged, not in InfluxDB) | ${left ? `${fmt(lost)} not yet stored after ${DRAIN_MAX_S} s (the replica had ${fmt(left)} stream messages left)` : fmt(lost)} |`);
  log(`| publish → Socket.IO reading p50 / p99 / max | ${p50} / ${p99} / ${Math.round(latency.max)} ms (${fmt(latency.count)} events) |`);
  log(`| of which publish → edge receipt, p50 / p99 | ${edgeLag.p50} / ${edgeLag.p99} |`);
  log(`| and edge receipt → the replica taking it, p50 / p99 | ${busLag.p50} / ${busLag.p99} |`);
  log(`| publish → Socket.IO reading p50 / p99, the steady phase's last 10 s | ${lastWindow.p50} / ${lastWindow.p99} ms |`);
  log('');
  log('| process | CPU (% of a core) | RSS now / max (MB) |');
  log('|---|---|---|');
  for (const u of usage) log(`| ${u.name} | ${u.cpu_pct} | ${u.rss_mb} / ${u.rss_max_mb} |`);
  const ours = usage.reduce((s, u) => s + u.cpu_pct, 0);
  log(`these processes: ${ours} % of a core in all. The whole machine (${CORES} cores, ${CORES * 100} %): busy ${machine.busy_pct} % = processes ${machine.processes_pct} % (others than these: ${Math.max(0, machine.processes_pct - ours)} %) + interrupts ${machine.interrupts_pct} % (loopback TCP) + stolen ${machine.steal_pct} %`);
  return {
    bench: 'city', quick: QUICK, devices: DEVICES, interval_s: INTERVAL_S, steady_s: Math.round(steadyS), offered_per_s: Math.round(RATE),
    edges: EDGES, generators: GENERATORS, nats_nodes: 1, stream_replicas: 1, open_files_limit: limit,
    connect_ms: connectMs, connected, failed, edge_kb_per_connection: edgeKbPerConn,
    sent, acked, acked_per_s: Math.round(acked / steadyS), stored, missing: lost, lost: left ? null : lost, stored_after_ms: storedAfterMs,
    stream_messages: stream.messages, stream_bytes_per_message: Math.round(stream.bytes / Math.max(1, stream.messages)), replica_behind_at_end: stream.pending, partitions_short_samples: owned.short, partitions_samples: owned.samples, partitions_min: owned.min, replica_loop_delay_max_s: Number(owned.loopMaxS.toFixed(2)), partitions_given_up: Object.fromEntries(givenUp), pulls_stalled: pullsStalled, replica_behind_after_wait: left, connection_errors: errors, still_connected: stillConnected,
    browser_p50_ms: p50, browser_p99_ms: p99, browser_max_ms: Math.round(latency.max), browser_events: latency.count, edge_receipt_p50: edgeLag.p50, edge_receipt_p99: edgeLag.p99, bus_lag_p50: busLag.p50, bus_lag_p99: busLag.p99, browser_last_10s_p50_ms: lastWindow.p50, browser_last_10s_p99_ms: lastWindow.p99,
    cores: CORES, machine, connect_machine: connectUsage.machine, processes: usage,
  };
}

let result: Record<string, unknown> | null = null;
let failure: Error | null = null;
try {
  result = await main();
} catch (err) {
  failure = err as Error;
  log(`bench:city failed: ${failure.stack ?? failure.message}`);
  for (const p of nodeProcs) if (!p.running()) log(`${p.name} had exited; its last output:\n${p.tail().slice(-3000)}`);
} finally {
  log(`[${elapsed()}] stopping everything (by pid)`);
  await stopAll();
  if (PROFILE.length) log(`CPU profiles of edge-1 and the replica in bench/results (read with: node --import tsx bench/lib/profile-summary.ts <file>)`);
}
log(`total ${elapsed().trim()}`);
log(JSON.stringify(result ? { ...result, seconds: Math.round((performance.now() - started) / 1000) } : { bench: 'city', error: failure?.message ?? 'unknown' }));
process.exit(result ? 0 : 1);
