// Proves a viewer can watch but not act: alerts show without acknowledge / resolve buttons, the API
// refuses the viewer's acknowledge (403), the audit page is not theirs, and the
// maintenance page shows them the windows with no form and no end button.
import type { MqttClient } from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { deviceTopic, type Alert } from '@citygrid/contract';
import { buildWeb, webIsCurrent } from '../../scripts/build-web.mjs';
import { connectDevice, end, login, publish, sendJson, startTestSystem } from '../helpers/system.js';
import { launchBrowser } from './browser.js';
import { alertById, alertItem, alertOf, shot, signIn, WAIT } from './ui.js';

let system: Awaited<ReturnType<typeof startTestSystem>>;
let browser: Browser;
let page: Page;
let client: MqttClient;
let alert: Alert;
let operatorToken: string;

beforeAll(async () => {
  if (!webIsCurrent() && !buildWeb()) throw new Error('the dashboard did not build');
  system = await startTestSystem({ SIMULATE: '0' });
  const cover = system.city.devices.find((d) => d.kind === 'manhole_cover')!;
  client = await connectDevice(`mqtt://127.0.0.1:${system.mqttPort}`, cover.id);
  await publish(client, deviceTopic(cover.id, 'telemetry'), JSON.stringify({ metrics: { open: true } }));
  operatorToken = await login(system.baseUrl, 'operator');
  alert = await alertOf(system.baseUrl, operatorToken, cover.id, 'manhole-open');
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1920, height: 1080 }, locale: 'zh-CN' });
});

afterAll(async () => {
  await browser?.close();
  await end(client);
  await system?.stop();
});

it('shows a viewer the alerts without any acknowledge or resolve button', async () => {
  await signIn(page, system.baseUrl, 'viewer');
  const item = alertItem(page, alert.id);
  await item.waitFor({ timeout: WAIT });
  // the browser asked for Chinese: the feed speaks it
  await expect.poll(() => page.getByTestId('alert-feed').innerText()).toContain('告警信息');
  await expect.poll(() => item.getByTestId('alert-state').textContent()).toBe('告警中');
  // The item and the navigation are rendered (the controls for the absences below): an operator's
  // item has its buttons in the same render (control-room.test.ts), an admin's nav the audit link.
  expect(await page.getByTestId('ack-button').count()).toBe(0);
  expect(await page.getByTestId('resolve-button').count()).toBe(0);
  expect(await page.getByTestId('nav-scores').count()).toBe(1);
  expect(await page.getByTestId('nav-audit').count()).toBe(0);
  await shot(page, 'viewer.png');
});

it("refuses the viewer's acknowledge in the API", async () => {
  const token = await login(system.baseUrl, 'viewer');
  const res = await sendJson<{ error: { code: string } }>(`${system.baseUrl}/api/alerts/${alert.id}/ack`, {}, token);
  expect(res.status).toBe(403);
  expect(res.body.error.code).toBe('CG_FORBIDDEN');
  expect((await alertById(system.baseUrl, operatorToken, alert.id)).state).toBe('firing');
});

it('tells a viewer the audit log is for administrators', async () => {
  await page.goto(`${system.baseUrl}/#/audit`);
  await page.getByTestId('audit-page').waitFor();
  await expect.poll(() => page.getByTestId('audit-page').innerText()).toContain('只有管理员可以查看审计日志');
});

it('shows a viewer the maintenance windows without the form or an end button, and the API refuses their window', async () => {
  const cell = system.city.devices[0]!.grid;
  const made = await sendJson<{ window: { id: string } }>(`${system.baseUrl}/api/maintenance`, { grid: cell, reason: '更换水泵', for: '1h' }, operatorToken);
  expect(made.status).toBe(201);
  await page.goto(`${system.baseUrl}/#/maintenance`);
  const row = page.locator(`[data-testid="maintenance-row"][data-window-id="${made.body.window.id}"]`);
  await row.waitFor({ timeout: 10_000 }); // opening the page fetches the list (the shared one polls only every 30 s)
  // the row is rendered (the control): an operator's has its end button in the same render (maintenance.test.ts)
  expect(await row.innerText()).toContain('更换水泵');
  expect(await page.getByTestId('maintenance-form').count()).toBe(0);
  expect(await page.getByTestId('maintenance-end').count()).toBe(0);
  await expect.poll(() => page.getByTestId('maintenance-readonly').innerText()).toContain('只有值班员和管理员');
  const token = await login(system.baseUrl, 'viewer');
  const res = await sendJson<{ error: { code: string } }>(`${system.baseUrl}/api/maintenance`, { grid: cell, reason: 'x', for: '1h' }, token);
  expect(res.status).toBe(403);
  expect(res.body.error.code).toBe('CG_FORBIDDEN');
  const ended = await sendJson<{ error: { code: string } }>(`${system.baseUrl}/api/maintenance/${made.body.window.id}`, {}, token, 'DELETE');
  expect(ended.status).toBe(403);
});
