// Proves issue 15's maintenance acceptance: a window made from the maintenance page for a cell keeps
// an alert raised there visible but sends nothing to the webhook receiver, the cell is marked on the
// map and the device's panel says so; ended early from the same page, the cell's mark goes and the
// receiver gets the alert's next notification ("notifications resumed"), then its later transitions.
import type { MqttClient } from 'mqtt';
import type { Page } from 'playwright-core';
import { beforeAll, expect, it } from 'vitest';
import { deviceTopic, type Alert } from '@citygrid/contract';
import { loadCity } from '@citygrid/contract/node';
import { DEMO_CITY, getJson, login, publish, waitFor } from '../helpers/system.js';
import { alertItem, alertOf, shot, signIn, WAIT } from './ui.js';
import { DEEP_WATER_RULES, GENERIC_WEBHOOK, webhookCity, type WebhookCity } from './webhook-city.js';

const DEVICE = 'wl-0001';
const CELL = loadCity(DEMO_CITY).devicesById.get(DEVICE)!.grid;
/** How long "nothing arrives" is watched: several ticks of the alert manager and the webhook queue. */
const QUIET_MS = 6000;

const w = webhookCity({ rules: DEEP_WATER_RULES, webhooks: GENERIC_WEBHOOK, device: DEVICE, locale: 'en-US' });
/** What the receiver got, parsed (the generic format: the event and the alert). */
const received = () => w.received.map((b) => JSON.parse(b) as { event: string; alert: Alert });
let system: WebhookCity['system'];
let page: Page;
let device: MqttClient;
beforeAll(() => { ({ system, page, device } = w); });


const mapMark = () => page.locator(`[data-testid="map-maintenance-cell"][data-cell-id="${CELL}"][data-maintenance="1"]`);
const row = () => page.locator(`[data-testid="maintenance-row"][data-kind="grid"][data-target="${CELL}"]`);

it('silences a cell\'s alert while a window made from the UI is in force, marks the cell on the map, and resumes when it is ended early', async () => {
  const token = await login(system.baseUrl, 'operator');
  await signIn(page, system.baseUrl, 'operator');

  // the form: a cell picked from the city's list, a duration, a reason
  await page.getByTestId('nav-maintenance').click();
  await page.getByTestId('maintenance-form').waitFor();
  await page.getByTestId('maintenance-empty').waitFor();
  await page.getByTestId('maintenance-kind').selectOption('grid');
  await page.getByTestId('maintenance-submit').click();
  await expect.poll(() => page.getByTestId('maintenance-problem').innerText()).toContain('give a reason'); // nothing chosen: said so, nothing sent
  await page.getByTestId('maintenance-target').selectOption(CELL);
  await page.getByTestId('maintenance-duration').selectOption('2h');
  await page.getByTestId('maintenance-reason').fill('replacing the pump at the underpass');
  await page.getByTestId('maintenance-submit').click();
  await row().waitFor({ timeout: WAIT });
  expect(await row().getAttribute('data-state')).toBe('active');
  const windows = (await getJson<{ windows: { id: string; target: unknown; from: number; until: number; by: string }[] }>(`${system.baseUrl}/api/maintenance`, token)).body.windows;
  expect(windows).toHaveLength(1);
  expect(windows[0]).toMatchObject({ target: { grid: CELL }, by: 'operator' });
  expect(windows[0]!.until - windows[0]!.from).toBe(2 * 3_600_000);
  await shot(page, 'maintenance-en.png');
  await page.getByTestId('lang-switch').click();
  await expect.poll(() => page.getByTestId('maintenance-page').innerText()).toContain('维护中');
  await shot(page, 'maintenance-zh.png');
  await page.getByTestId('lang-switch').click();

  // the map marks the cell, the device's panel says it is under maintenance
  await page.getByTestId('nav-live').click();
  await mapMark().waitFor({ timeout: WAIT });
  await page.goto(`${system.baseUrl}/#/devices/${DEVICE}`);
  await expect.poll(() => page.getByTestId('device-detail-maintenance').innerText(), { timeout: WAIT }).toContain('replacing the pump');

  // the rule triggers in that cell: the alert is shown, suppressed, and nothing is sent
  await publish(device, deviceTopic(DEVICE, 'telemetry'), JSON.stringify({ metrics: { level_cm: 36.4 } }));
  const alert = await alertOf(system.baseUrl, token, DEVICE, 'deep-water');
  expect(alert.suppressed).toBe(true);
  await alertItem(page, alert.id).waitFor({ timeout: WAIT });
  await publish(device, deviceTopic(DEVICE, 'telemetry'), JSON.stringify({ metrics: { level_cm: 41.2 } }));
  await new Promise((r) => setTimeout(r, QUIET_MS));
  expect(received()).toEqual([]);

  // ended early from the page, with a confirmation first
  await page.getByTestId('nav-maintenance').click();
  await row().getByTestId('maintenance-end').click();
  expect(await row().count()).toBe(1); // asked, not yet ended
  await row().getByTestId('maintenance-end-confirm').click();
  await row().waitFor({ state: 'detached', timeout: WAIT });
  await page.getByTestId('maintenance-empty').waitFor();
  expect((await getJson<{ windows: unknown[] }>(`${system.baseUrl}/api/maintenance`, token)).body.windows).toEqual([]);
  await page.getByTestId('nav-live').click();
  await page.getByTestId('grid-map').waitFor();
  await expect.poll(() => mapMark().count(), { timeout: WAIT }).toBe(0);

  // notifications resume: the alert's next transition reaches the receiver, and so does the next after it
  const resumed = await waitFor(() => received().find((b) => b.alert.id === alert.id && b.event === 'unsuppressed'), 'the "notifications resumed" webhook', WAIT);
  expect(resumed.alert.suppressed).toBe(false);
  await publish(device, deviceTopic(DEVICE, 'telemetry'), JSON.stringify({ metrics: { level_cm: 12 } }));
  const cleared = await waitFor(() => received().find((b) => b.alert.id === alert.id && b.event === 'resolved'), 'the alert\'s resolve webhook', WAIT);
  expect(cleared.alert.suppressed).toBe(false);
});
