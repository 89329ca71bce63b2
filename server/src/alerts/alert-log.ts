// The append-only record of every alert transition and maintenance window, in the embedded SQLite
// file DATA_DIR/alerts.db (kept whichever time-series store is in use). Alerts are rebuilt from it.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Alert, AlertEvent, MaintenanceWindow } from '@citygrid/contract';
import { anonymiseAlert, anonymiseEntry, anonymiseWindow, removedActor } from '../retention.js';
import { HistoryIndex } from './history-index.js';
import type { HistoryPage, HistoryQuery } from './history-search.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS alert_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, alert_id TEXT NOT NULL, ts INTEGER NOT NULL, type TEXT NOT NULL,
  actor TEXT NOT NULL, note TEXT, alert TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alert_events_alert ON alert_events (alert_id, seq);
CREATE INDEX IF NOT EXISTS alert_events_ts ON alert_events (ts);
-- append-only: the database itself refuses edits and deletions of the record
CREATE TRIGGER IF NOT EXISTS alert_events_no_update BEFORE UPDATE ON alert_events BEGIN SELECT RAISE(ABORT, 'alert events are append-only'); END;
CREATE TRIGGER IF NOT EXISTS alert_events_no_delete BEFORE DELETE ON alert_events BEGIN SELECT RAISE(ABORT, 'alert events are append-only'); END;
CREATE TABLE IF NOT EXISTS maintenance (
  id TEXT PRIMARY KEY, target TEXT NOT NULL, by TEXT NOT NULL, reason TEXT NOT NULL, "from" INTEGER NOT NULL, until INTEGER NOT NULL,
  ended_by TEXT, ended_at INTEGER
);
`;

/**
 * Retention (RETAIN_NAMES_DAYS): an event older than the period may be rewritten once, its actor and
 * note (and the people in its copy of the alert) replaced by placeholders, `anonymised_at` set; never
 * an event younger than a day by the database's own clock, and never its order, alert, time or type.
 * An alerts.db written before this has the first trigger above: it is replaced when the file is opened.
 */
const RETENTION_MIGRATION = `
ALTER TABLE alert_events ADD COLUMN anonymised_at INTEGER;
DROP TRIGGER IF EXISTS alert_events_no_update;
CREATE TRIGGER alert_events_no_update BEFORE UPDATE ON alert_events
  WHEN OLD.anonymised_at IS NOT NULL OR NEW.anonymised_at IS NULL
    OR NEW.seq IS NOT OLD.seq OR NEW.alert_id IS NOT OLD.alert_id OR NEW.ts IS NOT OLD.ts OR NEW.type IS NOT OLD.type
    OR OLD.ts > CAST(strftime('%s', 'now') AS INTEGER) * 1000 - 86400000
  BEGIN SELECT RAISE(ABORT, 'alert events are append-only (retention may anonymise an event older than a day, once)'); END;
