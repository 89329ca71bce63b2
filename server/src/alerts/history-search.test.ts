// Proves the history search says the same in both modes: alerts.db's index (SQL, npm start) and a
// cluster view (history-search.ts, in memory) give the same pages in the same order (newest start
// first), each filter narrows, a scope keeps a grid worker to their part, a keyset continues where a
// page ended, notes are searched and counted from the events, and an older alerts.db gets its index.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { Alert, AlertEventType } from '@citygrid/contract';
import { AlertLog } from './alert-log.js';
import { candidatesFromView, searchHistory, type HistoryCandidate, type HistoryQuery } from './history-search.js';
import { MIN, T0, cleanupDirs, tempDir } from './test-fixtures.js';

const logs: AlertLog[] = [];
afterEach(() => {
  for (const log of logs.splice(0)) log.close();
  cleanupDirs();
});

function alert(id: string, startedAt: number, over: Partial<Alert> = {}): Alert {
  return {
    id, rule: 'flood', ruleKind: 'threshold', severity: 'red', key: 'wl-a', devices: ['wl-a'], grid: 'c-a', district: 'east',
    message: 'Flooding: level_cm 35 cm', guidance: 'Close the underpass.', values: { level_cm: 35 }, state: 'firing',
    startedAt, updatedAt: startedAt, acknowledgedAt: null, acknowledgedBy: null, resolvedAt: null, resolvedBy: null,
    escalation: 0, assignees: ['gw-c-a'], ackDeadline: startedAt + 5 * MIN, suppressed: false,
    ...over,
  };
}

type Step = [AlertEventType, number, string, string | null, Partial<Alert>];
interface Story { first: Alert; steps: Step[] }

/** Five alerts that differ in every filter, and their events (the last state is the alert's). */
const STORIES: Story[] = [
  { first: alert('a1', T0), steps: [['acknowledged', T0 + MIN, 'gw-c-a', 'on my way', { state: 'acknowledged', acknowledgedBy: 'gw-c-a' }], ['resolved', T0 + 5 * MIN, 'gw-c-a', 'pump started', { state: 'resolved', resolvedBy: 'gw-c-a' }]] },
  { first: alert('a2', T0 + 10 * MIN, { severity: 'blue', ruleKind: 'absence', rule: 'silent', grid: 'c-c', district: 'west', assignees: ['gw-c-c'], message: 'Device silent: no data for 5 min' }), steps: [] },
  { first: alert('a3', T0 + 20 * MIN, { severity: 'yellow', rule: 'rising' }), steps: [['escalated', T0 + 30 * MIN, 'system', 'not acknowledged in time', { escalation: 1, assignees: ['sup-east'] }]] },
  { first: alert('a4', T0 + 20 * MIN, { grid: 'c-b', assignees: ['gw-c-b'] }), steps: [['handled', T0 + 25 * MIN, 'gw-c-b', '井盖已复位', { state: 'handled', handledBy: 'gw-c-b' }]] },
  // started before the range: its late event must not bring it in
  { first: alert('a0', T0 - 60 * MIN), steps: [['resolved', T0 + 40 * MIN, 'operator', 'closed by hand', { state: 'resolved', resolvedBy: 'operator' }]] },
];

function sqliteSource(path = ':memory:'): AlertLog {
  const log = new AlertLog(path);
  logs.push(log);
  for (const s of STORIES) {
    let a = s.first;
    log.append({ alertId: a.id, ts: a.startedAt, type: 'firing', actor: 'system', note: null, alert: a });
    for (const [type, ts, actor, note, change] of s.steps) {
      a = { ...a, ...change, updatedAt: ts };
      log.append({ alertId: a.id, ts, type, actor, note, alert: a });
    }
  }
  return log;
}

function viewSource(): (range: { from: number; to: number }) => HistoryCandidate[] {
  const alerts = new Map<string, Alert>();
  const events = new Map<string, { ts: number; actor: string; note: string | null }[]>();
  for (const s of STORIES) {
    let a = s.first;
    events.set(a.id, [{ ts: a.startedAt, actor: 'system', note: null }]);
    for (const [, ts, actor, note, change] of s.steps) {
      a = { ...a, ...change, updatedAt: ts };
      events.get(a.id)!.push({ ts, actor, note });
    }
    alerts.set(a.id, a);
  }
  return (range) => candidatesFromView(alerts.values(), (id) => events.get(id) ?? [], range);
}

