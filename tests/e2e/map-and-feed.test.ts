// Proves what the control room draws and does with live alerts, read in the browser: the map paints a
// cell in its worst alert's colour (read from the chart's rendered polygons, not from the API), the feed
// filters by district, colour and kind and clearing brings everything back, a refused message shows in
// the rejections panel with its device and reason, and a new red alert beeps unless Sound is muted.
import type { MqttClient } from 'mqtt';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { deviceTopic, type Alert, type CameraEventType, type GridCellStatus } from '@citygrid/contract';
import type { CityDevice } from '@citygrid/contract/node';
import { buildWeb, webIsCurrent } from '../../scripts/build-web.mjs';
import { SEVERITY_COLOR, SEVERITY_FILL } from '../../web/src/lib/alerts.js';
import { CELL_FILL } from '../../web/src/lib/conditions.js';
import { connectDevice, end, getJson, login, publish, startTestSystem } from '../helpers/system.js';
import { launchBrowser } from './browser.js';
import { drawnCells } from './chart.js';
import { alertItem, alertOf, shot, signIn, WAIT } from './ui.js';

let system: Awaited<ReturnType<typeof startTestSystem>>;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let token: string;
const clients = new Map<string, MqttClient>();
/** Cell A (red, yellow and orange alerts), cell B (blue) in another district, three cells for beeps. */
let camA: CityDevice, camB: CityDevice, beepCams: CityDevice[], cover: CityDevice;
const GAUGE = 'wl-0001';

async function client(id: string): Promise<MqttClient> {
  let c = clients.get(id);
  if (!c) {
    c = await connectDevice(`mqtt://127.0.0.1:${system.mqttPort}`, id);
    clients.set(id, c);
  }
  return c;
}

/** `n` camera events of one type from a camera. */
async function cameraEvents(cam: CityDevice, type: CameraEventType, n: number): Promise<void> {
  const c = await client(cam.id);
  for (let i = 0; i < n; i++) {
    await publish(c, deviceTopic(cam.id, 'event'), JSON.stringify({ type, confidence: 0.9, count: 1, zone: `test-${i}` }));
  }
}

/** The ids of the alerts the feed shows, sorted. */
function feedIds(): Promise<string[]> {
  return page.getByTestId('alert-feed').locator('[data-testid="alert-item"]')
    .evaluateAll((els) => els.map((e) => e.getAttribute('data-alert-id') ?? '').sort());
}

async function activeAlerts(): Promise<Alert[]> {
  const { body } = await getJson<{ alerts: Alert[] }>(`${system.baseUrl}/api/alerts?state=active`, token);
  return body.alerts;
}

/** How many sounds the page started: Web Audio sources and media elements (spied on in every page). */
function soundsStarted(): Promise<number> {
  return page.evaluate(() => (globalThis as unknown as { __soundsStarted: number }).__soundsStarted);
}

beforeAll(async () => {
  if (!webIsCurrent() && !buildWeb()) throw new Error('the dashboard did not build');
  system = await startTestSystem({ SIMULATE: '0' });
  const cams = system.city.devices.filter((d) => d.kind === 'camera');
  camA = cams[0]!;
  camB = cams.find((d) => d.district !== camA.district)!;
  const used = new Set([camA.grid, camB.grid]);
  beepCams = [];
  for (const d of cams) {
    if (beepCams.length < 3 && !used.has(d.grid)) {
      used.add(d.grid);
      beepCams.push(d);
    }
  }
  cover = system.city.devices.find((d) => d.kind === 'manhole_cover' && !used.has(d.grid))!;
  token = await login(system.baseUrl, 'operator');
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1920, height: 1080 }, locale: 'en-US' });
  // Count every sound the dashboard starts, whichever way it makes it.
  await context.addInitScript(() => {
    type Starts = { prototype: { start?: (...a: unknown[]) => unknown; play?: (...a: unknown[]) => unknown } };
    const g = globalThis as unknown as Record<string, unknown> & { __soundsStarted: number };
    g.__soundsStarted = 0;
    for (const [name, method] of [['AudioScheduledSourceNode', 'start'], ['HTMLMediaElement', 'play']] as const) {
      const proto = (g[name] as Starts | undefined)?.prototype;
      const original = proto?.[method];
      if (!proto || !original) continue;
      proto[method] = function (this: unknown, ...args: unknown[]) {
        g.__soundsStarted++;
        return original.apply(this, args);
      };
    }
  });
  page = await context.newPage();
  await signIn(page, system.baseUrl, 'operator');
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([...clients.values()].map((c) => end(c)));
  await system?.stop();
});

