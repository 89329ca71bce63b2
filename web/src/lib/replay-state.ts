// Replay, pure: the state of the city at a moment of a replayed range, from GET /api/replay's change
// lists (cells), per-frame series (KPIs) and alert transitions; and the scrubber's arithmetic (frames,
// stepping, playing). No Vue. Unit-tested in replay-state.test.ts.
//
// Where the replay stands is a cursor: a time and how many of the transitions are applied. Playing and
// the timeline apply every transition up to the time; stepping goes to the next moment anything shown
// changes (a frame's end, or an alert transition before it), and transitions of the same millisecond
// (a flood alert and the incident it completes) one at a time, in the log's order.
import type { Alert, CellRollUp, ReplayAlertEvent, ReplayResponse, Severity } from '@citygrid/contract';
import { RESOLVED_LINGER_MS } from './alert-buffer';
import { isLive, isOverdue, worstByCell } from './alerts';

export type Replay = ReplayResponse;

/** Speeds the scrubber offers (× real time). */
export const REPLAY_SPEEDS = [1, 5, 10, 30, 60] as const;
export type ReplaySpeed = (typeof REPLAY_SPEEDS)[number];

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** Frame i shows the city at its end: min(to, from + (i+1)·step). */
export function frameEnd(r: Pick<Replay, 'from' | 'to' | 'step'>, i: number): number {
  return Math.min(r.to, r.from + (i + 1) * r.step);
}

/** The frame a moment falls in (a frame's end belongs to it); moments outside the range go to the first or last. */
export function frameAt(r: Pick<Replay, 'from' | 'step' | 'buckets'>, t: number): number {
  return clamp(Math.ceil((t - r.from) / r.step) - 1, 0, r.buckets - 1);
}

/** A replayed moment: the time shown, and how many transitions (oldest first) are applied. */
export interface ReplayCursor { t: number; n: number }

const before = (a: ReplayCursor, b: ReplayCursor) => a.t < b.t || (a.t === b.t && a.n < b.n);

/** The cursor at `t` with every transition up to it applied (playing, the timeline). */
export function cursorAt(r: Pick<Replay, 'events'>, t: number): ReplayCursor {
  return { t, n: eventsBy(r, t) };
}

/**
 * Every moment stepping visits, in order: the start, each frame's end, and each transition (applied,
 * at its time). At most buckets + transitions + 1 of them.
 */
export function moments(r: Replay): ReplayCursor[] {
  const out: ReplayCursor[] = [cursorAt(r, r.from)];
  for (let i = 0; i < r.buckets; i++) out.push(cursorAt(r, frameEnd(r, i)));
  r.events.forEach((e, k) => { if (e.ts >= r.from && e.ts <= r.to) out.push({ t: e.ts, n: k + 1 }); });
  out.sort((a, b) => a.t - b.t || a.n - b.n);
  return out.filter((c, i) => i === 0 || c.t !== out[i - 1]!.t || c.n !== out[i - 1]!.n);
}

/** The first moment after `c` (or the last one). */
export function nextMoment(all: readonly ReplayCursor[], c: ReplayCursor): ReplayCursor {
  return all.find((m) => before(c, m)) ?? all[all.length - 1]!;
}

/** The last moment before `c` (or the first one). */
export function prevMoment(all: readonly ReplayCursor[], c: ReplayCursor): ReplayCursor {
  for (let i = all.length - 1; i >= 0; i--) if (before(all[i]!, c)) return all[i]!;
  return all[0]!;
}

/** Where playing at `speed` for `elapsedMs` of wall time takes the position (never past the end). */
export function advance(r: Pick<Replay, 'from' | 'to'>, t: number, elapsedMs: number, speed: number): number {
  return clamp(t + Math.max(0, elapsedMs) * speed, r.from, r.to);
}

/** Each cell's status in frame i: the last change at or before it. */
export function cellsAt(r: Pick<Replay, 'cells'>, i: number): Map<string, CellRollUp> {
  const out = new Map<string, CellRollUp>();
  for (const [id, changes] of Object.entries(r.cells)) {
    // binary search: the last change with bucket <= i
    let lo = 0;
    let hi = changes.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (changes[mid]![0] <= i) { found = mid; lo = mid + 1; } else hi = mid - 1;
    }
    const c = found >= 0 ? changes[found]! : null;
    out.set(id, c
      ? { condition: c[1], devices: c[2], online: c[3], alarm: c[4], warn: c[5] }
      : { condition: 'none', devices: 0, online: 0, alarm: 0, warn: 0 });
  }
  return out;
}

