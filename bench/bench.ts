// `npm run bench [-- --quick] [--store influx] [--profile]` (`-- --cluster`: bench/cluster.bench.ts): end-to-end throughput and latency of the
// whole embedded system (broker + ingest + store + rules + Socket.IO in one process), driven by a
// load generator in a separate process, compared with bare aedes and Debian's mosquitto passing the
// same load (same generator, same payloads, one consuming subscriber, no processing).
//   (a) a fixed offered load (default 20,000 readings/s): readings lost (acknowledged by the broker
//       but not in the store), publish → Socket.IO `reading` latency, publish → `alert` latency,
//       server CPU and RSS;
//   (b) saturation: the highest offered rate sustained with nothing lost (stepped search).
// A human table, then the LAST line is one JSON object.
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import type { AlertSocketEvent, ReadingEvent } from '@citygrid/contract';
import { percentile, searchSaturation, type SaturationStep } from '../simulators/src/load/pacing.js';
import type { LoadDevice } from '../simulators/src/load/generator.js';
import { writeSyntheticCity } from '../tests/helpers/synthetic-city.js';
import { freePort, haveInfluxd, startInflux, type TestInflux } from '../tests/helpers/influx.js';
import { connectSocket, login, tempDir, ROOT, type CitySocket } from '../tests/helpers/system.js';
import { GeneratorPool } from './lib/generators.js';
import { call } from './lib/ipc.js';

// cluster mode has a benchmark of its own (bench/cluster.bench.ts)
if (process.argv.includes('--cluster')) {
  await import('./cluster.bench.js');
  await new Promise(() => undefined); // it exits by itself
}

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    store: { type: 'string', default: 'sqlite' },
    profile: { type: 'boolean', default: false },
    rate: { type: 'string', default: '20000' },
    seconds: { type: 'string' },
    devices: { type: 'string', default: '200' },
    // one reading per message, as street sensors send; --batch 10 is the gateway case
    batch: { type: 'string', default: '1' },
    // load-generator processes: a number, or auto (one, more when it would pass 60 % of a core)
    generators: { type: 'string', default: 'auto' },
    window: { type: 'string', default: '16' },
    'skip-baselines': { type: 'boolean', default: false },
  },
});
const QUICK = args.quick!;
const FIXED_RATE = Number(args.rate);
const FIXED_S = Number(args.seconds ?? (QUICK ? 10 : 30));
const STEP_S = QUICK ? 4 : 8;
const MAX_STEPS = QUICK ? 4 : 7;
const FLAT_S = QUICK ? 4 : 8;
const DEVICES = Number(args.devices);
const BATCH = Number(args.batch);
const WINDOW = Number(args.window);
const STORE = args.store === 'influx' ? 'influx' : 'sqlite';
const startedAt = performance.now();
const log = (s: string) => process.stdout.write(`${s}\n`);
const elapsed = () => `${((performance.now() - startedAt) / 1000).toFixed(0)}s`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function child(script: string, env: Record<string, string> = {}, execArgv: string[] = []): Promise<{ proc: ChildProcess; ready: Record<string, unknown> }> {
  const proc = fork(join(ROOT, 'bench', 'lib', script), [], { execArgv: ['--import', 'tsx', ...execArgv], env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} not ready within 120 s`)), 120_000);
    proc.on('message', (m: Record<string, unknown>) => {
      if (m.ready) { clearTimeout(timer); resolve({ proc, ready: m }); }
      if (m.crashed) log(`!! ${script} crashed: ${String(m.crashed)}`);
    });
    proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${script} exited with ${code} before it was ready`)); });
  });
}

async function quit(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null) return;
  const exited = new Promise<void>((r) => p.once('exit', () => r()));
  try { await call(p, { cmd: 'exit' }, 5000); } catch { /* already gone */ }
  await Promise.race([exited, sleep(10_000)]);
  if (p.exitCode === null) p.kill('SIGKILL');
}

