// Replay's alerts: the alerts open at the range's start as they were then, and every transition in the
// range with the alert as it was after it. `npm start` reads them from the alert log (alerts.db); a
// cluster replica from its view of the alert stream, which keeps each transition's copy in a
// ReplayJournal. The periodic 'updated' events (a moving value, at most every 30 s) are left out: a
// replayed alert shows the values of its last transition.
import type { Alert, AlertEvent } from '@citygrid/contract';
import type { Alerting } from '../alerts/index.js';

export interface ReplayAlerts {
  /** Alerts open at `from` (any state but resolved); transitions with from <= ts <= to in order, at most `max` + 1 of them. */
  open: Alert[];
  events: AlertEvent[];
}

export interface ReplayAlertSource {
  replay(from: number, to: number, max: number): ReplayAlerts;
}

/** Every event type but the periodic value refresh. */
export const isTransition = (e: Pick<AlertEvent, 'type'>) => e.type !== 'updated';

/** `npm start`: the alert log and the manager's open alerts. */
export function localReplaySource({ log, manager }: Pick<Alerting, 'log' | 'manager'>): ReplayAlertSource {
  return {
    replay(from, to, max) {
      // open at `from`: still open now, or touched since (resolved after it); each as it was before `from`
      const candidates = new Set([...manager.list({ active: true, limit: Number.MAX_SAFE_INTEGER }).map((a) => a.id), ...log.alertIdsSince(from)]);
      const open: Alert[] = [];
      for (const id of candidates) {
        const then = log.alertBefore(id, from);
        if (then && then.state !== 'resolved') open.push(then);
      }
      return { open, events: log.transitionsBetween(from, to, max + 1) };
    },
  };
}

/**
 * Cluster mode: the alert stream's transitions with their copies, per alert (the view's history keeps
 * events without them). Bounded like the view's history: the newest `perAlert` of each alert.
 */
export class ReplayJournal implements ReplayAlertSource {
  private readonly byAlert = new Map<string, AlertEvent[]>();

  constructor(private readonly perAlert = 100) {}

  add(event: AlertEvent): void {
    if (!isTransition(event)) return;
    const list = this.byAlert.get(event.alertId) ?? this.byAlert.set(event.alertId, []).get(event.alertId)!;
    list.push(event);
    if (list.length > this.perAlert) list.splice(0, list.length - this.perAlert);
  }

  replay(from: number, to: number, max: number): ReplayAlerts {
    const open: Alert[] = [];
    const events: AlertEvent[] = [];
    for (const list of this.byAlert.values()) {
      let before: AlertEvent | undefined;
      for (const e of list) {
        if (e.ts < from) before = e;
        else if (e.ts <= to) events.push(e);
      }
      if (before && before.alert.state !== 'resolved') open.push(before.alert);
    }
    events.sort((a, b) => a.ts - b.ts); // stable: an alert's own events keep the stream's order
    return { open, events: events.slice(0, max + 1) };
  }
}