it("paints a cell in its worst alert's colour, another in its own, and a quiet cell as usual", async () => {
  // Cell A gets yellow, then red, then orange: the worst (red) must win, not the first or the latest.
  await cameraEvents(camA, 'crowding', 4);
  await alertOf(system.baseUrl, token, camA.id, 'crowding');
  await cameraEvents(camA, 'smoke_fire', 1);
  await alertOf(system.baseUrl, token, camA.id, 'smoke-fire');
  await cameraEvents(camA, 'road_obstruction', 3);
  await alertOf(system.baseUrl, token, camA.id, 'road-obstruction');
  // Cell B, in another district, only a blue one.
  await cameraEvents(camB, 'illegal_parking', 8);
  await alertOf(system.baseUrl, token, camB.id, 'parking-hotspot');

  // A quiet cell: no alert, and no device of this test in it; its normal colour is its condition's.
  const alertCells = new Set((await activeAlerts()).map((a) => a.grid));
  expect([...alertCells].sort()).toEqual([camA.grid, camB.grid].sort());
  const { body: grid } = await getJson<{ features: { properties: { id: string; status: GridCellStatus } }[] }>(`${system.baseUrl}/api/grid`, token);
  const quiet = grid.features.find((f) => ![camA.grid, camB.grid, cover.grid, ...beepCams.map((d) => d.grid)].includes(f.properties.id))!.properties;
  const normal = CELL_FILL[quiet.status.condition];
  // the three colours the check tells apart really differ
  expect(new Set([SEVERITY_FILL.red, SEVERITY_FILL.blue, normal]).size).toBe(3);

  // Read back from the chart's rendered polygons until they settle on the expected colours.
  await expect.poll(async () => {
    const drawn = new Map((await drawnCells(page)).map((c) => [c.id, { fill: c.fill, stroke: c.stroke }]));
    return { A: drawn.get(camA.grid), B: drawn.get(camB.grid), quiet: drawn.get(quiet.id)?.fill };
  }, { timeout: WAIT }).toEqual({
    A: { fill: SEVERITY_FILL.red, stroke: SEVERITY_COLOR.red },
    B: { fill: SEVERITY_FILL.blue, stroke: SEVERITY_COLOR.blue },
    quiet: normal,
  });
  // and the map's polygons are the city's cells, one item each, every one drawn
  const drawn = await drawnCells(page);
  expect(drawn.map((c) => c.id).sort()).toEqual(system.city.cells.map((c) => c.id).sort());
  expect(drawn.filter((c) => c.polygons === 0)).toEqual([]);
  await shot(page, 'map-colours.png');
});

