// Query-string parsing for the REST API: times as epoch ms or ISO dates, steps as durations.
import { parseDuration } from '@citygrid/contract';
import { Errors } from '../errors.js';

export function optionalString(q: Record<string, unknown>, name: string, pattern = /^[A-Za-z0-9_.:-]{1,64}$/): string | undefined {
  const v = q[name];
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string' || !pattern.test(v)) throw Errors.QUERY_INVALID(name, `"${String(v).slice(0, 64)}" is not a valid value`);
  return v;
}

export function timeParam(q: Record<string, unknown>, name: string, fallback: number): number {
  const v = optionalString(q, name, /^[0-9TZ:.+-]{1,40}$/);
  if (v === undefined) return fallback;
  const ms = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(ms)) throw Errors.QUERY_INVALID(name, `"${v}" is neither epoch milliseconds nor an ISO 8601 date`);
  return ms;
}

export function stepParam(q: Record<string, unknown>, name: string): number | null {
  const v = optionalString(q, name);
  if (v === undefined) return null;
  const ms = /^\d+$/.test(v) ? Number(v) : parseDuration(v);
  if (ms === null || ms < 1000) throw Errors.QUERY_INVALID(name, `"${v}" must be a duration of at least 1s, like 30s, 5m or 1h`);
  return ms;
}

export function intParam(q: Record<string, unknown>, name: string, fallback: number, min: number, max: number): number {
  const v = optionalString(q, name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw Errors.QUERY_INVALID(name, `must be a whole number from ${min} to ${max}`);
  return n;
}
