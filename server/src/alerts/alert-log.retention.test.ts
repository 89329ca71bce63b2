// Proves retention in alerts.db (RETAIN_NAMES_DAYS): events older than the period lose their actor
// and note text (and the people in their copy of the alert), newer ones keep them; the timeline still
// lists every step and when; the history search no longer finds the removed words but still finds
// newer ones; maintenance windows that ended before lose who made them and why; the work is done in
// batches; and an alerts.db written by the earlier version (its triggers refused every update) is
// migrated when opened, then anonymised alike, while the record stays append-only otherwise.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { Alert, AlertEventType } from '@citygrid/contract';
import { DAY_MS } from '../retention.js';
import { AlertLog } from './alert-log.js';
import { cleanupDirs, tempDir } from './test-fixtures.js';

const MIN = 60_000;
// the database refuses to anonymise anything younger than a day by its own clock: real times here
const NOW = Date.now();
const OLD = NOW - 400 * DAY_MS;
const RECENT = NOW - 10 * DAY_MS;
const CUTOFF = NOW - 365 * DAY_MS;
const LABEL = '(removed after 365 days)';
const NOTE = '(note removed after 365 days)';

const logs: AlertLog[] = [];
afterEach(() => {
  for (const log of logs.splice(0)) log.close();
  cleanupDirs();
});
const open = (path: string) => {
  const log = new AlertLog(path);
  logs.push(log);
  return log;
};

function alert(id: string, startedAt: number, over: Partial<Alert> = {}): Alert {
  return {
    id, rule: 'flood', ruleKind: 'threshold', severity: 'red', key: 'wl-a', devices: ['wl-a'], grid: 'c-a', district: 'east',
    message: 'Flooding: level_cm 35 cm', guidance: 'Close the underpass.', values: { level_cm: 35 }, state: 'firing',
    startedAt, updatedAt: startedAt, acknowledgedAt: null, acknowledgedBy: null, resolvedAt: null, resolvedBy: null,
    escalation: 0, assignees: ['gw-c-a'], ackDeadline: startedAt + 5 * MIN, suppressed: false,
    ...over,
  };
}

/** An alert acknowledged and resolved with notes, starting at t. */
function story(log: AlertLog, id: string, t: number, words: { ack: string; done: string }) {
  const a = alert(id, t);
  log.append({ alertId: id, ts: t, type: 'firing', actor: 'system', note: null, alert: a });
  const acked = { ...a, state: 'acknowledged' as const, acknowledgedAt: t + MIN, acknowledgedBy: 'wang-wei' };
  log.append({ alertId: id, ts: t + MIN, type: 'acknowledged', actor: 'wang-wei', note: words.ack, alert: acked });
  const dispatched = { ...acked, dispatchedAt: t + 2 * MIN, dispatchedBy: 'operator', assignees: ['gw-c-b'] };
  log.append({ alertId: id, ts: t + 2 * MIN, type: 'dispatched', actor: 'operator', note: null, alert: dispatched });
  const resolved = { ...dispatched, state: 'resolved' as const, resolvedAt: t + 5 * MIN, resolvedBy: 'li-na' };
  log.append({ alertId: id, ts: t + 5 * MIN, type: 'resolved', actor: 'li-na', note: words.done, alert: resolved });
}

const steps = (log: AlertLog, id: string) => log.history(id).map((e) => [e.type, e.ts - (log.history(id)[0]!.ts), e.actor, e.note]);
const found = (log: AlertLog, text: string) => log.searchHistory({ from: 0, to: NOW + DAY_MS, limit: 50, offset: 0, scope: null, text }).items.map((i) => i.alert.id);

