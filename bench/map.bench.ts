// `node --import tsx bench/map.bench.ts`: the whole system and the dashboard in Debian's headless
// Chromium at 1920×1080 (no GPU: a worst case). For 15 s, with a few wheel zooms and a drag over the
// map, the page records requestAnimationFrame intervals, long tasks and its JS heap. The last line is JSON.
//   default:          a 1,200-cell lattice city, 2,000 simulated devices reporting every --interval (1s)
//   --cells N:        N irregular cells (scripts/synthetic-city-cells.ts), one water-level gauge per cell
//                     at least (--devices, default N), and --changes (1000) cell changes a second: the
//                     gauges' readings alternate alarm / normal, round-robin (bench/lib/map-driver-child.ts)
//   --first-paint:    instead, sign in and time the control room's first paint (bench/lib/first-paint.ts);
//                     the devices need not connect: the city file lists them
//   --web-dist DIR:   serve another build of the dashboard (an older one, to compare)
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { launchChromium } from './lib/chromium.js';
import { writeSyntheticCity } from '../tests/helpers/synthetic-city.js';
import { login, ROOT, startTestSystem } from '../tests/helpers/system.js';
import { measureFirstPaint } from './lib/first-paint.js';
import { call } from './lib/ipc.js';

const { values } = parseArgs({ options: {
  seconds: { type: 'string', default: '15' }, interval: { type: 'string', default: '1s' }, profile: { type: 'boolean', default: false },
  'hide-map': { type: 'boolean', default: false }, cells: { type: 'string' }, devices: { type: 'string' }, changes: { type: 'string', default: '1000' },
  'first-paint': { type: 'boolean', default: false }, 'web-dist': { type: 'string' },
} });
const SECONDS = Number(values.seconds);
const CELLS = values.cells === undefined ? undefined : Number(values.cells);
const CHANGES = Number(values.changes);
if (CELLS !== undefined && !(Number.isInteger(CELLS) && CELLS >= 4 && CELLS <= 100_000)) throw new Error('--cells: a whole number from 4 to 100000');

const synthetic = CELLS === undefined
  ? await writeSyntheticCity()
  : await writeSyntheticCity({ cells: CELLS, devices: Math.max(CELLS, Number(values.devices ?? CELLS)), kinds: ['water_level'] });
const system = await startTestSystem({
  CITY_DIR: synthetic.dir, LOG_LEVEL: 'silent', ...(values['web-dist'] ? { WEB_DIST: values['web-dist'] } : {}),
  ...(CELLS === undefined ? { SIMULATE: '1', SIMULATE_INTERVAL: values.interval! } : {}),
});
const cells = synthetic.city.cells.length;
const devices = synthetic.city.devices.length;

if (values['first-paint']) {
  const browser = await launchChromium();
  try {
    const target = synthetic.city.devices[Math.floor(devices / 2)]!.id;
    const r = await measureFirstPaint(browser, system.baseUrl, cells, target);
    console.log(`${cells} cells, ${devices} devices: map drawn ${r.map_ms} ms and device rows ${r.list_ms} ms after the sign-in click; a search for ${target} took ${r.search_ms} ms`);
    console.log(`fetched from /api: ${Object.entries(r.api_bytes).map(([k, b]) => `${k} ${(b / 1048576).toFixed(2)} MB`).join(', ')}`);
    console.log(JSON.stringify({ bench: 'map-first-paint', cells, devices, ...r }));
  } finally {
    await browser.close();
    await system.stop();
    synthetic.remove();
  }
  process.exit(0);
}

