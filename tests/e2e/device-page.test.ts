// Proves a device's page in Chromium (issue 18, item 4): an operator opens a demo device's page from
// its detail panel and sees its connection (online, address, protocol) and history, its last
// messages with a refused one showing its reason next to the accepted ones, presses "send test
// reading" and sees it accepted and listed; axe-core finds nothing serious. Screenshot device-page-en.png.
import type { Browser, Page } from 'playwright-core';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { deviceTopic } from '@citygrid/contract';
import { buildWeb, webIsCurrent } from '../../scripts/build-web.mjs';
import { connectDevice, end, publish, startTestSystem } from '../helpers/system.js';
import { describeProblems, seriousViolations } from './axe.js';
import { launchBrowser } from './browser.js';
import { shot, signIn, WAIT } from './ui.js';

const DEVICE = 'wl-0011';
let system: Awaited<ReturnType<typeof startTestSystem>>;
let browser: Browser;
let page: Page;
let device: MqttClient | undefined;

beforeAll(async () => {
  if (!webIsCurrent() && !buildWeb()) throw new Error('the dashboard did not build');
  system = await startTestSystem({ SIMULATE: '0' });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1600, height: 1000 }, locale: 'en-US' });
}, 120_000);

afterAll(async () => {
  await end(device);
  await browser?.close();
  await system?.stop();
});

it('shows a device\'s connection, its messages with a refused one\'s reason, and sends a test reading', async () => {
  // the device, as an engineer would plug it in: its demo secret, a good reading and a bad one
  device = await connectDevice(`mqtt://127.0.0.1:${system.mqttPort}`, DEVICE, `demo-${DEVICE}`, { clientId: DEVICE });
  const ts = Date.now() - 5_000;
  await publish(device, deviceTopic(DEVICE, 'telemetry'), JSON.stringify({ ts, metrics: { level_cm: 4.5 } }));
  await publish(device, deviceTopic(DEVICE, 'telemetry'), JSON.stringify({ ts: ts + 1, metrics: { level_cm: 'deep' } }));

  await signIn(page, system.baseUrl, 'operator');
  await page.goto(`${system.baseUrl}/#/devices/${DEVICE}`);
  await page.getByTestId('device-detail').waitFor({ timeout: WAIT });
  await page.getByTestId('device-page-link').click();
  const pageRoot = page.getByTestId('device-page');
  await pageRoot.waitFor({ timeout: WAIT });
  expect(await pageRoot.getAttribute('data-device-id')).toBe(DEVICE);

  // connection: online over TCP from loopback, and the connect in its history
  await expect.poll(() => page.getByTestId('device-state').getAttribute('data-online'), { timeout: WAIT }).toBe('true');
  await expect.poll(() => page.getByTestId('device-state').innerText()).toMatch(/TCP[\s\S]*127\.0\.0\.1|127\.0\.0\.1[\s\S]*TCP/);
  await expect.poll(() => page.locator('[data-testid="device-connections"] [data-type="connect"]').count(), { timeout: WAIT }).toBeGreaterThan(0);

  // messages: the refused one with its reason, the accepted one with its value
  const messages = page.getByTestId('device-messages');
  await messages.waitFor({ timeout: WAIT });
  const refused = messages.locator('[data-testid="device-message"][data-outcome="refused"]');
  await expect.poll(() => refused.count(), { timeout: WAIT }).toBe(1);
  expect(await refused.getAttribute('data-reason')).toBe('wrong_type');
  const refusedText = await refused.innerText();
  expect(refusedText).toContain('wrong_type');
  expect(refusedText).toMatch(/level_cm/);
  const accepted = messages.locator('[data-testid="device-message"][data-outcome="accepted"]');
  expect(await accepted.count()).toBe(1);
  expect(await accepted.first().innerText()).toContain('level_cm = 4.5');
  await shot(page, 'device-page-en.png');
  const problems = await seriousViolations(page);
  expect(problems, describeProblems(problems)).toEqual([]);

  // the test reading: through the broker as the device, accepted, and listed first
  await page.getByTestId('device-test-reading').click();
  const result = page.getByTestId('device-test-result');
  await result.waitFor({ timeout: WAIT });
  expect(await result.getAttribute('data-outcome'), await result.innerText()).toBe('accepted');
  await expect.poll(() => accepted.count(), { timeout: WAIT }).toBe(2);
  expect(await messages.locator('[data-testid="device-message"]').first().getAttribute('data-outcome')).toBe('accepted');
  await expect.poll(() => page.locator('[data-testid="device-connections"] [data-type="connect"]').count(), { timeout: WAIT }).toBeGreaterThan(1);
  await shot(page, 'device-page-tested-en.png');
}, 120_000);
