// Residents' reports in the 考核 scores (GET /api/scores, REPORTS=on): per grid cell or district, how
// many reports were closed in the period and the median time from filed to closed. Spam is not counted
// (a report marked as spam after its alert closed keeps its closedAt). A cell or district with closed
// reports but no alerts in the period gets a row of its own, its alert counts zero.
import { SEVERITIES, type Score, type Severity } from '@citygrid/contract';
import type { StoredReport } from './report-store.js';

/** What the scores read of a closed report. */
export type ScoredReport = Pick<StoredReport, 'cell' | 'district' | 'filedAt' | 'closedAt' | 'status'>;

/** A row without alerts, as computeScores would write one. */
function emptyScore(id: string): Score {
  return {
    id, alerts: 0, bySeverity: Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>, acknowledged: 0, resolved: 0,
    ackMedianS: null, ackP90S: null, resolveMedianS: null, resolveP90S: null, ackedInTime: null, escalated: 0,
    inResolveDeadline: 0, pastResolveDeadline: 0, resolvedInTime: null,
  };
}

/** The median of `values` (ms, whole), null when there are none. */
function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return Math.round(sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2);
}

/**
 * The score rows with `reportsClosed` and `reportCloseMedianMs` on every row (0 and null where no
 * report closed), plus a row for each cell or district whose reports closed but which had no alerts;
 * sorted as computeScores sorts (most alerts first, then by id). `scores` is not changed.
 */
export function withReportScores(scores: readonly Score[], closed: readonly ScoredReport[], by: 'grid' | 'district'): Score[] {
  const times = new Map<string, number[]>();
  for (const r of closed) {
    if (r.status === 'spam' || r.closedAt === null) continue;
    const id = by === 'grid' ? r.cell : r.district;
    (times.get(id) ?? times.set(id, []).get(id)!).push(r.closedAt - r.filedAt);
  }
  const fields = (id: string) => {
    const t = times.get(id) ?? [];
    return { reportsClosed: t.length, reportCloseMedianMs: median(t) };
  };
  const seen = new Set(scores.map((s) => s.id));
  const rows = scores.map((s) => ({ ...s, ...fields(s.id) }));
  for (const id of times.keys()) if (!seen.has(id)) rows.push({ ...emptyScore(id), ...fields(id) });
  return rows.sort((x, y) => y.alerts - x.alerts || x.id.localeCompare(y.id));
}
