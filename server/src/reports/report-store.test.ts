// The SQLite report store against the shared suite, and a reports.db that survives a reopen.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { reportStoreCases } from './report-store.cases.js';
import { SqliteReportStore } from './report-store.js';

const dir = mkdtempSync(join(tmpdir(), 'citygrid-reports-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

reportStoreCases('SQLite', async () => new SqliteReportStore(':memory:'));

it('keeps reports across a reopen of reports.db', async () => {
  const path = join(dir, 'reports.db');
  const a = new SqliteReportStore(path);
  await a.file({ receipt: 'ABCD-EFGH', category: 'noise', cell: 'c', district: 'd', text: 't', filedAt: 1, status: 'received', copies: 0, spamBy: null, spamAt: null, fingerprint: 'f' }, 0);
  await a.close();
  const b = new SqliteReportStore(path);
  expect((await b.get('ABCD-EFGH'))?.category).toBe('noise');
  await b.close();
});
