// Proves issue 15's replay acceptance against the real server: after the flooding scenario has run
// (time-lapsed as in tests/integration/scenarios.test.ts), replaying that period and stepping through
// it shows the underpass cell yellow (the forecast), then orange (the flood), then red (the incident),
// each first at the very moment the alert log says it fired, and at every step exactly the colour the
// log gives (read from the map's data attributes, and from the canvas at those three moments); the
// cell's condition rises from ok through warn to alarm with the gauge's readings; the feed and the
// transitions list show the alerts in order; the header's KPIs are the replayed ones; axe-core finds
// nothing serious in replay in either language. An alert raised
// live meanwhile is in the live feed on "Back to live", without a reload (a window marker survives).
// Screenshots: replay-en.png, replay-zh-CN.png.
//
// The cell's rain gauge is left out of the city: its heavy-rain alert (orange) fires before the
// forecast and would paint the cell orange throughout the yellow phase. The flooding scenario runs
// without it as it does in any cell without one (the storm then shows in the water level only).
import type { MqttClient } from 'mqtt';
import { pino } from 'pino';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { deviceTopic, SEVERITY_RANK, type Alert, type AlertDetailResponse, type AlertHistoryEntry, type Severity } from '@citygrid/contract';
import { startSimulator, type Simulator } from '@citygrid/simulators';
import { buildWeb, webIsCurrent } from '../../scripts/build-web.mjs';
import { SEVERITY_FILL } from '../../web/src/lib/alerts.js';
import { toLocalInput } from '../../web/src/lib/replay-time.js';
import { probeScenario, SCENARIO_ANCHOR, SCENARIO_SEED, testCity } from '../helpers/scenario-city.js';
import { connectDevice, end, getJson, login, publish, startTestSystem, waitFor } from '../helpers/system.js';
import { describeProblems, seriousViolations } from './axe.js';
import { launchBrowser } from './browser.js';
import { drawnCells } from './chart.js';
import { alertItem, shot, signIn, WAIT } from './ui.js';

const K = 180;
const probe = probeScenario('flooding', K);
const role = (r: string) => probe.roles.find((x) => x.role === r)!;
const CELL = role('gauge').grid;
const CAMERA = role('camera').id;
const DEVICES = new Set(probe.roles.filter((r) => r.role !== 'rain-gauge').map((r) => r.id));

let city: ReturnType<typeof testCity>;
let system: Awaited<ReturnType<typeof startTestSystem>>;
let sim: Simulator | undefined;
let browser: Browser;
let page: Page;
let camera: MqttClient | undefined;
let token: string;
/** The scenario's wall-clock span. */
let t0 = 0;
let t1 = 0;

beforeAll(async () => {
  if (!webIsCurrent() && !buildWeb()) throw new Error('the dashboard did not build');
  city = testCity(DEVICES, K);
  system = await startTestSystem({ CITY_DIR: city.path });
  token = await login(system.baseUrl, 'operator');
  t0 = Date.now();
  sim = startSimulator({
    city: system.city, url: system.mqttUrl, scenario: 'flooding', scenarioDevice: probe.device, speed: K, ruleTimeScale: K,
    seed: SCENARIO_SEED, simStart: SCENARIO_ANCHOR, intervalMs: 250, logger: pino({ level: 'silent' }),
  });
  await waitFor(async () => (await alerts()).find((a) => a.rule === 'waterlogging-incident' && a.grid === CELL && a.state !== 'pending'), 'the red incident', 120_000, 200);
  await new Promise((r) => setTimeout(r, 1500));
  t1 = Date.now();
  await sim.stop();
  sim = undefined;
  browser = await launchBrowser();
  const timezoneId = Intl.DateTimeFormat().resolvedOptions().timeZone;
  page = await (await browser.newContext({ viewport: { width: 1920, height: 1080 }, locale: 'en-US', timezoneId })).newPage();
});