// ---------------------------------------------------------------- the city and the system under test
log(`CityGrid bench${QUICK ? ' (quick)' : ''}: ${DEVICES} devices, ${BATCH} reading${BATCH === 1 ? '' : 's'} per message, ${WINDOW} QoS 1 messages in flight per connection, store ${STORE}`);
const city = await writeSyntheticCity({ cols: 20, rows: 10, devices: DEVICES, kinds: ['water_level', 'water_level', 'water_level', 'noise'] });
const devices: LoadDevice[] = city.city.devices.map((d) => ({ id: d.id, kind: d.kind }));
const noiseDevices = devices.filter((d) => d.kind === 'noise').map((d) => d.id);
const dataDir = tempDir('citygrid-bench-');
let influx: TestInflux | null = null;
// MQTT_DEVICE_RATE=0: no per-device message budget. The 200 connections stand for gateways that
// each carry many sensors (batches of readings); with the default budget (20 messages/s per device)
// the broker would refuse the steps above ~40,000 readings/s as rate_limited, which measures the
// budget rather than the pipeline.
const systemEnv: Record<string, string> = { CITY_DIR: city.dir, DATA_DIR: dataDir.path, STORE, MQTT_DEVICE_RATE: '0' };
if (STORE === 'influx') {
  if (!haveInfluxd()) throw new Error('--store influx needs influxd (apt-get install influxdb)');
  influx = await startInflux('citygrid');
  Object.assign(systemEnv, { INFLUX_URL: influx.url, INFLUX_DATABASE: 'citygrid' });
}
const profileDir = join(dataDir.path, 'profile');
if (args.profile) mkdirSync(profileDir, { recursive: true });
const sys = await child('system-child.ts', { BENCH_SYSTEM_ENV: JSON.stringify(systemEnv) }, args.profile ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []);
const server = sys.proc;
let crashed: string | null = null;
server.on('message', (m: Record<string, unknown>) => { if (m.crashed) crashed = String(m.crashed); });
const mqttPort = sys.ready.mqttPort as number;
const baseUrl = sys.ready.baseUrl as string;
log(`[${elapsed()}] system up: MQTT 127.0.0.1:${mqttPort}, HTTP ${baseUrl}`);

// A signed-in Socket.IO client that gets everything (operator: the ALL room).
const socket: CitySocket = await connectSocket(baseUrl, await login(baseUrl, 'operator'));
let measuring = false;
let measureUntil = Number.POSITIVE_INFINITY;
const readingLatency: number[] = [];
const latencyTrace: [number, number][] = [];
let readingEvents = 0;
const alertAt = new Map<string, number>();
socket.on('reading', (e: ReadingEvent) => {
  readingEvents++;
  if (measuring && Date.now() <= measureUntil) {
    readingLatency.push(Date.now() - e.ts);
    if (process.env.BENCH_DEBUG) latencyTrace.push([Date.now(), Date.now() - e.ts]);
  }
});
socket.on('alert', (e: AlertSocketEvent) => {
  if (e.event === 'firing' || e.event === 'reopened') {
    const d = e.alert.devices[0];
    if (d && !alertAt.has(d)) alertAt.set(d, Date.now());
  }
});

const GEN_CPU_MAX = 60; // % of a core: past it the generator may be what limits the run
const genProcs = [(await child('generator-child.ts')).proc];
const wantGenerators = args.generators === 'auto' ? null : Math.max(1, Math.min(8, Number(args.generators) || 1));
while (genProcs.length < (wantGenerators ?? 1)) genProcs.push((await child('generator-child.ts')).proc);
let gens = new GeneratorPool(genProcs);
const target = { host: '127.0.0.1', port: mqttPort };
async function connectAll(): Promise<void> {
  const conn = await gens.connect(devices, WINDOW, target);
  if (conn.failed) throw new Error(`${conn.failed} devices could not connect: ${conn.firstError}`);
  log(`[${elapsed()}] ${devices.length} devices connected in ${conn.ms} ms by ${gens.size} generator process${gens.size > 1 ? 'es' : ''}`);
}
await connectAll();

