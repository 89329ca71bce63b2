// Proves people administration in the dashboard (issue 18): an admin adds a person on #/people and the
// temporary password shown once signs them in; disabling them from their row refuses their sign-in,
// enabling lets them back, a role changed there is what the server holds; and that person changes
// their own password from the user menu, after which only the new one works. Screenshots in both languages.
import { cpSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { AdminPeopleResponse } from '@citygrid/contract';
import { loadCity } from '@citygrid/contract/node';
import { buildWeb, webIsCurrent } from '../../scripts/build-web.mjs';
import { DEMO_CITY, getJson, login, sendJson, startTestSystem, tempDir } from '../helpers/system.js';
import { launchBrowser } from './browser.js';
import { shot, signIn, signOut, WAIT } from './ui.js';

const cityDir = tempDir('citygrid-e2e-people-');
let system: Awaited<ReturnType<typeof startTestSystem>>;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  if (!webIsCurrent() && !buildWeb()) throw new Error('the dashboard did not build');
  cpSync(DEMO_CITY, cityDir.path, { recursive: true });
  system = await startTestSystem({ CITY_DIR: cityDir.path, SIMULATE: '0' });
  browser = await launchBrowser();
  page = await (await browser.newContext({ viewport: { width: 1600, height: 1000 }, locale: 'en-US' })).newPage();
  page.on('dialog', (d) => { void d.accept(); }); // "Disable …?" confirmed
});
afterAll(async () => {
  await browser?.close();
  await system?.stop();
  cityDir.remove();
});

const row = (username: string) => page.locator(`[data-testid="person-row"][data-username="${username}"]`);
const signInStatus = async (username: string, password: string) => (await sendJson(`${system.baseUrl}/api/auth/login`, { username, password })).status;

it('adds, disables, enables and changes a person from #/people; they change their own password from the user menu', async () => {
  const cell = loadCity(cityDir.path).cells[0]!.id;
  await signIn(page, system.baseUrl, 'admin');
  await page.getByTestId('nav-people').click();
  await page.getByTestId('people-admin').waitFor();
  await expect.poll(() => page.getByTestId('person-row').count(), { timeout: WAIT }).toBeGreaterThan(3);

  // add: the temporary password is shown once
  const add = page.getByTestId('person-add');
  await add.getByTestId('person-add-username').fill('wang-fang');
  await add.getByTestId('person-add-name').fill('王芳 (Wang Fang)');
  await add.getByTestId('person-add-role').selectOption('gridworker');
  await add.getByTestId('person-add-grids').fill(cell);
  await add.getByTestId('person-add-submit').click();
  const shown = page.getByTestId('person-temp-password-value');
  await shown.waitFor({ timeout: WAIT });
  const password = (await shown.innerText()).trim();
  expect(password).toMatch(/^[a-z2-9]{4}(-[a-z2-9]{4}){3}$/);
  await row('wang-fang').waitFor();
  expect(await signInStatus('wang-fang', password)).toBe(200);
  await shot(page, 'people-admin-en.png');
  await page.getByTestId('lang-switch').click();
  await expect.poll(() => page.getByTestId('people-admin').innerText()).toContain('人员管理');
  await shot(page, 'people-admin-zh.png');
  await page.getByTestId('lang-switch').click();

  // disable, then enable
  await row('wang-fang').getByTestId('person-toggle').click();
  await expect.poll(() => row('wang-fang').getAttribute('data-disabled'), { timeout: WAIT }).toBe('true');
  expect(await signInStatus('wang-fang', password)).toBe(401);
  await row('wang-fang').getByTestId('person-toggle').click();
  await expect.poll(() => row('wang-fang').getAttribute('data-disabled'), { timeout: WAIT }).toBe('false');
  expect(await signInStatus('wang-fang', password)).toBe(200);

  // the last admin cannot disable themself: the page says why
  await row('admin').getByTestId('person-toggle').click();
  await expect.poll(() => page.getByTestId('people-message').innerText(), { timeout: WAIT }).toMatch(/last enabled administrator/);

  // change cells and role
  const other = loadCity(cityDir.path).cells[1]!.id;
  await row('wang-fang').getByTestId('person-edit').click();
  await row('wang-fang').getByTestId('person-edit-grids').fill(other);
  await row('wang-fang').getByTestId('person-save').click();
  await expect.poll(async () => (await getJson<AdminPeopleResponse>(`${system.baseUrl}/api/admin/people`, await login(system.baseUrl, 'admin'))).body.people.find((p) => p.username === 'wang-fang')!.grids, { timeout: WAIT }).toEqual([other]);

  // their own password, from the user menu
  await signOut(page);
  await signIn(page, system.baseUrl, 'wang-fang', password);
  await page.getByTestId('user-menu').click();
  await page.getByTestId('password-change-open').click();
  const form = page.getByTestId('password-change');
  await form.getByTestId('password-current').fill(password);
  await form.getByTestId('password-new').fill('plum blossom river 9');
  await form.getByTestId('password-repeat').fill('plum blossom river 9');
  await form.getByTestId('password-submit').click();
  await expect.poll(() => form.getByTestId('password-message').innerText(), { timeout: WAIT }).toMatch(/Password changed/);
  await shot(page, 'password-change-en.png');
  expect(await signInStatus('wang-fang', password)).toBe(401);
  expect(await signInStatus('wang-fang', 'plum blossom river 9')).toBe(200);
});
