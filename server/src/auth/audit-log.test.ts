// Proves the audit log records entries newest first, filters by user and action, pages with before,
// and refuses edits and deletions in the database itself (but retention's, RETAIN_AUDIT_DAYS: entries
// older than the period are removed, newer kept, in batches, in a file of the previous version too).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { AuditLog } from './audit-log.js';

const DAY = 86_400_000;

const dir = mkdtempSync(join(tmpdir(), 'citygrid-audit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('AuditLog', () => {
  it('lists entries newest first, filtered, and refuses UPDATE and DELETE', () => {
    let now = 1000;
    const path = join(dir, 'audit.db');
    const log = new AuditLog(path, () => now++);
    log.record({ user: 'operator', action: 'login' });
    log.record({ user: 'operator', action: 'acknowledge', target: 'al-1', note: 'on my way' });
    log.record({ user: 'gw-1', action: 'resolve', target: 'al-1', note: 'pump started' });
    expect(log.list({ limit: 10 }).map((e) => e.action)).toEqual(['resolve', 'acknowledge', 'login']);
    expect(log.list({ limit: 10, user: 'operator' }).map((e) => e.seq)).toEqual([2, 1]);
    expect(log.list({ limit: 10, action: 'acknowledge' })).toEqual([{ seq: 2, ts: 1001, user: 'operator', action: 'acknowledge', target: 'al-1', note: 'on my way' }]);
    expect(log.list({ limit: 1, before: 3 }).map((e) => e.seq)).toEqual([2]);
    log.close();

    const db = new Database(path);
    expect(() => db.prepare("UPDATE audit SET note = 'edited' WHERE seq = 2").run()).toThrow(/append-only/);
    // deletions are retention's alone: of entries older than a day (these are from 1970), never of a recent one
    db.prepare("INSERT INTO audit (ts, user, action) VALUES (?, 'operator', 'login')").run(Date.now() - 60_000);
    expect(() => db.prepare('DELETE FROM audit').run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM audit WHERE seq = 4').run()).toThrow(/append-only/);
    expect(db.prepare('SELECT count(*) FROM audit').pluck().get()).toBe(4);
    db.close();
    const again = new AuditLog(path);
    expect(again.list({ limit: 10 })).toHaveLength(4);
    again.close();
  });

  it('cluster mode: sends entries away, and takes the shared stream in once, in order', () => {
    const log = new AuditLog(join(dir, 'cluster.db'), () => 5000);
    const sent: unknown[] = [];
    log.sendTo((row) => sent.push(row));
    expect(log.record({ user: 'operator', action: 'acknowledge', target: 'al-9' })).toEqual({ seq: 0, ts: 5000, user: 'operator', action: 'acknowledge', target: 'al-9', note: null });
    expect(sent).toEqual([{ ts: 5000, user: 'operator', action: 'acknowledge', target: 'al-9', note: null }]);
    expect(log.list({ limit: 10 }), 'not in the file until the stream brings it back').toEqual([]);
    const row = (user: string) => ({ ts: 6000, user, action: 'login' as const, target: null, note: null });
    expect(log.applyFromStream(row('a'), 1)).toBe(true);
    expect(log.applyFromStream(row('b'), 2)).toBe(true);
    expect(log.applyFromStream(row('a'), 1), 'a repeat').toBe(false);
    expect(log.streamPosition()).toBe(2);
    expect(log.list({ limit: 10 }).map((e) => e.user)).toEqual(['b', 'a']);
    log.close();
  });

  it('opens an audit.db written by the previous version (no stream position) and keeps its entries', () => {
    const path = join(dir, 'old.db');
    const old = new Database(path);
    // the schema as the previous version created it
    old.exec(`CREATE TABLE audit (seq INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER NOT NULL, user TEXT NOT NULL, action TEXT NOT NULL, target TEXT, note TEXT);
      CREATE INDEX audit_user ON audit (user, seq); CREATE INDEX audit_action ON audit (action, seq);
      CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
      CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;`);
    old.prepare("INSERT INTO audit (ts, user, action, target, note) VALUES (1, 'admin', 'login', NULL, 'from 10.0.0.1')").run();
    old.prepare("INSERT INTO audit (ts, user, action, target, note) VALUES (?, 'gw-c-a', 'resolve', 'al-1', 'told Mrs Chen')").run(Date.now() - 10 * DAY);
    expect(() => old.prepare('DELETE FROM audit WHERE seq = 1').run(), 'the old file refused every deletion').toThrow(/append-only/);
    old.close();
    const log = new AuditLog(path);
    expect(log.streamPosition()).toBe(0);
    log.applyFromStream({ ts: 2, user: 'operator', action: 'login', target: null, note: null }, 1);
    expect(log.list({ limit: 10 }).map((e) => [e.seq, e.user])).toEqual([[3, 'operator'], [2, 'gw-c-a'], [1, 'admin']]);
    // migrated: retention may now remove its old entries
    expect(log.pruneBefore(Date.now() - 365 * DAY)).toEqual({ removed: 2, more: false });
    expect(log.list({ limit: 10 }).map((e) => [e.seq, e.user])).toEqual([[2, 'gw-c-a']]);
    log.close();
  });

  it('retention: removes entries older than the period, oldest first in batches, and keeps newer ones', () => {
    const now = Date.now();
    const log = new AuditLog(join(dir, 'retention.db'), () => now);
    for (let i = 0; i < 5; i++) log.record({ user: `old-${i}`, action: 'acknowledge', target: 'al-1', note: `note ${i}`, ts: now - (400 + i) * DAY });
    log.record({ user: 'edge', action: 'login', ts: now - 364 * DAY });
    log.record({ user: 'recent', action: 'resolve', target: 'al-2', note: 'pumped out', ts: now - 10 * DAY });
    log.record({ user: 'today', action: 'login' });
    const cutoff = now - 365 * DAY;
    expect(log.pruneBefore(cutoff, 3)).toEqual({ removed: 3, more: true });
    expect(log.list({ limit: 20 }).map((e) => e.user)).toEqual(['today', 'recent', 'edge', 'old-1', 'old-0']); // the oldest (old-4..2) went first
    expect(log.pruneBefore(cutoff, 3)).toEqual({ removed: 2, more: false });
    expect(log.pruneBefore(cutoff, 3)).toEqual({ removed: 0, more: false });
    expect(log.list({ limit: 20 }).map((e) => [e.user, e.note])).toEqual([['today', null], ['recent', 'pumped out'], ['edge', null]]);
    expect(log.list({ limit: 20, user: 'old-0' })).toEqual([]);
    log.close();
  });
});
