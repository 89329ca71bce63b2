// The audit log: who signed in (or failed to), acknowledged, resolved, changed maintenance or reloaded
// the rules, when, on what, with which note. Append-only in DATA_DIR/audit.db: the database itself
// refuses edits, and deletions but retention's of entries older than RETAIN_AUDIT_DAYS. In cluster mode entries go to a JetStream stream instead
// (bus/cluster-audit.ts), and every replica's audit.db takes the whole stream in, in order, once.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { AuditAction, AuditEntry } from '@citygrid/contract';

export const AUDIT_FILE = 'audit.db';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS audit (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER NOT NULL, user TEXT NOT NULL, action TEXT NOT NULL, target TEXT, note TEXT
);
CREATE INDEX IF NOT EXISTS audit_user ON audit (user, seq);
CREATE INDEX IF NOT EXISTS audit_action ON audit (action, seq);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TABLE IF NOT EXISTS audit_stream_position (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL);
`;

/**
 * Retention (RETAIN_AUDIT_DAYS): entries older than the period are removed, so deletion is refused
 * only for entries younger than a day by the database's own clock (the shortest period). An audit.db
 * written before had a trigger refusing every deletion: it is replaced when the file is opened.
 */
const NO_DELETE = `
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
  WHEN OLD.ts > CAST(strftime('%s', 'now') AS INTEGER) * 1000 - 86400000
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only (retention removes only entries older than a day)'); END;
CREATE INDEX IF NOT EXISTS audit_ts ON audit (ts);
`;

/** An entry as recorded, before this log numbers it. */
export type AuditRow = Omit<AuditEntry, 'seq'>;

export interface AuditQuery {
  limit: number;
  user?: string;
  action?: AuditAction;
  /** Only entries older than this seq (paging). */
  before?: number;
}

export class AuditLog {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private readonly applyRow: (row: AuditRow, streamSeq: number) => boolean;
  /** Cluster mode: where record() sends entries (they come back through applyFromStream). */
  private sink: ((row: AuditRow) => void) | null = null;

  constructor(path: string, private readonly now: () => number = Date.now) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(SCHEMA);
    const trigger = this.db.prepare("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'audit_no_delete'").pluck().get() as string | undefined;
    if (!trigger?.includes('strftime')) this.db.transaction(() => this.db.exec(`DROP TRIGGER IF EXISTS audit_no_delete;${NO_DELETE}`))();
    this.insert = this.db.prepare('INSERT INTO audit (ts, user, action, target, note) VALUES (?, ?, ?, ?, ?)');
    const position = this.db.prepare('INSERT INTO audit_stream_position (id, seq) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq');
    this.applyRow = this.db.transaction((row: AuditRow, streamSeq: number) => {
      if (streamSeq <= this.streamPosition()) return false;
      this.insert.run(row.ts, row.user, row.action, row.target, row.note);
      position.run(streamSeq);
      return true;
    });
  }

  /** Cluster mode: entries are recorded by sending them to the shared stream. */
  sendTo(sink: (row: AuditRow) => void): void {
    this.sink = sink;
  }

  /** The last entry of the shared stream taken in (0: none). */
  streamPosition(): number {
    return (this.db.prepare('SELECT seq FROM audit_stream_position WHERE id = 1').get() as { seq: number } | undefined)?.seq ?? 0;
  }

  /** Cluster mode: an entry of the shared stream, taken in once (in stream order; a repeat is ignored). */
  applyFromStream(row: AuditRow, streamSeq: number): boolean {
    return this.applyRow(row, streamSeq);
  }

  /** Appends an entry. In cluster mode it is sent to the shared stream and numbered when it comes back (seq 0 here). */
  record(entry: { user: string; action: AuditAction; target?: string | null; note?: string | null; ts?: number }): AuditEntry {
    const row: AuditRow = {
      ts: entry.ts ?? this.now(),
      user: entry.user.slice(0, 64),
      action: entry.action,
      target: entry.target?.slice(0, 200) ?? null,
      note: entry.note?.slice(0, 2000) ?? null,
    };
    if (this.sink) {
      this.sink(row);
      return { seq: 0, ...row };
    }
    const info = this.insert.run(row.ts, row.user, row.action, row.target, row.note);
    return { seq: Number(info.lastInsertRowid), ...row };
  }

  /**
   * Retention: removes up to `limit` entries older than `cutoff` (oldest first) in one short
   * transaction; `more` when others are left. The stream position stays (cluster mode).
   */
  pruneBefore(cutoff: number, limit = 1000): { removed: number; more: boolean } {
    const removed = this.db.prepare('DELETE FROM audit WHERE seq IN (SELECT seq FROM audit WHERE ts < ? ORDER BY ts LIMIT ?)').run(cutoff, limit).changes;
    return { removed, more: removed === limit };
  }

  /** Newest first. */
  list(q: AuditQuery): AuditEntry[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (q.user !== undefined) { where.push('user = ?'); args.push(q.user); }
    if (q.action !== undefined) { where.push('action = ?'); args.push(q.action); }
    if (q.before !== undefined) { where.push('seq < ?'); args.push(q.before); }
    const sql = `SELECT seq, ts, user, action, target, note FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?`;
    return this.db.prepare(sql).all(...args, q.limit) as AuditEntry[];
  }

  close(): void {
    this.db.close();
  }
}
