// `npm run bench:lowcode [-- --quick] [--variants tuned,untuned] [--rate 20000]`: the low-code
// baseline of issue 16, measured here with the same load as `npm run bench`: bare aedes, Node-RED
// (pinned, installed on first use into data/bench-cache/lowcode, see bench/lowcode/node-red.ts)
// running mqtt in (QoS 1, persistent session) → json → function → InfluxDB 1.x (Debian's influxd),
// and the same load generator (200 connections, one reading per message, QoS 1, 16 in flight).
// Per variant (bench/lowcode/flow.ts: tuned = batched writes, untuned = one write per message):
//   (b) saturation: the highest rate with 0 lost (every reading the broker acknowledged is in
//       InfluxDB, counted by a query, within 2 s of the end of the step: bench/bench.ts's rule);
//   (a) at a fixed 20,000 messages/s: readings acknowledged and not in InfluxDB after a settle
//       time, and Node-RED's CPU and RSS. Run last, as its backlog may outlast the settle time.
// A human table, then the LAST line is one JSON object.
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { searchSaturation } from '../simulators/src/load/pacing.js';
import type { LoadDevice } from '../simulators/src/load/generator.js';
import { writeSyntheticCity } from '../tests/helpers/synthetic-city.js';
import { haveInfluxd, startInflux, type TestInflux } from '../tests/helpers/influx.js';
import { ROOT, tempDir } from '../tests/helpers/system.js';
import { GeneratorPool } from './lib/generators.js';
import { call } from './lib/ipc.js';
import { forkChild, quit } from './lowcode/children.js';
import { lowcodeFlow, TUNED_BATCH_MS, TUNED_BATCH_POINTS, type LowcodeVariant } from './lowcode/flow.js';
import { ensureNodeRed, INFLUX_NODE_VERSION, NODE_RED_VERSION, startNodeRed, type NodeRedProcess } from './lowcode/node-red.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    variants: { type: 'string', default: 'tuned,untuned' },
    rate: { type: 'string', default: '20000' },
    start: { type: 'string' }, // the saturation search's first rate (default: --rate, as bench/bench.ts starts at its fixed load)
    devices: { type: 'string', default: '200' },
    batch: { type: 'string', default: '1' },
    window: { type: 'string', default: '16' },
    generators: { type: 'string', default: 'auto' },
    'batch-points': { type: 'string', default: String(TUNED_BATCH_POINTS) },
    'batch-ms': { type: 'string', default: String(TUNED_BATCH_MS) },
  },
});
const QUICK = args.quick!;
const VARIANTS = args.variants!.split(',').filter((v): v is LowcodeVariant => v === 'tuned' || v === 'untuned');
const FIXED_RATE = Number(args.rate);
const FIXED_S = QUICK ? 10 : 30;
const STEP_S = QUICK ? 4 : 8;
const MAX_STEPS = QUICK ? 4 : 7;
const SETTLE_MS = (QUICK ? 30 : 60) * 1000; // after the fixed run: how long InfluxDB may take to hold it all
const STEP_SETTLE_MS = 30_000;
const DEVICES = Number(args.devices);
const BATCH = Number(args.batch);
const WINDOW = Number(args.window);
const BATCH_POINTS = Number(args['batch-points']);
const BATCH_MS = Number(args['batch-ms']);
const GEN_CPU_MAX = 60; // % of a core, as bench/bench.ts
const startedAt = performance.now();
const log = (s: string) => process.stdout.write(`${s}\n`);
const elapsed = () => `${((performance.now() - startedAt) / 1000).toFixed(0)}s`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number | null | undefined) => (n === null || n === undefined || Number.isNaN(n) ? '-' : n.toLocaleString('en-US'));
if (!haveInfluxd()) throw new Error('bench:lowcode needs influxd (apt-get install influxdb)');
if (VARIANTS.length === 0) throw new Error('--variants: tuned, untuned or both (tuned,untuned)');

// ---------------------------------------------------------------- everything started is stopped by pid
const cleanups: (() => Promise<unknown> | unknown)[] = [];
async function cleanup(): Promise<void> {
  for (const f of cleanups.splice(0).reverse()) await Promise.resolve().then(f).catch((err: Error) => log(`cleanup: ${err.message}`));
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => { void cleanup().finally(() => process.exit(130)); });
let crashed: string | null = null;
const onCrash = (what: string) => { crashed = what; log(`!! ${what} crashed`); };

