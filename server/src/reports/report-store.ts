// Where residents' reports are kept: DATA_DIR/reports.db under `npm start`, Redis in cluster mode
// (redis-report-store.ts), so that a receipt filed through one replica is found through any other.
// Both keep the same record and pass the same suite (report-store.cases.ts). A report's text is kept
// masked (contract/src/reports.ts) and never published; `fingerprint` folds the same report filed
// again (same cell, category and text) into the first within FOLD_MS. A report joins an open alert of
// its kind (status in_hand, `alertId`); closing that alert closes its reports with the outcome.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { ReportCategory, ReportStatus, ReportView } from '@citygrid/contract';

export const REPORTS_FILE = 'reports.db';
/** The same report filed again within this long is folded into the first (its copies counted). */
export const FOLD_MS = 60 * 60_000;
/** The most receipts one `join` takes. */
export const MAX_JOIN = 1_000;
/** What a report's text becomes after RETAIN_REPORT_TEXT_DAYS. */
export const removedText = (days: number) => `(text removed after ${days} days)`;

export interface StoredReport {
  receipt: string;
  category: ReportCategory;
  cell: string;
  district: string;
  text: string;
  filedAt: number;
  status: ReportStatus;
  copies: number;
  spamBy: string | null;
  spamAt: number | null;
  fingerprint: string;
  /** The alert it joined (in_hand, closed; kept if it is marked as spam afterwards). */
  alertId: string | null;
  /** When that alert was closed. */
  closedAt: number | null;
  /** What was done, as staff wrote it when closing the alert; replaced like the text by retention. */
  outcome: string | null;
}

export interface ReportQuery {
  /** Only these cells (a grid worker's); null: all. */
  cells: ReadonlySet<string> | null;
  limit: number;
  /** Only reports filed before this (paging, newest first). */
  before?: number;
  /** Only the reports that joined this alert. */
  alert?: string;
}

/** Reports filed in one UTC hour in one cell of one category (spam not counted). */
export interface ReportHourCount { hour: number; cell: string; district: string; category: ReportCategory; count: number }

export interface ReportStore {
  /** Files `report`, unless one with its fingerprint was filed since `foldSince`: then that one, with one more copy. */
  file(report: StoredReport, foldSince: number): Promise<{ report: StoredReport; folded: boolean }>;
  get(receipt: string): Promise<StoredReport | null>;
  /** Marks a report as spam, once (the first marking is kept); null if there is no such report. */
  markSpam(receipt: string, by: string, at: number): Promise<StoredReport | null>;
  /** Newest first. */
  list(query: ReportQuery): Promise<StoredReport[]>;
  /**
   * The reports among `receipts` (at most MAX_JOIN) that are still `received` become `in_hand` with
   * `alertId`; the others (spam, in_hand, closed) stay as they are. How many changed.
   */
  join(receipts: string[], alertId: string): Promise<number>;
  /** Closes every in_hand report of the alert with `outcome` at `at`, once: those reports, as now stored (oldest filed first). */
  closeAlert(alertId: string, outcome: string, at: number): Promise<StoredReport[]>;
  /** Reports closed in [from, to), oldest close first, at most `limit`. */
  closedBetween(from: number, to: number, limit: number): Promise<StoredReport[]>;
  /** Reports filed in [from, to) per UTC hour, cell and category, spam left out (the open data). */
  countsByHour(from: number, to: number): Promise<ReportHourCount[]>;
  /**
   * Retention (RETAIN_REPORT_TEXT_DAYS): the texts of up to `batch` reports filed before `cutoff` are
   * replaced by `placeholder`, and so is their outcome if they have one (the report, its place, category
   * and status stay); `more` when a batch was full.
   */
  removeTextsBefore(cutoff: number, placeholder: string, batch: number): Promise<{ removed: number; more: boolean }>;
  close(): Promise<void>;
}

export function viewOf(r: StoredReport): ReportView {
  return { receipt: r.receipt, status: r.status, category: r.category, cell: r.cell, district: r.district, filedAt: r.filedAt, text: r.text, copies: r.copies, spamBy: r.spamBy, spamAt: r.spamAt, alertId: r.alertId, closedAt: r.closedAt, outcome: r.outcome };
}