describe('alerts.db retention', () => {
  it('anonymises actors and notes older than the period, keeps newer ones, and the search follows', () => {
    const log = open(join(tempDir(), 'alerts.db'));
    story(log, 'old', OLD, { ack: 'Zhang San from unit 3 called', done: 'pumped out, told Mrs Chen at 138-0000' });
    story(log, 'new', RECENT, { ack: 'crew on the way', done: 'drain cleared by Wang' });
    log.saveMaintenance({ id: 'mw-old', target: { grid: 'c-a' }, by: 'operator', reason: 'Zhang San replaces the sensor', from: OLD, until: OLD + 60 * MIN });
    log.saveMaintenance({ id: 'mw-new', target: { grid: 'c-a' }, by: 'operator', reason: 'new pump', from: RECENT, until: NOW + DAY_MS });
    expect(found(log, 'zhang san'), 'before: the old note is found').toEqual(['old']);

    const r = log.anonymiseBefore(CUTOFF, 365);
    expect(r).toMatchObject({ events: 4, anonymised: 3, notes: 2, windows: 1, more: false });

    // the timeline still lists every step and when, without who and what they wrote
    expect(steps(log, 'old')).toEqual([
      ['firing', 0, 'system', null],
      ['acknowledged', MIN, LABEL, NOTE],
      ['dispatched', 2 * MIN, LABEL, null],
      ['resolved', 5 * MIN, LABEL, NOTE],
    ]);
    const last = log.history('old').at(-1)!.alert;
    expect(last).toMatchObject({ state: 'resolved', acknowledgedAt: OLD + MIN, acknowledgedBy: LABEL, dispatchedBy: LABEL, resolvedBy: LABEL, resolvedAt: OLD + 5 * MIN });
    expect(JSON.stringify(log.history('old'))).not.toMatch(/wang-wei|li-na|operator|Zhang|Chen/);
    expect(log.latestAlerts(0).find((a) => a.id === 'old')).toMatchObject({ acknowledgedBy: LABEL, resolvedBy: LABEL });
    // the newer alert keeps everything
    expect(steps(log, 'new')).toEqual([
      ['firing', 0, 'system', null],
      ['acknowledged', MIN, 'wang-wei', 'crew on the way'],
      ['dispatched', 2 * MIN, 'operator', null],
      ['resolved', 5 * MIN, 'li-na', 'drain cleared by Wang'],
    ]);

    // the search: the removed words are gone from the index, newer ones are found, the alert itself still is
    expect(found(log, 'zhang san')).toEqual([]);
    expect(found(log, 'chen')).toEqual([]);
    expect(found(log, 'drain cleared')).toEqual(['new']);
    expect(found(log, 'flooding').sort()).toEqual(['new', 'old']);
    const item = log.searchHistory({ from: 0, to: NOW, limit: 50, offset: 0, scope: null, rule: 'flood' }).items.find((i) => i.alert.id === 'old')!;
    expect(item).toMatchObject({ notes: 2, lastNote: { ts: OLD + 5 * MIN, actor: LABEL, note: NOTE } });
    expect(log.searchHistory({ from: 0, to: NOW, limit: 50, offset: 0, scope: null, assignee: 'li-na' }).items.map((i) => i.alert.id)).toEqual(['new']);

    // the maintenance window that ended long ago, not the current one
    const raw = new Database(log['db'].name, { readonly: true });
    expect(raw.prepare('SELECT id, by, reason FROM maintenance ORDER BY id').all()).toEqual([
      { id: 'mw-new', by: 'operator', reason: 'new pump' },
      { id: 'mw-old', by: LABEL, reason: NOTE },
    ]);
    raw.close();

    // done once: a second run finds nothing left
    expect(log.anonymiseBefore(CUTOFF, 365)).toMatchObject({ events: 0, anonymised: 0, windows: 0, more: false });
  });

  it('works in batches, oldest first, and says when more are left', () => {
    const log = open(join(tempDir(), 'alerts.db'));
    for (let i = 0; i < 5; i++) story(log, `a${i}`, OLD + i * DAY_MS, { ack: `ack ${i}`, done: `done ${i}` });
    const first = log.anonymiseBefore(CUTOFF, 365, 8);
    expect(first).toMatchObject({ events: 8, more: true });
    expect(steps(log, 'a1')[3]).toEqual(['resolved', 5 * MIN, LABEL, NOTE]);
    expect(steps(log, 'a2')[3]).toEqual(['resolved', 5 * MIN, 'li-na', 'done 2']);
    expect(log.anonymiseBefore(CUTOFF, 365, 8)).toMatchObject({ events: 8, more: true });
    expect(log.anonymiseBefore(CUTOFF, 365, 8)).toMatchObject({ events: 4, more: false });
    expect(found(log, 'done')).toEqual([]);
  });

  it('stays append-only: recent events, and an event already anonymised, cannot be rewritten; nothing can be deleted', () => {
    const path = join(tempDir(), 'alerts.db');
    const log = open(path);
    story(log, 'old', OLD, { ack: 'a', done: 'b' });
    story(log, 'new', NOW - 60 * MIN, { ack: 'c', done: 'd' });
    log.anonymiseBefore(CUTOFF, 365);
    const raw = new Database(path);
    const refused = /append-only/;
    expect(() => raw.prepare("UPDATE alert_events SET note = 'edited', anonymised_at = 1 WHERE alert_id = 'new'").run()).toThrow(refused);
    expect(() => raw.prepare("UPDATE alert_events SET note = 'edited' WHERE alert_id = 'old'").run()).toThrow(refused);
    expect(() => raw.prepare("UPDATE alert_events SET note = 'edited', anonymised_at = 2 WHERE alert_id = 'old'").run()).toThrow(refused);
    expect(() => raw.prepare('DELETE FROM alert_events').run()).toThrow(refused);
    raw.close();
  });
});

