// Residents' reports in (issue 17, the intake): on the real system with REPORTS on, behind a proxy
// (TRUST_PROXY=1) so that each test address is its own X-Forwarded-For. A report needs solved
// proof-of-work, has its phone number and plate masked before it is kept, gets a receipt that shows its
// status but never its text; the same report again is folded into the first; a flood of 1,000 from one
// address is refused after its budget while other addresses still land; operators see the masked
// text, a grid worker only their cells', and a report marked as spam is audited. With REPORTS=0
// every route says so.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { powSolve, type ReportChallenge, type ReportFiled, type ReportList, type ReportReceipt } from '@citygrid/contract';
import { REPORT_LIMITS } from '../../server/src/reports/intake.js';
import { join } from 'node:path';
import { REPORTS_FILE, SqliteReportStore } from '../../server/src/reports/report-store.js';
import { getJson, login, readMetrics, sendJson, startTestSystem, tempDir, waitFor } from '../helpers/system.js';

const BITS = 4;
let system: Awaited<ReturnType<typeof startTestSystem>>;
let cell: { id: string; district: string };
let otherCell: { id: string; district: string };

beforeAll(async () => {
  system = await startTestSystem({ SIMULATE: '0', REPORTS: '1', REPORT_POW_BITS: String(BITS), TRUST_PROXY: '1' });
  cell = system.city.cells[0]!;
  otherCell = system.city.cells.find((c) => c.district !== cell.district)!;
});
afterAll(async () => {
  await system?.stop();
});

async function call<T>(method: 'GET' | 'POST', path: string, from: string, body?: unknown) {
  const res = await fetch(`${system.baseUrl}${path}`, {
    method,
    headers: { 'x-forwarded-for': from, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as T & { error?: { code: string; message: string } } };
}

/** A solved challenge, as the report page gets one. */
async function work(from: string): Promise<{ challenge: string; nonce: string }> {
  const c = await call<ReportChallenge>('GET', '/api/public/reports/challenge', from);
  expect(c.status).toBe(200);
  expect(c.body.difficulty).toBe(BITS);
  return { challenge: c.body.challenge, nonce: (await powSolve(c.body.challenge, BITS))! };
}

const file = async (from: string, report: Record<string, unknown>) => call<ReportFiled>('POST', '/api/public/reports', from, { ...report, ...(await work(from)) });

describe('filing a report', () => {
  it('masks the phone number and plate, and gives a receipt that shows the status but not the text', async () => {
    const res = await file('203.0.113.1', { category: 'waterlogging', cell: cell.id, text: '路口积水很深，车牌鄂A12345熄火了，请打13812345678' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'received', category: 'waterlogging', cell: cell.id, district: cell.district, folded: false, masked: { phone: 1, plate: 1, id: 0, email: 0 } });
    expect(res.body.text).toBe('路口积水很深，车牌[plate]熄火了，请打[phone]');
    expect(res.body.receipt).toMatch(/^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$/);
    const receipt = await call<ReportReceipt>('GET', `/api/public/reports/${res.body.receipt}`, '203.0.113.99');
    expect(receipt.status).toBe(200);
    expect(receipt.body).toEqual({ receipt: res.body.receipt, status: 'received', category: 'waterlogging', cell: cell.id, district: cell.district, filedAt: res.body.filedAt, closedAt: null, outcome: null });
    // the operators' list has the masked text, never the number
    const list = await getJson<ReportList>(`${system.baseUrl}/api/reports`, await login(system.baseUrl, 'operator'));
    const listed = list.body.reports.find((r) => r.receipt === res.body.receipt)!;
    expect(listed.text).toBe(res.body.text);
    expect(JSON.stringify(list.body)).not.toContain('13812345678');
  });

  it('finds the cell of a position, and refuses one outside the city', async () => {
    const inside = system.city.devices.find((d) => d.grid === otherCell.id)!.location;
    const res = await file('203.0.113.2', { category: 'streetlight', location: inside, text: 'streetlight out since last night' });
    expect(res.status).toBe(201);
    expect(res.body.cell).toBe(otherCell.id);
    const outside = await file('203.0.113.2', { category: 'streetlight', location: [0, 0], text: 'streetlight out' });
    expect(outside.status).toBe(400);
    expect(outside.body.error).toMatchObject({ code: 'CG_REPORT_INVALID', message: expect.stringContaining('outside every grid cell') });
  });

  it('folds the same report filed again within the hour into the first (the same receipt)', async () => {
    const text = 'Bin overflowing at the north gate';
    const first = await file('203.0.113.3', { category: 'overflowing_bin', cell: cell.id, text });
    const again = await file('203.0.113.4', { category: 'overflowing_bin', cell: cell.id, text: `  ${text.toUpperCase()} ` });
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ receipt: first.body.receipt, folded: true });
    const list = await getJson<ReportList>(`${system.baseUrl}/api/reports`, await login(system.baseUrl, 'operator'));
    expect(list.body.reports.find((r) => r.receipt === first.body.receipt)!.copies).toBe(1);
  });

  it('refuses what is wrong, each with its reason', async () => {
    const from = '203.0.113.5';
    const bad = async (body: Record<string, unknown>, withWork = true) => (await call<unknown>('POST', '/api/public/reports', from, { ...body, ...(withWork ? await work(from) : {}) })).body.error!;
    expect(await bad({ category: 'flood', cell: cell.id, text: 'x' })).toMatchObject({ code: 'CG_REPORT_INVALID', message: expect.stringContaining('category') });
    expect(await bad({ category: 'noise', cell: cell.id, text: 'x'.repeat(501) })).toMatchObject({ code: 'CG_REPORT_INVALID', message: expect.stringContaining('501 characters') });
    expect(await bad({ category: 'noise', text: 'loud' })).toMatchObject({ code: 'CG_REPORT_INVALID', message: expect.stringContaining('cell') });
    expect(await bad({ category: 'noise', cell: cell.id, text: 'loud', challenge: 'v1.x.y.z', nonce: '0' }, false)).toMatchObject({ code: 'CG_REPORT_CHALLENGE' });
  });

  it('refuses work spent already', async () => {
    const from = '203.0.113.6';
    const w = await work(from);
    const body = { category: 'noise', cell: cell.id, text: 'drilling at midnight', ...w };
    expect((await call('POST', '/api/public/reports', from, body)).status).toBe(201);
    const twice = await call('POST', '/api/public/reports', from, { ...body, text: 'something else' });
    expect(twice.status).toBe(400);
    expect(twice.body.error).toMatchObject({ code: 'CG_REPORT_CHALLENGE', message: expect.stringContaining('already used') });
  });
});

