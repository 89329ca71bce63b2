// What the REST API reads and does with alerts, one interface for both modes: `npm start` answers
// from its own alert manager and log; a cluster replica from the city-wide alert stream, sending
// actions to the replica that owns the alert's cell (bus/cluster-alerts.ts).
import type { Alert, AlertEvent, MaintenanceWindow } from '@citygrid/contract';
import type { Alerting } from './index.js';

export interface AlertFilter { active: boolean; grid?: string; district?: string; severity?: string; limit: number }

export interface AlertService {
  /** Newest first. */
  list(filter: AlertFilter): Alert[];
  get(id: string): Alert | undefined;
  /** The alert's events, oldest first, without the alert copies. */
  history(id: string): Omit<AlertEvent, 'alert'>[];
  /** Every alert known, for the scores. */
  all(): Alert[];
  /** Rejects with AlertActionError (not found, resolved, note required) as the manager does. */
  acknowledge(id: string, actor: string, note: string | null, now: number): Promise<Alert>;
  resolve(id: string, actor: string, note: string, now: number): Promise<Alert>;
  addMaintenance(w: Omit<MaintenanceWindow, 'id'>, now: number): Promise<MaintenanceWindow>;
  endMaintenance(id: string, by: string, now: number): Promise<boolean>;
  listMaintenance(now: number): MaintenanceWindow[];
}

/** One process: the manager and its log. */
export function localAlertService(alerting: Alerting): AlertService {
  const { manager, log } = alerting;
  return {
    list: (filter) => manager.list(filter),
    get: (id) => manager.get(id),
    history: (id) => log.history(id).map(({ alert: _a, ...e }) => e),
    all: () => log.alertsStartedBetween(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY),
    acknowledge: async (id, actor, note, now) => manager.acknowledge(id, actor, note, now),
    resolve: async (id, actor, note, now) => manager.resolve(id, actor, note, now),
    addMaintenance: async (w, now) => manager.addMaintenance(w, now),
    endMaintenance: async (id, by, now) => manager.endMaintenance(id, by, now),
    listMaintenance: (now) => manager.listMaintenance(now),
  };
}
