// The SQLite report store against the shared suite, a reports.db that survives a reopen, and one written
// by the first version (without the alert columns) opened and migrated in place.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { reportStoreCases } from './report-store.cases.js';
import { SqliteReportStore, viewOf, type StoredReport } from './report-store.js';

const dir = mkdtempSync(join(tmpdir(), 'citygrid-reports-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

reportStoreCases('SQLite', async () => new SqliteReportStore(':memory:'));

const stored: StoredReport = { receipt: 'ABCD-EFGH', category: 'noise', cell: 'c', district: 'd', text: 't', filedAt: 1, status: 'received', copies: 0, spamBy: null, spamAt: null, fingerprint: 'f', alertId: null, closedAt: null, outcome: null };

it('keeps reports across a reopen of reports.db', async () => {
  const path = join(dir, 'reports.db');
  const a = new SqliteReportStore(path);
  await a.file(stored, 0);
  await a.close();
  const b = new SqliteReportStore(path);
  expect((await b.get('ABCD-EFGH'))?.category).toBe('noise');
  await b.close();
});

it('shows the alert, the close and its outcome in the view', () => {
  expect(viewOf({ ...stored, status: 'closed', alertId: 'a-1', closedAt: 5, outcome: 'fixed' })).toEqual({
    receipt: 'ABCD-EFGH', status: 'closed', category: 'noise', cell: 'c', district: 'd', filedAt: 1, text: 't', copies: 0, spamBy: null, spamAt: null,
    alertId: 'a-1', closedAt: 5, outcome: 'fixed',
  });
});

describe('a reports.db written by the first version', () => {
  /** The first version's SCHEMA (report-store.ts), as it was. */
  const OLD_SCHEMA = `
CREATE TABLE IF NOT EXISTS reports (
  receipt TEXT PRIMARY KEY, category TEXT NOT NULL, cell TEXT NOT NULL, district TEXT NOT NULL, text TEXT NOT NULL,
  filed_at INTEGER NOT NULL, status TEXT NOT NULL, copies INTEGER NOT NULL DEFAULT 0, spam_by TEXT, spam_at INTEGER,
  fingerprint TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS reports_filed ON reports (filed_at);
CREATE INDEX IF NOT EXISTS reports_fingerprint ON reports (fingerprint, filed_at);
`;

  it('opens, its reports with no alert, and they can join one and be closed', async () => {
    const path = join(dir, 'old-reports.db');
    const old = new Database(path);
    old.pragma('journal_mode = WAL');
    old.exec(OLD_SCHEMA);
    old.prepare('INSERT INTO reports (receipt, category, cell, district, text, filed_at, status, copies, spam_by, spam_at, fingerprint) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run('OLDR-EP2T', 'waterlogging', 'c-9', 'd-9', 'water at the gate', 1_700_000_000_000, 'received', 2, null, null, 'old-fp');
    old.close();

    const store = new SqliteReportStore(path);
    const before: StoredReport = {
      receipt: 'OLDR-EP2T', category: 'waterlogging', cell: 'c-9', district: 'd-9', text: 'water at the gate', filedAt: 1_700_000_000_000, status: 'received',
      copies: 2, spamBy: null, spamAt: null, fingerprint: 'old-fp', alertId: null, closedAt: null, outcome: null,
    };
    expect(await store.get('OLDR-EP2T')).toEqual(before);
    expect(await store.join(['OLDR-EP2T'], 'alert-1')).toBe(1);
    expect(await store.list({ cells: null, limit: 10, alert: 'alert-1' })).toEqual([{ ...before, status: 'in_hand', alertId: 'alert-1' }]);
    const closed = { ...before, status: 'closed' as const, alertId: 'alert-1', closedAt: 1_700_000_100_000, outcome: 'pumped out' };
    expect(await store.closeAlert('alert-1', 'pumped out', 1_700_000_100_000)).toEqual([closed]);
    expect(await store.closedBetween(1_700_000_000_000, 1_800_000_000_000, 10)).toEqual([closed]);
    await store.close();

    // migrated once: it opens again as it is, the close kept
    const again = new SqliteReportStore(path);
    expect(await again.get('OLDR-EP2T')).toEqual(closed);
    await again.close();
    const db = new Database(path, { readonly: true });
    expect((db.pragma('table_info(reports)') as { name: string }[]).map((c) => c.name)).toEqual(expect.arrayContaining(['alert_id', 'closed_at', 'outcome']));
    expect((db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'reports'").all() as { name: string }[]).map((i) => i.name))
      .toEqual(expect.arrayContaining(['reports_alert', 'reports_closed']));
    db.close();
  });
});
