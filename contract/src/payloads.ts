// Runtime schemas for everything that crosses MQTT, and the parse functions that turn
// raw payloads into readings or a specific RejectionError.
import { z } from 'zod';
import {
  CAMERA_EVENT_TYPES, metricsOf, type CameraEventType, type DeviceKind,
} from './catalogue.js';
import { RejectionError } from './rejections.js';
import { MAX_BATCH, MAX_PAYLOAD_BYTES } from './topics.js';

export const FUTURE_TOLERANCE_MS = 5 * 60_000; // 5 minutes
const EARLIEST_TS = Date.UTC(2000, 0, 1);
const LATEST_TS = Date.UTC(2100, 0, 1);
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Date.parse rolls 2026-02-30 over to March; a reading's timestamp must be a real calendar date. */
function isRealDateTime(m: RegExpExecArray): boolean {
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth && hour <= 23 && minute <= 59 && second <= 60;
}

const tsSchema = z.union([z.number(), z.string()]);
// Value types are checked against the catalogue afterwards, so a wrong type gets its own reason.
const metricValue = z.unknown();

export const telemetrySchema = z.strictObject({
  ts: tsSchema.optional(),
  metrics: z.record(z.string(), metricValue),
  seq: z.number().int().nonnegative().optional(),
});
export type TelemetryPayload = Omit<z.infer<typeof telemetrySchema>, 'metrics'> & { metrics: Record<string, number | boolean> };

/**
 * A camera event's `zone` names a part of the camera's view that was configured in the camera
 * (`gate-north`, `lane-2`): a short identifier, not free text. Free text let a plate number
 * (鄂A12345), a phone number or a name through, against "no personal data", and a newline into the
 * InfluxDB line protocol. So: lowercase letters, digits, `-` and `_`, starting with a letter, at most
 * 32 characters, and never four digits in a row (the tail of a plate, a phone or an ID number).
 */
export const ZONE_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/;
const FOUR_DIGITS = /[0-9]{4}/;
export function isZoneName(zone: string): boolean {
  return ZONE_PATTERN.test(zone) && !FOUR_DIGITS.test(zone);
}
const ZONE_RULE = 'a zone name configured in the camera: a-z, 0-9, - and _, starting with a letter, at most 32 characters, no four digits in a row (e.g. gate-north, lane-2); zones never carry plate numbers or other personal data';

export const cameraEventSchema = z.strictObject({
  ts: tsSchema.optional(),
  type: z.enum(CAMERA_EVENT_TYPES),
  confidence: z.number().min(0).max(1),
  count: z.number().int().min(1).max(10_000).optional(),
  zone: z.string().refine(isZoneName, { message: `must be ${ZONE_RULE}` }).optional(),
  seq: z.number().int().nonnegative().optional(),
});
export type CameraEventPayload = z.infer<typeof cameraEventSchema>;

export const STATUS_VALUES = ['online', 'offline'] as const;
export type DeviceStatus = (typeof STATUS_VALUES)[number];

/** One accepted telemetry message, normalised: ts in epoch ms. */
export interface Reading {
  device: string;
  ts: number;
  metrics: Record<string, number | boolean>;
  seq?: number;
}

export interface CameraEvent {
  device: string;
  ts: number;
  type: CameraEventType;
  confidence: number;
  count: number;
  zone?: string;
  seq?: number;
}

/** Refuses bytes that are not UTF-8 instead of replacing them with U+FFFD (as Buffer#toString does), at the same cost. */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }); // a BOM stays, and JSON.parse refuses it as before

function decodeJson(raw: Buffer | string): unknown {
  const size = typeof raw === 'string' ? Buffer.byteLength(raw) : raw.length;
  if (size > MAX_PAYLOAD_BYTES) {
    throw new RejectionError('payload_too_large', `Payload is ${size} bytes; the limit is ${MAX_PAYLOAD_BYTES} bytes (64 KiB)`);
  }
  let text: string;
  try {
    text = typeof raw === 'string' ? raw : UTF8.decode(raw);
  } catch {
    throw new RejectionError('malformed_json', 'Payload is not valid UTF-8 (JSON must be UTF-8 text)');
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new RejectionError('malformed_json', `Payload is not valid JSON: ${(err as Error).message}`);
  }
}

