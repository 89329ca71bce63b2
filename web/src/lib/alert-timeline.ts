// An alert's page, pure: the window its readings chart shows around the episode, the rows of its
// timeline (every event with who, when and the note), and its cell's camera events counted by type.
// Unit-tested in alert-timeline.test.ts.
import type { Alert, AlertHistoryEntry, CameraEventType, DispatchTarget } from '@citygrid/contract';

const MIN = 60_000;

/** From a while before it started to a while after it closed (or now), with a bucket of ~200 points. */
export function episodeWindow(a: Pick<Alert, 'startedAt' | 'resolvedAt' | 'state'>, now: number): { from: number; to: number; step: string } {
  const end = a.state === 'resolved' && a.resolvedAt !== null ? a.resolvedAt : now;
  const pad = Math.max(15 * MIN, Math.round((end - a.startedAt) * 0.25));
  const from = a.startedAt - pad;
  const to = Math.min(now, end + pad);
  const stepS = Math.max(15, Math.ceil((to - from) / 200 / 1000 / 15) * 15);
  return { from, to, step: `${stepS}s` };
}

export interface TimelineRow {
  seq: number;
  ts: number;
  type: AlertHistoryEntry['type'];
  /** Whoever acted: a person's name (with their username), or null for the system. */
  actor: { username: string; name: string } | null;
  note: string | null;
  /** Dispatched or escalated: to whom, by name. */
  to: { username: string; name: string }[];
}

/** The alert's events, oldest first, with people's names where people.yaml knows them. */
export function timelineRows(history: readonly AlertHistoryEntry[], people: readonly Pick<DispatchTarget, 'username' | 'name'>[]): TimelineRow[] {
  const names = new Map(people.map((p) => [p.username, p.name]));
  const who = (username: string) => ({ username, name: names.get(username) ?? username });
  return [...history].sort((x, y) => x.seq - y.seq).map((e) => ({
    seq: e.seq, ts: e.ts, type: e.type, note: e.note,
    actor: e.actor === 'system' ? null : who(e.actor),
    to: (e.to ?? []).map(who),
  }));
}

/** Camera events of the cell within the window, counted by type, most first (types and counts only). */
export function cameraCounts(events: readonly { type: CameraEventType; ts: number; count?: number }[], from: number, to: number): { type: CameraEventType; count: number }[] {
  const counts = new Map<CameraEventType, number>();
  for (const e of events) if (e.ts >= from && e.ts <= to) counts.set(e.type, (counts.get(e.type) ?? 0) + (e.count ?? 1));
  return [...counts].map(([type, count]) => ({ type, count })).sort((x, y) => y.count - x.count || x.type.localeCompare(y.type));
}
