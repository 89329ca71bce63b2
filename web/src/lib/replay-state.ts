// Replay, pure: the state of the city at a moment of a replayed range, from GET /api/replay's change
// lists (cells), per-frame series (KPIs) and alert transitions; and the scrubber's arithmetic (frames,
// stepping, playing). No Vue. Unit-tested in replay-state.test.ts.
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

/** One frame on: the end of the frame `t` is in, or of the next when `t` is already at its end. */
export function stepForward(r: Replay, t: number): number {
  const i = frameAt(r, t);
  const end = frameEnd(r, i);
  return end > t ? end : frameEnd(r, Math.min(i + 1, r.buckets - 1));
}

/** One frame back: the end of the previous frame, or the start of the range. */
export function stepBack(r: Replay, t: number): number {
  for (let i = frameAt(r, t); i >= 0; i--) if (frameEnd(r, i) < t) return frameEnd(r, i);
  return r.from;
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
 * The alerts as the live feed would have held them at `t`: those open at the start, changed by every
 * transition up to `t`; resolved ones linger for a minute, as they do live.
 */
export function alertsAt(r: Pick<Replay, 'alerts' | 'events'>, t: number): Alert[] {
  const byId = new Map(r.alerts.map((a) => [a.id, a]));
  const n = eventsBy(r, t);
  for (let k = 0; k < n; k++) byId.set(r.events[k]!.alert.id, r.events[k]!.alert);
  return [...byId.values()].filter((a) => a.state !== 'resolved' || (a.resolvedAt ?? a.updatedAt) + RESOLVED_LINGER_MS >= t);
}

/** The transitions up to `t`, newest first, `limit` of them (the replay's event list, paged). */
export function recentEvents(r: Pick<Replay, 'events'>, t: number, limit: number): ReplayAlertEvent[] {
  const n = eventsBy(r, t);
  return r.events.slice(Math.max(0, n - limit), n).reverse();
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

export function frameState(r: Replay, t: number): ReplayFrameState {
  const index = frameAt(r, t);
  const status = cellsAt(r, index);
  const alerts = alertsAt(r, t);
  return {
    index, time: t, alerts,
    map: { time: t, status, alertColour: worstByCell(alerts) },
    kpis: kpisAt(r, index, t, status, alerts),
    events: eventsBy(r, t),
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

const pad = (n: number) => String(n).padStart(2, '0');
/** Epoch ms as a datetime-local input's value (the browser's local time, to the second). */
export function toLocalInput(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
/** A datetime-local input's value as epoch ms (NaN when empty or not a time). */
export function fromLocalInput(value: string): number {
  return /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(value) ? new Date(value).getTime() : Number.NaN;
}

/** A frame's width in words of the locale: "10 sec", "2 min", "1 hr" ("10秒", "2分钟", "1小时"). */
export function formatStep(ms: number, locale: string): string {
  const [value, unit] = ms < 60_000 ? [ms / 1000, 'second'] : ms < 3_600_000 ? [ms / 60_000, 'minute'] : [ms / 3_600_000, 'hour'];
  return new Intl.NumberFormat(locale, { style: 'unit', unit, unitDisplay: 'short', maximumFractionDigits: 1 }).format(value);
}
