// Scores (考核) per grid cell or district over a period: alerts by colour, median and p90 time to
// acknowledge and to resolve, the share acknowledged within the colour's deadline, and how many were
// handled within their resolve deadline and how many past it.
import { SEVERITIES, type Alert, type Score, type Severity } from '@citygrid/contract';

export type { Score };

/** What a score reads of an alert (the rest is not kept between requests). */
export type ScoredAlert = Pick<Alert, 'id' | 'partOf' | 'grid' | 'district' | 'severity' | 'state' | 'startedAt' | 'acknowledgedAt' | 'resolvedAt' | 'resolvedBy' | 'escalation'
  | 'firedAt' | 'handledAt' | 'resolveDeadline'>;

/** How long one read of the whole alert log serves GET /api/scores (ms: 1 minute). */
export const SCORES_SCAN_TTL_MS = 60_000;

const slim = (a: ScoredAlert): ScoredAlert => ({
  id: a.id, partOf: a.partOf ?? null, grid: a.grid, district: a.district, severity: a.severity, state: a.state, startedAt: a.startedAt,
  acknowledgedAt: a.acknowledgedAt, resolvedAt: a.resolvedAt, resolvedBy: a.resolvedBy, escalation: a.escalation,
  firedAt: a.firedAt ?? null, handledAt: a.handledAt ?? null, resolveDeadline: a.resolveDeadline ?? null,
});

/**
 * Was it handled within its resolve deadline? true / false, or null when not judged: it never fired,
 * it is still inside its deadline, or it cleared by itself before the deadline. Alerts recorded before
 * resolve deadlines existed are judged from when they fired, by the colour's deadline today.
 */
export function handledInTime(a: ScoredAlert, resolveDeadline: (s: Severity) => number, now: number): boolean | null {
  const fired = a.firedAt ?? (a.acknowledgedAt !== null ? a.startedAt : null);
  if (fired === null && a.resolveDeadline == null) return null;
  const due = a.resolveDeadline ?? fired! + resolveDeadline(a.severity);
  const handled = a.handledAt ?? (a.resolvedBy !== 'system' ? a.resolvedAt : null);
  if (handled !== null) return handled <= due;
  if (a.state !== 'resolved') return now > due ? false : null;
  return (a.resolvedAt ?? 0) > due ? false : null;
}

/**
 * The alerts GET /api/scores counts, without reading the whole alert log for every request: one scan
 * of the log (`scan`: final states of every alert) serves all requests for `ttlMs`, overlaid with the
 * live alerts (`live`: the manager's, which include every alert that changed since the server started),
 * so answers stay exact while the log is read at most once per `ttlMs`, whoever asks and how often.
 */
export class ScoreSource {
  private cache: { at: number; alerts: Map<string, ScoredAlert> } | null = null;

  constructor(private readonly o: { scan: () => ScoredAlert[]; live: () => Iterable<ScoredAlert>; ttlMs?: number; now?: () => number }) {}

  /** Alerts started within [from, to), each in its latest state. */
  startedBetween(from: number, to: number): ScoredAlert[] {
    const now = (this.o.now ?? Date.now)();
    if (!this.cache || now - this.cache.at >= (this.o.ttlMs ?? SCORES_SCAN_TTL_MS)) {
      this.cache = { at: now, alerts: new Map(this.o.scan().map((a) => [a.id, slim(a)])) };
    }
    const inRange = (a: ScoredAlert) => a.startedAt >= from && a.startedAt < to;
    const live = new Set<string>();
    const out: ScoredAlert[] = [];
    for (const a of this.o.live()) {
      live.add(a.id);
      if (inRange(a)) out.push(a);
    }
    for (const a of this.cache.alerts.values()) if (!live.has(a.id) && inRange(a)) out.push(a);
    return out;
  }
}

function quantile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return Math.round((sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo)) / 100) / 10;
}

export function computeScores(alerts: ScoredAlert[], by: 'grid' | 'district', deadline: (s: Severity) => number, now: number, resolveDeadline: (s: Severity) => number): Score[] {
  const groups = new Map<string, ScoredAlert[]>();
  for (const a of alerts) {
    if (a.partOf) continue; // grouped parts count once, under their incident
    const id = by === 'grid' ? a.grid : a.district;
    (groups.get(id) ?? groups.set(id, []).get(id)!).push(a);
  }
  const scores: Score[] = [];
  for (const [id, list] of groups) {
    const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
    const ack: number[] = [];
    const res: number[] = [];
    let needed = 0;
    let inTime = 0;
    const resolve = { in: 0, past: 0 };
    for (const a of list) {
      bySeverity[a.severity]++;
      const handled = handledInTime(a, resolveDeadline, now);
      if (handled !== null) resolve[handled ? 'in' : 'past']++;
      if (a.acknowledgedAt !== null) ack.push(a.acknowledgedAt - a.startedAt);
      if (a.resolvedAt !== null) res.push(a.resolvedAt - a.startedAt);
      // an alert that cleared by itself before anyone had to act, or is still inside its deadline, is not judged
      const due = a.startedAt + deadline(a.severity);
      const judged = a.acknowledgedAt !== null || (a.resolvedBy !== 'system' && a.resolvedAt !== null) || (a.state !== 'resolved' && now > due) || (a.resolvedBy === 'system' && (a.resolvedAt ?? 0) > due);
      if (judged) {
        needed++;
        if (a.acknowledgedAt !== null && a.acknowledgedAt <= due) inTime++;
      }
    }
    ack.sort((x, y) => x - y);
    res.sort((x, y) => x - y);
    scores.push({
      id, alerts: list.length, bySeverity, acknowledged: ack.length, resolved: res.length,
      ackMedianS: quantile(ack, 0.5), ackP90S: quantile(ack, 0.9),
      resolveMedianS: quantile(res, 0.5), resolveP90S: quantile(res, 0.9),
      ackedInTime: needed ? Math.round((inTime / needed) * 1000) / 1000 : null,
      escalated: list.filter((a) => a.escalation > 0).length,
      inResolveDeadline: resolve.in, pastResolveDeadline: resolve.past,
      resolvedInTime: resolve.in + resolve.past ? Math.round((resolve.in / (resolve.in + resolve.past)) * 1000) / 1000 : null,
    });
  }
  return scores.sort((x, y) => y.alerts - x.alerts || x.id.localeCompare(y.id));
}
