// The live alert set: a snapshot from GET /api/alerts plus `alert` socket events, buffered and
// applied in batches. Several events for one alert inside a batch coalesce to the newest; arrivals
// (an alert newly firing) are reported once each, for the sound and the map's pulse. Pure: no Vue.
import type { Alert, AlertSocketEvent } from '@citygrid/contract';

/** Resolved alerts stay visible (faded) this long so people see the result of their action. */
export const RESOLVED_LINGER_MS = 60_000; // 1 minute

const ARRIVAL_EVENTS = new Set<AlertSocketEvent['event']>(['firing', 'reopened']);

export interface FlushResult { changed: boolean; arrivals: Alert[] }

export function createAlertBuffer() {
  let byId = new Map<string, Alert>();
  const pending = new Map<string, AlertSocketEvent>();
  const arrived = new Map<string, Alert>();

  /** Newer wins; on a tie the later arrival (events are emitted in order). */
  const newer = (next: Alert, prev: Alert | undefined) => !prev || next.updatedAt >= prev.updatedAt;

  return {
    get size() { return byId.size; },
    /** Events waiting for the next batch. */
    get buffered() { return pending.size; },
    get: (id: string) => byId.get(id),
    values: () => byId.values(),

    push(ev: AlertSocketEvent): void {
      const prev = pending.get(ev.alert.id);
      if (newer(ev.alert, prev?.alert)) pending.set(ev.alert.id, ev);
      if (ARRIVAL_EVENTS.has(ev.event) && !ev.alert.suppressed) arrived.set(ev.alert.id, ev.alert);
    },

    /** A fresh snapshot of the open alerts: replaces them; resolved ones linger; buffered newer events still apply. */
    reset(alerts: Alert[]): void {
      const next = new Map(alerts.map((a) => [a.id, a]));
      for (const [id, a] of byId) if (a.state === 'resolved' && !next.has(id)) next.set(id, a);
      byId = next;
    },

    flush(now: number): FlushResult {
      let changed = false;
      for (const ev of pending.values()) {
        if (!newer(ev.alert, byId.get(ev.alert.id))) continue;
        byId.set(ev.alert.id, ev.alert);
        changed = true;
      }
      pending.clear();
      const arrivals = [...arrived.values()].filter((a) => byId.get(a.id)?.state !== 'resolved');
      arrived.clear();
      return { changed: this.prune(now) || changed, arrivals };
    },

    /** Drops resolved alerts after their linger time; true when something went. */
    prune(now: number): boolean {
      let removed = false;
      for (const [id, a] of byId) {
        if (a.state === 'resolved' && (a.resolvedAt ?? a.updatedAt) + RESOLVED_LINGER_MS < now) {
          byId.delete(id);
          removed = true;
        }
      }
      return removed;
    },
  };
}

export type AlertBuffer = ReturnType<typeof createAlertBuffer>;
