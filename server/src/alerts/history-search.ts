// The alert history's search: which past alerts match the history page's filters, in which order,
// and which page of them to answer. A cluster replica searches its view of the alert stream with this
// (candidatesFromView, searchHistory); `npm start` asks alerts.db's index (history-index.ts), which
// says the same in SQL, and a test holds the two to the same answers. Alerts are ordered newest start
// first (ties: id descending), so a page and a keyset (`after`) mean the same whichever mode answers.
import { alertMessage, type Alert, type AlertState, type HistoryItem, type HistoryNote, type Severity } from '@citygrid/contract';

export type { HistoryItem, HistoryNote };

export interface HistoryFilter {
  /** Started within [from, to), epoch ms. */
  from: number;
  to: number;
  district?: string;
  grid?: string;
  severity?: Severity;
  ruleKind?: string;
  rule?: string;
  /** The alert's state now. */
  state?: AlertState;
  /** A username among the alert's assignees, or who acknowledged, handled or resolved it. */
  assignee?: string;
  /** Words (case-insensitive) in the alert's message in either language or in a note of its events. */
  text?: string;
}

/**
 * A grid worker's part of the city (auth/scope.ts readScope().alert): their cells, the districts they
 * supervise, and the alerts assigned to them. null: the whole city.
 */
export type HistoryScope = { grids: readonly string[]; districts: readonly string[]; username: string } | null;

export interface HistoryQuery extends HistoryFilter {
  scope: HistoryScope;
  offset: number;
  limit: number;
  /** Keyset: only alerts after this one in the order (an export paging through, unshaken by new alerts). */
  after?: { startedAt: number; id: string };
  /** false: stop once the page is full (total then counts only what was read). Default true. */
  count?: boolean;
}

export interface HistoryPage {
  /** Every alert matching the filters (the keyset aside), unless the query said count: false. */
  total: number;
  items: HistoryItem[];
}

/** An alert as a source gives it: its latest state, and the notes of its events (read only when needed). */
export interface HistoryCandidate {
  alert: Alert;
  notes(): HistoryNote[];
}

const SYSTEM = 'system';

/** Newest start first; ties by id, descending. */
export function historyOrder(a: Pick<Alert, 'startedAt' | 'id'>, b: Pick<Alert, 'startedAt' | 'id'>): number {
  return b.startedAt - a.startedAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

function matchesFields(a: Alert, f: HistoryFilter): boolean {
  if (a.startedAt < f.from || a.startedAt >= f.to) return false;
  if (f.district !== undefined && a.district !== f.district) return false;
  if (f.grid !== undefined && a.grid !== f.grid) return false;
  if (f.severity !== undefined && a.severity !== f.severity) return false;
  if (f.ruleKind !== undefined && a.ruleKind !== f.ruleKind) return false;
  if (f.rule !== undefined && a.rule !== f.rule) return false;
  if (f.state !== undefined && a.state !== f.state) return false;
  if (f.assignee !== undefined) {
    const u = f.assignee;
    if (!a.assignees.includes(u) && a.acknowledgedBy !== u && (a.handledBy ?? null) !== u && a.resolvedBy !== u) return false;
  }
  return true;
}

function visible(a: Alert, scope: HistoryScope): boolean {
  return scope === null || scope.grids.includes(a.grid) || scope.districts.includes(a.district) || a.assignees.includes(scope.username);
}

/** What the free text is looked for in, besides the notes: the message in either language, lower-cased. */
export function alertWords(a: Alert): string {
  return [a.message, alertMessage(a, 'zh-CN'), alertMessage(a, 'en')].join('\n').toLowerCase();
}

function matchesText(c: HistoryCandidate, needle: string): boolean {
  return alertWords(c.alert).includes(needle) || c.notes().some((n) => n.note.toLowerCase().includes(needle));
}

/** Whether a candidate matches the filters and the reader may see it. */
export function matchesHistory(c: HistoryCandidate, q: Pick<HistoryQuery, keyof HistoryFilter | 'scope'>): boolean {
  if (!matchesFields(c.alert, q) || !visible(c.alert, q.scope)) return false;
  const needle = q.text?.trim().toLowerCase();
  return !needle || matchesText(c, needle);
}

export function historyItem(c: HistoryCandidate): HistoryItem {
  const notes = c.notes().filter((n) => n.actor !== SYSTEM && n.note.trim() !== '');
  return { alert: c.alert, notes: notes.length, lastNote: notes.at(-1) ?? null };
}

/**
 * One page of the matching alerts and how many match in all. `sorted` must come in historyOrder; it is
 * read to the end (for the total) and only the page's alerts are kept.
 */
export function searchHistory(sorted: Iterable<HistoryCandidate>, q: HistoryQuery): HistoryPage {
  let total = 0;
  let skipped = 0;
  const items: HistoryItem[] = [];
  for (const c of sorted) {
    if (!matchesHistory(c, q)) continue;
    total++;
    if (q.after && historyOrder(c.alert, q.after) <= 0) continue;
    if (skipped < q.offset) {
      skipped++;
      continue;
    }
    if (items.length < q.limit) items.push(historyItem(c));
    else if (q.count === false) break;
  }
  return { total, items };
}

/** A view's alerts (cluster mode: every alert the stream holds) started within the range, in historyOrder. */
export function candidatesFromView(alerts: Iterable<Alert>, notesOf: (id: string) => readonly { ts: number; actor: string; note: string | null }[], range: { from: number; to: number }): HistoryCandidate[] {
  const inRange: Alert[] = [];
  for (const a of alerts) if (a.startedAt >= range.from && a.startedAt < range.to) inRange.push(a);
  return inRange.sort(historyOrder).map((alert) => ({
    alert,
    notes: () => notesOf(alert.id).flatMap((e) => (e.note ? [{ ts: e.ts, actor: e.actor, note: e.note }] : [])),
  }));
}
