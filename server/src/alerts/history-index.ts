// The alert history's index in alerts.db: one row per alert with what the history page filters on,
// kept with each appended event (in the append's transaction), so a search is an index range scan of
// start times instead of rebuilding every alert from its events (50,000 alerts: ~1 s of parsing, the
// event loop blocked; this: tens of ms). It holds nothing the events do not: the append-only record
// stays the truth, and the index is rebuilt from it once when an older alerts.db is opened. The
// filters mean what history-search.ts says (the cluster view searches with it; a test holds the two equal).
import type Database from 'better-sqlite3';
import type { Alert, AlertEvent } from '@citygrid/contract';
import { REMOVED_NOTE_PATTERN } from '../retention.js';
import { alertWords, type HistoryItem, type HistoryPage, type HistoryQuery } from './history-search.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS alert_history (
  alert_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, started_at INTEGER NOT NULL,
  grid TEXT NOT NULL, district TEXT NOT NULL, severity TEXT NOT NULL, rule TEXT NOT NULL, rule_kind TEXT NOT NULL, state TEXT NOT NULL,
  -- '|a|b|': the assignees; people adds who acknowledged, handled and resolved it
  assignees TEXT NOT NULL, people TEXT NOT NULL,
  -- lower-cased: the message in both languages, and every note of its events
  words TEXT NOT NULL, notes_text TEXT NOT NULL DEFAULT '',
  note_count INTEGER NOT NULL DEFAULT 0, last_note_ts INTEGER, last_note_actor TEXT, last_note TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS alert_history_started ON alert_history (started_at DESC, alert_id DESC);
