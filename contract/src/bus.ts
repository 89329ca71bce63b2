// The bus between the device edge and the rest: what an edge hands on for one message it accepted
// (checked against the contract, readings stamped), and how the city is cut into partitions.
// `npm start` carries these in-process (LocalBus, one owner of every partition); cluster mode over
// NATS JetStream, one subject per partition, each partition consumed by one server replica.
import type { CameraEvent, Reading } from './payloads.js';
import type { Rejection } from './rejections.js';
import { RECEIPT_PATTERN, REPORT_CATEGORIES, type ReportCategory } from './reports.js';

/**
 * How many partitions the city is cut into. Fixed: a grid cell's partition must not change while
 * the streams hold its history, so it is part of the stored format (changing it means a migration).
 */
export const PARTITIONS = 64;

/** FNV-1a (32 bit) of a string: stable across processes, releases and platforms. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The partition of a grid cell: all of a cell's devices share one, so per-cell rule state lives in one place. */
export function partitionOf(cell: string, partitions = PARTITIONS): number {
  return fnv1a(cell) % partitions;
}

interface Common {
  device: string;
  /** When the edge received it (epoch ms). */
  receivedAt: number;
  /** The MQTT DUP flag as the device sent it. */
  dup: boolean;
  /** The message's identity (device, channel, digest of its bytes): the dedupe key and JetStream's Nats-Msg-Id. */
  key: string;
  /** Every reading (or the event) carries its own ts or seq, so a copy of the message can be told apart. */
  identifiable: boolean;
  /** Some reading had no ts and was stamped on receipt. */
  stamped: boolean;
}

export type BusMessage =
  | (Common & { channel: 'telemetry'; readings: Reading[] })
  | (Common & { channel: 'event'; event: CameraEvent })
  | (Common & { channel: 'status'; online: boolean });

/** Cluster mode: the JetStream stream every edge writes to, one subject per partition. */
export const BUS_STREAM = 'CITYGRID_IN';
export const BUS_SUBJECT_PREFIX = 'citygrid.in.';
export const busSubject = (partition: number): string => `${BUS_SUBJECT_PREFIX}${partition}`;

/**
 * An operator's action on an alert, accepted by any replica and carried on the alert's partition to
 * the replica that owns it (and evaluates its cell). `id` is the command's: a retry is applied once.
 */
export const ALERT_COMMANDS = ['acknowledge', 'resolve', 'handle', 'verify', 'send_back', 'dispatch'] as const;
export interface AlertCommand {
  id: string;
  action: (typeof ALERT_COMMANDS)[number];
  alertId: string;
  actor: string;
  note: string | null;
  at: number;
  /** dispatch: the person it goes to. */
  to?: string;
}

/**
 * A resident's report (REPORTS on), filed through any replica and carried on its cell's partition to
 * the replica that owns it, whose `reports` rules count it or whose open alert of its kind it joins.
 * Its text stays in the report store (Redis): the stream carries only what the rules need.
 */
export interface BusReport {
  receipt: string; category: ReportCategory; grid: string; district: string; ts: number;
  /** Marked as spam while it waited: the owner's rules count it no more. */
  spam?: true;
}

/**
 * What one stream message holds: an accepted device message, several of one partition (`b`: an edge
 * under load batches what arrives while its last publish to that partition awaits JetStream's ack),
 * a refusal the edge made, or an alert command. `b` came with issue 16: a replica before it skips
 * (and terminates) such messages, so replicas are upgraded before edges.
 */
export type BusEnvelope = { m: BusMessage } | { b: BusMessage[] } | { r: Rejection } | { c: AlertCommand } | { p: BusReport };

/** A decoded batch says how many of its members were not well-formed (skipped, to be counted). */
export type DecodedEnvelope = Exclude<BusEnvelope, { b: BusMessage[] }> | { b: BusMessage[]; malformed: number };

/** Cluster mode: the alert log as a stream. Each owner appends its alerts' events; every replica reads it all. */
export const ALERT_STREAM = 'CITYGRID_ALERTS';
export const ALERT_SUBJECT_PREFIX = 'citygrid.alerts.';
export const alertSubject = (partition: number): string => `${ALERT_SUBJECT_PREFIX}${partition}`;
/** Maintenance windows: city-wide, so on a subject of their own in the alert stream. */
export const MAINTENANCE_SUBJECT = `${ALERT_SUBJECT_PREFIX}maintenance`;

const ENCODER = new TextEncoder();
const DECODER = new TextDecoder();

export function encodeEnvelope(envelope: BusEnvelope): Uint8Array {
  return ENCODER.encode(JSON.stringify(envelope));
}

const CHANNELS = new Set(['telemetry', 'event', 'status']);

/**
 * Reads a stream message back. Only edges write the stream, but a message that is not a well-formed
 * envelope (another writer, a future format) gives null, to be counted and skipped, never thrown.
 */
function busMessageOf(v: unknown): BusMessage | null {
  const m = v as Record<string, unknown> | null;
  if (typeof m !== 'object' || m === null || typeof m.device !== 'string' || typeof m.receivedAt !== 'number' || typeof m.key !== 'string' || !CHANNELS.has(m.channel as string)) return null;
  if (m.channel === 'telemetry' && !Array.isArray(m.readings)) return null;
  if (m.channel === 'event' && (typeof m.event !== 'object' || m.event === null)) return null;
  if (m.channel === 'status' && typeof m.online !== 'boolean') return null;
  return m as unknown as BusMessage;
}

export function decodeEnvelope(data: Uint8Array): DecodedEnvelope | null {
  let v: unknown;
  try {
    v = JSON.parse(DECODER.decode(data));
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  if ('m' in o) {
    const m = busMessageOf(o.m);
    return m ? { m } : null;
  }
  if ('b' in o) {
    if (!Array.isArray(o.b)) return null;
    const b: BusMessage[] = [];
    for (const v of o.b as unknown[]) {
      const m = busMessageOf(v);
      if (m) b.push(m);
    }
    return { b, malformed: o.b.length - b.length };
  }
  if ('c' in o) {
    const c = o.c as Record<string, unknown> | null;
    if (typeof c !== 'object' || c === null || typeof c.id !== 'string' || typeof c.alertId !== 'string' || typeof c.actor !== 'string'
      || !(ALERT_COMMANDS as readonly unknown[]).includes(c.action) || typeof c.at !== 'number' || (c.note !== null && typeof c.note !== 'string')
      || (c.action === 'dispatch' && typeof c.to !== 'string')) return null;
    return { c: c as unknown as AlertCommand };
  }
  if ('p' in o) {
    const p = o.p as Record<string, unknown> | null;
    if (typeof p !== 'object' || p === null || typeof p.receipt !== 'string' || !RECEIPT_PATTERN.test(p.receipt)
      || !(REPORT_CATEGORIES as readonly unknown[]).includes(p.category) || typeof p.grid !== 'string' || typeof p.district !== 'string' || typeof p.ts !== 'number') return null;
    return { p: { receipt: p.receipt, category: p.category as ReportCategory, grid: p.grid, district: p.district, ts: p.ts, ...(p.spam === true ? { spam: true as const } : {}) } };
  }
  if ('r' in o) {
    const r = o.r as Record<string, unknown> | null;
    if (typeof r !== 'object' || r === null || typeof r.reason !== 'string' || typeof r.message !== 'string' || typeof r.ts !== 'number') return null;
    return { r: r as unknown as Rejection };
  }
  return null;
}