const base: HistoryQuery = { from: T0, to: T0 + 60 * MIN, scope: null, offset: 0, limit: 50 };

describe.each([
  ['alerts.db (SQLite)', () => { const log = sqliteSource(); return (q: HistoryQuery) => log.searchHistory(q); }],
  ['a cluster view (memory)', () => { const view = viewSource(); return (q: HistoryQuery) => searchHistory(view(q), q); }],
] as const)('history search over %s', (_name, make) => {
  const ids = (search: (q: HistoryQuery) => ReturnType<typeof searchHistory>, over: Partial<HistoryQuery>) => search({ ...base, ...over }).items.map((i) => i.alert.id);

  it('lists the alerts started in the range, newest first (ties by id, descending), with their latest state', () => {
    const search = make();
    const page = search(base);
    expect(page.total).toBe(4);
    expect(page.items.map((i) => i.alert.id)).toEqual(['a4', 'a3', 'a2', 'a1']);
    expect(page.items.find((i) => i.alert.id === 'a1')!.alert.state).toBe('resolved');
  });

  it('narrows by each filter', () => {
    const search = make();
    expect(ids(search, { district: 'west' })).toEqual(['a2']);
    expect(ids(search, { grid: 'c-b' })).toEqual(['a4']);
    expect(ids(search, { severity: 'yellow' })).toEqual(['a3']);
    expect(ids(search, { ruleKind: 'absence' })).toEqual(['a2']);
    expect(ids(search, { rule: 'rising' })).toEqual(['a3']);
    expect(ids(search, { state: 'handled' })).toEqual(['a4']);
    expect(ids(search, { assignee: 'sup-east' })).toEqual(['a3']); // assigned now
    expect(ids(search, { assignee: 'gw-c-b' })).toEqual(['a4']); // handled it
    expect(ids(search, { text: 'PUMP' })).toEqual(['a1']); // a note, any case
    expect(ids(search, { text: '复位' })).toEqual(['a4']); // a Chinese note
    expect(ids(search, { text: 'silent' })).toEqual(['a2']); // the message
    expect(ids(search, { from: T0 - 2 * 60 * MIN, to: T0 })).toEqual(['a0']);
    expect(ids(search, { scope: { grids: ['c-a'], districts: [], username: 'gw-c-a' } })).toEqual(['a3', 'a1']);
    expect(ids(search, { scope: { grids: [], districts: ['west'], username: 'sup-west' } })).toEqual(['a2']);
    expect(ids(search, { scope: { grids: ['c-c'], districts: [], username: 'sup-east' } })).toEqual(['a3', 'a2']); // assigned to them elsewhere
    expect(ids(search, { severity: 'red', state: 'resolved', text: 'pump', grid: 'c-a' })).toEqual(['a1']); // together
    expect(ids(search, { severity: 'red', state: 'firing', text: 'pump' })).toEqual([]);
  });

  it('pages by offset and by keyset, and counts people\'s notes', () => {
    const search = make();
    const first = search({ ...base, limit: 2 });
    expect([first.total, first.items.map((i) => i.alert.id)]).toEqual([4, ['a4', 'a3']]);
    expect(ids(search, { offset: 2, limit: 2 })).toEqual(['a2', 'a1']);
    const last = first.items[1]!.alert;
    expect(ids(search, { after: { startedAt: last.startedAt, id: last.id }, count: false })).toEqual(['a2', 'a1']);
    const a1 = search({ ...base, rule: 'flood', text: 'pump' }).items[0]!;
    expect([a1.notes, a1.lastNote]).toEqual([2, { ts: T0 + 5 * MIN, actor: 'gw-c-a', note: 'pump started' }]);
    expect(search({ ...base, rule: 'rising' }).items[0]).toMatchObject({ notes: 0, lastNote: null }); // the system's note is not counted
  });
});

it('indexes an alerts.db written before the history index existed, once, from its events', () => {
  const path = join(tempDir(), 'alerts.db');
  sqliteSource(path).close();
  logs.length = 0;
  const raw = new Database(path);
  raw.exec('DROP TABLE alert_history');
  raw.pragma('user_version = 0');
  raw.close();
  const reopened = new AlertLog(path);
  logs.push(reopened);
  const page = reopened.searchHistory({ ...base, text: 'pump' });
  expect(page.items.map((i) => [i.alert.id, i.alert.state, i.notes])).toEqual([['a1', 'resolved', 2]]);
  expect(reopened.searchHistory(base).total).toBe(4);
});