/** How many of the transitions had happened by `t` (they come oldest first). */
export function eventsBy(r: Pick<Replay, 'events'>, t: number): number {
  let lo = 0;
  let hi = r.events.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (r.events[mid]!.ts <= t) lo = mid + 1; else hi = mid;
  }
  return lo;
}

/**
 * The alerts as the live feed would have held them at the cursor: those open at the start, changed by
 * its first n transitions; resolved ones linger for a minute, as they do live.
 */
export function alertsAt(r: Pick<Replay, 'alerts' | 'events'>, c: ReplayCursor): Alert[] {
  const byId = new Map(r.alerts.map((a) => [a.id, a]));
  for (let k = 0; k < c.n; k++) byId.set(r.events[k]!.alert.id, r.events[k]!.alert);
  return [...byId.values()].filter((a) => a.state !== 'resolved' || (a.resolvedAt ?? a.updatedAt) + RESOLVED_LINGER_MS >= c.t);
}

/** The transitions applied at the cursor, newest first, `limit` of them (the replay's event list, paged). */
export function recentEvents(r: Pick<Replay, 'events'>, c: ReplayCursor, limit: number): ReplayAlertEvent[] {
  return r.events.slice(Math.max(0, c.n - limit), c.n).reverse();
}

export interface ReplayKpis {
  online: { online: number; total: number };
  alerts: Record<Severity, number>;
  /** Readings stored per second over the frame. */
  ingestPerS: number;
  overdue: number;
  cells: { alarm: number; warn: number };
}

/** The header's KPIs at `t` (frame i): as live computes them, from the replayed cells and alerts. */
export function kpisAt(r: Replay, i: number, t: number, cells: Map<string, CellRollUp>, alerts: Alert[]): ReplayKpis {
  const counts: Record<Severity, number> = { red: 0, orange: 0, yellow: 0, blue: 0 };
  for (const a of alerts) if (isLive(a)) counts[a.severity]++;
  let alarm = 0;
  let warn = 0;
  for (const c of cells.values()) {
    if (c.condition === 'alarm') alarm++;
    else if (c.condition === 'warn') warn++;
  }
  return {
    online: { online: r.online[i] ?? 0, total: r.sensors },
    alerts: counts,
    ingestPerS: (r.readings[i] ?? 0) / (r.step / 1000),
    overdue: alerts.filter((a) => isOverdue(a, t)).length,
    cells: { alarm, warn },
  };
}

/** What the map draws for a replayed moment. */
export interface ReplayMapFrame {
  time: number;
  /** "time:transitions": changes whenever what is shown may (two moments can share a time). */
  moment: string;
  status: Map<string, CellRollUp>;
  alertColour: Map<string, Severity>;
}

/** Everything shown at `t`. */
export interface ReplayFrameState {
  index: number;
  time: number;
  map: ReplayMapFrame;
  alerts: Alert[];
  kpis: ReplayKpis;
  /** Transitions that had happened by `t`. */
  events: number;
}

export function frameState(r: Replay, c: ReplayCursor): ReplayFrameState {
  const index = frameAt(r, c.t);
  const status = cellsAt(r, index);
  const alerts = alertsAt(r, c);
  return {
    index, time: c.t, alerts,
    map: { time: c.t, moment: `${c.t}:${c.n}`, status, alertColour: worstByCell(alerts) },
    kpis: kpisAt(r, index, c.t, status, alerts),
    events: c.n,
  };
}

/** A range the dashboard may ask for: from before to, at most `maxMs` long, not in the future. Null when fine, else what is wrong. */
export function rangeProblem(from: number, to: number, now: number, maxMs: number): 'invalid' | 'order' | 'future' | 'tooLong' | null {
  if (!Number.isFinite(from) || !Number.isFinite(to)) return 'invalid';
  if (from >= to) return 'order';
  if (from >= now) return 'future';
  if (Math.min(to, now) - from > maxMs) return 'tooLong';
  return null;
}