const tooMany = (receipts: string[]) => {
  if (receipts.length > MAX_JOIN) throw new RangeError(`join takes at most ${MAX_JOIN} receipts a call, not ${receipts.length}`);
};
/** Oldest filed first (what closeAlert answers, in both stores). */
export const byFiling = (a: StoredReport, b: StoredReport) => a.filedAt - b.filedAt || (a.receipt < b.receipt ? -1 : a.receipt > b.receipt ? 1 : 0);

const SCHEMA = `
CREATE TABLE IF NOT EXISTS reports (
  receipt TEXT PRIMARY KEY, category TEXT NOT NULL, cell TEXT NOT NULL, district TEXT NOT NULL, text TEXT NOT NULL,
  filed_at INTEGER NOT NULL, status TEXT NOT NULL, copies INTEGER NOT NULL DEFAULT 0, spam_by TEXT, spam_at INTEGER,
  fingerprint TEXT NOT NULL, alert_id TEXT, closed_at INTEGER, outcome TEXT
);
CREATE INDEX IF NOT EXISTS reports_filed ON reports (filed_at);
CREATE INDEX IF NOT EXISTS reports_fingerprint ON reports (fingerprint, filed_at);
`;
/** The columns added since the first reports.db (which has none of them): added in place when missing. */
const ADDED_COLUMNS: [string, string][] = [['alert_id', 'TEXT'], ['closed_at', 'INTEGER'], ['outcome', 'TEXT']];
/** Indexes on the added columns (made after they exist). */
const ADDED_INDEXES = `
CREATE INDEX IF NOT EXISTS reports_alert ON reports (alert_id, filed_at) WHERE alert_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS reports_closed ON reports (closed_at) WHERE closed_at IS NOT NULL;
`;

interface Row { receipt: string; category: string; cell: string; district: string; text: string; filed_at: number; status: string; copies: number; spam_by: string | null; spam_at: number | null; fingerprint: string; alert_id: string | null; closed_at: number | null; outcome: string | null }

const fromRow = (r: Row): StoredReport => ({
  receipt: r.receipt, category: r.category as ReportCategory, cell: r.cell, district: r.district, text: r.text, filedAt: r.filed_at,
  status: r.status as ReportStatus, copies: r.copies, spamBy: r.spam_by, spamAt: r.spam_at, fingerprint: r.fingerprint,
  alertId: r.alert_id ?? null, closedAt: r.closed_at ?? null, outcome: r.outcome ?? null,
});

