// Proves a person sees the live city: after signing in as an operator, the whole embedded system in
// Chromium draws the grid map and a device's value changes on screen when the device publishes over MQTT.
import type { MqttClient } from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { deviceTopic } from '@citygrid/contract';
import { buildWeb, webIsCurrent } from '../../scripts/build-web.mjs';
import { connectDevice, end, publish, startTestSystem } from '../helpers/system.js';
import { launchBrowser } from './browser.js';
import { shot, signIn } from './ui.js';

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
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text()); });
});
/** Anything the server's Content-Security-Policy blocked while the tests ran. */
const cspViolations: string[] = [];

afterAll(async () => {
  await browser?.close();
  await end(device);
  await system?.stop();
});

it('shows the grid map with every cell of the demo city once signed in', async () => {
  await signIn(page, system.baseUrl, 'operator');
  const map = page.getByTestId('grid-map');
  await map.locator('canvas').first().waitFor({ state: 'visible' });
  await expect.poll(() => map.getAttribute('data-cell-count'), { timeout: 15_000 }).toBe(String(system.city.cells.length));
  // the canvas is painted, not blank: sample it for several distinct colours
  const colours = await map.locator('canvas').first().evaluate((el) => {
    const canvas = el as unknown as { width: number; height: number; getContext(kind: "2d"): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } };
    const ctx = canvas.getContext('2d')!;
    const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
    const seen = new Set<string>();
    for (let i = 0; i < data.length; i += 4 * 97) seen.add(`${data[i]! >> 4},${data[i + 1]! >> 4},${data[i + 2]! >> 4}`);
    return seen.size;
  });
  expect(colours).toBeGreaterThan(3);
});

it('names a cell under the pointer and opens its panel when it is clicked', async () => {
  const box = (await page.getByTestId('grid-map').locator('canvas').first().boundingBox())!;
  const names = new Map(system.city.cells.map((c) => [c.name_en ?? c.name, c.id]));
  const title = page.locator('.tt-title').first();
  // Sweep a coarse lattice over the map until the tooltip names a cell (bounded: 11 × 11 points).
  let hit: { x: number; y: number; id: string } | null = null;
  for (let i = 1; i <= 11 && !hit; i++) {
    for (let j = 1; j <= 11 && !hit; j++) {
      const x = box.x + (box.width * j) / 12, y = box.y + (box.height * i) / 12;
      await page.mouse.move(x, y);
      await page.waitForTimeout(60);
      if (!(await title.isVisible())) continue;
      const text = (await title.innerText()).trim();
      const id = [...names].find(([name]) => text.startsWith(name))?.[1];
      if (id) hit = { x, y, id };
    }
  }
  expect(hit, 'some point of the map shows a cell tooltip').not.toBeNull();
  await page.mouse.click(hit!.x, hit!.y);
  const panel = page.getByTestId('cell-panel');
  await panel.waitFor();
  expect(await panel.getAttribute('data-cell-id')).toBe(hit!.id);
  await page.mouse.click(hit!.x, hit!.y); // and again: the selection toggles off
  await expect.poll(() => panel.count()).toBe(0);
});

it("shows a device's value change live when it publishes", async () => {
  await page.getByTestId('device-search').fill(DEVICE);
  const row = page.locator(`[data-testid="device-row"][data-device-id="${DEVICE}"]`);
  await row.waitFor();
  const value = row.locator('[data-testid="device-value"][data-metric="level_cm"]');

  await publish(device, deviceTopic(DEVICE, 'telemetry'), JSON.stringify({ metrics: { level_cm: 11.5 } }));
  await expect.poll(() => value.textContent(), { timeout: 10_000 }).toContain('11.5');

  await publish(device, deviceTopic(DEVICE, 'telemetry'), JSON.stringify({ metrics: { level_cm: 27.5 } }));
  await expect.poll(() => value.textContent(), { timeout: 10_000 }).toContain('27.5');
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

it('runs under the server\'s Content-Security-Policy without a single violation', async () => {
  const res = await fetch(system.baseUrl);
  expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
  expect(cspViolations).toEqual([]);
});