// alerts.db as the previous version wrote it (its SCHEMA and the history index's, user_version 1),
// verbatim: every update and deletion refused by its triggers
const OLD_SCHEMA = `
CREATE TABLE IF NOT EXISTS alert_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, alert_id TEXT NOT NULL, ts INTEGER NOT NULL, type TEXT NOT NULL,
  actor TEXT NOT NULL, note TEXT, alert TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alert_events_alert ON alert_events (alert_id, seq);
CREATE INDEX IF NOT EXISTS alert_events_ts ON alert_events (ts);
CREATE TRIGGER IF NOT EXISTS alert_events_no_update BEFORE UPDATE ON alert_events BEGIN SELECT RAISE(ABORT, 'alert events are append-only'); END;
CREATE TRIGGER IF NOT EXISTS alert_events_no_delete BEFORE DELETE ON alert_events BEGIN SELECT RAISE(ABORT, 'alert events are append-only'); END;
CREATE TABLE IF NOT EXISTS maintenance (
  id TEXT PRIMARY KEY, target TEXT NOT NULL, by TEXT NOT NULL, reason TEXT NOT NULL, "from" INTEGER NOT NULL, until INTEGER NOT NULL,
  ended_by TEXT, ended_at INTEGER
);
CREATE TABLE IF NOT EXISTS alert_history (
  alert_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, started_at INTEGER NOT NULL,
  grid TEXT NOT NULL, district TEXT NOT NULL, severity TEXT NOT NULL, rule TEXT NOT NULL, rule_kind TEXT NOT NULL, state TEXT NOT NULL,
  assignees TEXT NOT NULL, people TEXT NOT NULL,
  words TEXT NOT NULL, notes_text TEXT NOT NULL DEFAULT '',
  note_count INTEGER NOT NULL DEFAULT 0, last_note_ts INTEGER, last_note_actor TEXT, last_note TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS alert_history_started ON alert_history (started_at DESC, alert_id DESC);
PRAGMA user_version = 1;
`;

describe('an alerts.db written by the previous version', () => {
  it('is migrated when opened: its events load as they were, then are anonymised like new ones', () => {
    const path = join(tempDir(), 'alerts.db');
    const old = new Database(path);
    old.exec(OLD_SCHEMA);
    const insert = old.prepare('INSERT INTO alert_events (alert_id, ts, type, actor, note, alert) VALUES (?, ?, ?, ?, ?, ?)');
    const a = alert('legacy', OLD);
    const acked = { ...a, state: 'acknowledged' as const, acknowledgedAt: OLD + MIN, acknowledgedBy: 'wang-wei' };
    insert.run('legacy', OLD, 'firing', 'system', null, JSON.stringify(a));
    insert.run('legacy', OLD + MIN, 'acknowledged', 'wang-wei', 'Zhang San let us in', JSON.stringify(acked));
    insert.run('recent', RECENT, 'firing', 'system', null, JSON.stringify(alert('recent', RECENT)));
    // the old index rows, as the old code kept them
    old.prepare(`INSERT INTO alert_history VALUES ('legacy', 2, ?, 'c-a', 'east', 'red', 'flood', 'threshold', 'acknowledged', '|gw-c-a|', '|gw-c-a|wang-wei|', 'flooding', 'zhang san let us in', 1, ?, 'wang-wei', 'Zhang San let us in')`).run(OLD, OLD + MIN);
    old.prepare(`INSERT INTO alert_history VALUES ('recent', 3, ?, 'c-a', 'east', 'red', 'flood', 'threshold', 'firing', '|gw-c-a|', '|gw-c-a|', 'flooding', '', 0, NULL, NULL, NULL)`).run(RECENT);
    expect(() => old.prepare("UPDATE alert_events SET note = 'x'").run()).toThrow(/append-only/);
    old.close();

    const log = open(path);
    expect(steps(log, 'legacy')).toEqual([['firing', 0, 'system', null], ['acknowledged', MIN, 'wang-wei', 'Zhang San let us in']]);
    expect(found(log, 'zhang san')).toEqual(['legacy']);
    expect(log.anonymiseBefore(CUTOFF, 365)).toMatchObject({ events: 2, anonymised: 1, notes: 1 });
    expect(steps(log, 'legacy')).toEqual([['firing', 0, 'system', null], ['acknowledged', MIN, LABEL, NOTE]]);
    expect(log.history('legacy')[1]!.alert.acknowledgedBy).toBe(LABEL);
    expect(found(log, 'zhang san')).toEqual([]);
    expect(log.latestAlerts(0).map((x) => x.id).sort()).toEqual(['legacy', 'recent']);
    log.close();
    logs.length = 0;
    // opened again: migrated once, nothing undone
    const again = open(path);
    expect(steps(again, 'legacy')[1]).toEqual(['acknowledged', MIN, LABEL, NOTE]);
    append(again);
  });
});

function append(log: AlertLog) {
  const e = log.append({ alertId: 'later', ts: NOW, type: 'firing' as AlertEventType, actor: 'system', note: null, alert: alert('later', NOW) });
  expect(e.seq).toBeGreaterThan(3);
}
