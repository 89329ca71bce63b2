// Proves issue 18's e2e acceptance in Chromium: an admin adds a device on the devices page (its secret
// shown once), the simulator publishes as it with that secret, without a restart, and the device's page
// shows its messages, a refused one with its reason. Then a CSV import from the same page: the check
// names the bad line and nothing is imported; fixed, it is imported. Screenshot devices-admin-en.png.
// The simulator is the real CLI (`npm run simulate -- --devices <id> --secrets <file>`).
import { cpSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { deviceTopic } from '@citygrid/contract';
import { loadCity } from '@citygrid/contract/node';
import { buildWeb, webIsCurrent } from '../../scripts/build-web.mjs';
import { startChild, type Child } from '../helpers/processes.js';
import { connectDevice, DEMO_CITY, end, getJson, login, publish, startTestSystem, tempDir } from '../helpers/system.js';
import { launchBrowser } from './browser.js';
import { shot, signIn, WAIT } from './ui.js';

const NEW = 'wl-new-0001';
let system: Awaited<ReturnType<typeof startTestSystem>>;
let cityDir: { path: string; remove(): void };
let browser: Browser;
let page: Page;
let sim: Child | undefined;
let device: MqttClient | undefined;

beforeAll(async () => {
  if (!webIsCurrent() && !buildWeb()) throw new Error('the dashboard did not build');
  cityDir = tempDir('citygrid-city-');
  cpSync(DEMO_CITY, cityDir.path, { recursive: true });
  system = await startTestSystem({ CITY_DIR: cityDir.path, SIMULATE: '0' });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1600, height: 1000 }, locale: 'en-US' });
}, 120_000);

afterAll(async () => {
  await sim?.kill('SIGTERM');
  await end(device);
  await browser?.close();
  await system?.stop();
  cityDir?.remove();
});

it('an admin adds a device in the UI, the simulator publishes as it, and its page shows its messages and a refused one with its reason', async () => {
  const place = system.city.devices.find((d) => d.kind === 'water_level')!;
  await signIn(page, system.baseUrl, 'admin');
  await page.getByTestId('nav-provisioning').click();
  await page.getByTestId('devices-admin').waitFor({ timeout: WAIT });
  await page.getByTestId('device-add-id').fill(NEW);
  await page.getByTestId('device-add-kind').selectOption('water_level');
  await page.getByTestId('device-add-lng').fill(String(place.location[0]));
  await page.getByTestId('device-add-lat').fill(String(place.location[1]));
  await page.getByTestId('device-add-name').fill('New underpass gauge');
  await page.getByTestId('device-add-submit').click();
  const secret = (await page.getByTestId('device-secret').innerText({ timeout: WAIT })).trim();
  expect(secret.length).toBeGreaterThanOrEqual(32);
  await page.getByTestId('devices-admin-filter').fill('wl-new');
  await page.locator(`[data-testid="device-admin-row"][data-device="${NEW}"]`).waitFor({ timeout: WAIT });
  await shot(page, 'devices-admin-en.png');

  // the simulator, as an engineer would run it for the new device, with the secret just shown
  const secrets = join(cityDir.path, '..', `secrets-${process.pid}.csv`);
  writeFileSync(secrets, `id,secret\r\n${NEW},${secret}\r\n`);
  sim = await startChild('simulators/src/main.ts', {}, 'all devices connected', 60_000, [], ['--city', cityDir.path, '--url', `mqtt://127.0.0.1:${system.mqttPort}`, '--devices', NEW, '--interval', '500ms', '--secrets', secrets]);
  rmSync(secrets, { force: true });
  const token = await login(system.baseUrl, 'admin');
  await expect.poll(async () => (await getJson<{ online: boolean }>(`${system.baseUrl}/api/devices/${NEW}`, token)).body.online, { timeout: WAIT }).toBe(true);
  // and a message it gets wrong, sent with the same secret
  device = await connectDevice(`mqtt://127.0.0.1:${system.mqttPort}`, NEW, secret);
  await publish(device, deviceTopic(NEW, 'telemetry'), JSON.stringify({ metrics: { level_cm: 'deep' } }));

  await page.locator(`[data-testid="device-admin-row"][data-device="${NEW}"] a`).click();
  const messages = page.getByTestId('device-messages');
  await messages.waitFor({ timeout: WAIT });
  const refused = messages.locator('[data-testid="device-message"][data-outcome="refused"]');
  await expect.poll(() => refused.count(), { timeout: WAIT }).toBeGreaterThan(0);
  expect(await refused.first().getAttribute('data-reason')).toBe('wrong_type');
  await expect.poll(() => messages.locator('[data-testid="device-message"][data-outcome="accepted"]').count(), { timeout: WAIT }).toBeGreaterThan(0);
  await shot(page, 'device-page-new-en.png');
});

it('imports devices from a CSV on the same page: the check names the bad line and nothing is imported until it is fixed', async () => {
  const at = system.city.devices.find((d) => d.kind === 'noise')!.location;
  const file = join(cityDir.path, '..', `import-${process.pid}.csv`);
  writeFileSync(file, `id,kind,lng,lat,name\r\nnz-ui-0001,noise,${at[0]},${at[1]},Imported 1\r\nnz-ui-0002,toaster,${at[0]},${at[1]},Imported 2\r\n`);
  await page.getByTestId('nav-provisioning').click();
  await page.getByTestId('device-import-file').setInputFiles(file);
  await page.getByTestId('device-import-check').click();
  const problem = page.getByTestId('device-import-problem');
  await expect.poll(() => problem.count(), { timeout: WAIT }).toBe(1);
  expect(await problem.innerText()).toMatch(/line 3: kind "toaster"/);
  expect(await page.getByTestId('device-import-apply').isDisabled()).toBe(true);
  const fixed = file.replace(/\.csv$/, '-fixed.csv');
  writeFileSync(fixed, `id,kind,lng,lat,name\r\nnz-ui-0001,noise,${at[0]},${at[1]},Imported 1\r\nnz-ui-0002,noise,${at[0]},${at[1]},Imported 2\r\n`);
  await page.getByTestId('device-import-file').setInputFiles(fixed);
  await page.getByTestId('device-import-check').click();
  await expect.poll(() => page.getByTestId('device-import-result').innerText(), { timeout: WAIT }).toMatch(/All 2 rows pass/);
  await page.getByTestId('device-import-apply').click();
  await page.getByTestId('device-import-done').waitFor({ timeout: WAIT });
  expect(loadCity(cityDir.path).devicesById.get('nz-ui-0002')?.name).toBe('Imported 2');
  rmSync(file, { force: true });
  rmSync(fixed, { force: true });
});
