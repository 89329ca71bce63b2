// The alert history's REST call and the CSV exports' addresses (GET /api/alerts/history, its .csv, and
// the readings' .csv of a device or a cell). A CSV is a plain link: the browser downloads it with the
// session cookie, and the server streams it, however long.
import type { HistoryResponse, Locale } from '@citygrid/contract';
import { getJson } from './http';

/** The history's filters as the server names them (empty strings are left out). */
export interface HistoryFilters {
  from: number;
  to: number;
  district?: string;
  grid?: string;
  severity?: string;
  kind?: string;
  rule?: string;
  state?: string;
  assignee?: string;
  text?: string;
}

function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  return q.toString();
}

/** This computer's time zone, for the times in a CSV file. */
export const localTimeZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

export function historyPage(f: HistoryFilters, offset: number, limit: number, signal?: AbortSignal): Promise<HistoryResponse> {
  return getJson<HistoryResponse>(`/api/alerts/history?${query({ ...f, offset, limit })}`, signal);
}

export function historyCsvUrl(f: HistoryFilters, lang: Locale): string {
  return `/api/alerts/history.csv?${query({ ...f, lang, tz: localTimeZone() })}`;
}

export function readingsCsvUrl(target: { device: string } | { cell: string }, from: number, to: number, lang: Locale): string {
  const path = 'device' in target ? `/api/devices/${encodeURIComponent(target.device)}` : `/api/cells/${encodeURIComponent(target.cell)}`;
  return `${path}/readings.csv?${query({ from, to, lang, tz: localTimeZone() })}`;
}
