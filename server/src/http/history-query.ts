// The query strings of the history and the exports: the alert history's filters (GET /api/alerts/history
// and its CSV), and the CSV options (language, time zone). Every value is checked, and a wrong one is
// refused with 400 CG_QUERY_INVALID naming the parameter and what it takes.
import {
  ALERT_STATES, HISTORY_DEFAULT_RANGE_MS, HISTORY_MAX_RANGE_MS, HISTORY_TEXT_MAX, RULE_KINDS, SEVERITIES, isLocale,
  type AlertState, type Locale, type Severity, type UserView,
} from '@citygrid/contract';
import type { City } from '@citygrid/contract/node';
import type { HistoryFilter, HistoryScope } from '../alerts/history-search.js';
import { Errors } from '../errors.js';
import { knownTimeZone } from './csv.js';
import { optionalString, rangeParams } from './query.js';

function oneOf<T extends string>(q: Record<string, unknown>, name: string, values: readonly T[]): T | undefined {
  const v = optionalString(q, name);
  if (v !== undefined && !(values as readonly string[]).includes(v)) throw Errors.QUERY_INVALID(name, `"${v}" is not one of ${values.join(', ')}`);
  return v as T | undefined;
}

/** Free text: at most HISTORY_TEXT_MAX characters, no control characters; blank is no filter. */
function textParam(q: Record<string, unknown>, name: string): string | undefined {
  const v = q[name];
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string') throw Errors.QUERY_INVALID(name, 'give it once, as text');
  if ([...v].length > HISTORY_TEXT_MAX) throw Errors.QUERY_INVALID(name, `at most ${HISTORY_TEXT_MAX} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(v)) throw Errors.QUERY_INVALID(name, 'no control characters (line breaks, tabs)');
  return v.trim() || undefined;
}

export function historyFilter(q: Record<string, unknown>, city: City, now: number): HistoryFilter {
  const { from, to } = rangeParams(q, { defaultMs: HISTORY_DEFAULT_RANGE_MS, maxMs: HISTORY_MAX_RANGE_MS, now, what: 'the history is searched' });
  const district = optionalString(q, 'district');
  if (district !== undefined && !city.districts.some((d) => d.id === district)) throw Errors.QUERY_INVALID('district', `no district "${district}" in this city`);
  const grid = optionalString(q, 'grid');
  if (grid !== undefined && !city.cellsById.has(grid)) throw Errors.QUERY_INVALID('grid', `no grid cell "${grid}" in this city`);
  const severity = oneOf<Severity>(q, 'severity', SEVERITIES);
  const ruleKind = oneOf(q, 'kind', RULE_KINDS);
  const rule = optionalString(q, 'rule');
  const state = oneOf<AlertState>(q, 'state', ALERT_STATES);
  const assignee = optionalString(q, 'assignee');
  const text = textParam(q, 'text');
  return {
    from, to,
    ...(district !== undefined ? { district } : {}), ...(grid !== undefined ? { grid } : {}), ...(severity ? { severity } : {}),
    ...(ruleKind ? { ruleKind } : {}), ...(rule !== undefined ? { rule } : {}), ...(state ? { state } : {}),
    ...(assignee !== undefined ? { assignee } : {}), ...(text !== undefined ? { text } : {}),
  };
}

/** The filters in words, for the audit log's note of an export. */
export function describeFilter(f: HistoryFilter): string {
  const parts = [`started ${new Date(f.from).toISOString()}..${new Date(f.to).toISOString()}`];
  for (const k of ['district', 'grid', 'severity', 'ruleKind', 'rule', 'state', 'assignee'] as const) if (f[k] !== undefined) parts.push(`${k}=${f[k]}`);
  if (f.text !== undefined) parts.push(`text=${JSON.stringify(f.text)}`);
  return parts.join(' ');
}

/** A grid worker's part of the city, as the history searches it (auth/scope.ts says the same for one alert). */
export function historyScope(user: Pick<UserView, 'username' | 'role' | 'grids' | 'districts'>): HistoryScope {
  return user.role === 'gridworker' ? { grids: user.grids, districts: user.districts, username: user.username } : null;
}

export interface CsvOptions { lang: Locale; tz: string }

/** `lang` (zh-CN or en, the default) and `tz` (an IANA time zone, default UTC). */
export function csvOptions(q: Record<string, unknown>): CsvOptions {
  const lang = optionalString(q, 'lang') ?? 'en';
  if (!isLocale(lang)) throw Errors.QUERY_INVALID('lang', 'must be zh-CN or en');
  const asked = optionalString(q, 'tz', /^[A-Za-z0-9_+/-]{1,64}$/) ?? 'UTC';
  const tz = knownTimeZone(asked);
  if (!tz) throw Errors.QUERY_INVALID('tz', `"${asked}" is not a time zone this server knows; give an IANA name like Asia/Shanghai or UTC`);
  return { lang, tz };
}