describe('a flood from one address', () => {
  it(`refuses 1,000 reports from one address after its ${REPORT_LIMITS.perAddress.limit}, with Retry-After, while other addresses still land`, async () => {
    const flood = '198.51.100.7';
    const statuses: number[] = [];
    let refused: Awaited<ReturnType<typeof call<unknown>>> | null = null;
    for (let i = 0; i < 1000; i++) {
      // a refused request costs the flooder nothing but its own work: the address's budget comes first
      const res = await call<unknown>('POST', '/api/public/reports', flood, { category: 'noise', cell: otherCell.id, text: `flood ${i}`, ...(i < 10 ? await work(flood) : { challenge: 'v1.x.y.z', nonce: '0' }) });
      statuses.push(res.status);
      if (res.status === 429) refused ??= res;
    }
    expect(statuses.filter((s) => s === 201)).toHaveLength(REPORT_LIMITS.perAddress.limit);
    expect(statuses.filter((s) => s === 429)).toHaveLength(1000 - REPORT_LIMITS.perAddress.limit);
    expect(refused!.body).toMatchObject({ error: { code: 'CG_REPORT_RATE_LIMITED', message: expect.stringContaining(`at most ${REPORT_LIMITS.perAddress.limit}`) } });
    expect(Number(refused!.headers.get('retry-after'))).toBeGreaterThan(0);
    // the others still land
    for (const from of ['198.51.100.8', '198.51.100.9']) {
      expect((await file(from, { category: 'noise', cell: otherCell.id, text: `still heard from ${from}` })).status).toBe(201);
    }
    const m = await readMetrics(system.baseUrl);
    expect(m('citygrid_reports_total', { outcome: 'rate_limited' })).toBeGreaterThanOrEqual(1000 - REPORT_LIMITS.perAddress.limit);
  }, 120_000);
});

describe('signed in', () => {
  it('shows a grid worker only their own cells\' reports', async () => {
    const mine = await file('203.0.113.10', { category: 'blocked_road', cell: cell.id, text: 'fallen tree across the road' });
    const theirs = await file('203.0.113.11', { category: 'blocked_road', cell: otherCell.id, text: 'fallen tree across the lane' });
    const token = await login(system.baseUrl, `gw-${cell.id}`);
    const seen = (await getJson<ReportList>(`${system.baseUrl}/api/reports?limit=500`, token)).body.reports.map((r) => r.receipt);
    expect(seen).toContain(mine.body.receipt);
    expect(seen).not.toContain(theirs.body.receipt);
  });

  it('lets an operator mark a report as spam (audited once), not a viewer; its receipt then says so', async () => {
    const r = await file('203.0.113.12', { category: 'other', cell: cell.id, text: 'buy cheap watches' });
    const viewer = await sendJson(`${system.baseUrl}/api/reports/${r.body.receipt}/spam`, {}, await login(system.baseUrl, 'viewer'));
    expect(viewer.status).toBe(403);
    const operator = await login(system.baseUrl, 'operator');
    const marked = await sendJson<{ report: { status: string; spamBy: string } }>(`${system.baseUrl}/api/reports/${r.body.receipt}/spam`, {}, operator);
    expect(marked.status).toBe(200);
    expect(marked.body.report).toMatchObject({ status: 'spam', spamBy: 'operator' });
    expect((await sendJson(`${system.baseUrl}/api/reports/${r.body.receipt}/spam`, {}, operator)).status).toBe(200);
    const audit = await getJson<{ entries: { action: string; target: string; user: string }[] }>(`${system.baseUrl}/api/audit?action=report_spam`, await login(system.baseUrl, 'admin'));
    expect(audit.body.entries.filter((e) => e.target === r.body.receipt)).toEqual([expect.objectContaining({ user: 'operator', action: 'report_spam' })]);
    expect((await call<ReportReceipt>('GET', `/api/public/reports/${r.body.receipt}`, '203.0.113.13')).body.status).toBe('spam');
  });
});

