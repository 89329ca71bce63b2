// Proves a person sees the live city: after signing in as an operator, the whole embedded system in
// Chromium draws the grid map (every cell a polygon in the chart), names and opens the cell under the
// pointer, and a device's value changes on screen when the device publishes over MQTT. Pages run under
// the server's Content-Security-Policy (browser.ts fails any test during which it refused something).
import type { MqttClient } from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { deviceTopic } from '@citygrid/contract';
import { buildWeb, webIsCurrent } from '../../scripts/build-web.mjs';
import { connectDevice, end, publish, startTestSystem } from '../helpers/system.js';
import { launchBrowser } from './browser.js';
import { drawnCells, type DrawnCell } from './chart.js';
import { shot, signIn, WAIT } from './ui.js';

const DEVICE = 'wl-0004';
let system: Awaited<ReturnType<typeof startTestSystem>>;
let browser: Browser;
let page: Page;
let device: MqttClient;

beforeAll(async () => {
  if (!webIsCurrent() && !buildWeb()) throw new Error('the dashboard did not build');
  system = await startTestSystem({ SIMULATE: '0' });
  device = await connectDevice(`mqtt://127.0.0.1:${system.mqttPort}`, DEVICE);
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1920, height: 1080 }, locale: 'en-US' });
});

afterAll(async () => {
  await browser?.close();
  await end(device);
  await system?.stop();
});

it('draws every cell of the demo city as polygons in the map once signed in', async () => {
  await signIn(page, system.baseUrl, 'operator');
  const map = page.getByTestId('grid-map');
  await map.locator('canvas').first().waitFor({ state: 'visible' });
  // what the chart rendered, not what the API sent: each cell of the city has a filled polygon
  await expect.poll(async () => {
    const drawn = await drawnCells(page);
    return drawn.filter((c) => c.polygons > 0 && c.fill).map((c) => c.id).sort();
  }, { timeout: WAIT }).toEqual(system.city.cells.map((c) => c.id).sort());
});

it('names a cell under the pointer and opens its panel when it is clicked', async () => {
  const names = new Map(system.city.cells.map((c) => [c.id, c.name_en ?? c.name]));
  // a point inside a drawn cell where the chart's own hit-testing finds that cell (no marker over it)
  let target: DrawnCell | undefined;
  await expect.poll(async () => {
    target = (await drawnCells(page)).find((c) => c.hover);
    return Boolean(target);
  }, { timeout: WAIT }).toBe(true);
  const { x, y } = target!.hover!;
  await page.mouse.move(x, y);
  const title = page.locator('.tt-title').first();
  const name = names.get(target!.id)!;
  await expect.poll(async () => ((await title.isVisible()) ? (await title.innerText()).trim().slice(0, name.length) : ''), { timeout: WAIT })
    .toBe(name);
  await page.mouse.click(x, y);
  const panel = page.getByTestId('cell-panel');
  await panel.waitFor();
  expect(await panel.getAttribute('data-cell-id')).toBe(target!.id);
  await page.mouse.click(x, y); // and again: the selection toggles off
  await expect.poll(() => panel.count()).toBe(0);
});

it("shows a device's value change live when it publishes", async () => {
  await page.getByTestId('device-search').fill(DEVICE);
  const row = page.locator(`[data-testid="device-row"][data-device-id="${DEVICE}"]`);
  await row.waitFor();
  const value = row.locator('[data-testid="device-value"][data-metric="level_cm"]');

  await publish(device, deviceTopic(DEVICE, 'telemetry'), JSON.stringify({ metrics: { level_cm: 11.5 } }));
  await expect.poll(() => value.textContent(), { timeout: WAIT }).toContain('11.5');

  await publish(device, deviceTopic(DEVICE, 'telemetry'), JSON.stringify({ metrics: { level_cm: 27.5 } }));
  await expect.poll(() => value.textContent(), { timeout: WAIT }).toContain('27.5');
  await shot(page, 'live-city.png');
});

it('opens the device detail with its history chart', async () => {
  await page.locator(`[data-testid="device-row"][data-device-id="${DEVICE}"]`).click();
  const detail = page.getByTestId('device-detail');
  await detail.waitFor();
  expect(await detail.getAttribute('data-device-id')).toBe(DEVICE);
  await detail.getByTestId('device-chart').first().locator('canvas').first().waitFor({ state: 'visible' });
  await shot(page, 'device-detail.png');
});

it('switches language between English and Chinese', async () => {
  const body = page.locator('body');
  await expect.poll(() => body.innerText()).toContain('City Grid Operations');
  await page.getByTestId('lang-switch').click();
  await expect.poll(() => body.innerText()).toContain('城市网格运行监测');
  await shot(page, 'live-city-zh.png');
  await page.getByTestId('lang-switch').click();
  await expect.poll(() => body.innerText()).toContain('City Grid Operations');
});

it("serves the dashboard with the server's Content-Security-Policy (violations fail every test: browser.ts)", async () => {
  const res = await fetch(system.baseUrl);
  expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
});