// Readings in the store, counted from here (a read-only SQLite connection; WAL lets it read beside
// the writer) so that counting costs the benchmark, not the system under test.
let db: Database.Database | null = null;
async function stored(): Promise<number> {
  if (STORE === 'sqlite') {
    db ??= new Database(join(dataDir.path, 'citygrid.db'), { readonly: true, fileMustExist: true });
    return (db.prepare('SELECT count(*) AS n FROM readings').get() as { n: number }).n;
  }
  let n = 0;
  for (const [m, f] of [['water_level', 'level_cm'], ['noise', 'laeq']] as const) {
    const [r] = await influx!.query(`SELECT count("${f}") FROM "${m}"`, 'citygrid');
    n += Number(r?.series?.[0]?.values[0]?.[1] ?? 0);
  }
  return n;
}
type Usage = { cpu: { user: number; system: number }; rss: number; at: number };
const usage = () => call<Usage>(server, { cmd: 'usage' });
/** Waits until the store holds `target` readings (or `maxMs` passes); returns when it did, or null. */
async function drained(target: number, maxMs: number): Promise<{ stored: number; afterMs: number | null }> {
  const t0 = performance.now();
  let n = await stored();
  while (n < target && performance.now() - t0 < maxMs) {
    await sleep(100);
    n = await stored();
  }
  return { stored: n, afterMs: n >= target ? Math.round(performance.now() - t0) : null };
}
const run = (rate: number, seconds: number, extra: { crossDevices?: string[]; crossMetric?: string; crossValue?: number } = {}) => gens.run(rate, seconds, BATCH, extra);

// warm-up (JIT, SQLite pages, socket rooms); with --generators auto, enough generator processes that
// none would pass GEN_CPU_MAX at the fixed load (judged from the warm-up's CPU, scaled to that rate)
const WARM_RATE = Math.min(5000, FIXED_RATE);
const warm = await run(WARM_RATE, 2);
let ackedTotal = warm.ackedReadings;
if (wantGenerators === null) {
  const atFixed = warm.cpuPct * (FIXED_RATE / WARM_RATE);
  const need = Math.min(4, Math.max(1, Math.ceil(atFixed / GEN_CPU_MAX)));
  log(`[${elapsed()}] generator CPU ${warm.cpuPct}% at ${WARM_RATE.toLocaleString('en-US')} readings/s (~${Math.round(atFixed)}% at ${FIXED_RATE.toLocaleString('en-US')}): ${need} generator process${need > 1 ? 'es' : ''}`);
  if (need > genProcs.length) {
    await gens.close();
    while (genProcs.length < need) genProcs.push((await child('generator-child.ts')).proc);
    gens = new GeneratorPool(genProcs);
    await connectAll();
    ackedTotal += (await run(WARM_RATE, 2)).ackedReadings;
  }
}
let base = (await drained(0, 0)).stored;
await sleep(1500); // let the coalescer's windows pass so the measurement starts clean
base = (await drained(base, 3000)).stored;

