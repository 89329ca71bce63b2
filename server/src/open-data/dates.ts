// The one UTC day an open-data request may ask for (?date=YYYY-MM-DD): validated, never more than one.
import { OPEN_DATA_LIMITS } from '@citygrid/contract';
import { Errors } from '../errors.js';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

export interface OpenDay {
  date: string;
  from: number;
  to: number;
  /** The day is over: its aggregates no longer change (readings sent late aside) and may be cached. */
  complete: boolean;
}

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * `date` as given (undefined: yesterday, the last complete day). Refused: anything but YYYY-MM-DD, a day
 * that does not exist (2026-02-30), a day after today (UTC), or more than maxDaysBack days ago.
 */
export function parseOpenDay(date: unknown, now: number, maxDaysBack: number = OPEN_DATA_LIMITS.maxDaysBack): OpenDay {
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  if (date === undefined || date === '') return day(isoDay(today - DAY_MS), now);
  if (typeof date !== 'string') throw Errors.OPEN_DATE_INVALID(String(date).slice(0, 40), 'give one date as YYYY-MM-DD (UTC)');
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw Errors.OPEN_DATE_INVALID(date.slice(0, 40), 'write it as YYYY-MM-DD, a UTC day, e.g. 2026-05-01 (one day per request)');
  const from = Date.parse(`${date}T00:00:00Z`);
  if (!Number.isFinite(from) || isoDay(from) !== date) throw Errors.OPEN_DATE_INVALID(date, 'no such day in the calendar');
  if (from > today) throw Errors.OPEN_DATE_OUT_OF_RANGE(date, `it is after today (${isoDay(today)}, UTC)`);
  if (from < today - maxDaysBack * DAY_MS) throw Errors.OPEN_DATE_OUT_OF_RANGE(date, `it is more than ${maxDaysBack} days ago`);
  return day(date, now);
}

function day(date: string, now: number): OpenDay {
  const from = Date.parse(`${date}T00:00:00Z`);
  return { date, from, to: from + DAY_MS, complete: now >= from + DAY_MS };
}
