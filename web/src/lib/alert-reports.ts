// Residents' reports that joined an alert (GET /api/reports?alert=<id>) and a report's receipt: what
// AlertReports shows and when it reads the list again, and what the receipt page says once closed.
import type { ReportReceipt, ReportView } from '@citygrid/contract';

/** Receipts in `next` that `known` does not hold: reports that joined the alert since the list was read. */
export function newReceipts(known: ReadonlySet<string>, next: readonly string[]): string[] {
  return next.filter((r) => !known.has(r));
}

/**
 * The reports of `alertId`, newest first: those that name it or whose receipt it lists. Anything else
 * the server answered (a server that does not know `?alert=` answers the latest reports) is dropped,
 * so another alert's reports never show on this one.
 */
export function reportsOfAlert(reports: readonly ReportView[], alertId: string, receipts: readonly string[]): ReportView[] {
  const listed = new Set(receipts);
  return reports
    .filter((r) => r.alertId === alertId || listed.has(r.receipt))
    .sort((a, b) => b.filedAt - a.filedAt || a.receipt.localeCompare(b.receipt));
}

/** How many reports joined: the alert's receipts, or more if the list read is newer than the alert. */
export const reportCount = (receipts: readonly string[], rows: readonly unknown[]): number => Math.max(receipts.length, rows.length);

/** What the receipt page adds once the report's alert is closed: when, and what was done (null: nothing to add). */
export function closedFacts(r: Pick<ReportReceipt, 'status' | 'closedAt' | 'outcome'>): { closedAt: number | null; outcome: string | null } | null {
  if (r.status !== 'closed') return null;
  const outcome = r.outcome?.trim() ? r.outcome : null;
  return { closedAt: r.closedAt ?? null, outcome };
}
