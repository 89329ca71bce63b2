// Proves the grid worker's phone view (390×844): only the worker's own cells' alerts show, one tap
// acknowledges, and a resolve made while offline is kept ("pending sync") and reaches the server once
// the phone is back online (the orange alert is then handled, awaiting its supervisor's verification).
import type { MqttClient } from 'mqtt';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { deviceTopic, type Alert } from '@citygrid/contract';
import type { CityDevice } from '@citygrid/contract/node';
import { buildWeb, webIsCurrent } from '../../scripts/build-web.mjs';
import { connectDevice, end, getJson, login, publish, startTestSystem, waitFor } from '../helpers/system.js';
import { launchBrowser } from './browser.js';
import { alertById, alertItem, alertOf, shot, signIn, WAIT } from './ui.js';

let system: Awaited<ReturnType<typeof startTestSystem>>;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let mine: CityDevice;
let other: CityDevice;
const clients: MqttClient[] = [];
let operatorToken: string;
let myAlert: Alert;
let otherAlert: Alert;

beforeAll(async () => {
  if (!webIsCurrent() && !buildWeb()) throw new Error('the dashboard did not build');
  system = await startTestSystem({ SIMULATE: '0' });
  const covers = system.city.devices.filter((d) => d.kind === 'manhole_cover');
  mine = covers[0]!;
  // another cell in another district: no overlap with the worker's cell or its supervisor
  other = covers.find((d) => d.grid !== mine.grid && d.district !== mine.district)!;
  operatorToken = await login(system.baseUrl, 'operator');
  for (const d of [mine, other]) {
    const c = await connectDevice(`mqtt://127.0.0.1:${system.mqttPort}`, d.id);
    clients.push(c);
    await publish(c, deviceTopic(d.id, 'telemetry'), JSON.stringify({ metrics: { open: true, tilt_deg: 25 } }));
  }
  myAlert = await alertOf(system.baseUrl, operatorToken, mine.id, 'manhole-open');
  otherAlert = await alertOf(system.baseUrl, operatorToken, other.id, 'manhole-open');
  browser = await launchBrowser();
  context = await browser.newContext({
    viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'en-US',
  });
  page = await context.newPage();
});

afterAll(async () => {
  await browser?.close();
  await Promise.all(clients.map((c) => end(c)));
  await system?.stop();
});

it("signs the cell's grid worker in to the phone view with only their cells' alerts", async () => {
  await signIn(page, system.baseUrl, `gw-${mine.grid}`);
  await page.getByTestId('phone-view').waitFor();
  expect(new URL(page.url()).hash).toBe('#/my');
  const item = alertItem(page, myAlert.id);
  await item.waitFor({ timeout: WAIT });
  await expect.poll(() => item.innerText()).toContain('Put a barrier around it');
  // Both alerts were raised before sign-in and arrive in the same snapshot: the one shown is the
  // control that the list has loaded, so the other one's absence is the filter's doing.
  expect(await alertItem(page, otherAlert.id).count()).toBe(0);
  // every card on the phone is in the worker's cell
  const { body } = await getJson<{ alerts: Alert[] }>(`${system.baseUrl}/api/alerts`, operatorToken);
  const inMyCell = new Set(body.alerts.filter((a) => a.grid === mine.grid).map((a) => a.id));
  const shown = await page.locator('[data-testid="alert-item"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-alert-id')));
  expect(shown.length).toBeGreaterThan(0);
  for (const id of shown) expect(inMyCell.has(id!)).toBe(true);
  await shot(page, 'phone.png');
});

it('acknowledges with one tap', async () => {
  const item = alertItem(page, myAlert.id);
  await item.getByTestId('ack-button').tap();
  await expect.poll(() => item.getAttribute('data-state'), { timeout: WAIT }).toBe('acknowledged');
  expect((await alertById(system.baseUrl, operatorToken, myAlert.id)).acknowledgedBy).toBe(`gw-${mine.grid}`);
});

it('keeps a resolve made offline and sends it when back online', async () => {
  await context.setOffline(true);
  await page.getByTestId('offline-banner').waitFor({ timeout: WAIT });
  const item = alertItem(page, myAlert.id);
  await item.getByTestId('resolve-button').tap();
  await item.getByTestId('resolve-note').fill('Barrier up; the water company is on its way');
  await item.getByTestId('resolve-confirm').tap();
  await item.getByTestId('pending-sync').waitFor();
  expect(await item.getAttribute('data-pending')).toContain('resolve');
  // accepted and stored on the phone, not yet on the server
  const stored = await page.evaluate(() => {
    const storage = (globalThis as unknown as { localStorage: { length: number; key(i: number): string | null; getItem(k: string): string | null } }).localStorage;
    const keys = Array.from({ length: storage.length }, (_, i) => storage.key(i) ?? '');
    return keys.filter((k) => k.startsWith('citygrid.actions')).map((k) => storage.getItem(k)).join('');
  });
  expect(stored).toContain('Barrier up');
  expect((await alertById(system.baseUrl, operatorToken, myAlert.id)).state).toBe('acknowledged');
  await shot(page, 'phone-offline.png');

  await context.setOffline(false);
  // an orange alert: the worker's "done" leaves it handled, awaiting the supervisor's verification
  const handled = await waitFor(async () => {
    const a = await alertById(system.baseUrl, operatorToken, myAlert.id);
    return a.state === 'handled' ? a : null;
  }, 'the resolve to reach the server', WAIT);
  expect(handled.handledBy).toBe(`gw-${mine.grid}`);
  await item.getByTestId('pending-sync').waitFor({ state: 'detached', timeout: WAIT });
  await page.getByTestId('offline-banner').waitFor({ state: 'detached', timeout: WAIT });
});

it('speaks Chinese on the phone too', async () => {
  await page.getByTestId('lang-switch').tap();
  await expect.poll(() => page.getByTestId('phone-view').innerText()).toContain('我的网格');
  await expect.poll(() => alertItem(page, myAlert.id).getByTestId('alert-state').textContent()).toBe('已处置·待核查');
  await shot(page, 'phone-zh.png');
});
