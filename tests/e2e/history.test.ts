// Proves the history page in Chromium (issue 15 step 4): over 62 past alerts it shows the server's
// first page of 50 and the total, pages forward and back, narrows by colour, cell and a Chinese word in a
// note, opens an alert's page from a row, and downloads the search as a CSV file that opens with its
// byte order mark and Chinese intact; a device's panel downloads its readings. axe-core finds nothing
// serious on the page in either language. Screenshots history-en.png and history-zh-CN.png.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Alert, Severity } from '@citygrid/contract';
import { loadCity } from '@citygrid/contract/node';
import { buildWeb, webIsCurrent } from '../../scripts/build-web.mjs';
import { AlertLog } from '../../server/src/alerts/alert-log.js';
import { SqliteStore } from '../../server/src/stores/sqlite.store.js';
import { csvObjects } from '../helpers/csv.js';
import { DEMO_CITY, startTestSystem, tempDir } from '../helpers/system.js';
import { describeProblems, seriousViolations } from './axe.js';
import { launchBrowser } from './browser.js';
import { shot, signIn, WAIT } from './ui.js';

const MIN = 60_000;
const T0 = Math.floor((Date.now() - 26 * 3_600_000) / MIN) * MIN; // yesterday, within the page's default 7 days
const city = loadCity(DEMO_CITY);
const AQ = city.devicesById.get('aq-0001')!;
const CELLS = city.cells.slice(0, 4);
const COLOURS: Severity[] = ['red', 'orange', 'yellow', 'blue'];
const NOTE = '井盖已复位，现场安全';
const COUNT = 62;

/** Alert i: colour i % 4, cell i % 4, started i minutes after T0; every tenth resolved with a note, one of them in Chinese. */
function seeded(i: number): { alert: Alert; note: string | null } {
  const cell = CELLS[i % 4]!;
  const startedAt = T0 + i * MIN;
  const resolved = i % 10 === 0;
  const alert: Alert = {
    id: `hist-${String(i).padStart(3, '0')}`, rule: 'underpass-flooding', ruleKind: 'threshold', severity: COLOURS[i % 4]!, key: `k${i}`, devices: [AQ.id],
    grid: cell.id, district: cell.district, message: 'Flooding at the underpass: level_cm 36.0 cm, above 30 cm', guidance: 'Close the underpass.',
    text: { title: { en: 'Flooding at the underpass', 'zh-CN': '下穿通道积水' }, detail: { key: 'threshold.active', params: { metric: 'level_cm', value: 36, unit: 'cm', side: 'above', level: 30, hold_ms: 30_000 } }, guidance: { en: 'Close it.', 'zh-CN': '封闭通道。' } },
    values: { level_cm: 36 }, state: resolved ? 'resolved' : 'acknowledged', startedAt, firedAt: startedAt, updatedAt: startedAt,
    acknowledgedAt: startedAt + MIN, acknowledgedBy: 'operator', resolvedAt: resolved ? startedAt + 2 * MIN : null, resolvedBy: resolved ? 'operator' : null,
    escalation: 0, assignees: [`gw-${cell.id}`], ackDeadline: Date.UTC(2100, 0, 1), resolveDeadline: null, suppressed: false,
  };
  return { alert, note: resolved ? (i === 20 ? NOTE : 'pump started') : null };
}
const ALL = Array.from({ length: COUNT }, (_, i) => seeded(i));
const newestFirst = ALL.map((s) => s.alert).sort((a, b) => b.startedAt - a.startedAt);

const data = tempDir();
let system: Awaited<ReturnType<typeof startTestSystem>>;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  if (!webIsCurrent() && !buildWeb()) throw new Error('the dashboard did not build');
  const log = new AlertLog(join(data.path, 'alerts.db'));
  for (const { alert, note } of ALL) {
    log.append({ alertId: alert.id, ts: alert.startedAt, type: 'firing', actor: 'system', note: null, alert: { ...alert, state: 'firing', acknowledgedAt: null, acknowledgedBy: null, resolvedAt: null, resolvedBy: null } });
    log.append({ alertId: alert.id, ts: alert.acknowledgedAt!, type: 'acknowledged', actor: 'operator', note: null, alert: { ...alert, state: 'acknowledged', resolvedAt: null, resolvedBy: null } });
    if (alert.state === 'resolved') log.append({ alertId: alert.id, ts: alert.resolvedAt!, type: 'resolved', actor: 'operator', note, alert });
  }
  log.close();
  const store = new SqliteStore({ path: join(data.path, 'citygrid.db'), writerThread: false });
  const now = Date.now();
  store.writeReadings(Array.from({ length: 30 }, (_, i) => ({ device: AQ.id, kind: AQ.kind, grid: AQ.grid, district: AQ.district, ts: now - (i + 1) * MIN, metrics: { pm25: 40 + i } })));
  await store.close();
  system = await startTestSystem({ DATA_DIR: data.path, SIMULATE: '0' });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1920, height: 1080 }, locale: 'en-US', acceptDownloads: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await system?.stop();
  data.remove();
});

