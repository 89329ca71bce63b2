// Proves the control room works end to end: an operator signs in through the form, sees the map (every
// cell drawn) and KPIs, an open manhole cover published over MQTT appears in the alert feed, the
// operator acknowledges and resolves it (with a note) in both languages, a cell shows its alerts,
// camera events and grid worker, and the admin's audit page shows both actions.
import type { MqttClient } from 'mqtt';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { deviceTopic } from '@citygrid/contract';
import type { CityDevice } from '@citygrid/contract/node';
import { buildWeb, webIsCurrent } from '../../scripts/build-web.mjs';
import { connectDevice, end, login, publish, startTestSystem } from '../helpers/system.js';
import { launchBrowser } from './browser.js';
import { drawnCells } from './chart.js';
import { alertById, alertItem, alertOf, shot, signIn, signOut, WAIT } from './ui.js';

let system: Awaited<ReturnType<typeof startTestSystem>>;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let cover: CityDevice;
let client: MqttClient;
let camera: CityDevice;
let cameraClient: MqttClient;
let operatorToken: string;
let alertId: string;

beforeAll(async () => {
  if (!webIsCurrent() && !buildWeb()) throw new Error('the dashboard did not build');
  system = await startTestSystem({ SIMULATE: '0' });
  cover = system.city.devices.find((d) => d.kind === 'manhole_cover')!;
  camera = system.city.devices.find((d) => d.kind === 'camera')!;
  client = await connectDevice(`mqtt://127.0.0.1:${system.mqttPort}`, cover.id);
  cameraClient = await connectDevice(`mqtt://127.0.0.1:${system.mqttPort}`, camera.id);
  operatorToken = await login(system.baseUrl, 'operator');
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1920, height: 1080 }, locale: 'en-US' });
  page = await context.newPage();
});

afterAll(async () => {
  await browser?.close();
  await end(client);
  await end(cameraClient);
  await system?.stop();
});

it('signs an operator in through the login form (and refuses a wrong password)', async () => {
  await page.goto(system.baseUrl);
  await page.getByTestId('login-form').waitFor();
  await shot(page, 'login.png');
  await page.getByTestId('login-username').fill('operator');
  await page.getByTestId('login-password').fill('not-the-password');
  await page.getByTestId('login-submit').click();
  await expect.poll(() => page.getByTestId('login-error').textContent()).toContain('Wrong username or password');
  await signIn(page, system.baseUrl, 'operator');
  expect(await page.getByTestId('user-menu').getAttribute('data-role')).toBe('operator');
});

it('renders the map and the KPIs', async () => {
  // the polygons the chart drew, one item (or more polygons) per cell of the city
  await expect.poll(async () => (await drawnCells(page)).filter((c) => c.polygons > 0).map((c) => c.id).sort(), { timeout: WAIT })
    .toEqual(system.city.cells.map((c) => c.id).sort());
  await expect.poll(() => page.getByTestId('kpi-online').textContent(), { timeout: WAIT }).toMatch(/^\d+ \/ \d+$/);
  await expect.poll(() => page.getByTestId('kpi-active-alerts').textContent(), { timeout: WAIT }).toMatch(/^\d+$/);
  await expect.poll(() => page.getByTestId('kpi-overdue').textContent(), { timeout: WAIT }).toMatch(/^\d+$/);
  await page.getByTestId('alert-feed').waitFor();
});

it('shows an alert raised over MQTT in the feed', async () => {
  const before = Number(await page.getByTestId('kpi-active-alerts').textContent());
  await publish(client, deviceTopic(cover.id, 'telemetry'), JSON.stringify({ metrics: { open: true, tilt_deg: 40 } }));
  const alert = await alertOf(system.baseUrl, operatorToken, cover.id, 'manhole-open');
  alertId = alert.id;
  const item = alertItem(page, alertId);
  await item.waitFor({ timeout: WAIT });
  expect(await item.getAttribute('data-severity')).toBe('orange');
  expect(await item.getAttribute('data-state')).toBe('firing');
  await expect.poll(() => item.innerText()).toContain('Manhole cover open or displaced');
  await expect.poll(() => item.getByTestId('alert-deadline').textContent()).toMatch(/ack within \d+:\d\d/);
  await expect.poll(async () => Number(await page.getByTestId('kpi-active-alerts').textContent()), { timeout: WAIT }).toBeGreaterThan(before);
  // a red alert too (a camera sees smoke), so the screenshot shows the colours side by side
  await publish(cameraClient, deviceTopic(camera.id, 'event'), JSON.stringify({ type: 'smoke_fire', confidence: 0.93, count: 1, zone: 'north-gate' }));
  await page.locator('[data-testid="alert-item"][data-severity="red"]').first().waitFor({ timeout: WAIT });
  await shot(page, 'control-room.png');
});

