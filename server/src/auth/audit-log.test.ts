// Proves the audit log records entries newest first, filters by user and action, pages with before,
// and refuses edits and deletions in the database itself.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { AuditLog } from './audit-log.js';

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
    expect(() => db.prepare('DELETE FROM audit').run()).toThrow(/append-only/);
    db.close();
    const again = new AuditLog(path);
    expect(again.list({ limit: 10 })).toHaveLength(3);
    again.close();
  });
});
