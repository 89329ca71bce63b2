// The append-only record of every alert transition and maintenance window, in the embedded SQLite
// file DATA_DIR/alerts.db (kept whichever time-series store is in use). Alerts are rebuilt from it.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Alert, AlertEvent, MaintenanceWindow } from '@citygrid/contract';
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
