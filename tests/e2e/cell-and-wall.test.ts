// Proves a cell's page and the video wall (issue 15 steps 7 and 8). The cell's page, reached from the
// control room's cell panel and by its URL, shows the cell's devices with their latest values (updated
// live over MQTT), its grid worker and supervisor, an alert raised there (open, recent, counted in its
// score, its colour named with its level), a chart per metric and its camera events by type; the cell's
// grid worker sees it and is told plainly they may not see another cell, whose data the API refuses.
// The wall, entered by URL, moves to the next district after rotate= seconds and shows large KPIs;
// entered from the header's button it asks for full screen; Esc and its exit control lead back.
import type { MqttClient } from 'mqtt';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceTopic, type Alert, type CellReadingsResponse } from '@citygrid/contract';
import { loadCity } from '@citygrid/contract/node';
import { DEMO_CITY, connectDevice, end, getJson, login, publish } from '../helpers/system.js';
import { alertItem, alertOf, shot, signIn, signOut, WAIT } from './ui.js';
import { DEEP_WATER_RULES, GENERIC_WEBHOOK, webhookCity, type WebhookCity } from './webhook-city.js';

const demo = loadCity(DEMO_CITY);
const DEVICE = 'wl-0001';
const CELL = demo.devicesById.get(DEVICE)!.grid;
const DISTRICT = demo.devicesById.get(DEVICE)!.district;
const CAMERA = demo.devices.find((d) => d.grid === CELL && d.kind === 'camera')!;
/** Another cell, in another district: nothing of it is the cell's grid worker's. */
const OTHER = demo.cells.find((c) => c.district !== DISTRICT)!.id;

/** What the page's scripts see (this tsconfig has no DOM types). */
type Browser = { getComputedStyle(el: unknown): { fontSize: string }; document: { fullscreenElement: unknown } };

const w = webhookCity({ rules: DEEP_WATER_RULES, webhooks: GENERIC_WEBHOOK, device: DEVICE, locale: 'en-US' });
let system: WebhookCity['system'];
let page: Page;
let device: MqttClient;
let camera: MqttClient;
let token: string;
let alert: Alert;

beforeAll(async () => {
  ({ system, page, device } = w);
  camera = await connectDevice(`mqtt://127.0.0.1:${system.mqttPort}`, CAMERA.id);
  token = await login(system.baseUrl, 'operator');
  await publish(device, deviceTopic(DEVICE, 'telemetry'), JSON.stringify([
    { ts: Date.now() - 20 * 60_000, metrics: { level_cm: 12.5 } },
    { ts: Date.now() - 10 * 60_000, metrics: { level_cm: 18 } },
    { metrics: { level_cm: 36.4 } },
  ]));
  for (const count of [2, 1]) await publish(camera, deviceTopic(CAMERA.id, 'event'), JSON.stringify({ type: 'illegal_parking', confidence: 0.9, count }));
  alert = await alertOf(system.baseUrl, token, DEVICE, 'deep-water');
});

afterAll(async () => {
  await end(camera);
});

const cellPage = () => page.getByTestId('cell-page');
const deviceValue = (metric: string) => cellPage().locator(`[data-testid="cell-device"][data-device-id="${DEVICE}"] [data-testid="cell-device-value"][data-metric="${metric}"]`);