`;

/** alerts.db's format (PRAGMA user_version): 1 has alert_history, filled from the events once. */
const VERSION = 1;

const bars = (names: readonly (string | null | undefined)[]) => `|${names.filter((n): n is string => !!n).join('|')}|`;

export class HistoryIndex {
  private readonly upsert: Database.Statement;

  constructor(private readonly db: Database.Database) {
    db.exec(SCHEMA);
    this.upsert = db.prepare(`INSERT INTO alert_history (alert_id, seq, started_at, grid, district, severity, rule, rule_kind, state, assignees, people, words, notes_text, note_count, last_note_ts, last_note_actor, last_note)
      VALUES (@id, @seq, @startedAt, @grid, @district, @severity, @rule, @ruleKind, @state, @assignees, @people, @words, @noteText, @noteCount, @noteTs, @noteActor, @note)
      ON CONFLICT (alert_id) DO UPDATE SET seq = excluded.seq, started_at = excluded.started_at, grid = excluded.grid, district = excluded.district,
        severity = excluded.severity, rule = excluded.rule, rule_kind = excluded.rule_kind, state = excluded.state, assignees = excluded.assignees,
        people = excluded.people, words = excluded.words,
        notes_text = CASE WHEN excluded.notes_text = '' THEN notes_text ELSE notes_text || char(10) || excluded.notes_text END,
        note_count = note_count + excluded.note_count, last_note_ts = coalesce(excluded.last_note_ts, last_note_ts),
        last_note_actor = coalesce(excluded.last_note_actor, last_note_actor), last_note = coalesce(excluded.last_note, last_note)
      WHERE excluded.seq > alert_history.seq`);
    if ((db.pragma('user_version', { simple: true }) as number) < VERSION) this.rebuild();
  }

  /** Keeps the alert's row with an event just appended (call in the append's transaction). */
  record(e: AlertEvent): void {
    const a = e.alert;
    const note = e.note?.trim() ? e.note : null;
    const byPerson = note !== null && e.actor !== 'system';
    this.upsert.run({
      id: a.id, seq: e.seq, startedAt: a.startedAt, grid: a.grid, district: a.district, severity: a.severity, rule: a.rule, ruleKind: a.ruleKind, state: a.state,
      assignees: bars(a.assignees), people: bars([...a.assignees, a.acknowledgedBy, a.handledBy, a.resolvedBy]), words: alertWords(a),
      // a note removed by retention is not searchable (its placeholder is no one's words)
      noteText: note !== null && !REMOVED_NOTE_PATTERN.test(note) ? note.toLowerCase() : '', noteCount: byPerson ? 1 : 0, noteTs: byPerson ? e.ts : null, noteActor: byPerson ? e.actor : null, note: byPerson ? note : null,
    });
  }

  /** Rebuilds one alert's row from its events (retention rewrote some; call in a transaction). */
  reindex(alertId: string): void {
    this.db.prepare('DELETE FROM alert_history WHERE alert_id = ?').run(alertId);
    const rows = this.db.prepare('SELECT seq, alert_id, ts, type, actor, note, alert FROM alert_events WHERE alert_id = ? ORDER BY seq').all(alertId) as
      { seq: number; alert_id: string; ts: number; type: AlertEvent['type']; actor: string; note: string | null; alert: string }[];
    for (const r of rows) this.record({ seq: r.seq, alertId: r.alert_id, ts: r.ts, type: r.type, actor: r.actor, note: r.note, alert: JSON.parse(r.alert) as Alert });
  }

  /** Fills the index from every event, in order (an alerts.db written before the index existed). */
  private rebuild(): void {
    // in chunks read whole: better-sqlite3 allows no write on a connection while a statement iterates
    const chunk = this.db.prepare('SELECT seq, alert_id, ts, type, actor, note, alert FROM alert_events WHERE seq > ? ORDER BY seq LIMIT 2000');
    this.db.transaction(() => {
      this.db.exec('DELETE FROM alert_history');
      for (let after = 0; ;) {
        const rows = chunk.all(after) as { seq: number; alert_id: string; ts: number; type: AlertEvent['type']; actor: string; note: string | null; alert: string }[];
        for (const r of rows) this.record({ seq: r.seq, alertId: r.alert_id, ts: r.ts, type: r.type, actor: r.actor, note: r.note, alert: JSON.parse(r.alert) as Alert });
        if (rows.length < 2000) break;
        after = rows[rows.length - 1]!.seq;
      }
      this.db.pragma(`user_version = ${VERSION}`);
    })();
  }

  search(q: HistoryQuery): HistoryPage {
    const where = ['h.started_at >= @from', 'h.started_at < @to'];
    const args: Record<string, string | number> = { from: q.from, to: q.to };
    const equal = (column: string, value: string | undefined) => {
      if (value === undefined) return;
      where.push(`h.${column} = @${column}`);
      args[column] = value;
    };
    equal('district', q.district);
    equal('grid', q.grid);
    equal('severity', q.severity);
    equal('rule_kind', q.ruleKind);
    equal('rule', q.rule);
    equal('state', q.state);
    if (q.assignee !== undefined) {
      where.push("instr(h.people, '|' || @assignee || '|') > 0");
      args.assignee = q.assignee;
    }
    const needle = q.text?.trim().toLowerCase();
    if (needle) {
      where.push('(instr(h.words, @text) > 0 OR instr(h.notes_text, @text) > 0)');
      args.text = needle;
    }
    if (q.scope) {
      // auth/scope.ts: the reader's cells, the districts they supervise, and the alerts assigned to them
      const list = (name: string, values: readonly string[]) => {
        values.forEach((v, i) => { args[`${name}${i}`] = v; });
        return values.map((_, i) => `@${name}${i}`).join(', ');
      };
      where.push(`(h.grid IN (${list('g', q.scope.grids)}) OR h.district IN (${list('d', q.scope.districts)}) OR instr(h.assignees, '|' || @me || '|') > 0)`);
      args.me = q.scope.username;
    }
    const filtered = where.join(' AND ');
    const total = q.count === false ? 0 : (this.db.prepare(`SELECT count(*) FROM alert_history h WHERE ${filtered}`).pluck().get(args) as number);
    const page = [...where];
    if (q.after) {
      page.push('(h.started_at < @afterStarted OR (h.started_at = @afterStarted AND h.alert_id < @afterId))');
      args.afterStarted = q.after.startedAt;
      args.afterId = q.after.id;
    }
    const rows = this.db.prepare(`SELECT e.alert, h.note_count, h.last_note_ts, h.last_note_actor, h.last_note FROM alert_history h
      JOIN alert_events e ON e.seq = h.seq WHERE ${page.join(' AND ')}
      ORDER BY h.started_at DESC, h.alert_id DESC LIMIT @limit OFFSET @offset`).all({ ...args, limit: q.limit, offset: q.offset }) as
      { alert: string; note_count: number; last_note_ts: number | null; last_note_actor: string | null; last_note: string | null }[];
    const items: HistoryItem[] = rows.map((r) => ({
      alert: JSON.parse(r.alert) as Alert,
      notes: r.note_count,
      lastNote: r.last_note !== null ? { ts: r.last_note_ts!, actor: r.last_note_actor!, note: r.last_note } : null,
    }));
    return { total: q.count === false ? items.length : total, items };
  }
}
