// Proves the AlertLog is an append-only SQLite record: events keep their order, the latest state of each alert and maintenance windows survive reopening, and UPDATE/DELETE are refused.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { Alert, AlertEventType } from '@citygrid/contract';
import { AlertLog } from './alert-log.js';
import { MIN, T0, cleanupDirs, tempDir } from './test-fixtures.js';

const logs: AlertLog[] = [];
afterEach(() => {
  for (const log of logs.splice(0)) {
    try {
      log.close();
    } catch {
      // already closed
    }
  }
  cleanupDirs();
});

function openLog(path: string): AlertLog {
  const log = new AlertLog(path);
  logs.push(log);
  return log;
}

function alert(over: Partial<Alert> = {}): Alert {
  return {
    id: 'al-1', rule: 'flood', ruleKind: 'threshold', severity: 'red', key: 'wl-a', devices: ['wl-a'], grid: 'c-a', district: 'east',
    message: 'Flooding: level_cm 35 cm', guidance: 'Close the underpass.', values: { level_cm: 35 }, state: 'firing',
    startedAt: T0, updatedAt: T0, acknowledgedAt: null, acknowledgedBy: null, resolvedAt: null, resolvedBy: null,
    escalation: 0, assignees: ['gw-c-a'], ackDeadline: T0 + 5 * MIN, suppressed: false, reraises: null, partOf: null,
    ...over,
  };
}

function record(log: AlertLog, a: Alert, type: AlertEventType, ts: number, actor = 'system', note: string | null = null) {
  return log.append({ alertId: a.id, ts, type, actor, note, alert: a });
}