describe("a cell's page", () => {
  it('is reached from the cell panel and shows devices, people, the open alert, charts and camera events', async () => {
    await signIn(page, system.baseUrl, 'operator');
    // the alert's cell links to its page; a click on the alert opens the cell panel, which links to it too
    expect(await alertItem(page, alert.id).getByTestId('alert-cell-link').getAttribute('href')).toBe(`#/cells/${CELL}`);
    await alertItem(page, alert.id).locator('h3').click();
    const panel = page.getByTestId('cell-panel');
    await panel.waitFor();
    await panel.getByTestId('cell-page-link').click();
    await cellPage().waitFor();
    expect(new URL(page.url()).hash).toBe(`#/cells/${CELL}`);
    await expect.poll(() => cellPage().getAttribute('data-access'), { timeout: WAIT }).toBe('allowed');
    expect(await cellPage().getAttribute('data-cell-id')).toBe(CELL);

    // devices with their latest values and units; every device of the cell is listed
    await expect.poll(() => deviceValue('level_cm').innerText(), { timeout: WAIT }).toBe('36.4 cm');
    const listed = await cellPage().locator('[data-testid="cell-device"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-device-id')).sort());
    expect(listed).toEqual(demo.devices.filter((d) => d.grid === CELL).map((d) => d.id).sort());
    // live: a new reading over MQTT shows without reloading
    await publish(device, deviceTopic(DEVICE, 'telemetry'), JSON.stringify({ metrics: { level_cm: 41.2 } }));
    await expect.poll(() => deviceValue('level_cm').innerText(), { timeout: WAIT }).toBe('41.2 cm');

    // who answers for it
    const people = cellPage().getByTestId('cell-people');
    await people.locator(`[data-testid="cell-worker"][data-username="gw-${CELL}"]`).waitFor();
    expect(await people.locator(`[data-testid="cell-supervisor"][data-username="sup-${DISTRICT}"]`).count()).toBe(1);

    // the alert: open, among the recent ones, its colour named with its level
    const open = cellPage().locator(`[data-testid="cell-open-alerts"] [data-alert-id="${alert.id}"]`);
    await open.waitFor({ timeout: WAIT });
    expect(await open.getAttribute('data-severity')).toBe('orange');
    expect(await open.innerText()).toContain('Orange · level II');
    await cellPage().locator(`[data-testid="cell-recent-alerts"] [data-alert-id="${alert.id}"]`).waitFor({ timeout: WAIT });
    // its score counts it (last 7 days)
    await expect.poll(() => cellPage().getByTestId('cell-score-alerts').innerText(), { timeout: WAIT }).toBe('1');
    expect(await cellPage().locator('[data-testid="cell-score"] [data-severity="orange"]').getAttribute('data-count')).toBe('1');

    // a chart per metric, the level's with the points published
    const chart = cellPage().locator('[data-testid="cell-chart"][data-metric="level_cm"]');
    await chart.waitFor({ timeout: WAIT });
    expect(Number(await chart.getAttribute('data-points'))).toBeGreaterThanOrEqual(3);
    expect(await chart.locator('canvas').count()).toBeGreaterThan(0);
    const charted = await cellPage().locator('[data-testid="cell-chart"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-metric')).sort());
    const { body } = await getJson<CellReadingsResponse>(`${system.baseUrl}/api/cells/${CELL}/readings`, token);
    expect(charted).toEqual(body.series.map((s) => s.metric).sort());

    // camera events by type (no images)
    const parking = cellPage().locator('[data-testid="cell-camera-type"][data-type="illegal_parking"]');
    await parking.waitFor({ timeout: WAIT });
    expect(await parking.getAttribute('data-events')).toBe('2');

    await shot(page, 'cell-page-en.png');
    await page.getByTestId('lang-switch').click();
    await expect.poll(() => open.innerText()).toContain('橙色 · II级');
    await expect.poll(() => cellPage().innerText()).toContain('责任人');
    await shot(page, 'cell-page-zh-CN.png');
    await page.getByTestId('lang-switch').click();
  });

  it("lets the cell's grid worker in and tells them plainly they may not see another cell", async () => {
    await signOut(page);
    const worker = `gw-${CELL}`;
    await signIn(page, system.baseUrl, worker);
    await page.goto(`${system.baseUrl}/#/cells/${CELL}`);
    await expect.poll(() => cellPage().getAttribute('data-access'), { timeout: WAIT }).toBe('allowed');
    await expect.poll(() => deviceValue('level_cm').innerText(), { timeout: WAIT }).toBe('41.2 cm');

    await page.goto(`${system.baseUrl}/#/cells/${OTHER}`);
    await expect.poll(() => cellPage().getAttribute('data-cell-id')).toBe(OTHER);
    await expect.poll(() => cellPage().getAttribute('data-access'), { timeout: WAIT }).toBe('forbidden');
    expect(await page.getByTestId('cell-page-forbidden').innerText()).toContain(`You may not view cell ${OTHER}`);
    expect(await cellPage().locator('[data-testid="cell-device"], [data-testid="cell-chart"], [data-testid="cell-score"]').count()).toBe(0);
    // and the server gives nothing of it either
    const workerToken = await login(system.baseUrl, worker);
    const refused = await getJson<{ error: { code: string } }>(`${system.baseUrl}/api/cells/${OTHER}/readings`, workerToken);
    expect([refused.status, refused.body.error.code]).toEqual([403, 'CG_FORBIDDEN']);
    const viewer = await getJson<CellReadingsResponse>(`${system.baseUrl}/api/cells/${OTHER}/readings`, token);
    expect(viewer.status).toBe(200); // the positive control: the cell exists and answers an operator
    expect((await getJson<{ alerts: Alert[] }>(`${system.baseUrl}/api/alerts?state=all&grid=${OTHER}`, workerToken)).body.alerts).toEqual([]);
    expect((await getJson<{ devices: unknown[] }>(`${system.baseUrl}/api/devices?grid=${OTHER}`, workerToken)).body.devices).toEqual([]);
    await signOut(page);
  });
});