// ---------------------------------------------------------------- (a) the fixed load
log(`[${elapsed()}] (a) ${FIXED_RATE.toLocaleString('en-US')} readings/s for ${FIXED_S} s, ${noiseDevices.length} threshold crossings...`);
alertAt.clear();
readingLatency.length = 0;
let rssMax = 0;
const sampler = setInterval(() => { void usage().then((u) => { rssMax = Math.max(rssMax, u.rss); }, () => {}); }, 1000);
const u0 = await usage();
await call(server, { cmd: 'loopDelay' });
measuring = true;
// only while the load runs: once it stops, readings held by the coalescer age until their window ends
measureUntil = Date.now() + FIXED_S * 1000;
const fixed = await run(FIXED_RATE, FIXED_S, { crossDevices: noiseDevices, crossMetric: 'laeq', crossValue: 90 });
ackedTotal += fixed.ackedReadings;
const u1 = await usage();
const lag = await call<{ p99: number; max: number }>(server, { cmd: 'loopDelay' });
await sleep(300);
measuring = false;
clearInterval(sampler);
rssMax = Math.max(rssMax, u1.rss);
const fixedDrain = await drained(base + fixed.ackedReadings, 15_000);
const fixedLost = base + fixed.ackedReadings - fixedDrain.stored;
base = fixedDrain.stored;
const cpuPct = ((u1.cpu.user + u1.cpu.system - u0.cpu.user - u0.cpu.system) / 1000 / (u1.at - u0.at)) * 100;
if (process.env.BENCH_DEBUG) {
  const t0 = latencyTrace[0]?.[0] ?? 0;
  const perS = new Map<number, number[]>();
  for (const [at, ms] of latencyTrace) {
    const k = Math.floor((at - t0) / 500);
    perS.set(k, [...(perS.get(k) ?? []), ms]);
  }
  log(`    latency min/median/max per 0.5 s: ${[...perS].map(([k, v]) => { v.sort((a, b) => a - b); return `${k / 2}s:${v[0]}/${v[v.length >> 1]}/${v[v.length - 1]}(${v.length})`; }).join(' ')}`);
}
readingLatency.sort((a, b) => a - b);
const alertLatency = fixed.crossed.map(([d, at]) => (alertAt.has(d) ? alertAt.get(d)! - at : null));
const alertMs = alertLatency.filter((x): x is number => x !== null).sort((a, b) => a - b);
const fixedResult = {
  offered_per_s: FIXED_RATE,
  sent_per_s: Math.round(fixed.readings / fixed.seconds),
  acked: fixed.ackedReadings,
  lost: fixedLost,
  stored_after_ms: fixedDrain.afterMs,
  reading_events: readingLatency.length,
  p50_ms: Math.round(percentile(readingLatency, 0.5)),
  p99_ms: Math.round(percentile(readingLatency, 0.99)),
  max_ms: Math.round(readingLatency[readingLatency.length - 1] ?? Number.NaN),
  alerts: alertMs.length,
  alerts_missed: alertLatency.length - alertMs.length,
  alert_p50_ms: Math.round(percentile(alertMs, 0.5)),
  alert_p99_ms: Math.round(percentile(alertMs, 0.99)),
  cpu_pct: Math.round(cpuPct),
  rss_mb: Math.round(rssMax / 1_048_576),
  loop_delay_p99_ms: Math.round(lag.p99),
  loop_delay_max_ms: Math.round(lag.max),
};
log(`[${elapsed()}]     generator CPU ${fixed.cpuPcts.join('% + ')}%${fixed.cpuPct > GEN_CPU_MAX ? ' (past 60 %: try --generators ' + (gens.size + 1) + ')' : ''}; sent ${fixedResult.sent_per_s}/s, lost ${fixedLost}, reading p50/p99 ${fixedResult.p50_ms}/${fixedResult.p99_ms} ms, alert p99 ${fixedResult.alert_p99_ms} ms, CPU ${fixedResult.cpu_pct}%, RSS ${fixedResult.rss_mb} MB`);