/** Turns `ts` (epoch ms or RFC 3339) into epoch ms, defaulting to `now`. */
export function normaliseTs(ts: number | string | undefined, now: number, seq?: number): number {
  if (ts === undefined) return now;
  let ms: number;
  if (typeof ts === 'number') {
    if (!Number.isInteger(ts)) throw new RejectionError('ts_invalid', `ts ${ts} is not a whole number of epoch milliseconds`, seq);
    ms = ts;
  } else {
    // RFC 3339 requires a full date, time and offset
    const m = RFC3339.exec(ts);
    if (!m) {
      throw new RejectionError('ts_invalid', `ts "${ts.slice(0, 40)}" is not an RFC 3339 date-time such as 2026-05-01T08:30:00+08:00`, seq);
    }
    ms = Date.parse(ts);
    if (Number.isNaN(ms) || !isRealDateTime(m)) throw new RejectionError('ts_invalid', `ts "${ts.slice(0, 40)}" is not a real date`, seq);
  }
  if (ms < EARLIEST_TS) {
    throw new RejectionError('ts_invalid', `ts ${ms} is before 2000-01-01; send epoch milliseconds, not seconds`, seq);
  }
  if (ms >= LATEST_TS) {
    throw new RejectionError('ts_invalid', `ts ${ms} is after 2100-01-01; send epoch milliseconds, not microseconds`, seq);
  }
  if (ms > now + FUTURE_TOLERANCE_MS) {
    throw new RejectionError('ts_in_future', `ts ${new Date(ms).toISOString()} is ${Math.round((ms - now) / 1000)} s ahead of the server clock; at most 300 s is allowed`, seq);
  }
  return ms;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.length ? issue.path.join('.') : 'payload';
  return `${where}: ${issue.message}`;
}

function schemaError(error: z.ZodError, seq?: number): RejectionError {
  const unknownKeys = error.issues.find((i) => i.code === 'unrecognized_keys');
  if (unknownKeys && unknownKeys.code === 'unrecognized_keys') {
    const where = unknownKeys.path.length ? ` in ${unknownKeys.path.join('.')}` : '';
    return new RejectionError('unknown_property', `Property ${unknownKeys.keys.map((k) => `"${k}"`).join(', ')}${where} is not allowed`, seq);
  }
  return new RejectionError('schema_invalid', error.issues.slice(0, 3).map(describeIssue).join('; '), seq);
}

function checkMetrics(kind: DeviceKind, metrics: Record<string, unknown>, seq?: number): asserts metrics is Record<string, number | boolean> {
  const specs = metricsOf(kind);
  const names = Object.keys(metrics);
  if (names.length === 0) throw new RejectionError('schema_invalid', 'metrics is empty; send at least one metric', seq);
  for (const name of names) {
    const spec = Object.hasOwn(specs, name) ? specs[name] : undefined;
    if (!spec) {
      throw new RejectionError('unknown_metric', `Metric "${name.slice(0, 64)}" is not in the ${kind} catalogue (expected one of: ${Object.keys(specs).join(', ')})`, seq);
    }
    const value = metrics[name];
    if (spec.type === 'boolean') {
      if (typeof value !== 'boolean') throw new RejectionError('wrong_type', `Metric "${name}" must be true or false, got ${JSON.stringify(value)}`, seq);
      continue;
    }
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new RejectionError('wrong_type', `Metric "${name}" must be a number (${spec.unit}), got ${JSON.stringify(value)}`, seq);
    }
    if (value < spec.min || value > spec.max) {
      throw new RejectionError('out_of_range', `Metric "${name}" = ${value} ${spec.unit} is outside the plausible range ${spec.min}..${spec.max} ${spec.unit}`, seq);
    }
  }
}