describe('the video wall', () => {
  const wall = () => page.getByTestId('wall-view');
  const focus = () => page.getByTestId('wall-district');

  it('entered by URL rotates to the next district after rotate= seconds and shows large KPIs', async () => {
    await signIn(page, system.baseUrl, 'operator');
    await page.goto(`${system.baseUrl}/#/wall?rotate=2`);
    await wall().waitFor();
    expect(await wall().getAttribute('data-rotate-s')).toBe('2');
    expect(await page.getByTestId('city-name').count()).toBe(0); // no control-room header: the wall is full-window
    const districts = system.city.districts.map((d) => d.id);
    expect(districts.length).toBeGreaterThan(1);
    await expect.poll(() => focus().getAttribute('data-district-id'), { timeout: WAIT }).toBe(districts[0]);
    await expect.poll(() => page.getByTestId('grid-map').getAttribute('data-focus')).toBe(districts[0]);
    // the next district takes over, and the map follows
    await expect.poll(() => focus().getAttribute('data-district-id'), { timeout: WAIT }).toBe(districts[1]);
    await expect.poll(() => page.getByTestId('grid-map').getAttribute('data-focus')).toBe(districts[1]);

    // KPIs readable across a room: the city's, live, and the clock and connection in sight
    await expect.poll(() => page.getByTestId('wall-kpi-alerts').innerText(), { timeout: WAIT }).toBe('1');
    for (const id of ['wall-kpi-online', 'wall-kpi-alerts', 'wall-kpi-overdue', 'wall-kpi-cells']) {
      const px = await page.getByTestId(id).evaluate((el) => Number.parseFloat((globalThis as unknown as Browser).getComputedStyle(el).fontSize));
      expect(px, id).toBeGreaterThanOrEqual(48);
    }
    await expect.poll(() => page.getByTestId('connection').getAttribute('data-state'), { timeout: WAIT }).toBe('live');
    expect(await page.getByTestId('wall-clock').innerText()).toMatch(/\d{2}:\d{2}:\d{2}/);
  });

  /** Waits for the alert's district to come round, checks it shows the alert, and takes a screenshot. */
  async function alertDistrict(level: string, file: string) {
    await expect.poll(() => focus().getAttribute('data-district-id'), { timeout: WAIT }).toBe(DISTRICT);
    const item = focus().locator(`[data-testid="wall-alert"][data-alert-id="${alert.id}"]`);
    await item.waitFor({ timeout: WAIT });
    expect(await item.innerText()).toContain(level);
    expect(await focus().locator('[data-testid="wall-district-severity"][data-severity="orange"]').getAttribute('data-count')).toBe('1');
    await shot(page, file);
  }

  it("shows the alert's district with its open alert, its colour named with its level", async () => {
    await alertDistrict('Orange · level II', 'wall-en.png');
  });

  it('takes its language from the URL, leaves on Esc, and is entered from the header with full screen', async () => {
    await page.goto(`${system.baseUrl}/#/wall?rotate=2&lang=zh-CN`);
    await expect.poll(() => page.getByTestId('wall-exit').innerText()).toContain('退出大屏');
    await alertDistrict('橙色 · II级', 'wall-zh-CN.png');
    await page.keyboard.press('Escape');
    await page.getByTestId('grid-map').waitFor();
    await wall().waitFor({ state: 'detached' });
    expect(new URL(page.url()).hash).toBe('#/');

    // the header's button: full screen (the browser grants it on the click), then the wall
    await page.getByTestId('wall-enter').click();
    await wall().waitFor();
    expect(new URL(page.url()).hash).toBe('#/wall');
    await expect.poll(() => page.evaluate(() => (globalThis as unknown as Browser).document.fullscreenElement !== null)).toBe(true);
    await expect.poll(() => wall().getAttribute('data-rotate-s')).toBe('20');
    // the small exit control leaves full screen and the wall
    await page.getByTestId('wall-exit').click();
    await wall().waitFor({ state: 'detached' });
    await page.getByTestId('grid-map').waitFor();
    await expect.poll(() => page.evaluate(() => (globalThis as unknown as Browser).document.fullscreenElement === null)).toBe(true);
  });
});
