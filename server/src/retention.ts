// Retention for what names a person (RETAIN_NAMES_DAYS, RETAIN_AUDIT_DAYS, RETAIN_REPORT_TEXT_DAYS
// for residents' report texts, which reports/report-store.ts replaces): the alert log's actors
// and notes are anonymised once older than the period (the alert's history stays whole: its timeline
// still shows each step and when, "by (removed after N days)", with a fixed placeholder for the note),
// and the audit log's entries are removed. Embedded mode rewrites alerts.db and audit.db (alert-log.ts,
// audit-log.ts); cluster mode's alert view anonymises what it serves (bus/cluster-alerts.ts), and
// every replica's audit.db is pruned while the audit stream's max age is the same period.
import type { Alert, AlertHistoryEntry, MaintenanceWindow } from '@citygrid/contract';
import type { Logger } from 'pino';

export const DAY_MS = 86_400_000;

export interface NamesRetention {
  /** RETAIN_NAMES_DAYS in ms. */
  ms: number;
  days: number;
}

/** Who acted, once removed: "(removed after 365 days)". */
export const removedActor = (days: number) => `(removed after ${days} days)`;
/** A note's text, once removed. */
export const removedNote = (days: number) => `(note removed after ${days} days)`;
/** Matches every placeholder note (whatever the period was when it was written). */
export const REMOVED_NOTE_PATTERN = /^\(note removed after \d+ days\)$/;

/** Not a person: kept as it is. */
const keep = (actor: string | null | undefined) => actor === null || actor === undefined || actor === 'system' || actor.startsWith('(removed after ');

/**
 * The alert with the people who acted on it before `cutoff` replaced by the placeholder: each actor
 * field whose own time is older (acknowledged, handled, dispatched, resolved). The same object when
 * nothing is to be removed. Assignees stay: they are the cell's routing from people.yaml, not an act.
 */
export function anonymiseAlert(a: Alert, cutoff: number, days: number): Alert {
  const label = removedActor(days);
  const old = (at: number | null | undefined) => at !== null && at !== undefined && at < cutoff;
  const out: Partial<Pick<Alert, 'acknowledgedBy' | 'resolvedBy' | 'handledBy' | 'dispatchedBy'>> = {};
  if (old(a.acknowledgedAt) && !keep(a.acknowledgedBy)) out.acknowledgedBy = label;
  if (old(a.resolvedAt) && !keep(a.resolvedBy)) out.resolvedBy = label;
  if (old(a.handledAt) && !keep(a.handledBy)) out.handledBy = label;
  if (old(a.dispatchedAt) && !keep(a.dispatchedBy)) out.dispatchedBy = label;
  return Object.keys(out).length ? { ...a, ...out } : a;
}

/** A timeline entry older than `cutoff` without its actor and note text; the same object otherwise. */
export function anonymiseEntry<T extends Pick<AlertHistoryEntry, 'ts' | 'actor' | 'note'>>(e: T, cutoff: number, days: number): T {
  if (e.ts >= cutoff) return e;
  const actor = keep(e.actor) ? e.actor : removedActor(days);
  const note = e.note === null || e.note === undefined || REMOVED_NOTE_PATTERN.test(e.note) ? e.note : removedNote(days);
  return actor === e.actor && note === e.note ? e : { ...e, actor, note };
}

/** A maintenance window that ended before `cutoff` without who made it and why (the reason is their words). */
export function anonymiseWindow(w: MaintenanceWindow, cutoff: number, days: number): MaintenanceWindow {
  if (w.until >= cutoff || keep(w.by)) return w;
  return { ...w, by: removedActor(days), reason: removedNote(days) };
}

/** A retention task run in batches: returns what one batch did, and whether more is left. */
export type RetentionBatch = () => RetentionDone | Promise<RetentionDone>;
export interface RetentionDone { counts: Record<string, number>; more: boolean }

export interface RetentionTask {
  /** For the log and the metric's `store` label: "alerts.db", "audit.db". */
  name: string;
  /** Makes the batch function for this run (computes the cutoff once, at the run's start). */
  start(now: number): RetentionBatch;
}

/**
 * Runs every task now and then every `everyMs`: each in batches, yielding to the event loop between
 * them (never one long transaction), logging what was done, and counting it with `count`.
 */
export function startRetention(o: {
  tasks: RetentionTask[];
  logger: Logger;
  everyMs?: number;
  now?: () => number;
  count?: (store: string, kind: string, n: number) => void;
}): { run(): Promise<void>; stop(): void } {
  const now = o.now ?? Date.now;
  let stopped = false;
  let running: Promise<void> | null = null;
  const yieldNow = () => new Promise<void>((r) => setImmediate(r));

  async function runTask(task: RetentionTask): Promise<void> {
    const batch = task.start(now());
    const total: Record<string, number> = {};
    for (let more = true; more && !stopped;) {
      const done = await batch();
      more = done.more;
      for (const [kind, n] of Object.entries(done.counts)) {
        total[kind] = (total[kind] ?? 0) + n;
        if (n > 0) o.count?.(task.name, kind, n);
      }
      if (more) await yieldNow();
    }
    if (Object.values(total).some((n) => n > 0)) o.logger.info({ store: task.name, ...total }, 'retention: removed names and notes older than their period');
  }

  const run = (): Promise<void> => (running ??= (async () => {
    for (const task of o.tasks) {
      if (stopped) break;
      try {
        await runTask(task);
      } catch (err) {
        o.logger.warn({ err, store: task.name }, 'retention run failed; tried again at the next');
      }
    }
  })().finally(() => { running = null; }));

  const timer = setInterval(() => { void run(); }, o.everyMs ?? 3_600_000);
  timer.unref();
  void run();
  return {
    run,
    stop: () => {
      stopped = true;
      clearInterval(timer);
    },
  };
}