// --cells: the gauge of each cell (its first device) flips; the driver connects them all first.
let driver: ChildProcess | null = null;
if (CELLS !== undefined && !values['first-paint']) {
  const seen = new Set<string>();
  const gauges = synthetic.city.devices.filter((d) => !seen.has(d.grid) && seen.add(d.grid)).map((d) => ({ id: d.id, kind: d.kind }));
  driver = fork(join(ROOT, 'bench', 'lib', 'map-driver-child.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await new Promise<void>((resolve) => driver!.once('message', () => resolve()));
  const r = await call<{ failed: number; ms: number; firstError: string | null }>(driver, { cmd: 'connect', devices: gauges, target: { host: '127.0.0.1', port: system.mqttPort! } });
  if (r.failed) throw new Error(`${r.failed} gauges could not connect: ${r.firstError}`);
  console.log(`${gauges.length} gauges connected in ${r.ms} ms; flipping ${CHANGES} cells a second`);
  await call(driver, { cmd: 'start', rate: CHANGES });
}
const browser = await launchChromium();
try {
  const token = await login(system.baseUrl, 'operator');
  const context = await browser.newContext({ viewport: { width: 1920, height: 1080 }, locale: 'en-US' });
  await context.addCookies([{ name: 'cg_token', value: token, url: system.baseUrl }]);
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error('page error:', err.message));
  await page.goto(system.baseUrl);
  await page.waitForSelector(`[data-testid=grid-map][data-cell-count="${cells}"]`, { timeout: 60_000 });
  console.log(`map drew ${cells} cells; letting live data flow for 3 s...`);
  await page.waitForTimeout(3000);
  // what was measured, for people to look at (tests/e2e/artifacts is where screenshots go)
  mkdirSync(join(ROOT, 'tests', 'e2e', 'artifacts'), { recursive: true });
  await page.screenshot({ path: join(ROOT, 'tests', 'e2e', 'artifacts', `bench-map-${cells}-cells.png`) });

  // --hide-map: the same page without the map's canvas, to tell the map's cost from the rest.
  if (values['hide-map']) await page.addStyleTag({ content: '[data-testid=grid-map] .map__canvas { display: none !important; }' });
  // A string, not a function: tsx would wrap named functions in a __name helper the page lacks.
  await page.evaluate(`(() => {
    const mem = () => performance.memory ? performance.memory.usedJSHeapSize : NaN;
    const b = window.__bench = { frames: [], longTasks: [], heapStart: mem(), stop: false, t0: performance.now() };
    new PerformanceObserver((list) => { for (const e of list.getEntries()) b.longTasks.push([e.startTime - b.t0, e.duration]); }).observe({ type: 'longtask' });
    let last = performance.now();
    const tick = (now) => { b.frames.push([now - b.t0, now - last]); last = now; if (!b.stop) requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
  })()`);
  // --profile: a CPU profile of the measured window, summarised as the top functions by self time.
  const cdp = values.profile ? await context.newCDPSession(page) : null;
  if (cdp) { await cdp.send('Profiler.enable'); await cdp.send('Profiler.start'); }
  const started = Date.now();
  const canvas = page.locator('[data-testid=grid-map]');
  const box = (await canvas.boundingBox())!;
  const cx = box.x + box.width / 2, cy = box.y + box.height / 2;
  // First half: live data only (the pointer off the map). Second half: zoom in, pan, zoom out.
  const half = (SECONDS * 1000) / 2;
  const steps: Array<() => Promise<void>> = [
    async () => { await page.mouse.move(cx, cy); for (let i = 0; i < 3; i++) { await page.mouse.wheel(0, -300); await page.waitForTimeout(150); } },
    async () => { await page.mouse.move(cx, cy); await page.mouse.down(); await page.mouse.move(cx + 200, cy + 120, { steps: 20 }); await page.mouse.up(); },
    async () => { await page.mouse.move(cx - 100, cy); for (let i = 0; i < 3; i++) { await page.mouse.wheel(0, 300); await page.waitForTimeout(150); } },
    async () => { await page.mouse.move(cx, cy); for (let i = 0; i < 2; i++) { await page.mouse.wheel(0, -300); await page.waitForTimeout(150); } },
  ];
  for (const [i, step] of steps.entries()) {
    const at = started + half + (i * half) / steps.length + 200;
    await page.waitForTimeout(Math.max(0, at - Date.now()));
    await step();
  }
  await page.waitForTimeout(Math.max(0, started + SECONDS * 1000 - Date.now()));
  const r = await page.evaluate(`(() => {
    const b = window.__bench;
    b.stop = true;
    const cellMap = document.querySelector('[data-testid="map-cell-canvas"]')?.cellMap;
    return { frames: b.frames.slice(1), longTasks: b.longTasks, heapStart: b.heapStart, heapEnd: performance.memory ? performance.memory.usedJSHeapSize : NaN, canvas: cellMap ? cellMap.stats() : null };
  })()`) as { frames: unknown[]; longTasks: unknown[]; heapStart: number; heapEnd: number; canvas: { draws: number; partialDraws: number; drawMs: number } | null };
  if (cdp) {
    const { profile } = await cdp.send('Profiler.stop');
    const self = new Map<string, number>();
    const dt = profile.timeDeltas ?? [];
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    (profile.samples ?? []).forEach((id, i) => {
      const n = byId.get(id)!;
      const key = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber}`;
      self.set(key, (self.get(key) ?? 0) + (dt[i] ?? 0) / 1000);
    });
    console.log('top self time (ms):');
    for (const [k, ms] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${ms.toFixed(0).padStart(6)}  ${k}`);
  }
  type Frame = [at: number, ms: number];
  const phase = (frames: Frame[], tasks: Frame[], seconds: number) => {
    const sorted = frames.map((f) => f[1]).sort((x, y) => x - y);
    const q = (p: number) => Number((sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN).toFixed(1));
    const slow = sorted.filter((f) => f > 50).length;
    return {
      frames: frames.length, fps: Number((frames.length / seconds).toFixed(1)),
      p50: q(0.5), p95: q(0.95), p99: q(0.99),
      over50: slow, over50Pct: Number(((100 * slow) / Math.max(1, frames.length)).toFixed(1)),
      longTasks: tasks.length, longTaskMs: Math.round(tasks.reduce((sum, t) => sum + t[1], 0)),
    };
  };
  const frames = r.frames as unknown as Frame[], tasks = r.longTasks as unknown as Frame[];
  const inLive = (f: Frame) => f[0] < half;
  
  const end = frames.at(-1)?.[0] ?? SECONDS * 1000; // the last step may end a little late
  const live = phase(frames.filter(inLive), tasks.filter(inLive), half / 1000);
  const roam = phase(frames.filter((f) => !inLive(f)), tasks.filter((f) => !inLive(f)), (end - half) / 1000);
  const all = phase(frames, tasks, end / 1000);
  const mb = (b: number) => Number((b / 1048576).toFixed(1));
  const flipped = driver ? await call<{ readings: number; seconds: number; cpuPct: number }>(driver, { cmd: 'stop' }) : null;
  const result = {
    bench: 'map', cells, devices,
    readings_per_s: flipped ? Math.round(flipped.readings / flipped.seconds) : Math.round(devices / (parseFloat(values.interval!) * (values.interval!.endsWith('ms') ? 0.001 : 1))),
    cell_changes_per_s: flipped ? Math.round(flipped.readings / flipped.seconds) : null,
    driver_cpu_pct: flipped?.cpuPct ?? null,
    frames: all.frames, fps: all.fps,
    frame_p50_ms: all.p50, frame_p95_ms: all.p95, frame_p99_ms: all.p99,
    frames_over_50ms_pct: all.over50Pct,
    live_frame_p95_ms: live.p95, live_frames_over_50ms_pct: live.over50Pct,
    roam_frame_p95_ms: roam.p95, roam_frames_over_50ms_pct: roam.over50Pct,
    long_tasks: all.longTasks, long_task_ms: all.longTaskMs,
    heap_start_mb: mb(r.heapStart), heap_end_mb: mb(r.heapEnd),
    // the cell canvas (since issue 16): full and partial draws since the page opened, and their JS time
    canvas_draws: r.canvas?.draws ?? null, canvas_partial_draws: r.canvas?.partialDraws ?? null, canvas_draw_ms: r.canvas?.drawMs ?? null,
  };
  console.log(`\n${cells} cells, ${devices} devices, ~${result.readings_per_s} readings/s${flipped ? ` (each a cell change)` : ''}; ${SECONDS / 2} s of live data, then ${SECONDS / 2} s of zoom and pan`);
  const row = (p: ReturnType<typeof phase>) => ({
    'frames / fps': `${p.frames} / ${p.fps}`,
    'frame p50 / p95 / p99 (ms)': `${p.p50} / ${p.p95} / ${p.p99}`,
    'frames > 50 ms': `${p.over50} (${p.over50Pct}%)`,
    'long tasks (count / ms)': `${p.longTasks} / ${p.longTaskMs}`,
  });
  console.table({ live: row(live), 'zoom and pan': row(roam), whole: row(all) });
  console.log(`JS heap ${result.heap_start_mb} → ${result.heap_end_mb} MB`);
  console.log(JSON.stringify(result));
} finally {
  await browser.close();
  if (driver) await call(driver, { cmd: 'close' }).catch(() => undefined);
  driver?.kill();
  await system.stop();
  synthetic.remove();
}
process.exit(0);
