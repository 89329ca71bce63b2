// Proves the operators' closed loop in Chromium (issue 15): a red gas alert is dispatched by the
// operator to the grid worker of another cell, who acknowledges and handles it on their phone; the
// district supervisor sends it back with a note, it is handled again and verified; the alert's page
// shows the seven steps with names, in both languages; the scores count it within its resolve deadline.
import type { MqttClient } from 'mqtt';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { deviceTopic, type Alert } from '@citygrid/contract';
import { buildWeb, webIsCurrent } from '../../scripts/build-web.mjs';
import { connectDevice, end, login, publish, startTestSystem, waitFor } from '../helpers/system.js';
import { launchBrowser } from './browser.js';
import { alertById, alertItem, alertOf, shot, signIn, WAIT } from './ui.js';

const GAS = 'gas-0001'; // in wuchang-009
const WORKER = 'gw-wuchang-010'; // another cell of the same district
const SUPERVISOR = 'sup-wuchang';

let system: Awaited<ReturnType<typeof startTestSystem>>;
let browser: Browser;
const contexts: BrowserContext[] = [];
let sensor: MqttClient;
let operatorToken: string;
let alert: Alert;

async function pageFor(phone: boolean, locale = 'en-US'): Promise<Page> {
  const context = await browser.newContext(phone
    ? { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale }
    : { viewport: { width: 1600, height: 1000 }, locale });
  contexts.push(context);
  return context.newPage();
}
const stateOf = async () => (await alertById(system.baseUrl, operatorToken, alert.id)).state;
const waitState = (state: Alert['state']) => waitFor(async () => (await stateOf()) === state || null, `the alert ${state}`, WAIT);

beforeAll(async () => {
  if (!webIsCurrent() && !buildWeb()) throw new Error('the dashboard did not build');
  system = await startTestSystem({ SIMULATE: '0' });
  operatorToken = await login(system.baseUrl, 'operator');
  sensor = await connectDevice(`mqtt://127.0.0.1:${system.mqttPort}`, GAS);
  // above 25 for 10 s: a red alert
  for (let i = 0; i < 7; i++) {
    await publish(sensor, deviceTopic(GAS, 'telemetry'), JSON.stringify({ metrics: { ch4: 40 } }));
    await new Promise((r) => setTimeout(r, 2_000));
  }
  alert = await alertOf(system.baseUrl, operatorToken, GAS, 'gas-leak');
  expect(alert.severity).toBe('red');
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await end(sensor);
  await system?.stop();
});

it('lets the operator dispatch the alert to the grid worker of another cell, with a note', async () => {
  const page = await pageFor(false);
  await signIn(page, system.baseUrl, 'operator');
  const item = alertItem(page, alert.id);
  await item.waitFor({ timeout: WAIT });
  await item.getByTestId('dispatch-button').click();
  await item.getByTestId('dispatch-to').fill(WORKER);
  await item.getByTestId('dispatch-note').fill('Nearest crew with a gas detector');
  await item.getByTestId('dispatch-confirm').click();
  const dispatched = await waitFor(async () => {
    const a = await alertById(system.baseUrl, operatorToken, alert.id);
    return a.dispatchedBy === 'operator' ? a : null;
  }, 'the dispatch', WAIT);
  expect(dispatched).toMatchObject({ assignees: [WORKER], state: 'firing', escalation: 0 });
  expect(dispatched.resolveDeadline).toBeGreaterThan(dispatched.dispatchedAt! + 2 * 3_600_000 - 1_000);
});

