// Shared steps of the dashboard suites: sign in through the login form, sign out, find alerts.
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import type { Alert } from '@citygrid/contract';
import { getJson, waitFor } from '../helpers/system.js';
import { ARTIFACTS } from './browser.js';

/**
 * Bound for waiting on an outcome (an alert shows, a value arrives): generous, because a shared 2-core
 * machine can be slow, and never a claim about speed (bench/ measures latency).
 */
export const WAIT = 30_000;

/** Signs in through the login form (password demo-<username>) and waits for the signed-in page. */
export async function signIn(page: Page, baseUrl: string, username: string, password = `demo-${username}`): Promise<void> {
  if (!page.url().startsWith(baseUrl)) await page.goto(baseUrl);
  const form = page.getByTestId('login-form');
  await form.waitFor();
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await form.waitFor({ state: 'detached' });
  await page.locator('[data-auth="signed-in"]').waitFor();
}

/** Signs out through the user menu and waits for the login form. */
export async function signOut(page: Page): Promise<void> {
  await page.getByTestId('user-menu').click();
  await page.getByTestId('sign-out').click();
  await page.getByTestId('login-form').waitFor();
}

export function alertItem(page: Page, id: string): Locator {
  return page.locator(`[data-testid="alert-item"][data-alert-id="${id}"]`);
}

/** The alert (firing or later) a rule raised for a device, as the API shows it. */
export function alertOf(baseUrl: string, token: string, device: string, rule: string, timeoutMs = WAIT): Promise<Alert> {
  return waitFor(async () => {
    const { body } = await getJson<{ alerts: Alert[] }>(`${baseUrl}/api/alerts?state=all`, token);
    return body.alerts.find((a) => a.rule === rule && a.devices.includes(device) && a.state !== 'pending');
  }, `an alert of ${rule} for ${device}`, timeoutMs);
}

export async function alertById(baseUrl: string, token: string, id: string): Promise<Alert> {
  const { status, body } = await getJson<{ alert: Alert }>(`${baseUrl}/api/alerts/${id}`, token);
  if (status !== 200) throw new Error(`GET /api/alerts/${id} answered ${status}`);
  return body.alert;
}

export function shot(page: Page, name: string): Promise<Buffer> {
  return page.screenshot({ path: join(ARTIFACTS, name) });
}
