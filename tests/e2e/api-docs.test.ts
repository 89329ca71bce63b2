// The API's browsable description (GET /api/docs, Swagger UI served by CityGrid itself) loads in
// Chromium within the Content-Security-Policy (browser.ts fails the test on any violation) and shows
// every route of the description.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { API_ROUTES } from '@citygrid/contract/openapi';
import { startTestSystem } from '../helpers/system.js';
import { launchBrowser } from './browser.js';
import { shot, WAIT } from './ui.js';

let system: Awaited<ReturnType<typeof startTestSystem>>;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  system = await startTestSystem({ SIMULATE: '0' });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
});

afterAll(async () => {
  await browser?.close();
  await system?.stop();
});

it('shows every route of the API, with no CSP violation, and no sign-in', async () => {
  await page.goto(`${system.baseUrl}/api/docs`);
  const operations = page.locator('.swagger-ui .opblock');
  await operations.first().waitFor({ timeout: WAIT });
  expect(await operations.count()).toBe(API_ROUTES.length);
  await expect(page.locator('.swagger-ui .info .title').innerText()).resolves.toContain('CityGrid API');
  // one operation opened: its roles and error codes are there to read
  await page.locator('#operations-default-postAlertsIdAck button.opblock-summary-control').click();
  await page.getByText('Roles: operator, gridworker, admin.').waitFor({ timeout: WAIT });
  await page.getByText('CG_ALERT_RESOLVED', { exact: false }).first().waitFor({ timeout: WAIT });
  await shot(page, 'api-docs.png');
});
