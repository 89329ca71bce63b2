// Proves the residents' report page (issue 17) on a 390×844 phone with no sign-in, against the real
// server with REPORTS on: a resident picks waterlogging, taps a grid cell on the map, writes a text
// with a phone number, sees it masked before sending, sends it (the proof of work done in the page),
// and gets a receipt; the operators' list has the report with the number masked; the receipt page
// shows its status in both languages. (That it reaches the grid worker's phone and comes back
// closed: report-loop.test.ts.)
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ReportList } from '@citygrid/contract';
import { buildWeb, webIsCurrent } from '../../scripts/build-web.mjs';
import { getJson, login, startTestSystem } from '../helpers/system.js';
import { launchBrowser } from './browser.js';
import { shot, WAIT } from './ui.js';

let system: Awaited<ReturnType<typeof startTestSystem>>;
let browser: Browser;
let page: Page;
let receipt: string;

beforeAll(async () => {
  if (!webIsCurrent() && !buildWeb()) throw new Error('the dashboard did not build');
  system = await startTestSystem({ SIMULATE: '0', REPORTS: '1', REPORT_POW_BITS: '10' });
  browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'zh-CN' });
  page = await context.newPage();
});

afterAll(async () => {
  await browser?.close();
  await system?.stop();
});

it('files a waterlogging report with a masked phone number and gives a receipt', async () => {
  const cell = system.city.cells[3]!;
  await page.goto(`${system.baseUrl}/#/report`);
  await page.getByTestId('report-form').waitFor({ timeout: WAIT });
  expect(await page.getByTestId('login-form').count(), 'no sign-in asked').toBe(0);
  await page.getByTestId('category-waterlogging').check();
  await page.locator(`[data-testid="report-map"] [data-cell="${cell.id}"]`).dispatchEvent('click');
  await expect.poll(() => page.locator(`[data-cell="${cell.id}"]`).getAttribute('data-selected')).toBe('1');
  await page.getByTestId('report-text').fill('路口积水约30厘米，有情况请打13812345678');
  await expect.poll(() => page.getByTestId('report-preview').innerText()).toContain('[phone]');
  await shot(page, 'report-form-phone.png');
  await page.getByTestId('report-send').click();
  const done = page.getByTestId('report-filed');
  await done.waitFor({ timeout: WAIT });
  receipt = (await page.getByTestId('report-receipt').innerText()).trim();
  expect(receipt).toMatch(/^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$/);
  expect(await page.getByTestId('report-kept').innerText()).toBe('路口积水约30厘米，有情况请打[phone]');
  // what the operators see: the report in its cell, the number masked
  const list = await getJson<ReportList>(`${system.baseUrl}/api/reports`, await login(system.baseUrl, 'operator'));
  expect(list.body.reports).toEqual([expect.objectContaining({ receipt, category: 'waterlogging', cell: cell.id, text: '路口积水约30厘米，有情况请打[phone]', status: 'received' })]);
  await shot(page, 'report-filed-phone.png');
});

it('shows the report\'s status by its receipt, in both languages', async () => {
  await page.getByTestId('report-follow').click();
  const status = page.getByTestId('receipt-status');
  await status.waitFor({ timeout: WAIT });
  expect(await page.getByTestId('receipt').getAttribute('data-status')).toBe('received');
  expect(await status.innerText()).toBe('已收到，等待处理');
  await page.getByTestId('lang-switch').click();
  await expect.poll(() => status.innerText()).toBe('Received, waiting to be handled');
  // a receipt that does not exist
  await page.getByTestId('receipt-input').fill('ZZZZ-ZZZZ');
  await page.getByRole('button', { name: 'Look up' }).click();
  await expect.poll(() => page.getByTestId('receipt-page').innerText()).toContain('No report has this receipt');
});
