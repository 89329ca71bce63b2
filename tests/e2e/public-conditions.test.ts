// Proves the public city conditions page (issue 17 item 6) on a 390×844 phone with no sign-in: every
// grid cell of the city drawn and coloured by its last hour (a cell whose sensor reported an alarm
// value shows it, one with no device reporting shows "no data"), the open alerts counted by colour in
// their district, both languages, and nothing on the page that names a person or a device.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { deviceTopic, type Alert } from '@citygrid/contract';
import { buildWeb, webIsCurrent } from '../../scripts/build-web.mjs';
import { connectDevice, DEMO_CITY, end, login, publish, startTestSystem } from '../helpers/system.js';
import { launchBrowser } from './browser.js';
import { alertOf, shot, WAIT } from './ui.js';

let system: Awaited<ReturnType<typeof startTestSystem>>;
let browser: Browser;
let page: Page;
let client: MqttClient;
let alert: Alert;

beforeAll(async () => {
  if (!webIsCurrent() && !buildWeb()) throw new Error('the dashboard did not build');
  system = await startTestSystem({ SIMULATE: '0', REPORTS: '0' }); // a city that takes no reports: the conditions page stands alone
  // an open manhole: an alarm value in its cell and an open alert in its district
  const cover = system.city.devices.find((d) => d.kind === 'manhole_cover')!;
  client = await connectDevice(`mqtt://127.0.0.1:${system.mqttPort}`, cover.id);
  await publish(client, deviceTopic(cover.id, 'telemetry'), JSON.stringify({ metrics: { open: true, tilt_deg: 25 } }));
  alert = await alertOf(system.baseUrl, await login(system.baseUrl, 'operator'), cover.id, 'manhole-open');
  browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'zh-CN' });
  page = await context.newPage();
});

afterAll(async () => {
  await browser?.close();
  await end(client);
  await system?.stop();
});

it('draws every cell, the reporting cell in its condition and the others as no data, without signing in', async () => {
  await page.goto(`${system.baseUrl}/#/public`);
  await page.getByTestId('public-map').waitFor({ timeout: WAIT });
  const cells = page.locator('[data-testid="public-map"] [data-cell]');
  expect(await cells.count()).toBe(system.city.cells.length);
  await expect.poll(() => page.locator(`[data-cell="${alert.grid}"]`).getAttribute('data-condition')).toBe('alarm');
  // only the cover reported: every other cell has no data
  const conditions = await cells.evaluateAll((els) => els.map((e) => e.getAttribute('data-condition')));
  expect(conditions.filter((c) => c !== 'none')).toEqual(['alarm']);
  expect(await page.getByTestId('login-form').count(), 'no sign-in asked').toBe(0);
});

it('counts the open alert by colour in its district', async () => {
  const row = page.locator(`[data-testid="public-districts"] [data-district="${alert.district}"]`);
  await expect.poll(() => row.getAttribute('data-total')).toBe('1');
  expect(await row.locator(`[data-severity="${alert.severity}"]`).textContent()).toBe('1');
  const others = await page.locator('[data-testid="public-districts"] tbody tr').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-total'))));
  expect(others.reduce((a, b) => a + b, 0)).toBe(1);
  await shot(page, 'public-conditions-phone.png');
});

it('speaks both languages', async () => {
  expect(await page.locator('h1').innerText()).toContain('城市运行状况');
  await page.getByTestId('lang-switch').click();
  await expect.poll(() => page.locator('h1').innerText()).toContain('City conditions');
  expect(await page.getByTestId('public-legend').innerText()).toContain('No data');
});

it('shows no person and no device: no name, username or phone from people.yaml, no device id', async () => {
  const text = await page.locator('body').innerText();
  const html = await page.content();
  const people = readFileSync(join(DEMO_CITY, 'people.yaml'), 'utf8');
  const names = [...people.matchAll(/^\s*(?:-\s*)?(?:username|name|mobile):\s*"?([^"\n]+)"?\s*$/gm)].map((m) => m[1]!.trim()).filter((v) => v.length > 3);
  expect(names.length).toBeGreaterThan(5);
  for (const v of names) expect(html, `"${v}" on the public page`).not.toContain(v);
  for (const d of system.city.devices) expect(text).not.toContain(d.id);
});

it('says on the report page that this city does not take reports (REPORTS=0)', async () => {
  await page.goto(`${system.baseUrl}/#/report/ABCD-EFGH`);
  await page.getByTestId('report-off').waitFor({ timeout: WAIT });
});