it('acknowledges the alert in one click and labels it in Chinese', async () => {
  const item = alertItem(page, alertId);
  await item.getByTestId('ack-button').click();
  await expect.poll(() => item.getAttribute('data-state'), { timeout: WAIT }).toBe('acknowledged');
  expect((await alertById(system.baseUrl, operatorToken, alertId)).acknowledgedBy).toBe('operator');
  await page.getByTestId('lang-switch').click();
  const feed = page.getByTestId('alert-feed');
  await expect.poll(() => feed.innerText()).toContain('告警信息');
  await expect.poll(() => item.getByTestId('alert-state').textContent()).toBe('已签收');
  await expect.poll(() => item.innerText()).toContain('井盖开启或移位');
  await shot(page, 'control-room-zh.png');
  await page.getByTestId('lang-switch').click();
  await expect.poll(() => feed.innerText()).toContain('Alerts');
});

it('resolves the alert with a required note', async () => {
  const item = alertItem(page, alertId);
  await item.getByTestId('resolve-button').click();
  await item.getByTestId('resolve-confirm').click(); // without a note: refused on the spot
  await item.getByRole('alert').waitFor();
  await item.getByTestId('resolve-note').fill('Barrier placed, water utility closed the cover');
  await item.getByTestId('resolve-confirm').click();
  await expect.poll(() => item.getAttribute('data-state'), { timeout: WAIT }).toBe('resolved');
  const resolved = await alertById(system.baseUrl, operatorToken, alertId);
  expect(resolved).toMatchObject({ state: 'resolved', resolvedBy: 'operator' });
});

it('shows a cell with its alerts and camera events when an alert is clicked', async () => {
  const red = page.locator('[data-testid="alert-item"][data-severity="red"]').first();
  await red.locator('h3').click();
  const panel = page.getByTestId('cell-panel');
  await panel.waitFor();
  expect(await panel.getAttribute('data-cell-id')).toBe(camera.grid);
  await panel.locator('[data-testid="camera-event"][data-type="smoke_fire"]').first().waitFor({ timeout: WAIT });
  await expect.poll(() => panel.innerText()).toContain('93%');
  // who answers for the cell: its grid worker (and the district supervisor), from GET /api/grid
  await panel.locator(`[data-testid="cell-worker"][data-username="gw-${camera.grid}"]`).waitFor();
  expect(await panel.getByTestId('cell-people').innerText()).toContain(`gw-${camera.grid}`);
  expect(await panel.getByTestId('cell-supervisor').count()).toBeGreaterThan(0);
  await shot(page, 'cell-panel.png');
});

it("shows both actions on the admin's audit page", async () => {
  await signOut(page);
  await signIn(page, system.baseUrl, 'admin');
  await page.getByTestId('nav-audit').click();
  const table = page.getByTestId('audit-table');
  await table.waitFor();
  for (const action of ['acknowledge', 'resolve']) {
    const row = table.locator(`[data-testid="audit-row"][data-action="${action}"][data-target="${alertId}"]`);
    await row.waitFor({ timeout: WAIT });
    expect(await row.getAttribute('data-user')).toBe('operator');
  }
  await expect.poll(() => table.innerText()).toContain('Barrier placed, water utility closed the cover');
  await shot(page, 'audit.png');
});

it('shows the scores page with its table and chart', async () => {
  await page.getByTestId('nav-scores').click();
  await page.getByTestId('scores-table').waitFor();
  await page.locator('[data-testid="score-row"]').first().waitFor({ timeout: WAIT });
  await page.getByTestId('scores-chart').locator('canvas').first().waitFor();
  await shot(page, 'scores.png');
  await page.getByTestId('lang-switch').click();
  await expect.poll(() => page.getByTestId('scores-page').innerText()).toContain('考核评分');
  await shot(page, 'scores-zh.png');
  await page.getByTestId('lang-switch').click();
});