describe('AlertLog', () => {
  it('creates its folder and appends events with increasing sequence numbers, read back in order', () => {
    const path = join(tempDir(), 'nested', 'data', 'alerts.db');
    const log = openLog(path);
    expect(existsSync(path)).toBe(true);
    const e1 = record(log, alert({ state: 'pending' }), 'pending', T0);
    const e2 = record(log, alert(), 'firing', T0 + 1000);
    const e3 = record(log, alert({ state: 'acknowledged', acknowledgedBy: 'gw-c-a', acknowledgedAt: T0 + MIN }), 'acknowledged', T0 + MIN, 'gw-c-a', 'on my way');
    record(log, alert({ id: 'al-2', key: 'wl-b' }), 'firing', T0 + 2000);
    expect(e2.seq).toBeGreaterThan(e1.seq);
    expect(e3.seq).toBeGreaterThan(e2.seq);
    expect(e3).toMatchObject({ alertId: 'al-1', type: 'acknowledged', actor: 'gw-c-a', note: 'on my way', ts: T0 + MIN });

    const history = log.history('al-1');
    expect(history.map((e) => e.type)).toEqual(['pending', 'firing', 'acknowledged']);
    expect(history.map((e) => e.seq)).toEqual([e1.seq, e2.seq, e3.seq]);
    expect(history[2]).toEqual(e3);
    expect(history[0]!.note).toBeNull();
    expect(log.history('al-none')).toEqual([]);
  });

  it('gives the latest state of each alert: open ones always, resolved ones since a time', () => {
    const log = openLog(join(tempDir(), 'alerts.db'));
    record(log, alert({ id: 'open-old', startedAt: T0 - 30 * 86_400_000 }), 'firing', T0 - 30 * 86_400_000);
    record(log, alert({ id: 'resolved-new' }), 'firing', T0);
    record(log, alert({ id: 'resolved-new', state: 'resolved', resolvedAt: T0 + MIN, resolvedBy: 'system' }), 'resolved', T0 + MIN);
    record(log, alert({ id: 'resolved-old', startedAt: T0 - 10 * 86_400_000 }), 'firing', T0 - 10 * 86_400_000);
    record(log, alert({ id: 'resolved-old', state: 'resolved', resolvedAt: T0 - 9 * 86_400_000, resolvedBy: 'gw-c-a' }), 'resolved', T0 - 9 * 86_400_000, 'gw-c-a', 'done');
    record(log, alert({ id: 'acked', state: 'acknowledged' }), 'acknowledged', T0 + 2 * MIN);

    const latest = log.latestAlerts(T0 - 7 * 86_400_000);
    const byId = new Map(latest.map((a) => [a.id, a]));
    expect([...byId.keys()].sort()).toEqual(['acked', 'open-old', 'resolved-new']);
    expect(byId.get('resolved-new')?.state).toBe('resolved');
    expect(byId.get('acked')?.state).toBe('acknowledged');
    expect(log.latestAlerts(0).map((a) => a.id).sort()).toEqual(['acked', 'open-old', 'resolved-new', 'resolved-old']);
  });

  it('lists the final state of alerts started in a range', () => {
    const log = openLog(':memory:');
    record(log, alert({ id: 'a', startedAt: T0 }), 'firing', T0);
    record(log, alert({ id: 'a', startedAt: T0, state: 'resolved', resolvedAt: T0 + MIN, resolvedBy: 'system' }), 'resolved', T0 + MIN);
    record(log, alert({ id: 'b', startedAt: T0 + 60 * MIN }), 'firing', T0 + 60 * MIN);
    const found = log.alertsStartedBetween(T0, T0 + 60 * MIN);
    expect(found.map((a) => [a.id, a.state])).toEqual([['a', 'resolved']]);
  });

  it('keeps events and maintenance windows across reopening the file', () => {
    const path = join(tempDir(), 'alerts.db');
    const first = openLog(path);
    record(first, alert(), 'firing', T0);
    first.saveMaintenance({ id: 'mw-1', target: { device: 'wl-a' }, by: 'operator', reason: 'pump repair', from: T0, until: T0 + 60 * MIN });
    first.saveMaintenance({ id: 'mw-2', target: { grid: 'c-b' }, by: 'operator', reason: 'road works', from: T0, until: T0 + 30 * MIN });
    first.close();

    const second = openLog(path);
    expect(second.history('al-1').map((e) => e.type)).toEqual(['firing']);
    expect(second.latestAlerts(0)).toEqual([alert()]);
    expect(second.maintenanceWindows(T0 + MIN)).toEqual([
      { id: 'mw-1', target: { device: 'wl-a' }, by: 'operator', reason: 'pump repair', from: T0, until: T0 + 60 * MIN },
      { id: 'mw-2', target: { grid: 'c-b' }, by: 'operator', reason: 'road works', from: T0, until: T0 + 30 * MIN },
    ]);
    expect(second.maintenanceWindows(T0 + 30 * MIN).map((w) => w.id)).toEqual(['mw-1']);

    second.endMaintenance('mw-1', 'admin', T0 + 10 * MIN);
    expect(second.maintenanceWindows(T0 + 10 * MIN)).toEqual([
      { id: 'mw-2', target: { grid: 'c-b' }, by: 'operator', reason: 'road works', from: T0, until: T0 + 30 * MIN },
    ]);
    expect(second.maintenanceWindows(T0 + 10 * MIN - 1).find((w) => w.id === 'mw-1')?.until).toBe(T0 + 10 * MIN);
  });

  it('refuses UPDATE and DELETE of recorded events at the database level', () => {
    const path = join(tempDir(), 'alerts.db');
    const log = openLog(path);
    record(log, alert(), 'firing', T0);
    const db = new Database(path);
    try {
      expect(() => db.prepare("UPDATE alert_events SET actor = 'someone-else'").run()).toThrow(/append-only/);
      expect(() => db.prepare('DELETE FROM alert_events').run()).toThrow(/append-only/);
    } finally {
      db.close();
    }
    expect(log.history('al-1')).toHaveLength(1);
    expect(log.history('al-1')[0]!.actor).toBe('system');
  });
});
