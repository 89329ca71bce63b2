// Files a resident's report through the public API as the report page does: a challenge, its proof of
// work solved, then the report. `from` is the resident's address (the server must trust X-Forwarded-For,
// TRUST_PROXY=1, for it to count: each resident is someone else to the per-address limit).
import { powSolve, type ReportChallenge, type ReportFiled } from '@citygrid/contract';

export async function fileReport(baseUrl: string, report: { category: string; cell: string; text: string }, from?: string): Promise<{ status: number; body: ReportFiled }> {
  const headers = { 'content-type': 'application/json', ...(from ? { 'x-forwarded-for': from } : {}) };
  const c = (await (await fetch(`${baseUrl}/api/public/reports/challenge`, { headers })).json()) as ReportChallenge;
  const nonce = await powSolve(c.challenge, c.difficulty);
  const res = await fetch(`${baseUrl}/api/public/reports`, { method: 'POST', headers, body: JSON.stringify({ ...report, challenge: c.challenge, nonce }) });
  return { status: res.status, body: (await res.json()) as ReportFiled };
}
