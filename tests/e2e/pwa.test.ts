// Proves the phone view installs as an app and reopens offline: on a 390×844 phone the grid worker's
// #/my registers its service worker (sw.js, served no-cache) and a manifest Chromium reads without
// errors; once the worker controls the page it keeps the queue; reloaded with the network off, the page
// shows that queue (an alert the server has since closed, so it can only come from the kept copy) with
// "offline — last known queue at HH:MM", in English and Chinese; the worker kept nothing but the phone
// view's own reads, and signing out deletes them.
import type { MqttClient } from 'mqtt';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { deviceTopic, type Alert } from '@citygrid/contract';
import type { CityDevice } from '@citygrid/contract/node';
import { buildWeb, webIsCurrent } from '../../scripts/build-web.mjs';
import { connectDevice, end, login, publish, startTestSystem, waitFor } from '../helpers/system.js';
import { launchBrowser } from './browser.js';
import { alertById, alertItem, alertOf, shot, signIn, signOut, WAIT } from './ui.js';

const QUEUE_CACHE = 'citygrid-phone-queue-v1'; // web/public/sw.js
let system: Awaited<ReturnType<typeof startTestSystem>>;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let cover: CityDevice;
let client: MqttClient;
let operatorToken: string;
let alert: Alert;

/** The paths of the answers the service worker keeps (none when it keeps no queue). */
function keptPaths(p: Page): Promise<string[]> {
  return p.evaluate(async (name) => {
    const store = (globalThis as unknown as { caches: { has(n: string): Promise<boolean>; open(n: string): Promise<{ keys(): Promise<{ url: string }[]> }> } }).caches;
    if (!(await store.has(name))) return [];
    return (await (await store.open(name)).keys()).map((r) => new URL(r.url).pathname);
  }, QUEUE_CACHE);
}

beforeAll(async () => {
  if (!webIsCurrent() && !buildWeb()) throw new Error('the dashboard did not build');
  system = await startTestSystem({ SIMULATE: '0' });
  cover = system.city.devices.find((d) => d.kind === 'manhole_cover')!;
  operatorToken = await login(system.baseUrl, 'operator');
  client = await connectDevice(`mqtt://127.0.0.1:${system.mqttPort}`, cover.id);
  await publish(client, deviceTopic(cover.id, 'telemetry'), JSON.stringify({ metrics: { open: true, tilt_deg: 25 } }));
  alert = await alertOf(system.baseUrl, operatorToken, cover.id, 'manhole-open');
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'en-US' });
  page = await context.newPage();
});

afterAll(async () => {
  await browser?.close();
  await end(client);
  await system?.stop();
});

it('serves the service worker and the manifests uncached, and the worker controls the phone view', async () => {
  for (const path of ['/sw.js', '/manifest.en.webmanifest', '/manifest.zh-CN.webmanifest']) {
    const res = await fetch(`${system.baseUrl}${path}`);
    expect(res.status, path).toBe(200);
    expect(res.headers.get('cache-control'), path).toBe('no-cache');
  }
  await signIn(page, system.baseUrl, `gw-${cover.grid}`);
  await alertItem(page, alert.id).waitFor({ timeout: WAIT });
  await page.waitForFunction(() => (globalThis as unknown as { navigator: { serviceWorker: { controller: unknown } } }).navigator.serviceWorker.controller !== null, undefined, { timeout: WAIT });
  // primed through the worker as it took control: who, the queue, the cells' names, the devices
  await expect.poll(() => keptPaths(page), { timeout: WAIT }).toEqual(expect.arrayContaining(['/api/auth/me', '/api/alerts', '/api/grid', '/api/devices']));
});

it('has a manifest Chromium reads without errors, in the page\'s language', async () => {
  const cdp = await context.newCDPSession(page);
  const manifest = await cdp.send('Page.getAppManifest') as { url: string; errors: { message: string }[]; data?: string };
  expect(manifest.url).toBe(`${system.baseUrl}/manifest.en.webmanifest`);
  expect(manifest.errors).toEqual([]);
  const data = JSON.parse(manifest.data!) as { name: string; start_url: string; display: string; icons: { sizes: string; purpose: string }[] };
  expect(data).toMatchObject({ name: 'CityGrid grid worker', start_url: '/#/my', display: 'standalone' });
  expect(data.icons.map((i) => `${i.sizes} ${i.purpose}`)).toEqual(['192x192 any', '512x512 any', '512x512 maskable']);
  await cdp.detach();
});

it('reopened with no network, shows the last known queue with the time it was fetched', async () => {
  await context.setOffline(true);
  // the server closes the alert meanwhile: what the phone shows next can only be its kept copy
  await publish(client, deviceTopic(cover.id, 'telemetry'), JSON.stringify({ metrics: { open: false, tilt_deg: 0 } }));
  await waitFor(async () => ((await alertById(system.baseUrl, operatorToken, alert.id)).state === 'resolved' ? true : null), 'the alert to resolve on the server', WAIT);
  await page.reload();
  await page.getByTestId('phone-view').waitFor({ timeout: WAIT });
  await alertItem(page, alert.id).waitFor({ timeout: WAIT });
  const banner = page.getByTestId('offline-banner');
  await expect.poll(() => banner.innerText(), { timeout: WAIT }).toMatch(/^Offline — last known queue at \d\d:\d\d$/);
  await shot(page, 'phone-offline-queue-en.png');
  await page.getByTestId('lang-switch').tap();
  await expect.poll(() => banner.innerText()).toMatch(/^离线 — 显示 \d\d:\d\d 时的待办$/);
  await alertItem(page, alert.id).waitFor();
  await shot(page, 'phone-offline-queue-zh.png');
  await page.getByTestId('lang-switch').tap();
});

it('kept only the phone view\'s own reads, and forgets them on sign-out', async () => {
  await context.setOffline(false);
  // back online the closed alert leaves the queue
  await alertItem(page, alert.id).waitFor({ state: 'detached', timeout: WAIT });
  expect([...new Set(await keptPaths(page))].sort()).toEqual(['/api/alerts', '/api/auth/me', '/api/devices', '/api/grid']);
  await signOut(page);
  await expect.poll(() => keptPaths(page), { timeout: WAIT }).toEqual([]);
});