export class SqliteReportStore implements ReportStore {
  private readonly db: Database.Database;
  private readonly fileTx: (report: StoredReport, foldSince: number) => { report: StoredReport; folded: boolean };

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.transaction(() => {
      this.db.exec(SCHEMA);
      const has = new Set((this.db.pragma('table_info(reports)') as { name: string }[]).map((c) => c.name));
      for (const [name, type] of ADDED_COLUMNS) if (!has.has(name)) this.db.exec(`ALTER TABLE reports ADD COLUMN ${name} ${type}`);
      this.db.exec(ADDED_INDEXES);
    }).immediate();
    const earlier = this.db.prepare('SELECT * FROM reports WHERE fingerprint = ? AND filed_at >= ? ORDER BY filed_at LIMIT 1');
    const copy = this.db.prepare('UPDATE reports SET copies = copies + 1 WHERE receipt = ?');
    const insert = this.db.prepare(`INSERT INTO reports (receipt, category, cell, district, text, filed_at, status, copies, spam_by, spam_at, fingerprint, alert_id, closed_at, outcome)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.fileTx = this.db.transaction((r: StoredReport, foldSince: number) => {
      const first = earlier.get(r.fingerprint, foldSince) as Row | undefined;
      if (first) {
        copy.run(first.receipt);
        return { report: { ...fromRow(first), copies: first.copies + 1 }, folded: true };
      }
      insert.run(r.receipt, r.category, r.cell, r.district, r.text, r.filedAt, r.status, r.copies, r.spamBy, r.spamAt, r.fingerprint, r.alertId ?? null, r.closedAt ?? null, r.outcome ?? null);
      return { report: { ...r, alertId: r.alertId ?? null, closedAt: r.closedAt ?? null, outcome: r.outcome ?? null }, folded: false };
    });
  }

  async file(report: StoredReport, foldSince: number): Promise<{ report: StoredReport; folded: boolean }> {
    return this.fileTx(report, foldSince);
  }

  async get(receipt: string): Promise<StoredReport | null> {
    const row = this.db.prepare('SELECT * FROM reports WHERE receipt = ?').get(receipt) as Row | undefined;
    return row ? fromRow(row) : null;
  }

  async markSpam(receipt: string, by: string, at: number): Promise<StoredReport | null> {
    this.db.prepare("UPDATE reports SET status = 'spam', spam_by = ?, spam_at = ? WHERE receipt = ? AND status <> 'spam'").run(by, at, receipt);
    return this.get(receipt);
  }

  async list(q: ReportQuery): Promise<StoredReport[]> {
    const cells = q.cells ? [...q.cells] : null;
    if (cells && !cells.length) return [];
    const where = [q.alert !== undefined ? 'alert_id = @alert' : '', q.before !== undefined ? 'filed_at < @before' : '', cells ? `cell IN (${cells.map((_, i) => `@c${i}`).join(', ')})` : ''].filter(Boolean);
    const params: Record<string, unknown> = { limit: q.limit, ...(q.before !== undefined ? { before: q.before } : {}), ...(q.alert !== undefined ? { alert: q.alert } : {}) };
    cells?.forEach((c, i) => { params[`c${i}`] = c; });
    const rows = this.db.prepare(`SELECT * FROM reports ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY filed_at DESC, receipt DESC LIMIT @limit`).all(params) as Row[];
    return rows.map(fromRow);
  }

  async join(receipts: string[], alertId: string): Promise<number> {
    tooMany(receipts);
    const one = this.db.prepare("UPDATE reports SET status = 'in_hand', alert_id = ? WHERE receipt = ? AND status = 'received'");
    return this.db.transaction(() => receipts.reduce((n, r) => n + one.run(alertId, r).changes, 0))();
  }

  async closeAlert(alertId: string, outcome: string, at: number): Promise<StoredReport[]> {
    const rows = this.db.prepare("UPDATE reports SET status = 'closed', closed_at = ?, outcome = ? WHERE alert_id = ? AND status = 'in_hand' RETURNING *")
      .all(at, outcome, alertId) as Row[];
    return rows.map(fromRow).sort(byFiling);
  }

  async closedBetween(from: number, to: number, limit: number): Promise<StoredReport[]> {
    if (limit <= 0) return [];
    return (this.db.prepare('SELECT * FROM reports WHERE closed_at >= ? AND closed_at < ? ORDER BY closed_at, receipt LIMIT ?').all(from, to, limit) as Row[]).map(fromRow);
  }

  async countsByHour(from: number, to: number): Promise<ReportHourCount[]> {
    return this.db.prepare(`SELECT (filed_at / 3600000) * 3600000 AS hour, cell, district, category, COUNT(*) AS count FROM reports
      WHERE filed_at >= ? AND filed_at < ? AND status <> 'spam' GROUP BY hour, cell, district, category ORDER BY hour, cell, category`).all(from, to) as ReportHourCount[];
  }

  async removeTextsBefore(cutoff: number, placeholder: string, batch: number): Promise<{ removed: number; more: boolean }> {
    // an outcome written after the text went (the alert closed late) is taken on a later run
    const removed = this.db.prepare(`UPDATE reports SET text = @placeholder, outcome = CASE WHEN outcome IS NULL THEN NULL ELSE @placeholder END
      WHERE receipt IN (SELECT receipt FROM reports WHERE filed_at < @cutoff
        AND (text NOT LIKE '(text removed after %' OR outcome NOT LIKE '(text removed after %') ORDER BY filed_at LIMIT @batch)`).run({ cutoff, placeholder, batch }).changes;
    return { removed, more: removed === batch };
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