/**
 * Gives a reading or a camera event that has no `ts` its time: the server stamps it on receipt, and
 * keeps the stamps of one device distinct and rising, so two arriving in the same millisecond (or
 * the items of a batch without ts) do not overwrite each other in the store. `seq` is the item's
 * own, which says whether a copy of it can still be recognised.
 */
export type Stamp = (seq: number | undefined) => number;

function seqOf(item: unknown): number | undefined {
  if (item && typeof item === 'object' && 'seq' in item) {
    const seq = (item as { seq: unknown }).seq;
    if (typeof seq === 'number' && Number.isInteger(seq) && seq >= 0) return seq;
  }
  return undefined;
}

/**
 * Parses a telemetry payload (one object or a batch of up to 500) for a device of `kind`.
 * All-or-nothing: the first bad item refuses the whole message, naming its index.
 */
export function parseTelemetry(raw: Buffer | string, device: string, kind: DeviceKind, now: number, stamp?: Stamp): Reading[] {
  if (kind === 'camera') throw new RejectionError('wrong_channel', 'Cameras publish events on .../event, not telemetry');
  const decoded = decodeJson(raw);
  const items = Array.isArray(decoded) ? decoded : [decoded];
  if (Array.isArray(decoded)) {
    if (decoded.length === 0) throw new RejectionError('schema_invalid', 'Batch is empty');
    if (decoded.length > MAX_BATCH) throw new RejectionError('batch_too_large', `Batch has ${decoded.length} readings; the limit is ${MAX_BATCH}`);
  }
  const readings: Reading[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const seq = seqOf(item);
    try {
      const result = telemetrySchema.safeParse(item);
      if (!result.success) throw schemaError(result.error, seq);
      const p = result.data;
      // The payload's own metrics, not zod's copy: the copy leaves out a "__proto__" key (a guard
      // against prototype pollution), so a metric of that name vanished instead of being refused.
      const metrics = (item as { metrics: Record<string, unknown> }).metrics;
      checkMetrics(kind, metrics, seq);
      const ts = p.ts === undefined && stamp ? stamp(p.seq) : normaliseTs(p.ts, now, seq);
      const reading: Reading = { device, ts, metrics };
      if (p.seq !== undefined) reading.seq = p.seq;
      readings.push(reading);
    } catch (err) {
      if (err instanceof RejectionError && Array.isArray(decoded)) {
        throw new RejectionError(err.reason, `Batch item ${i}: ${err.message}`, err.seq);
      }
      throw err;
    }
  }
  return readings;
}

/** Parses a camera event. Unknown properties (an image, a plate number) are refused. */
export function parseCameraEvent(raw: Buffer | string, device: string, kind: DeviceKind, now: number, stamp?: Stamp): CameraEvent {
  if (kind !== 'camera') throw new RejectionError('wrong_channel', `A ${kind} sensor publishes telemetry on .../telemetry, not events`);
  const decoded = decodeJson(raw);
  const seq = seqOf(decoded);
  const result = cameraEventSchema.safeParse(decoded);
  if (!result.success) {
    const err = schemaError(result.error, seq);
    if (err.reason === 'unknown_property') {
      throw new RejectionError('unknown_property', `${err.message}: camera events carry no images and no personal data, only type, confidence, count, zone, ts and seq`, seq);
    }
    throw err;
  }
  const p = result.data;
  const ts = p.ts === undefined && stamp ? stamp(p.seq) : normaliseTs(p.ts, now, seq);
  const event: CameraEvent = { device, ts, type: p.type, confidence: p.confidence, count: p.count ?? 1 };
  if (p.zone !== undefined) event.zone = p.zone;
  if (p.seq !== undefined) event.seq = p.seq;
  return event;
}

export function parseStatus(raw: Buffer | string): DeviceStatus {
  const text = (typeof raw === 'string' ? raw : raw.toString('utf8')).trim();
  if (text === 'online' || text === 'offline') return text;
  throw new RejectionError('status_invalid', `Status must be "online" or "offline", got "${text.slice(0, 40)}"`);
}
