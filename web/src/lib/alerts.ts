// Alert rules of the dashboard, pure: who may act, what is "mine", the feed's order, grouping and
// filters, and each cell's worst colour. Unit-tested in alerts.test.ts.
import { PERMISSIONS, SEVERITY_RANK, type Alert, type DeviceKind, type Severity, type UserView } from '@citygrid/contract';

export type AlertLike = Pick<Alert, 'grid' | 'district' | 'state' | 'assignees'>;

/** A grid worker answers for their cells, a supervisor for their districts; anyone named on the alert too. */
export function isMine(user: UserView | null, alert: AlertLike): boolean {
  if (!user) return false;
  return user.grids.includes(alert.grid) || user.districts.includes(alert.district) || alert.assignees.includes(user.username);
}

/** May this user acknowledge or resolve this alert? (The server checks the same and has the last word.)
 *  A handled alert waits for its verification: only a supervisor acts on it then (canSupervise). */
export function canAct(user: UserView | null, alert: AlertLike): boolean {
  if (!user || alert.state === 'resolved' || alert.state === 'handled') return false;
  if (!(PERMISSIONS.actOnAlerts as readonly string[]).includes(user.role)) return false;
  if (user.role === 'gridworker') return isMine(user, alert);
  return true;
}

/** May this user dispatch this alert, or verify or send back its handling? Operators and admins, and a
 *  supervisor in their districts. */
export function canSupervise(user: UserView | null, alert: AlertLike): boolean {
  if (!user || alert.state === 'resolved') return false;
  if (!(PERMISSIONS.superviseAlerts as readonly string[]).includes(user.role)) return false;
  return user.role !== 'gridworker' || user.districts.includes(alert.district);
}

export const isOpen = (a: Pick<Alert, 'state'>) => a.state !== 'resolved';
/** Firing, acknowledged or handled (awaiting verification): what colours the map and counts as active. */
export const isLive = (a: Pick<Alert, 'state'>) => a.state === 'firing' || a.state === 'acknowledged' || a.state === 'handled';
/** Firing, not acknowledged, and past its acknowledge deadline. */
export const isOverdue = (a: Pick<Alert, 'state' | 'ackDeadline'>, now: number) => a.state === 'firing' && a.ackDeadline < now;

const STATE_ORDER: Record<Alert['state'], number> = { firing: 0, pending: 1, acknowledged: 2, handled: 3, resolved: 4 };
const when = (a: Alert) => a.firedAt ?? a.startedAt;

/** Most severe first, then what still needs someone (firing before acknowledged), then newest. Resolved last. */
export function compareAlerts(a: Alert, b: Alert): number {
  const resolved = Number(a.state === 'resolved') - Number(b.state === 'resolved');
  if (resolved) return resolved;
  return SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity]
    || STATE_ORDER[a.state] - STATE_ORDER[b.state]
    || when(b) - when(a)
    || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export interface FeedEntry { alert: Alert; parts: Alert[] }

/** Incidents (composite alerts) carry their parts; parts are shown only under their incident. */
export function groupIncidents(alerts: Iterable<Alert>): FeedEntry[] {
  const byId = new Map<string, Alert>();
  for (const a of alerts) byId.set(a.id, a);
  const nested = new Set<string>();
  const entries: FeedEntry[] = [];
  for (const a of byId.values()) {
    if (!a.parts?.length) continue;
    const parts = a.parts.flatMap((id) => byId.get(id) ?? []).sort(compareAlerts);
    parts.forEach((p) => nested.add(p.id));
    entries.push({ alert: a, parts });
  }
  for (const a of byId.values()) {
    if (a.parts?.length || nested.has(a.id)) continue;
    // A part whose incident is not in the list (filtered out, or already gone) stands on its own.
    entries.push({ alert: a, parts: [] });
  }
  return entries.sort((x, y) => compareAlerts(x.alert, y.alert));
}

export interface AlertFilter {
  district: string | null;
  severity: Severity | null;
  kind: DeviceKind | null;
  cell: string | null;
}

/** Does the alert (or, for an incident, one of its parts) pass the filter? */
export function matchesFilter(entry: FeedEntry, f: AlertFilter, kindOf: (device: string) => DeviceKind | undefined): boolean {
  const all = [entry.alert, ...entry.parts];
  if (f.district && entry.alert.district !== f.district) return false;
  if (f.cell && entry.alert.grid !== f.cell) return false;
  if (f.severity && !all.some((a) => a.severity === f.severity)) return false;
  if (f.kind && !all.some((a) => a.devices.some((d) => kindOf(d) === f.kind))) return false;
  return true;
}

export interface FeedOptions {
  filter: AlertFilter;
  kindOf: (device: string) => DeviceKind | undefined;
  /** Only the signed-in user's cells (the phone view). */
  mineOf?: UserView | null;
}

export function buildFeed(alerts: Iterable<Alert>, o: FeedOptions): FeedEntry[] {
  let list = [...alerts];
  if (o.mineOf !== undefined) list = list.filter((a) => isMine(o.mineOf ?? null, a));
  return groupIncidents(list).filter((e) => matchesFilter(e, o.filter, o.kindOf));
}

/** The worst colour of each cell's live, not suppressed alerts. */
export function worstByCell(alerts: Iterable<Alert>): Map<string, Severity> {
  const out = new Map<string, Severity>();
  for (const a of alerts) {
    if (!isLive(a) || a.suppressed) continue;
    const prev = out.get(a.grid);
    if (!prev || SEVERITY_RANK[a.severity] > SEVERITY_RANK[prev]) out.set(a.grid, a.severity);
  }
  return out;
}

/** Solid colours of China's four warning levels, and translucent fills for map cells. */
export const SEVERITY_COLOR: Record<Severity, string> = {
  red: '#ef4444', orange: '#f97316', yellow: '#eab308', blue: '#3b82f6',
};
export const SEVERITY_FILL: Record<Severity, string> = {
  red: 'rgba(239, 68, 68, 0.82)', orange: 'rgba(249, 115, 22, 0.78)', yellow: 'rgba(234, 179, 8, 0.7)', blue: 'rgba(59, 130, 246, 0.66)',
};