it('reaches that worker on the phone, who acknowledges and handles it; the supervisor sends it back; handled again, verified', async () => {
  const worker = await pageFor(true);
  await signIn(worker, system.baseUrl, WORKER);
  const card = alertItem(worker, alert.id);
  await card.waitFor({ timeout: WAIT }); // not their cell: dispatched to them
  await card.getByTestId('ack-button').tap();
  await waitState('acknowledged');
  await card.getByTestId('resolve-button').tap();
  await card.getByTestId('resolve-note').fill('Valve closed, area cordoned off');
  await card.getByTestId('resolve-confirm').tap();
  await waitState('handled'); // red: it waits for the supervisor
  await expect.poll(() => card.getAttribute('data-state'), { timeout: WAIT }).toBe('handled');

  const supervisor = await pageFor(true);
  await signIn(supervisor, system.baseUrl, SUPERVISOR);
  const sup = alertItem(supervisor, alert.id);
  await sup.waitFor({ timeout: WAIT });
  await sup.getByTestId('send-back-button').tap();
  await sup.getByTestId('send-back-confirm').tap(); // without a note: refused on the spot
  await sup.getByRole('alert').waitFor();
  await sup.getByTestId('send-back-note').fill('Still smells of gas at the corner: check the second valve');
  await sup.getByTestId('send-back-confirm').tap();
  await waitState('acknowledged');

  await expect.poll(() => card.getAttribute('data-state'), { timeout: WAIT }).toBe('acknowledged');
  await card.getByTestId('resolve-button').tap();
  await card.getByTestId('resolve-note').fill('Second valve closed, reading back to zero');
  await card.getByTestId('resolve-confirm').tap();
  await waitState('handled');

  await expect.poll(() => sup.getAttribute('data-state'), { timeout: WAIT }).toBe('handled');
  await sup.getByTestId('verify-button').tap();
  await sup.getByTestId('verify-note').fill('Checked on site');
  await sup.getByTestId('verify-confirm').tap();
  await waitState('resolved');
  expect(await alertById(system.baseUrl, operatorToken, alert.id)).toMatchObject({ resolvedBy: SUPERVISOR, handledBy: WORKER });
});

it("shows the seven steps with names on the alert's page, in both languages", async () => {
  const page = await pageFor(false);
  await signIn(page, system.baseUrl, 'operator');
  await page.goto(`${system.baseUrl}/#/alerts/${alert.id}`);
  const rows = page.getByTestId('timeline-row');
  await expect.poll(() => rows.count(), { timeout: WAIT }).toBeGreaterThanOrEqual(7);
  const steps = await rows.evaluateAll((els) => els.map((e) => [e.getAttribute('data-type'), e.getAttribute('data-actor')]));
  expect(steps.filter(([type]) => type !== 'pending')).toEqual([
    ['firing', 'system'], ['dispatched', 'operator'], ['acknowledged', WORKER], ['handled', WORKER],
    ['sent_back', SUPERVISOR], ['handled', WORKER], ['verified', SUPERVISOR],
  ]);
  const text = await page.getByTestId('alert-timeline').innerText();
  for (const words of ['Dispatched', 'Sent back', 'Verified and closed', '网格员 武昌-010', '武昌区督导', 'Still smells of gas', '→ 网格员 武昌-010']) expect(text).toContain(words);
  await expect.poll(() => page.getByTestId('alert-episode-chart').first().getAttribute('data-points'), { timeout: WAIT }).not.toBe('0');
  await shot(page, 'timeline-en.png');
  await page.getByTestId('lang-switch').click();
  await expect.poll(() => page.getByTestId('alert-timeline').innerText()).toContain('核查结案');
  expect(await page.getByTestId('alert-timeline').innerText()).toContain('退回');
  await shot(page, 'timeline-zh-CN.png');
});

it('counts it within its resolve deadline on the scores page', async () => {
  const page = await pageFor(false);
  await signIn(page, system.baseUrl, 'operator');
  await page.goto(`${system.baseUrl}/#/scores`);
  // by district (the page's default): the other alert of Wuchang, if any, is not handled and inside its deadline
  const row = page.locator('[data-testid="score-row"][data-id="wuchang"]');
  await row.waitFor({ timeout: WAIT });
  expect(await row.getByTestId('score-in-resolve').textContent()).toBe('1');
  expect(await row.getByTestId('score-past-resolve').textContent()).toBe('0');
});