const influxdVersion = spawnSync('influxd', ['version'], { encoding: 'utf8' }).stdout.trim();
log(`CityGrid low-code baseline${QUICK ? ' (quick)' : ''}: Node-RED ${NODE_RED_VERSION} + node-red-contrib-influxdb ${INFLUX_NODE_VERSION}, ${influxdVersion}, bare aedes; ${DEVICES} devices, ${BATCH} reading${BATCH === 1 ? '' : 's'} per message, ${WINDOW} QoS 1 messages in flight per connection`);
const redJs = ensureNodeRed(join(ROOT, 'data', 'bench-cache', 'lowcode'), log);
type VariantResult = Awaited<ReturnType<typeof measure>>;
const results: Partial<Record<LowcodeVariant, VariantResult>> = {};
let generators = 0;
try {
  const city = await writeSyntheticCity({ cols: 20, rows: 10, devices: DEVICES, kinds: ['water_level', 'water_level', 'water_level', 'noise'] });
  cleanups.push(() => city.remove());
  const devices: LoadDevice[] = city.city.devices.map((d) => ({ id: d.id, kind: d.kind }));
  const table = city.city.devices.map((d) => ({ id: d.id, kind: d.kind, grid: d.grid, district: d.district }));
  const influx = await startInflux('lowcode');
  cleanups.push(() => influx.remove());
  const genProcs = [(await forkChild('lib/generator-child.ts', onCrash)).proc];
  cleanups.push(() => Promise.all(genProcs.map(quit)));
  const want = args.generators === 'auto' ? null : Math.max(1, Math.min(8, Number(args.generators) || 1));
  while (genProcs.length < (want ?? 1)) genProcs.push((await forkChild('lib/generator-child.ts', onCrash)).proc);
  let gens = new GeneratorPool(genProcs);
  for (const variant of VARIANTS) {
    results[variant] = await measure(variant, influx, devices, table, {
      gens: () => gens,
      // --generators auto: as bench/bench.ts, more processes when one would pass 60 % of a core at the fixed rate
      async grow(cpuPct: number, rate: number) {
        if (want !== null) return false;
        const need = Math.min(4, Math.max(1, Math.ceil((cpuPct * (FIXED_RATE / rate)) / GEN_CPU_MAX)));
        if (need <= genProcs.length) return false;
        log(`[${elapsed()}]   generator CPU ${cpuPct}% at ${fmt(rate)}/s: ${need} generator processes`);
        while (genProcs.length < need) genProcs.push((await forkChild('lib/generator-child.ts', onCrash)).proc);
        gens = new GeneratorPool(genProcs);
        return true;
      },
    });
  }
  generators = genProcs.length;
} finally {
  await cleanup();
}