CREATE INDEX IF NOT EXISTS alert_events_named ON alert_events (ts) WHERE anonymised_at IS NULL;
`;

/** What one retention batch did. */
export interface AnonymiseResult {
  /** Events looked at (older than the cutoff, not yet done). */
  events: number;
  /** Of them, those whose actor, note or alert copy named someone and were rewritten. */
  anonymised: number;
  notes: number;
  windows: number;
  /** More events older than the cutoff are waiting. */
  more: boolean;
}

type EventRow = { seq: number; alert_id: string; ts: number; type: AlertEvent['type']; actor: string; note: string | null; alert: string };
const toEvent = (r: EventRow): AlertEvent => ({ seq: r.seq, alertId: r.alert_id, ts: r.ts, type: r.type, actor: r.actor, note: r.note, alert: JSON.parse(r.alert) as Alert });

export class AlertLog {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private readonly historyIndex: HistoryIndex;
  private readonly appendRow: (event: Omit<AlertEvent, 'seq'>) => AlertEvent;

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(SCHEMA);
    this.migrate();
    this.insert = this.db.prepare('INSERT INTO alert_events (alert_id, ts, type, actor, note, alert) VALUES (?, ?, ?, ?, ?, ?)');
    this.historyIndex = new HistoryIndex(this.db);
    // the event and the history's row for it in one transaction
    this.appendRow = this.db.transaction((event: Omit<AlertEvent, 'seq'>) => {
      const info = this.insert.run(event.alertId, event.ts, event.type, event.actor, event.note, JSON.stringify(event.alert));
      const appended = { ...event, seq: Number(info.lastInsertRowid) };
      this.historyIndex.record(appended);
      return appended;
    });
  }

  /** Older files: the retention column, its trigger and index (in one transaction; idempotent). */
  private migrate(): void {
    const columns = this.db.prepare('PRAGMA table_info(alert_events)').all() as { name: string }[];
    if (columns.some((c) => c.name === 'anonymised_at')) return;
    this.db.transaction(() => this.db.exec(RETENTION_MIGRATION))();
  }

  /**
   * Retention: anonymises up to `limit` events older than `cutoff` (oldest first), in one short
   * transaction: their actor (unless 'system') becomes "(removed after N days)", a note becomes the
   * placeholder, the alert copy's people likewise; each touched alert's history row is rebuilt from
   * its events, so a search no longer finds the removed words. Maintenance windows that ended before
   * the cutoff lose who made and ended them and their reason.
   */
  anonymiseBefore(cutoff: number, days: number, limit = 500): AnonymiseResult {
    return this.anonymiseBatch(cutoff, days, limit);
  }

  private readonly anonymiseBatch = (cutoff: number, days: number, limit: number): AnonymiseResult => this.db.transaction(() => {
    const rows = this.db.prepare(`SELECT seq, alert_id, ts, type, actor, note, alert FROM alert_events
      WHERE anonymised_at IS NULL AND ts < ? ORDER BY ts LIMIT ?`).all(cutoff, limit + 1) as EventRow[];
    const more = rows.length > limit;
    const update = this.db.prepare('UPDATE alert_events SET actor = ?, note = ?, alert = ?, anonymised_at = ? WHERE seq = ?');
    const touched = new Set<string>();
    const at = Date.now();
    let anonymised = 0;
    let notes = 0;
    for (const r of rows.slice(0, limit)) {
      const entry = anonymiseEntry({ ts: r.ts, actor: r.actor, note: r.note }, cutoff, days);
      const alert = JSON.parse(r.alert) as Alert;
      const copy = anonymiseAlert(alert, cutoff, days);
      const changed = entry.actor !== r.actor || entry.note !== r.note || copy !== alert;
      update.run(entry.actor, entry.note, changed ? JSON.stringify(copy) : r.alert, at, r.seq);
      if (!changed) continue;
      anonymised++;
      if (entry.note !== r.note) notes++;
      touched.add(r.alert_id);
    }
    for (const id of touched) this.historyIndex.reindex(id);
    const label = removedActor(days);
    const windows = this.db.prepare(`SELECT id, target, by, reason, "from", until FROM maintenance WHERE until < ? AND by <> 'system' AND by NOT LIKE '(removed after %' LIMIT ?`)
      .all(cutoff, limit) as { id: string; target: string; by: string; reason: string; from: number; until: number }[];
    const updateWindow = this.db.prepare('UPDATE maintenance SET by = ?, reason = ?, ended_by = CASE WHEN ended_by IS NULL THEN NULL ELSE ? END WHERE id = ?');
    for (const w of windows) {
      const done = anonymiseWindow({ ...w, target: JSON.parse(w.target) as MaintenanceWindow['target'] }, cutoff, days);
      updateWindow.run(done.by, done.reason, label, w.id);
    }
    return { events: Math.min(rows.length, limit), anonymised, notes, windows: windows.length, more: more || windows.length === limit };
  })();

  append(event: Omit<AlertEvent, 'seq'>): AlertEvent {
    return this.appendRow(event);
  }

  /** The latest state of every alert (open ones and the resolved ones since `since`). */
  latestAlerts(since: number): Alert[] {
    const rows = this.db.prepare(`SELECT e.alert FROM alert_events e
      JOIN (SELECT alert_id, max(seq) AS seq FROM alert_events GROUP BY alert_id) last ON last.seq = e.seq ORDER BY e.seq`).all() as { alert: string }[];
    return rows.map((r) => JSON.parse(r.alert) as Alert).filter((a) => a.state !== 'resolved' || (a.resolvedAt ?? 0) >= since);
  }

  history(alertId: string): AlertEvent[] {
    const rows = this.db.prepare('SELECT seq, alert_id, ts, type, actor, note, alert FROM alert_events WHERE alert_id = ? ORDER BY seq').all(alertId) as
      { seq: number; alert_id: string; ts: number; type: AlertEvent['type']; actor: string; note: string | null; alert: string }[];
    return rows.map((r) => ({ seq: r.seq, alertId: r.alert_id, ts: r.ts, type: r.type, actor: r.actor, note: r.note, alert: JSON.parse(r.alert) as Alert }));
  }

  /** Transitions (every event but the periodic 'updated') with from <= ts <= to, oldest first, at most `limit` (replay). */
  transitionsBetween(from: number, to: number, limit: number): AlertEvent[] {
    const rows = this.db.prepare(`SELECT seq, alert_id, ts, type, actor, note, alert FROM alert_events
      WHERE ts >= ? AND ts <= ? AND type <> 'updated' ORDER BY seq LIMIT ?`).all(from, to, limit) as EventRow[];
    return rows.map(toEvent);
  }

  /** Ids of the alerts with an event at or after `since` (replay). */
  alertIdsSince(since: number): string[] {
    return (this.db.prepare('SELECT DISTINCT alert_id FROM alert_events WHERE ts >= ?').all(since) as { alert_id: string }[]).map((r) => r.alert_id);
  }

  /** The alert as it was after its last event before `ts`; undefined when it had none yet (replay). */
  alertBefore(alertId: string, ts: number): Alert | undefined {
    const row = this.db.prepare('SELECT alert FROM alert_events WHERE alert_id = ? AND ts < ? ORDER BY seq DESC LIMIT 1').get(alertId, ts) as { alert: string } | undefined;
    return row ? JSON.parse(row.alert) as Alert : undefined;
  }

  /** Final states of alerts started within [from, to): for scores. */
  alertsStartedBetween(from: number, to: number): Alert[] {
    const rows = this.db.prepare(`SELECT e.alert FROM alert_events e
      JOIN (SELECT alert_id, max(seq) AS seq FROM alert_events GROUP BY alert_id) last ON last.seq = e.seq`).all() as { alert: string }[];
    return rows.map((r) => JSON.parse(r.alert) as Alert).filter((a) => a.startedAt >= from && a.startedAt < to);
  }

  /** Past alerts by the history page's filters, a page of them and how many match (history-index.ts). */
  searchHistory(q: HistoryQuery): HistoryPage {
    return this.historyIndex.search(q);
  }

  saveMaintenance(w: MaintenanceWindow): void {
    this.db.prepare('INSERT OR REPLACE INTO maintenance (id, target, by, reason, "from", until) VALUES (?, ?, ?, ?, ?, ?)')
      .run(w.id, JSON.stringify(w.target), w.by, w.reason, w.from, w.until);
  }

  endMaintenance(id: string, by: string, at: number): void {
    this.db.prepare('UPDATE maintenance SET until = min(until, ?), ended_by = ?, ended_at = ? WHERE id = ?').run(at, by, at, id);
  }

  maintenanceWindows(after: number): MaintenanceWindow[] {
    const rows = this.db.prepare('SELECT id, target, by, reason, "from", until FROM maintenance WHERE until > ?').all(after) as
      { id: string; target: string; by: string; reason: string; from: number; until: number }[];
    return rows.map((r) => ({ ...r, target: JSON.parse(r.target) as MaintenanceWindow['target'] }));
  }

  close(): void {
    this.db.close();
  }
}