afterAll(async () => {
  await browser?.close();
  await end(camera);
  await sim?.stop();
  await system?.stop();
  city?.remove();
});

async function alerts(): Promise<Alert[]> {
  return (await getJson<{ alerts: Alert[] }>(`${system.baseUrl}/api/alerts?state=all`, token)).body.alerts;
}

type Logged = AlertHistoryEntry & { alertId: string; alert: Alert };

/** Every event of the alert log (the alerts' histories), in the log's order, with its alert. */
async function alertLog(): Promise<Logged[]> {
  const out: Logged[] = [];
  for (const a of await alerts()) {
    const { body } = await getJson<AlertDetailResponse>(`${system.baseUrl}/api/alerts/${a.id}`, token);
    for (const e of body.history) out.push({ ...e, alertId: a.id, alert: body.alert });
  }
  return out.sort((x, y) => x.seq - y.seq);
}

/** Each alert after the log's events up to `seq`: live (firing or acknowledged) or not, worked out from the event types alone (not the code under test). */
function statesAfter(log: Logged[], seq: number) {
  const state = new Map<string, { live: boolean; suppressed: boolean; severity: Severity; grid: string }>();
  for (const e of log) {
    if (e.seq > seq) break;
    const s = state.get(e.alertId) ?? { live: false, suppressed: false, severity: e.alert.severity, grid: e.alert.grid };
    if (e.type === 'firing' || e.type === 'reopened' || e.type === 'acknowledged') s.live = true;
    else if (e.type === 'pending' || e.type === 'resolved' || e.type === 'verified' || e.type === 'handled') s.live = false;
    else if (e.type === 'suppressed') s.suppressed = true;
    else if (e.type === 'unsuppressed') s.suppressed = false;
    state.set(e.alertId, s);
  }
  return [...state.values()];
}

/** The cell's colour after the log's events up to `seq`: its worst live alert not under maintenance. */
function colourAfter(log: Logged[], seq: number, cell: string): Severity | '' {
  let worst: Severity | '' = '';
  for (const s of statesAfter(log, seq)) {
    if (s.grid === cell && s.live && !s.suppressed && (worst === '' || SEVERITY_RANK[s.severity] > SEVERITY_RANK[worst])) worst = s.severity;
  }
  return worst;
}

const map = () => page.getByTestId('grid-map');
const cellItem = () => page.locator(`[data-testid="map-cells"] li[data-cell-id="${CELL}"]`);
const drawnFill = async () => (await drawnCells(page)).find((c) => c.id === CELL)?.fill;

/** What the page shows now: the moment the map drew, the cell's colour and condition, and the newest transition applied. */
async function seen() {
  const moment = (await map().getAttribute('data-replay-moment'))!;
  const top = page.locator('[data-testid="replay-event"]').first();
  const last = await top.count() ? { alert: await top.getAttribute('data-alert-id'), type: await top.getAttribute('data-type'), ts: Number(await top.getAttribute('data-ts')) } : null;
  return { moment, t: Number(moment.split(':')[0]), alert: (await cellItem().getAttribute('data-alert')) ?? '', condition: await cellItem().getAttribute('data-condition'), last };
}

/** Waits until the map has drawn the moment the bar shows (and, when given, a moment other than `prev`). */
function drawn(prev: string | null = null) {
  return page.waitForFunction((prev) => {
    const doc = (globalThis as unknown as { document: { querySelector(s: string): { getAttribute(n: string): string | null } | null } }).document;
    const now = doc.querySelector('[data-testid="replay-time"]')?.getAttribute('data-moment');
    return now !== prev && doc.querySelector('[data-testid="grid-map"]')?.getAttribute('data-replay-moment') === now;
  }, prev, { timeout: WAIT });
}

/** Clicks step and waits until the map has drawn the new moment. */
async function step(): Promise<void> {
  const before = await page.getByTestId('replay-time').getAttribute('data-moment');
  await page.getByTestId('replay-step').click();
  await drawn(before);
}