async function measure(variant: LowcodeVariant, influx: TestInflux, devices: LoadDevice[], table: { id: string; kind: string; grid: string; district: string }[],
  g: { gens: () => GeneratorPool; grow: (cpuPct: number, rate: number) => Promise<boolean> }) {
  const db = `lowcode_${variant}`;
  await influx.query(`CREATE DATABASE "${db}"`, '');
  const load0 = loadavg()[0]!;
  log(`[${elapsed()}] ${variant}: starting aedes and Node-RED (database ${db}${variant === 'tuned' ? `, batches of ${fmt(BATCH_POINTS)} points or ${BATCH_MS} ms` : ', one write per message'})`);
  const broker = await forkChild('lowcode/broker-child.ts', onCrash);
  const mqttPort = broker.ready.port as number;
  const userDir = tempDir('citygrid-nodered-');
  let nr: NodeRedProcess | null = null;
  try {
    nr = startNodeRed(redJs, userDir.path, lowcodeFlow({ variant, mqttPort, influxPort: influx.port, database: db, devices: table, batchPoints: BATCH_POINTS, batchMs: BATCH_MS }));
    const red = nr;
    // ready once its mqtt-in node has subscribed (QoS 1) on the broker
    const deadline = Date.now() + 120_000;
    for (;;) {
      const { subscribed } = await call<{ subscribed: string[] }>(broker.proc, { cmd: 'subscriptions' });
      if (subscribed.includes('nodered-lowcode city/v1/devices/+/telemetry 1')) break;
      if (red.proc.exitCode !== null || Date.now() > deadline) throw new Error(`Node-RED did not subscribe within 120 s: ${red.log().slice(-3000)}`);
      await sleep(200);
    }
    log(`[${elapsed()}]   Node-RED up (pid ${red.proc.pid}), subscribed on 127.0.0.1:${mqttPort}`);
    const target = { host: '127.0.0.1', port: mqttPort, anonymous: true };
    const connect = async () => {
      const c = await g.gens().connect(devices, WINDOW, target);
      if (c.failed) throw new Error(`${c.failed} devices could not connect: ${c.firstError}`);
    };
    await connect();

    // readings of this database with a time in [from, to] (the generator stamps each with its send time)
    const count = async (from: number, to: number) => {
      let n = 0;
      for (const [m, f] of [['water_level', 'level_cm'], ['noise', 'laeq']] as const) {
        const [r] = await influx.query(`SELECT count("${f}") FROM "${m}" WHERE time >= ${from}ms AND time <= ${to}ms`, db);
        n += Number(r?.series?.[0]?.values[0]?.[1] ?? 0);
      }
      return n;
    };
    let rssMax = 0;
    /** Waits until [from, to] holds `want` readings, or Node-RED went quiet (count unchanged 3 s, CPU < 5 %), or `maxMs`. */
    const settle = async (from: number, to: number, want: number, maxMs: number) => {
      const t0 = performance.now();
      let last = -1, lastChange = t0, u = red.usage(), idleFor = 0;
      for (;;) {
        const n = await count(from, to);
        const now = performance.now();
        if (n >= want) return { stored: n, afterMs: Math.round(now - t0), busy: false };
        if (n !== last) { last = n; lastChange = now; }
        const u2 = red.usage();
        rssMax = Math.max(rssMax, u2.rss);
        idleFor = (u2.cpuMs - u.cpuMs) / (u2.at - u.at) < 0.05 ? idleFor + (u2.at - u.at) : 0;
        u = u2;
        if (now - lastChange >= 3000 && idleFor >= 1000) return { stored: n, afterMs: null, busy: false };
        if (now - t0 >= maxMs) return { stored: n, afterMs: null, busy: true };
        await sleep(250);
      }
    };
    const run = async (rate: number, seconds: number) => {
      const from = Date.now() - 1;
      const r = await g.gens().run(rate, seconds, BATCH);
      return { ...r, from, to: Date.now() + 1 };
    };

    // warm-up (JIT, the flow's first writes); with --generators auto, maybe more generator processes
    const warmRate = Math.min(5000, FIXED_RATE);
    const warm = await run(warmRate, 2);
    if (await g.grow(warm.cpuPct, warmRate)) await connect();
    const warmStored = await settle(warm.from, warm.to, warm.ackedReadings, STEP_SETTLE_MS);
    if (warmStored.stored === 0) throw new Error(`the flow stored none of the warm-up's ${warm.ackedReadings} readings; Node-RED said: ${red.log().slice(-3000)}`);
    log(`[${elapsed()}]   warm-up: ${fmt(warmStored.stored)} of ${fmt(warm.ackedReadings)} readings stored`);

    // ---------------------------------------------------------------- (b) saturation
    const steps: { rate: number; ok: boolean; sent_per_s: number; lost: number; stored_after_ms: number | null; write_errors: number }[] = [];
    const search = await searchSaturation(async (rate) => {
      await sleep(1000);
      const e0 = red.errors();
      const r = await run(rate, STEP_S);
      const s = await settle(r.from, r.to, r.ackedReadings, STEP_SETTLE_MS);
      const lost = r.ackedReadings - s.stored;
      const sentPerS = r.readings / r.seconds;
      // bench/bench.ts's rule: all sent, all of it stored, and stored within 2 s of the end
      const ok = sentPerS >= rate * 0.97 && lost === 0 && r.errors === 0 && s.afterMs !== null && s.afterMs <= 2000;
      steps.push({ rate, ok, sent_per_s: Math.round(sentPerS), lost, stored_after_ms: s.afterMs, write_errors: red.errors() - e0 });
      log(`[${elapsed()}]   ${fmt(rate).padStart(7)} readings/s: sent ${fmt(Math.round(sentPerS))}/s, lost ${fmt(lost)} of ${fmt(r.ackedReadings)}, ${s.afterMs === null ? (s.busy ? `still busy after ${STEP_SETTLE_MS / 1000} s` : 'Node-RED went idle without the rest') : `stored ${s.afterMs} ms after the end`}, ${red.errors() - e0} write errors logged -> ${ok ? 'sustained' : 'not sustained'}`);
      if (crashed) throw new Error(crashed);
      return ok;
    }, { start: Number(args.start ?? FIXED_RATE), max: FIXED_RATE * 2, grow: 1.25, precision: 0.08, maxSteps: MAX_STEPS, round: 1000 });

    // ---------------------------------------------------------------- (a) the fixed rate
    await sleep(1000);
    log(`[${elapsed()}]   ${fmt(FIXED_RATE)} readings/s for ${FIXED_S} s, then up to ${SETTLE_MS / 1000} s for InfluxDB to hold it...`);
    const e0 = red.errors();
    const u0 = red.usage();
    rssMax = u0.rss;
    const sampler = setInterval(() => { try { rssMax = Math.max(rssMax, red.usage().rss); } catch { /* exited */ } }, 1000);
    const b0 = await call<{ cpu: { user: number; system: number }; at: number }>(broker.proc, { cmd: 'usage' });
    const fixed = await run(FIXED_RATE, FIXED_S);
    const u1 = red.usage();
    const b1 = await call<{ cpu: { user: number; system: number }; at: number }>(broker.proc, { cmd: 'usage' });
    clearInterval(sampler);
    const s = await settle(fixed.from, fixed.to, fixed.ackedReadings, SETTLE_MS);
    const result = {
      messages_per_s: Math.round(search.best / BATCH),
      readings_per_s: search.best,
      steps,
      fixed: {
        offered_per_s: FIXED_RATE,
        sent_per_s: Math.round(fixed.readings / fixed.seconds),
        acked: fixed.ackedReadings,
        stored: s.stored,
        lost: fixed.ackedReadings - s.stored,
        lost_pct: Number((((fixed.ackedReadings - s.stored) / Math.max(1, fixed.ackedReadings)) * 100).toFixed(1)),
        stored_after_ms: s.afterMs,
        still_busy_after_settle: s.busy,
        settle_ms: SETTLE_MS,
        write_errors_logged: red.errors() - e0,
        node_red_cpu_pct: Math.round(((u1.cpuMs - u0.cpuMs) / (u1.at - u0.at)) * 100),
        node_red_rss_mb: Math.round(rssMax / 1_048_576),
        broker_cpu_pct: Math.round(((b1.cpu.user + b1.cpu.system - b0.cpu.user - b0.cpu.system) / 1000 / (b1.at - b0.at)) * 100),
        generator_cpu_pct: fixed.cpuPct,
      },
      // this machine is shared: the 1-minute load average before the variant and after its fixed run
      load_avg: [Number(load0.toFixed(1)), Number(loadavg()[0]!.toFixed(1))],
    };
    const f = result.fixed;
    log(`[${elapsed()}]   sent ${fmt(f.sent_per_s)}/s, ${fmt(f.acked)} acknowledged, ${fmt(f.lost)} not in InfluxDB (${f.lost_pct} %) ${f.stored_after_ms !== null ? `(all stored ${f.stored_after_ms} ms after the end)` : f.still_busy_after_settle ? `after ${SETTLE_MS / 1000} s, Node-RED still busy` : 'once Node-RED had gone quiet'}; ${f.write_errors_logged} write errors logged; Node-RED CPU ${f.node_red_cpu_pct}%, RSS max ${f.node_red_rss_mb} MB; broker CPU ${f.broker_cpu_pct}%; generator CPU ${f.generator_cpu_pct}%; load average ${result.load_avg.join(' -> ')}`);
    const kinds = red.errorKinds();
    if (kinds.length) log(`[${elapsed()}]   Node-RED's errors in the whole run, by kind: ${kinds.slice(0, 4).map(([k, n]) => `${fmt(n)}× ${k}`).join('; ')}`);
    await g.gens().close();
    return { ...result, error_kinds: Object.fromEntries(kinds.slice(0, 4)) };
  } finally {
    await nr?.stop();
    await call(broker.proc, { cmd: 'stop' }, 10_000).catch(() => undefined);
    await quit(broker.proc);
    userDir.remove();
  }
}