// ---------------------------------------------------------------- (b) saturation
await sleep(1000);
const flat = await run(0, FLAT_S);
ackedTotal += flat.ackedReadings;
const flatDrain = await drained(base + flat.ackedReadings, 30_000);
const flatPerS = Math.round(flat.ackedReadings / flat.seconds);
const flatLost = base + flat.ackedReadings - flatDrain.stored;
base = flatDrain.stored;
log(`[${elapsed()}] (b) flat out: ${flatPerS.toLocaleString('en-US')} readings/s acknowledged (generator CPU ${flat.cpuPct}%, ${flatLost} lost, all stored ${flatDrain.afterMs ?? '>30000'} ms after the end); stepped search...`);
const stepDetails: (SaturationStep & { sent_per_s: number; lost: number; stored_after_ms: number | null })[] = [];
const search = await searchSaturation(async (rate) => {
  await sleep(500);
  const r = await run(rate, STEP_S);
  ackedTotal += r.ackedReadings;
  let d = await drained(base + r.ackedReadings, 5000);
  // not caught up within 5 s: not sustained; let it finish (≤ 30 s) so the next step starts clean
  // and what is missing after that is counted as lost
  if (d.afterMs === null) d = { ...(await drained(base + r.ackedReadings, 30_000)), afterMs: null };
  const lost = base + r.ackedReadings - d.stored;
  base = d.stored;
  const sentPerS = r.readings / r.seconds;
  // sustained: the generator got it all out (the broker kept acknowledging), all of it is stored,
  // and the store caught up within 2 s of the end (no queue growing without bound)
  const ok = sentPerS >= rate * 0.97 && lost === 0 && r.errors === 0 && d.afterMs !== null && d.afterMs <= 2000;
  stepDetails.push({ rate, ok, sent_per_s: Math.round(sentPerS), lost, stored_after_ms: d.afterMs });
  log(`[${elapsed()}]     ${rate.toLocaleString('en-US').padStart(7)} readings/s: sent ${Math.round(sentPerS).toLocaleString('en-US')}/s, lost ${lost}, stored ${d.afterMs ?? '>5000'} ms after the end -> ${ok ? 'sustained' : 'not sustained'}`);
  if (crashed) throw new Error(`the system crashed: ${crashed}`);
  return ok;
}, { start: Math.max(FIXED_RATE, Math.round(flatPerS * 0.8)), max: Math.max(flatPerS * 2, FIXED_RATE * 2), grow: 1.25, precision: 0.08, maxSteps: MAX_STEPS, round: 1000 });

// every reading the broker acknowledged during the whole run, against what the store holds
const total = await drained(ackedTotal, 30_000);
const lostOverall = ackedTotal - total.stored;
const metricsText = await (await fetch(`${baseUrl}/metrics`)).text().catch(() => '');
const metric = (name: string) => metricsText.split('\n').filter((l) => l.startsWith(name)).reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
const accepted = metric('citygrid_readings_accepted_total');
const rejectedMsgs = metric('citygrid_messages_rejected_total');
const rejectedBy = metricsText.split('\n').filter((l) => l.startsWith('citygrid_messages_rejected_total{')).map((l) => l.replace('citygrid_messages_rejected_total', '')).join(', ');
if (rejectedMsgs) log(`    rejected: ${rejectedBy}`);
// each acknowledged reading must be taken by the pipeline once: more would be copies that got through
const duplicatesDropped = metric('citygrid_messages_duplicate_total');
const takenTwice = Math.max(0, accepted - ackedTotal);
log(`[${elapsed()}] whole run: ${ackedTotal.toLocaleString('en-US')} readings acknowledged by the broker, ${accepted.toLocaleString('en-US')} accepted by the server (${rejectedMsgs} messages rejected, ${duplicatesDropped} copies dropped, ${takenTwice} taken twice), ${total.stored.toLocaleString('en-US')} stored (${lostOverall} missing)`);
await gens.close();
socket.close();
(db as Database.Database | null)?.close();
const stop = await call<{ stopMs: number }>(server, { cmd: 'stop' }, 60_000);
await quit(server);
log(`[${elapsed()}] system stopped in ${stop.stopMs} ms${server.exitCode && server.exitCode !== 0 ? ` (exit ${server.exitCode})` : ''}`);
let profile: string | null = null;
if (args.profile) {
  const f = readdirSync(profileDir).find((n) => n.endsWith('.cpuprofile'));
  profile = f ? join(ROOT, 'bench', 'results', `server-${Date.now()}.cpuprofile`) : null;
  if (f) {
    mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
    spawnSync('cp', [join(profileDir, f), profile!]);
  }
  log(`CPU profile of the server (main thread): ${profile ?? '(none written)'}; summary: node --import tsx bench/lib/profile-summary.ts <file>`);
}
if (influx) await influx.remove();

