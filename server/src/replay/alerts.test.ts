// Proves replay's alert sources: from the alert log (npm start) and from the cluster view's journal,
// the alerts open at the range's start are given as they were then (not as they are now), resolved
// ones are left out, and the transitions in the range come in order without the periodic updates.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Alert, AlertEvent, AlertEventType } from '@citygrid/contract';
import { AlertLog } from '../alerts/alert-log.js';
import { localReplaySource, ReplayJournal, type ReplayAlertSource } from './alerts.js';

const T0 = Date.UTC(2026, 4, 1, 8, 0);
const MIN = 60_000;

function alert(id: string, over: Partial<Alert> = {}): Alert {
  return {
    id, rule: 'flood', ruleKind: 'threshold', severity: 'orange', key: `wl-${id}`, devices: [`wl-${id}`], grid: 'c-a', district: 'east',
    message: 'Flooding', guidance: 'Close the underpass.', values: { level_cm: 35 }, state: 'firing',
    startedAt: T0, updatedAt: T0, acknowledgedAt: null, acknowledgedBy: null, resolvedAt: null, resolvedBy: null,
    escalation: 0, assignees: ['gw-c-a'], ackDeadline: T0 + 15 * MIN, suppressed: false,
    ...over,
  };
}

/**
 * The story both sources are given: A fires before the range and is acknowledged in it; B fires and
 * is resolved before the range; C is acknowledged before the range and resolved in it; D fires in the
 * range (with a value update in between). The range is [T0 + 10 min, T0 + 20 min].
 */
function story(): Omit<AlertEvent, 'seq'>[] {
  const e = (a: Alert, type: AlertEventType, ts: number): Omit<AlertEvent, 'seq'> => ({ alertId: a.id, ts, type, actor: type === 'acknowledged' ? 'operator' : 'system', note: null, alert: { ...a, updatedAt: ts } });
  return [
    e(alert('A'), 'firing', T0),
    e(alert('B', { severity: 'yellow' }), 'firing', T0 + MIN),
    e(alert('C', { severity: 'red' }), 'firing', T0 + 2 * MIN),
    e(alert('B', { severity: 'yellow', state: 'resolved', resolvedAt: T0 + 3 * MIN }), 'resolved', T0 + 3 * MIN),
    e(alert('C', { severity: 'red', state: 'acknowledged', acknowledgedBy: 'operator' }), 'acknowledged', T0 + 4 * MIN),
    e(alert('A', { values: { level_cm: 38 } }), 'updated', T0 + 5 * MIN),
    e(alert('D', { severity: 'yellow', startedAt: T0 + 11 * MIN }), 'firing', T0 + 11 * MIN),
    e(alert('A', { state: 'acknowledged', acknowledgedBy: 'operator' }), 'acknowledged', T0 + 12 * MIN),
    e(alert('D', { severity: 'yellow', values: { level_cm: 31 } }), 'updated', T0 + 13 * MIN),
    e(alert('C', { severity: 'red', state: 'resolved', resolvedAt: T0 + 14 * MIN }), 'resolved', T0 + 14 * MIN),
    e(alert('D', { severity: 'yellow', state: 'resolved' }), 'resolved', T0 + 25 * MIN),
  ];
}

const logs: AlertLog[] = [];
afterEach(() => { for (const l of logs.splice(0)) l.close(); });

/** The story, recorded in a fresh alert log and a cluster journal; `which` picks the source read back. */
function sourceOf(which: 'alert log' | 'cluster journal'): ReplayAlertSource {
  const log = new AlertLog(':memory:');
  logs.push(log);
  const journal = new ReplayJournal();
  for (const e of story()) journal.add(log.append(e));
  // open now: A (acknowledged, never resolved)
  const manager = { list: () => [alert('A', { state: 'acknowledged' })] };
  return which === 'alert log' ? localReplaySource({ log, manager: manager as never }) : journal;
}

describe.each(['alert log', 'cluster journal'] as const)('replay alerts from the %s', (which) => {
  let source: ReplayAlertSource;
  beforeEach(() => { source = sourceOf(which); });
  const from = T0 + 10 * MIN;
  const to = T0 + 20 * MIN;

  it('gives the alerts open at the start as they were then, and leaves out those resolved before it', () => {
    const { open } = source.replay(from, to, 100);
    const byId = new Map(open.map((a) => [a.id, a]));
    expect([...byId.keys()].sort()).toEqual(['A', 'C']);
    expect(byId.get('A')!.state).toBe('firing'); // acknowledged only later, within the range
    expect(byId.get('C')!.state).toBe('acknowledged');
  });

  it('lists the transitions in the range in order, without value updates, each with the alert after it', () => {
    const { events } = source.replay(from, to, 100);
    expect(events.map((e) => `${e.alertId}:${e.type}`)).toEqual(['D:firing', 'A:acknowledged', 'C:resolved']);
    expect(events[1]!.alert).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'operator' });
  });

  it('stops one past the limit, so the caller can tell the range holds more', () => {
    expect(source.replay(from, to, 1).events).toHaveLength(2);
  });
});

it('the alert log source also considers alerts open now that had no event since the start', () => {
  const log = new AlertLog(':memory:');
  logs.push(log);
  const old = alert('Z', { startedAt: T0 - 60 * MIN });
  log.append({ alertId: 'Z', ts: T0 - 60 * MIN, type: 'firing', actor: 'system', note: null, alert: old });
  const withManager = localReplaySource({ log, manager: { list: () => [old] } as never });
  const without = localReplaySource({ log, manager: { list: () => [] } as never });
  expect(withManager.replay(T0, T0 + MIN, 10).open.map((a) => a.id)).toEqual(['Z']);
  expect(without.replay(T0, T0 + MIN, 10).open).toEqual([]); // the control: found through the manager only
});
