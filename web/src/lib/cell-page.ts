// A cell's page, pure: its link (#/cells/<id>), its recent alerts (the last days, newest first), its score out of the per-cell
// scores, its camera events by type, and the metrics it charts. Unit-tested in cell-page.test.ts.
import type { Alert, CameraEventType, Score } from '@citygrid/contract';

const PREFIX = '#/cells/';

/** The cell id of a cell page's hash (#/cells/<id>), or null. */
export function parseCellId(hash: string): string | null {
  if (!hash.startsWith(PREFIX)) return null;
  try {
    return decodeURIComponent(hash.slice(PREFIX.length).split(/[/?]/)[0] ?? '') || null;
  } catch {
    return null; // a malformed escape: no such cell
  }
}

/** The link to a cell's page. */
export function cellHref(id: string): string {
  return `${PREFIX}${encodeURIComponent(id)}`;
}

/** How far back "recent" alerts go (ms: 7 days). */
export const RECENT_MS = 7 * 86_400_000;
/** At most this many charts on a cell's page (one per metric). */
export const CHARTS_MAX = 6;

/** Alerts of the cell started within `RECENT_MS` before `now`, newest first. */
export function recentAlerts(alerts: readonly Alert[], cell: string, now: number): Alert[] {
  return alerts
    .filter((a) => a.grid === cell && (a.firedAt ?? a.startedAt) >= now - RECENT_MS)
    .sort((a, b) => (b.firedAt ?? b.startedAt) - (a.firedAt ?? a.startedAt) || (a.id < b.id ? -1 : 1));
}

/** The cell's score, or null: a cell without alerts in the period is not in the list. */
export function scoreOf(scores: readonly Score[], cell: string): Score | null {
  return scores.find((s) => s.id === cell) ?? null;
}

export interface CameraTypeCount { type: CameraEventType; events: number; count: number }

/** Camera events by type: how many detections and how many things they counted, most frequent first. */
export function cameraCounts(events: readonly { type: CameraEventType; count?: number }[]): CameraTypeCount[] {
  const by = new Map<CameraEventType, CameraTypeCount>();
  for (const e of events) {
    const c = by.get(e.type) ?? { type: e.type, events: 0, count: 0 };
    c.events++;
    c.count += e.count ?? 1;
    by.set(e.type, c);
  }
  return [...by.values()].sort((a, b) => b.events - a.events || a.type.localeCompare(b.type));
}

/** One page of a list (0-based), and how many pages there are (at least 1). */
export function pageOf<T>(items: readonly T[], page: number, size: number): { items: T[]; page: number; pages: number } {
  const pages = Math.max(1, Math.ceil(items.length / size));
  const p = Math.min(Math.max(0, page), pages - 1);
  return { items: items.slice(p * size, (p + 1) * size), page: p, pages };
}
