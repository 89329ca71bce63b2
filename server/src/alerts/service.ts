// What the REST API reads and does with alerts, one interface for both modes: `npm start` answers
// from its own alert manager and log; a cluster replica from the city-wide alert stream, sending
// actions to the replica that owns the alert's cell (bus/cluster-alerts.ts).
import type { Alert, AlertEvent, AlertHistoryEntry, MaintenanceWindow } from '@citygrid/contract';
import type { HistoryPage, HistoryQuery } from './history-search.js';
import type { Alerting } from './index.js';

/** An alert's page shows at most this many events: how it began, and what happened lately. */
export const HISTORY_FIRST = 100;
export const HISTORY_LAST = 400;

/** The history, bounded: the first HISTORY_FIRST and the latest HISTORY_LAST events, and how many were left out. */
export function boundHistory<T>(all: T[]): { history: T[]; omitted?: number } {
  if (all.length <= HISTORY_FIRST + HISTORY_LAST) return { history: all };
  return { history: [...all.slice(0, HISTORY_FIRST), ...all.slice(-HISTORY_LAST)], omitted: all.length - HISTORY_FIRST - HISTORY_LAST };
}

/** An event as an alert's history shows it: without the alert's copy, with whom it went to when it moved. */
export function historyEntry({ alert, ...event }: AlertEvent): AlertHistoryEntry {
  const { alertId: _id, ...entry } = event;
  return event.type === 'dispatched' || event.type === 'escalated' ? { ...entry, to: [...alert.assignees] } : entry;
}

export interface AlertFilter { active: boolean; grid?: string; district?: string; severity?: string; limit: number }

export interface AlertService {
  /** Newest first. */
  list(filter: AlertFilter): Alert[];
  get(id: string): Alert | undefined;
  /** The alert's events, oldest first, without the alert copies. */
  history(id: string): AlertHistoryEntry[];
  /** Every alert known, for the scores. */
  all(): Alert[];
  /** Past alerts by the history page's filters: a page and how many match (history-search.ts). */
  search(q: HistoryQuery): HistoryPage;
  /** Rejects with AlertActionError (not found, resolved, note required) as the manager does. */
  acknowledge(id: string, actor: string, note: string | null, now: number): Promise<Alert>;
  resolve(id: string, actor: string, note: string, now: number): Promise<Alert>;
  /** The assignee's "done" (handled, awaiting verification, or resolved for colours nobody verifies). */
  handle(id: string, actor: string, note: string, now: number): Promise<Alert>;
  verify(id: string, actor: string, note: string | null, now: number): Promise<Alert>;
  sendBack(id: string, actor: string, note: string, now: number): Promise<Alert>;
  dispatch(id: string, actor: string, to: string, note: string | null, now: number): Promise<Alert>;
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
    history: (id) => log.history(id).map(historyEntry),
    all: () => log.alertsStartedBetween(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY),
    search: (q) => log.searchHistory(q),
    acknowledge: async (id, actor, note, now) => manager.acknowledge(id, actor, note, now),
    resolve: async (id, actor, note, now) => manager.resolve(id, actor, note, now),
    handle: async (id, actor, note, now) => manager.handle(id, actor, note, now),
    verify: async (id, actor, note, now) => manager.verify(id, actor, note, now),
    sendBack: async (id, actor, note, now) => manager.sendBack(id, actor, note, now),
    dispatch: async (id, actor, to, note, now) => manager.dispatch(id, actor, to, note, now),
    addMaintenance: async (w, now) => manager.addMaintenance(w, now),
    endMaintenance: async (id, by, now) => manager.endMaintenance(id, by, now),
    listMaintenance: (now) => manager.listMaintenance(now),
  };
}