const rows = () => page.getByTestId('history-row');
const rowIds = async () => rows().evaluateAll((els) => els.map((e) => e.getAttribute('data-alert-id')));
const total = async () => Number(await page.getByTestId('history-total').getAttribute('data-total'));
async function search(): Promise<void> {
  await page.getByTestId('history-search').click();
  await expect.poll(() => page.getByTestId('history-search').isEnabled(), { timeout: WAIT }).toBe(true);
}

it('pages through past alerts from the server, narrows them by filters and opens one', async () => {
  await signIn(page, system.baseUrl, 'operator');
  await page.getByTestId('nav-history').click();
  await page.getByTestId('history-table').waitFor({ timeout: WAIT });
  await expect.poll(total, { timeout: WAIT }).toBe(COUNT);
  expect(await rowIds()).toEqual(newestFirst.slice(0, 50).map((a) => a.id));
  expect(await page.getByTestId('history-pager').getAttribute('data-pages')).toBe('2');
  await shot(page, 'history-en.png');
  const problems = await seriousViolations(page);
  expect(problems, describeProblems(problems)).toEqual([]);

  // next page: the last 12, then back
  await page.getByTestId('history-pager').getByRole('button').last().click();
  await expect.poll(rowIds, { timeout: WAIT }).toEqual(newestFirst.slice(50).map((a) => a.id));
  expect(await page.getByTestId('history-pager').getAttribute('data-page')).toBe('2');
  await page.getByTestId('history-pager').getByRole('button').first().click();
  await expect.poll(async () => (await rowIds()).length, { timeout: WAIT }).toBe(50);

  // colour and cell together: the server's answer, all of them on one page
  await page.getByTestId('history-filter-severity').selectOption('red');
  await page.getByTestId('history-filter-grid').selectOption(CELLS[0]!.id);
  await search();
  const reds = newestFirst.filter((a) => a.severity === 'red' && a.grid === CELLS[0]!.id);
  await expect.poll(rowIds, { timeout: WAIT }).toEqual(reds.map((a) => a.id));
  expect(await total()).toBe(reds.length);
  expect(await page.getByTestId('history-pager').count()).toBe(0); // one page

  // a word of a Chinese note, typed and sent with Enter
  await page.getByTestId('history-reset').click();
  await expect.poll(total, { timeout: WAIT }).toBe(COUNT);
  await page.getByTestId('history-filter-text').fill('复位');
  await page.getByTestId('history-filter-text').press('Enter');
  await expect.poll(rowIds, { timeout: WAIT }).toEqual(['hist-020']);

  // the row opens the alert's page
  await rows().first().click();
  await expect.poll(() => page.evaluate(() => (globalThis as unknown as { location: { hash: string } }).location.hash)).toBe('#/alerts/hist-020');
});

it('downloads the search as a CSV file with its byte order mark and the Chinese intact, in Chinese', async () => {
  await page.goto(`${system.baseUrl}/#/history`);
  await page.getByTestId('history-table').waitFor({ timeout: WAIT });
  await page.getByTestId('history-reset').click();
  await expect.poll(total, { timeout: WAIT }).toBe(COUNT);
  await page.getByTestId('lang-switch').click();
  await expect.poll(() => page.getByTestId('history-page').innerText()).toContain('历史告警');
  await page.getByTestId('history-filter-severity').selectOption('orange');
  await search();
  const oranges = newestFirst.filter((a) => a.severity === 'orange');
  await expect.poll(total, { timeout: WAIT }).toBe(oranges.length);
  await shot(page, 'history-zh-CN.png');
  const problems = await seriousViolations(page);
  expect(problems, describeProblems(problems)).toEqual([]);

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('history-csv').click()]);
  const bytes = readFileSync((await download.path())!);
  expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  expect(download.suggestedFilename()).toMatch(/^alerts-\d{8}-\d{8}\.csv$/);
  const { header, rows: lines } = csvObjects(bytes.subarray(3).toString('utf8'));
  expect(header.slice(0, 4)).toEqual(['编号', '规则', '规则类型', '颜色']);
  expect(lines.map((r) => r['编号'])).toEqual(oranges.map((a) => a.id));
  expect(lines.every((r) => r['颜色'] === '橙色' && r['级别'] === 'II' && r['标题'] === '下穿通道积水')).toBe(true);
  await page.getByTestId('lang-switch').click();
});

it("downloads a device's readings from its panel", async () => {
  await page.goto(`${system.baseUrl}/#/devices/${AQ.id}`);
  if ((await page.getByTestId('lang-switch').innerText()).trim() === 'EN') await page.getByTestId('lang-switch').click(); // English
  await page.getByTestId('device-export').waitFor({ timeout: WAIT });
  await page.getByTestId('device-export-range').selectOption('1h');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('device-export-csv').click()]);
  const bytes = readFileSync((await download.path())!);
  expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  const { header, rows: lines } = csvObjects(bytes.subarray(3).toString('utf8'));
  expect(header.slice(1)).toEqual(['ts (epoch ms)', 'device', 'metric', 'value', 'unit']);
  expect(lines).toHaveLength(30); // pm25, the last 30 minutes
  expect(lines.map((r) => Number(r.value))).toEqual(Array.from({ length: 30 }, (_, i) => 40 + 29 - i));
  expect(new Set(lines.map((r) => `${r.device} ${r.metric} ${r.unit}`))).toEqual(new Set([`${AQ.id} pm25 µg/m³`]));
});
