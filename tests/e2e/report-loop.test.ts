// Proves issue 17's loop on 390×844 phones, against the real server with REPORTS on and the demo
// city's rules: a water gauge raises the orange underpass-flooding alert in its cell; a resident (no
// sign-in) files a waterlogging report there through the report page, with a phone number in the text;
// the report joins that alert and reaches the cell's grid worker's phone with its category, masked text
// and place; the worker handles it there, the district supervisor verifies it (orange is verified), and
// the resident's receipt page shows "closed" with the outcome the worker wrote.
import type { MqttClient } from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { deviceTopic, type Alert } from '@citygrid/contract';
import { buildWeb, webIsCurrent } from '../../scripts/build-web.mjs';
import { connectDevice, end, login, publish, sendJson, startTestSystem, waitFor } from '../helpers/system.js';
import { launchBrowser } from './browser.js';
import { alertById, alertItem, shot, signIn, WAIT } from './ui.js';

const GAUGE = 'wl-0001'; // in wuchang-006
let system: Awaited<ReturnType<typeof startTestSystem>>;
let browser: Browser;
let gauge: MqttClient;
let operatorToken: string;
let flood: Alert;
let receipt: string;

const phone = async (locale: string): Promise<Page> => (await browser.newContext({
  viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale,
})).newPage();

beforeAll(async () => {
  if (!webIsCurrent() && !buildWeb()) throw new Error('the dashboard did not build');
  system = await startTestSystem({ SIMULATE: '0', REPORTS: '1', REPORT_POW_BITS: '10' });
  operatorToken = await login(system.baseUrl, 'operator');
  gauge = await connectDevice(`mqtt://127.0.0.1:${system.mqttPort}`, GAUGE);
  // above 30 cm for 30 s: the orange underpass-flooding alert
  let found: Alert | undefined;
  for (let i = 0; i < 30 && !found; i++) {
    await publish(gauge, deviceTopic(GAUGE, 'telemetry'), JSON.stringify({ metrics: { level_cm: 36 } }));
    await new Promise((r) => setTimeout(r, 2_000));
    const { alerts } = await (await fetch(`${system.baseUrl}/api/alerts?state=active`, { headers: { authorization: `Bearer ${operatorToken}` } })).json() as { alerts: Alert[] };
    found = alerts.find((a) => a.rule === 'underpass-flooding' && a.devices.includes(GAUGE) && a.state === 'firing');
  }
  if (!found) throw new Error('the gauge raised no underpass-flooding alert');
  flood = found;
  expect(flood.severity).toBe('orange');
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (gauge) await end(gauge);
  await system?.stop();
});

it('files the resident\'s waterlogging report through the page, the phone number masked', async () => {
  const page = await phone('zh-CN');
  await page.goto(`${system.baseUrl}/#/report`);
  await page.getByTestId('report-form').waitFor({ timeout: WAIT });
  await page.getByTestId('category-waterlogging').check();
  await page.locator(`[data-testid="report-map"] [data-cell="${flood.grid}"]`).dispatchEvent('click');
  await expect.poll(() => page.locator(`[data-cell="${flood.grid}"]`).getAttribute('data-selected')).toBe('1');
  await page.getByTestId('report-text').fill('桥洞下积水没过膝盖，一辆车熄火了，联系我13812345678');
  await page.getByTestId('report-send').click();
  await page.getByTestId('report-filed').waitFor({ timeout: WAIT });
  receipt = (await page.getByTestId('report-receipt').innerText()).trim();
  expect(await page.getByTestId('report-kept').innerText()).toBe('桥洞下积水没过膝盖，一辆车熄火了，联系我[phone]');
  await page.context().close();
});

it('joins the open water-level alert and reaches the grid worker\'s phone with category, text and place; the worker handles it there', async () => {
  await waitFor(async () => (await alertById(system.baseUrl, operatorToken, flood.id)).reports?.includes(receipt) || null, 'the report to join the flooding alert', WAIT);
  const page = await phone('en-US');
  await signIn(page, system.baseUrl, `gw-${flood.grid}`);
  await page.getByTestId('phone-view').waitFor();
  const card = alertItem(page, flood.id);
  await card.waitFor({ timeout: WAIT });
  const row = card.locator(`[data-testid="alert-report"][data-receipt="${receipt}"]`);
  await row.waitFor({ timeout: WAIT });
  expect(await row.getByTestId('alert-report-text').innerText()).toBe('桥洞下积水没过膝盖，一辆车熄火了，联系我[phone]');
  const words = await row.innerText();
  expect(words).toContain('Waterlogging');
  expect(words).toMatch(/Wuchang/); // the place: the cell and district by name
  expect(await card.innerText()).not.toContain('13812345678');
  await shot(page, 'report-on-phone.png');

  await card.getByTestId('resolve-button').tap();
  await card.getByTestId('resolve-note').fill('Drain cleared and the car towed away; the road is open again');
  await card.getByTestId('resolve-confirm').tap();
  await expect.poll(async () => (await alertById(system.baseUrl, operatorToken, flood.id)).state, { timeout: WAIT }).toBe('handled');
  await page.context().close();
});

it('shows the resident "closed" and the outcome once the supervisor has verified it', async () => {
  const page = await phone('en-US');
  await page.goto(`${system.baseUrl}/#/report/${receipt}`);
  await page.getByTestId('receipt').waitFor({ timeout: WAIT });
  expect(await page.getByTestId('receipt').getAttribute('data-status')).toBe('in_hand'); // handled, not yet verified
  const verified = await sendJson(`${system.baseUrl}/api/alerts/${flood.id}/verify`, { note: 'checked on site' }, await login(system.baseUrl, 'sup-wuchang'));
  expect(verified.status).toBe(200);
  await expect.poll(async () => {
    await page.reload();
    await page.getByTestId('receipt').waitFor({ timeout: WAIT });
    return page.getByTestId('receipt').getAttribute('data-status');
  }, { timeout: WAIT }).toBe('closed');
  expect(await page.getByTestId('receipt-outcome').innerText()).toBe('Drain cleared and the car towed away; the road is open again');
  expect(await page.getByTestId('receipt-closed-at').innerText()).not.toBe('');
  await shot(page, 'report-closed-phone.png');
  await page.context().close();
});
