// Files a resident's report through the public API as the report page does: a challenge, its proof of
// work solved, then the report. `from` is the resident's address (the server must trust X-Forwarded-For,
// TRUST_PROXY=1, for it to count: each resident is someone else to the per-address limit).
import { afterAll, beforeAll, expect } from 'vitest';
import { powSolve, type ReportChallenge, type ReportFiled, type ReportReceipt } from '@citygrid/contract';
import { getJson, login, startTestSystem } from './system.js';

type RunningCity = Awaited<ReturnType<typeof startTestSystem>>;

export async function fileReport(baseUrl: string, report: { category: string; cell: string; text: string }, from?: string): Promise<{ status: number; body: ReportFiled }> {
  const headers = { 'content-type': 'application/json', ...(from ? { 'x-forwarded-for': from } : {}) };
  const c = (await (await fetch(`${baseUrl}/api/public/reports/challenge`, { headers })).json()) as ReportChallenge;
  const nonce = await powSolve(c.challenge, c.difficulty);
  const res = await fetch(`${baseUrl}/api/public/reports`, { method: 'POST', headers, body: JSON.stringify({ ...report, challenge: c.challenge, nonce }) });
  return { status: res.status, body: (await res.json()) as ReportFiled };
}

/**
 * The demo city taking reports (REPORTS=1, easy proof of work, TRUST_PROXY=1), started before the
 * file's tests and stopped after them: `file` files a report as a new resident each time (its own
 * address), `receipt` reads one back as the resident would, `operator` is signed in.
 */
export function reportingCity(): {
  readonly system: RunningCity; readonly operator: string;
  file(category: string, cell: string, text: string): Promise<ReportFiled>;
  receipt(code: string): Promise<ReportReceipt>;
} {
  let system: RunningCity;
  let operator = '';
  let n = 0;
  beforeAll(async () => {
    system = await startTestSystem({ SIMULATE: '0', REPORTS: '1', REPORT_POW_BITS: '4', TRUST_PROXY: '1' });
    operator = await login(system.baseUrl, 'operator');
  });
  afterAll(async () => {
    await system?.stop();
  });
  return {
    get system() { return system; },
    get operator() { return operator; },
    async file(category, cell, text) {
      const res = await fileReport(system.baseUrl, { category, cell, text }, `198.51.100.${++n}`);
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body;
    },
    receipt: async (code) => (await getJson<ReportReceipt>(`${system.baseUrl}/api/public/reports/${code}`)).body,
  };
}