// ---------------------------------------------------------------- bare brokers, same generator
async function baseline(name: string, env: Record<string, string>): Promise<{ per_s: number; msgs_per_s: number; cpu_pct: number; generator_cpu_pct: number } | null> {
  const b = await child('baseline-child.ts', env);
  try {
    const port = b.ready.port as number;
    const c = await gens.connect(devices, WINDOW, { host: '127.0.0.1', port, anonymous: true });
    if (c.failed) throw new Error(`${name}: ${c.failed} connections failed: ${c.firstError}`);
    await run(0, 1); // warm-up
    await sleep(500);
    type Count = { received: number; at: number; cpu: { user: number; system: number } };
    const c0 = await call<Count>(b.proc, { cmd: 'count' });
    const r = await run(0, FLAT_S);
    const c1 = await call<Count>(b.proc, { cmd: 'count' });
    await gens.close();
    await call(b.proc, { cmd: 'stop' });
    const secs = (c1.at - c0.at) / 1000;
    const msgs = (c1.received - c0.received) / secs;
    const cpu = ((c1.cpu.user + c1.cpu.system - c0.cpu.user - c0.cpu.system) / 1000 / (c1.at - c0.at)) * 100;
    log(`[${elapsed()}] ${name}: ${Math.round(msgs * BATCH).toLocaleString('en-US')} readings/s (${Math.round(msgs).toLocaleString('en-US')} QoS 1 msg/s) delivered to the subscriber (broker + subscriber process CPU ${Math.round(cpu)}%, generator CPU ${r.cpuPct}%)`);
    return { per_s: Math.round(msgs * BATCH), msgs_per_s: Math.round(msgs), cpu_pct: Math.round(cpu), generator_cpu_pct: r.cpuPct };
  } finally {
    await quit(b.proc);
  }
}

function findMosquitto(): string | null {
  for (const p of ['/usr/sbin/mosquitto', '/usr/local/sbin/mosquitto']) if (spawnSync(p, ['-h']).error === undefined) return p;
  const w = spawnSync('sh', ['-c', 'command -v mosquitto'], { encoding: 'utf8' });
  return w.status === 0 && w.stdout.trim() ? w.stdout.trim() : null;
}