it('filters the alert feed by district, by colour and by kind, and shows everything again when cleared', async () => {
  // a manhole cover opens elsewhere: an orange alert of another kind
  await publish(await client(cover.id), deviceTopic(cover.id, 'telemetry'), JSON.stringify({ metrics: { open: true, tilt_deg: 30 } }));
  await alertOf(system.baseUrl, token, cover.id, 'manhole-open');
  const active = await activeAlerts();
  const all = active.map((a) => a.id).sort();
  await expect.poll(feedIds, { timeout: WAIT }).toEqual(all);
  const only = (keep: (a: Alert) => boolean) => {
    const ids = active.filter(keep).map((a) => a.id).sort();
    // a filter that shows everything, or nothing, would prove nothing
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.length).toBeLessThan(all.length);
    return ids;
  };
  const kindOf = (id: string) => system.city.devicesById.get(id)?.kind;
  const clear = page.getByTestId('alert-filter-clear');

  // by district: B's district only
  const district = page.getByTestId('alert-filter-district');
  await district.selectOption(camB.district);
  await expect.poll(feedIds, { timeout: WAIT }).toEqual(only((a) => a.district === camB.district));
  await district.selectOption({ index: 0 }); // "All districts"
  await expect.poll(feedIds, { timeout: WAIT }).toEqual(all);

  // by colour: yellow only (A's crowd), then off again with the same button
  const yellow = page.getByTestId('alert-filter-severity').locator('button[data-severity="yellow"]');
  await yellow.click();
  await expect.poll(feedIds, { timeout: WAIT }).toEqual(only((a) => a.severity === 'yellow'));
  await shot(page, 'feed-filtered.png');
  await yellow.click();
  await expect.poll(feedIds, { timeout: WAIT }).toEqual(all);

  // by kind: manhole covers only; "Clear filters" brings the rest back
  await page.getByTestId('alert-filter-kind').selectOption('manhole_cover');
  await expect.poll(feedIds, { timeout: WAIT }).toEqual(only((a) => a.devices.some((d) => kindOf(d) === 'manhole_cover')));
  await clear.click();
  await expect.poll(feedIds, { timeout: WAIT }).toEqual(all);
  await expect.poll(() => clear.count()).toBe(0); // nothing left to clear
});

it('shows a refused message in the rejections panel with its device and reason', async () => {
  const panel = page.getByTestId('rejections');
  await panel.waitFor();
  const row = panel.locator('[data-testid="rejection-item"][data-reason="wrong_type"]').filter({ hasText: GAUGE });
  expect(await row.count()).toBe(0); // not there before it is sent (shown once it is, below)
  await publish(await client(GAUGE), deviceTopic(GAUGE, 'telemetry'), JSON.stringify({ metrics: { level_cm: 'deep' } }));
  await row.first().waitFor({ timeout: WAIT });
  const text = await row.first().innerText();
  expect(text).toContain(GAUGE);
  expect(text).toContain('wrong_type');
  expect(text).toContain('Wrong value type');
  expect(text).toContain('level_cm');
  await shot(page, 'rejections.png');
});

it('beeps for a new red alert while Sound is on, and not while it is muted', async () => {
  const toggle = page.getByTestId('sound-toggle');
  const [on1, muted, on2] = beepCams as [CityDevice, CityDevice, CityDevice];
  const redArrives = async (cam: CityDevice) => {
    await cameraEvents(cam, 'smoke_fire', 1);
    const alert = await alertOf(system.baseUrl, token, cam.id, 'smoke-fire');
    await alertItem(page, alert.id).waitFor({ timeout: WAIT });
  };

  // Sound on: a new red alert plays the beep (positive control: the spy hears the dashboard).
  expect(await toggle.getAttribute('aria-pressed')).toBe('true');
  const s0 = await soundsStarted();
  await redArrives(on1);
  await expect.poll(soundsStarted, { timeout: WAIT }).toBeGreaterThan(s0);
  const oneBeep = (await soundsStarted()) - s0;

  // Muted: the next red alert shows in the feed (the dashboard handled its arrival) and is silent.
  await toggle.click();
  await expect.poll(() => toggle.getAttribute('aria-pressed')).toBe('false');
  const s1 = await soundsStarted();
  await redArrives(muted);
  expect(await soundsStarted()).toBe(s1);

  // Sound on again: the next one beeps, and only it did since muting (the muted one did not beep late).
  await toggle.click();
  await expect.poll(() => toggle.getAttribute('aria-pressed')).toBe('true');
  await redArrives(on2);
  await expect.poll(soundsStarted, { timeout: WAIT }).toBeGreaterThan(s1);
  expect(await soundsStarted()).toBe(s1 + oneBeep);
});