// ---------------------------------------------------------------- report
log('');
log(`| variant (Node-RED ${NODE_RED_VERSION}, node-red-contrib-influxdb ${INFLUX_NODE_VERSION}) | sustained with 0 lost | at ${fmt(FIXED_RATE)}/s offered: acknowledged, not in InfluxDB | Node-RED CPU / RSS at ${fmt(FIXED_RATE)}/s |`);
log('|---|---|---|---|');
for (const [v, r] of Object.entries(results)) {
  const f = r.fixed;
  log(`| ${v === 'tuned' ? `tuned (batches of ${fmt(BATCH_POINTS)} points or ${BATCH_MS} ms)` : 'untuned (one write per message)'} | ${fmt(r.messages_per_s)} messages/s (${r.steps.map((s) => `${s.rate / 1000}k${s.ok ? '✓' : '✗'}`).join(' ')}) | ${fmt(f.lost)} of ${fmt(f.acked)} (${f.lost_pct} %) | ${f.node_red_cpu_pct} % / ${f.node_red_rss_mb} MB |`);
}
log(`total ${elapsed()}`);
log(JSON.stringify({
  bench: 'lowcode', quick: QUICK, node_red: NODE_RED_VERSION, influx_node: INFLUX_NODE_VERSION, influxd: influxdVersion,
  devices: DEVICES, batch: BATCH, window: WINDOW, generators, batch_points: BATCH_POINTS, batch_ms: BATCH_MS,
  ...results, seconds: Math.round((performance.now() - startedAt) / 1000),
}));
process.exit(0);