async function withMosquitto<T>(binary: string, f: (port: number) => Promise<T>): Promise<T> {
  const port = await freePort();
  const conf = join(dataDir.path, 'mosquitto.conf');
  writeFileSync(conf, [
    `listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false',
    'max_queued_messages 0', 'max_queued_bytes 0', 'max_inflight_messages 0', 'max_inflight_bytes 0',
    'set_tcp_nodelay true', 'log_dest stderr', 'log_type error', '',
  ].join('\n'));
  const proc = spawn(binary, ['-c', conf], { stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const up = await new Promise<boolean>((r) => {
        const s = createConnection({ host: '127.0.0.1', port }, () => { s.destroy(); r(true); });
        s.once('error', () => r(false));
      });
      if (up) break;
      if (Date.now() > deadline || proc.exitCode !== null) throw new Error('mosquitto did not start');
      await sleep(100);
    }
    return await f(port);
  } finally {
    proc.kill('SIGTERM');
  }
}

let aedes: Awaited<ReturnType<typeof baseline>> = null;
let mosquitto: Awaited<ReturnType<typeof baseline>> = null;
const mosquittoBinary = findMosquitto();
if (!args['skip-baselines']) {
  aedes = await baseline('bare aedes', {});
  if (mosquittoBinary) mosquitto = await withMosquitto(mosquittoBinary, (port) => baseline('mosquitto', { BENCH_BROKER_PORT: String(port) }));
  else log('mosquitto not installed: skipped (apt-get install mosquitto)');
}
for (const g of genProcs) await quit(g);
dataDir.remove();
city.remove();

// ---------------------------------------------------------------- report
const saturation = search.best;
const ratio = (x: number | undefined) => (x ? Number((saturation / x).toFixed(2)) : null);
const fmt = (n: number | null | undefined) => (n === null || n === undefined || Number.isNaN(n) ? '-' : n.toLocaleString('en-US'));
log('');
log(`| measure | value |`);
log(`|---|---|`);
log(`| fixed load offered / sent | ${fmt(FIXED_RATE)} / ${fmt(fixedResult.sent_per_s)} readings/s for ${FIXED_S} s (${BATCH} per message) |`);
log(`| lost (acked by broker, not in store) | ${fmt(fixedResult.lost)} of ${fmt(fixedResult.acked)} |`);
log(`| publish → Socket.IO reading p50 / p99 / max | ${fmt(fixedResult.p50_ms)} / ${fmt(fixedResult.p99_ms)} / ${fmt(fixedResult.max_ms)} ms (${fmt(fixedResult.reading_events)} events) |`);
log(`| publish → alert p50 / p99 | ${fmt(fixedResult.alert_p50_ms)} / ${fmt(fixedResult.alert_p99_ms)} ms (${fixedResult.alerts} alerts, ${fixedResult.alerts_missed} missed) |`);
log(`| server CPU / RSS at fixed load | ${fixedResult.cpu_pct}% of one core / ${fixedResult.rss_mb} MB |`);
log(`| server event-loop delay p99 / max at fixed load | ${fixedResult.loop_delay_p99_ms} / ${fixedResult.loop_delay_max_ms} ms |`);
log(`| flat-out throughput (acked) | ${fmt(flatPerS)} readings/s |`);
log(`| saturation (0 lost, stepped) | ${fmt(saturation)} readings/s (${search.steps.map((s) => `${s.rate / 1000}k${s.ok ? '✓' : '✗'}`).join(' ')}) |`);
log(`| bare aedes | ${fmt(aedes?.per_s)} readings/s (${fmt(aedes?.msgs_per_s)} msg/s) → ratio ${ratio(aedes?.per_s) ?? '-'} |`);
log(`| mosquitto | ${mosquittoBinary ? `${fmt(mosquitto?.per_s)} readings/s (${fmt(mosquitto?.msgs_per_s)} msg/s) → ratio ${ratio(mosquitto?.per_s) ?? '-'}` : 'not installed'} |`);
log(`total ${elapsed()}`);
log(JSON.stringify({
  bench: 'throughput', quick: QUICK, store: STORE, devices: DEVICES, batch: BATCH, window: WINDOW, generators: gens.size,
  messages_per_s: Math.round(saturation / BATCH),
  readings_per_s: saturation, flat_out_per_s: flatPerS,
  lost: fixedResult.lost, lost_whole_run: lostOverall, accepted_whole_run: accepted, duplicates_dropped: duplicatesDropped, taken_twice: takenTwice, p50_ms: fixedResult.p50_ms, p99_ms: fixedResult.p99_ms, alert_p99_ms: fixedResult.alert_p99_ms,
  alerts: fixedResult.alerts, alerts_missed: fixedResult.alerts_missed,
  aedes_per_s: aedes?.per_s ?? null, mosquitto_per_s: mosquitto?.per_s ?? null,
  aedes_msgs_per_s: aedes?.msgs_per_s ?? null, mosquitto_msgs_per_s: mosquitto?.msgs_per_s ?? null,
  generator_cpu_pct_at_mosquitto: mosquitto?.generator_cpu_pct ?? null,
  ratio_vs_aedes: ratio(aedes?.per_s), ratio_vs_mosquitto: ratio(mosquitto?.per_s),
  cpu_pct: fixedResult.cpu_pct, rss_mb: fixedResult.rss_mb,
  fixed: fixedResult, steps: stepDetails, seconds: Math.round((performance.now() - startedAt) / 1000),
}));
process.exit(0);