describe('the open data', () => {
  it('counts the reports per hour, cell and category without their texts, spam left out', async () => {
    const text = 'pothole full of water outside number 12';
    const r = await file('203.0.113.20', { category: 'waterlogging', cell: otherCell.id, text });
    const spam = await file('203.0.113.21', { category: 'waterlogging', cell: otherCell.id, text: 'win a prize' });
    await sendJson(`${system.baseUrl}/api/reports/${spam.body.receipt}/spam`, {}, await login(system.baseUrl, 'operator'));
    const today = new Date(r.body.filedAt).toISOString().slice(0, 10);
    const res = await fetch(`${system.baseUrl}/api/open/reports-hourly.csv?date=${today}`);
    expect(res.status).toBe(200);
    const body = (await res.text()).replace(/^\uFEFF/, '');
    const rows = body.trim().split('\r\n').map((l) => l.split(','));
    expect(rows[0]).toEqual(['hour_start_utc', 'cell', 'district', 'category', 'reports']);
    const hour = new Date(Math.floor(r.body.filedAt / 3_600_000) * 3_600_000).toISOString().replace('.000Z', 'Z');
    // every waterlogging report of that cell filed this hour, this one included and the spam not
    const mine = rows.find((x) => x[0] === hour && x[1] === otherCell.id && x[3] === 'waterlogging');
    expect(mine).toEqual([hour, otherCell.id, otherCell.district, 'waterlogging', '1']);
    expect(body).not.toContain('pothole');
    expect(body).not.toContain('prize');
  });
});

describe('retention', () => {
  it('replaces the text of a report older than RETAIN_REPORT_TEXT_DAYS when the server starts, and keeps the report', async () => {
    const data = tempDir();
    const old = new SqliteReportStore(join(data.path, REPORTS_FILE));
    const filedAt = Date.now() - 200 * 86_400_000;
    await old.file({ receipt: 'OLDR-EP2T', category: 'noise', cell: cell.id, district: cell.district, text: 'my neighbour Wang shouts', filedAt, status: 'received', copies: 0, spamBy: null, spamAt: null, alertId: null, closedAt: null, outcome: null, fingerprint: 'old' }, 0);
    await old.file({ receipt: 'NEWR-EP2T', category: 'noise', cell: cell.id, district: cell.district, text: 'drums at 2 am', filedAt: Date.now() - 86_400_000, status: 'received', copies: 0, spamBy: null, spamAt: null, alertId: null, closedAt: null, outcome: null, fingerprint: 'new' }, 0);
    await old.close();
    const s = await startTestSystem({ SIMULATE: '0', REPORTS: '1', DATA_DIR: data.path });
    try {
      const token = await login(s.baseUrl, 'operator');
      const texts = await waitFor(async () => {
        const r = (await getJson<ReportList>(`${s.baseUrl}/api/reports`, token)).body.reports;
        return r.find((x) => x.receipt === 'OLDR-EP2T')?.text.startsWith('(text removed') ? r : null;
      }, 'the old report\'s text removed');
      expect(texts.find((x) => x.receipt === 'OLDR-EP2T')).toMatchObject({ text: '(text removed after 180 days)', category: 'noise', cell: cell.id });
      expect(texts.find((x) => x.receipt === 'NEWR-EP2T')!.text).toBe('drums at 2 am');
    } finally {
      await s.stop();
      data.remove();
    }
  });
});

describe('with REPORTS=0', () => {
  it('answers every report route with CG_REPORTS_OFF', async () => {
    const off = await startTestSystem({ SIMULATE: '0', REPORTS: '0' });
    try {
      for (const [method, path] of [['GET', '/api/public/reports/challenge'], ['POST', '/api/public/reports'], ['GET', '/api/public/reports/ABCD-EFGH']] as const) {
        const res = await fetch(`${off.baseUrl}${path}`, { method, headers: { 'content-type': 'application/json' }, ...(method === 'POST' ? { body: '{}' } : {}) });
        expect(res.status, path).toBe(404);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('CG_REPORTS_OFF');
      }
    } finally {
      await off.stop();
    }
  });
});
