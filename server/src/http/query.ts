// Query-string parsing for the REST API: times as epoch ms or ISO dates, steps as durations; and the
// limits of one request, each refused with 400 CG_LIMIT_EXCEEDED naming the limit.
import { parseDuration } from '@citygrid/contract';
import { Errors } from '../errors.js';

const DAY = 86_400_000; // ms

/** GET /api/devices/:id/readings without `step`: the longest range of raw points (ms: 31 days). */
export const READINGS_MAX_RAW_RANGE_MS = 31 * DAY;
/** GET /api/devices/:id/readings with `step`: the longest range (ms: 366 days). */
export const READINGS_MAX_RANGE_MS = 366 * DAY;
/** Raw points per metric: `limit`'s default and maximum (points). */
export const READINGS_MAX_POINTS = 10_000;
/** Buckets per metric with `step`: (to - from) / step at most this (buckets). */
export const READINGS_MAX_BUCKETS = 5_000;
/** Metrics read by one request (metrics): every kind in the catalogue has at most this many. */
export const READINGS_MAX_METRICS = 4;
/** GET /api/scores: the longest period (ms: 366 days). */
export const SCORES_MAX_RANGE_MS = 366 * DAY;
/** GET /api/camera-events: the longest range (ms: 31 days). */
export const CAMERA_EVENTS_MAX_RANGE_MS = 31 * DAY;
/** Rows per answer (`limit`): default and maximum, in items of each list. */
export const CAMERA_EVENTS_LIMIT = { default: 100, max: 1_000 } as const;
export const ALERTS_LIMIT = { default: 500, max: 5_000 } as const;
export const REJECTIONS_LIMIT = { default: 100, max: 1_000 } as const;
export const AUDIT_LIMIT = { default: 100, max: 1_000 } as const;

const count = (n: number) => n.toLocaleString('en-US');
const days = (ms: number) => `${Number((ms / DAY).toFixed(2))} days`;

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

/** `limit`-style counts: not a whole number ≥ 1 is CG_QUERY_INVALID; over the maximum is CG_LIMIT_EXCEEDED. */
export function limitParam(q: Record<string, unknown>, name: string, bounds: { default: number; max: number }, unit: string): number {
  const v = optionalString(q, name);
  if (v === undefined) return bounds.default;
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < 1) throw Errors.QUERY_INVALID(name, `must be a whole number from 1 to ${bounds.max}`);
  if (n > bounds.max) throw Errors.LIMIT_EXCEEDED(`${name}=${v} is over the maximum of ${count(bounds.max)} ${unit}`);
  return n;
}

/** `from` and `to` (to defaults to now, from to `defaultMs` before to): from before to, at most `maxMs` apart. */
export function rangeParams(q: Record<string, unknown>, o: { defaultMs: number; maxMs: number; now: number; what: string; hint?: string }): { from: number; to: number } {
  const to = timeParam(q, 'to', o.now);
  const from = timeParam(q, 'from', to - o.defaultMs);
  if (from >= to) throw Errors.QUERY_INVALID('from', 'must be before to');
  if (to - from > o.maxMs) throw Errors.LIMIT_EXCEEDED(`from..to spans ${days(to - from)}; ${o.what} at most ${days(o.maxMs)} per request${o.hint ? ` (${o.hint})` : ''}`);
  return { from, to };
}

/** Buckets per metric for a stepped read; over READINGS_MAX_BUCKETS is CG_LIMIT_EXCEEDED. */
export function checkBuckets(from: number, to: number, step: number): void {
  const buckets = Math.ceil((to - from) / step);
  if (buckets > READINGS_MAX_BUCKETS) {
    const least = Math.ceil((to - from) / READINGS_MAX_BUCKETS / 1000);
    throw Errors.LIMIT_EXCEEDED(`step=${step / 1000}s gives ${count(buckets)} buckets per metric; at most ${count(READINGS_MAX_BUCKETS)}: use a step of at least ${least}s`);
  }
}