it('replays the flood: the underpass cell turns yellow, orange and red when the alert log says, the feed lists the alerts in order, and Back to live needs no reload', async () => {
  const log = await alertLog();
  const fired = (rule: string) => log.find((e) => e.alert.rule === rule && e.alert.grid === CELL && e.type === 'firing')!;
  const forecast = fired('flooding-forecast');
  const flood = fired('underpass-flooding');
  const incident = fired('waterlogging-incident');
  expect([forecast, flood, incident].map((e) => e.alert.severity)).toEqual(['yellow', 'orange', 'red']);

  await signIn(page, system.baseUrl, 'operator');
  await expect.poll(() => map().getAttribute('data-cell-count')).not.toBe('0');
  await page.evaluate(() => { (globalThis as Record<string, unknown>).__replayMarker = 'still here'; });
  expect(await map().getAttribute('data-mode')).toBe('live');

  // choose the period: a wrong one is refused in place, naming the problem
  await page.getByTestId('replay-toggle').click();
  const [from, to] = [toLocalInput(t0 - 1000), toLocalInput(t1 + 1000)]; // the browser runs in this process's time zone
  await page.getByTestId('replay-from').fill(to);
  await page.getByTestId('replay-to').fill(from);
  await page.getByTestId('replay-load').click();
  await expect.poll(() => page.getByTestId('replay-problem').getAttribute('data-problem')).toBe('order');
  await page.getByTestId('replay-from').fill(from);
  await page.getByTestId('replay-to').fill(to);
  await page.getByTestId('replay-load').click();
  await page.getByTestId('replay-play').waitFor({ timeout: WAIT });
  expect(await map().getAttribute('data-mode')).toBe('replay');
  await page.getByTestId('replay-badge').waitFor();
  await drawn();

  // step through every moment to the end, reading the map each time
  const frames = [await seen()];
  while (!(await page.getByTestId('replay-time').getAttribute('data-end'))) {
    await step();
    const f = await seen();
    frames.push(f);
    // the canvas too, the first time each colour shows
    if (f.alert && frames.filter((x) => x.alert === f.alert).length === 1) await expect.poll(drawnFill).toBe(SEVERITY_FILL[f.alert as Severity]);
    expect(frames.length, 'stepping ends').toBeLessThan(500);
  }
  // at every moment, the colour the alert log gives after the newest transition shown
  for (const f of frames) {
    const seq = f.last ? log.find((e) => e.alertId === f.last!.alert && e.type === f.last!.type && e.ts === f.last!.ts)!.seq : -1;
    expect(f.alert, `the cell at ${f.moment}`).toBe(colourAfter(log, seq, CELL));
  }
  // yellow, then orange, then red, each first shown at the moment it fired (on a loaded machine the
  // forecast may clear and come back before the flood: the map follows the log there too, above)
  const colours = [...new Set(frames.map((f) => f.alert).filter((c) => c !== ''))];
  expect(colours).toEqual(['yellow', 'orange', 'red']);
  const first = (c: string) => frames.find((f) => f.alert === c)!;
  expect([first('yellow').t, first('orange').t, first('red').t]).toEqual([forecast.ts, flood.ts, incident.ts]);
  expect(first('orange').moment).not.toBe(first('red').moment); // the same millisecond, two steps

  // the cell's own condition follows the gauge: ok, then warn (15 cm), then alarm (30 cm), in that order
  const conditions = frames.map((f) => f.condition).filter((c, i, all) => c !== all[i - 1]);
  expect(conditions.indexOf('ok')).toBeGreaterThanOrEqual(0);
  expect(conditions.indexOf('ok')).toBeLessThan(conditions.indexOf('warn'));
  expect(conditions.indexOf('warn')).toBeLessThan(conditions.indexOf('alarm'));

  // the transitions, oldest first, in the log's order; the feed holds the incident (its flood nested) and the forecast
  const listed = await page.locator('[data-testid="replay-event"]').evaluateAll((els) => els.map((e) => ({ id: e.getAttribute('data-alert-id'), type: e.getAttribute('data-type'), ts: Number(e.getAttribute('data-ts')) })).reverse());
  const logged = log.filter((e) => e.type !== 'updated' && e.ts >= t0 - 1000).map((e) => ({ id: e.alertId, type: e.type, ts: e.ts }));
  expect(listed).toEqual(logged);
  expect(listed.filter((e) => e.type === 'firing' && [forecast, flood, incident].some((x) => x.alertId === e.id)).map((e) => e.id)).toEqual([forecast.alertId, flood.alertId, incident.alertId]);
  const feed = page.getByTestId('alert-feed');
  expect(await feed.getAttribute('data-mode')).toBe('replay');
  const items = await feed.locator('[data-testid="alert-item"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-alert-id')));
  expect(items[0]).toBe(incident.alertId); // most severe first, as live
  // every alert of the period: open at the end, or resolved within the minute a resolved alert stays listed
  // (the forecast); besides the three, the gauge's silence once the simulator stopped
  expect(new Set(items)).toEqual(new Set(log.map((e) => e.alertId)));
  expect(items).toEqual(expect.arrayContaining([incident.alertId, flood.alertId, forecast.alertId]));
  expect(await feed.locator('[data-testid="ack-button"]').count()).toBe(0); // history: nobody acts on it
  // the header's KPIs are the replayed moment's: the alerts live at the end (the incident and the flood, not the resolved forecast)
  const live = statesAfter(log, log[log.length - 1]!.seq).filter((s) => s.live).length;
  expect(await page.getByTestId('kpi-active-alerts').innerText()).toBe(String(live));

  await shot(page, 'replay-en.png');
  // usable by everyone on duty: nothing serious for axe-core in replay, in either language (resolved
  // alerts' rows and offline devices' rows included)
  let problems = await seriousViolations(page);
  expect(problems, describeProblems(problems)).toEqual([]);
  await page.getByTestId('lang-switch').click();
  await expect.poll(() => page.getByTestId('replay-bar').innerText()).toContain('返回实时');
  await expect.poll(() => page.getByTestId('replay-events').innerText()).toContain('发出');
  await shot(page, 'replay-zh-CN.png');
  problems = await seriousViolations(page);
  expect(problems, describeProblems(problems)).toEqual([]);
  await page.getByTestId('lang-switch').click();
  await expect.poll(() => page.getByTestId('replay-bar').innerText()).toContain('Back to live');

  // live goes on underneath: a camera sees smoke now; the replay does not change, Back to live shows it
  camera = await connectDevice(`mqtt://127.0.0.1:${system.mqttPort}`, CAMERA);
  await publish(camera, deviceTopic(CAMERA, 'event'), JSON.stringify({ type: 'smoke_fire', confidence: 0.95 }));
  const smoke = await waitFor(async () => (await alerts()).find((a) => a.rule === 'smoke-fire' && a.state === 'firing'), 'the smoke alert', WAIT);
  const still = await seen();
  expect(still.moment).toBe(frames[frames.length - 1]!.moment);
  expect(await alertItem(page, smoke.id).count()).toBe(0);
  await page.getByTestId('replay-exit').click();
  await expect.poll(() => map().getAttribute('data-mode')).toBe('live');
  // what the map drew: the live colours, a draw (up to a few frames) after the mode changed
  await expect.poll(() => map().getAttribute('data-replay-time')).toBeNull();
  await alertItem(page, smoke.id).waitFor({ timeout: WAIT });
  expect(await page.getByTestId('alert-feed').getAttribute('data-mode')).toBe('live');
  expect(await page.getByTestId('replay-badge').count()).toBe(0);
  expect(await page.evaluate(() => (globalThis as Record<string, unknown>).__replayMarker)).toBe('still here');
});
