// An independent oracle for the fuzz run: what CityGrid must do with one MQTT message a signed-in
// device publishes, written from the contract as documented (README "Plug in a device
// (quick-start)": the topic/payload table and the refusal reasons; "Configuration"; SPEC.md
// "MQTT contract" and "Sensor catalogue").
//
// It deliberately imports nothing from @citygrid/contract or the server: no parser, schema, limit,
// catalogue or type. A bug in the product's parser therefore shows up as a disagreement with this
// file instead of being copied into the expectation. The price is that a change to the contract
// must be made here too; that is the point.
//
// Where the documents are silent, the rule chosen is written down below (PRECEDENCE, and the
// "decided:" comments), after reading what the product does (contract/src/payloads.ts,
// contract/src/topics.ts, broker/src/hooks/authorize-publish.ts) and judging it sensible.

// ---------------------------------------------------------------------------------------------
// Limits (README table and reasons, SPEC "MQTT contract")
// ---------------------------------------------------------------------------------------------

/** "payload at most 64 KiB": more than this many bytes is `payload_too_large`. */
export const MAX_PAYLOAD_BYTES = 65_536;
/** "an array of up to 500": more is `batch_too_large`. */
export const MAX_BATCH = 500;
/** `ts_in_future`: "more than 5 minutes in the future" (of the server's clock on receipt). */
export const FUTURE_TOLERANCE_MS = 300_000;
/** `ts_invalid` outside [2000-01-01, 2100-01-01): catches epoch seconds and microseconds. */
export const EARLIEST_TS = 946_684_800_000; // 2000-01-01T00:00:00Z, inclusive
export const LATEST_TS = 4_102_444_800_000; // 2100-01-01T00:00:00Z, exclusive
/** SPEC: "deviceId: [a-z0-9][a-z0-9-]{0,63}". */
export const DEVICE_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;
/** `city/v1/devices/{id}/{channel}`; `rejections` is subscribe-only. */
const TOPIC_PREFIX = ['city', 'v1', 'devices'] as const;
const CHANNELS = ['telemetry', 'event', 'status', 'rejections'] as const;
export type Channel = (typeof CHANNELS)[number];

/** The refusal reasons README lists for what a signed-in device can get wrong in a message. */
export const REASONS = [
  'unknown_device', 'bad_credentials', 'foreign_topic', 'topic_invalid', 'payload_too_large',
  'malformed_json', 'schema_invalid', 'unknown_property', 'wrong_channel', 'unknown_metric',
  'wrong_type', 'out_of_range', 'ts_in_future', 'ts_invalid', 'batch_too_large', 'status_invalid',
] as const;
export type Reason = (typeof REASONS)[number];

// ---------------------------------------------------------------------------------------------
// The sensor catalogue (SPEC "Sensor catalogue": kinds and metric names; types and plausible
// ranges copied by hand from contract/src/catalogue.ts).
// DELIBERATE COPY: this table is not imported so that the oracle stays independent of the code
// under test. A change to the catalogue (a metric, a type, a range) must be made here as well, or
// the fuzz test fails on the first message that uses it, which is the intended reminder.
// ---------------------------------------------------------------------------------------------

type Spec = { type: 'number'; min: number; max: number } | { type: 'boolean' };
const num = (min: number, max: number): Spec => ({ type: 'number', min, max });
const bool: Spec = { type: 'boolean' };

export const CATALOGUE_COPY: Readonly<Record<string, Readonly<Record<string, Spec>>>> = {
  air_quality: { pm25: num(0, 1000), pm10: num(0, 2000), no2: num(0, 2000), o3: num(0, 1200) },
  noise: { laeq: num(20, 140) },
  water_level: { level_cm: num(0, 500) },
  rainfall: { mm_h: num(0, 300) },
  traffic: { flow: num(0, 300), speed: num(0, 200), occupancy: num(0, 100) },
  manhole_cover: { tilt_deg: num(0, 180), open: bool },
  gas: { ch4: num(0, 100) },
  streetlight: { on: bool, power_w: num(0, 1000) },
  waste_bin: { fill_pct: num(0, 100) },
  bridge: { strain_ue: num(-3000, 3000), vibration_mm_s: num(0, 500) },
  weather: { temp_c: num(-50, 60), humidity_pct: num(0, 100), wind_m_s: num(0, 75) },
};
/** SPEC "Camera event types". */
export const CAMERA_EVENT_TYPES_COPY: readonly string[] = [
  'illegal_parking', 'crowding', 'road_obstruction', 'stalled_vehicle',
  'smoke_fire', 'garbage_overflow', 'street_vending', 'waterlogging',
];

/** The properties a telemetry reading may have (README table). */
const TELEMETRY_FIELDS = new Set(['ts', 'metrics', 'seq']);
/**
 * The properties a camera event may have. README: `{"ts"?, "type", "confidence": 0..1, "count"?,
 * "zone"?}` "— nothing else"; SPEC: "unknown properties are rejected".
 * KNOWN DISCREPANCY (reported, not silently adopted): the product also accepts `seq` in an event
 * (contract/src/payloads.ts cameraEventSchema, and its own refusal text says "only type,
 * confidence, count, zone, ts and seq"), and the rejections contract echoes "the seq of the
 * refused reading". A sequence number is neither an image nor personal data, so the documents are
 * taken to be the incomplete side; set EVENT_ALLOWS_SEQ to false to hold the product to the README's
 * literal text (every fuzzed camera event carries a seq, so that fails at once).
 */
export const EVENT_ALLOWS_SEQ = true;
const EVENT_FIELDS = new Set(['ts', 'type', 'confidence', 'count', 'zone', ...(EVENT_ALLOWS_SEQ ? ['seq'] : [])]);
/**
 * README: an event's `count` is 1..10000; `zone` a zone name: "a-z, 0-9, - and _, starting with a
 * letter, at most 32 characters, never four digits in a row". Decided (a detail the README leaves
 * to contract/src/): `seq` (README: "int") a non-negative whole number no larger than 2^53 - 1, the
 * largest a JSON number carries exactly in JavaScript.
 */
const EVENT_COUNT = { min: 1, max: 10_000 };
const ZONE_MAX = 32;
function isZoneName(zone: string): boolean {
  if (zone.length < 1 || zone.length > ZONE_MAX || !(zone[0]! >= 'a' && zone[0]! <= 'z')) return false;
  let digitsInARow = 0;
  for (const ch of zone) {
    const digit = ch >= '0' && ch <= '9';
    if (!(digit || (ch >= 'a' && ch <= 'z') || ch === '-' || ch === '_')) return false;
    digitsInARow = digit ? digitsInARow + 1 : 0;
    if (digitsInARow >= 4) return false;
  }
  return true;
}
const MAX_SEQ = 2 ** 53 - 1;

// ---------------------------------------------------------------------------------------------
// Outcomes
// ---------------------------------------------------------------------------------------------

export interface Refused {
  outcome: 'refused';
  /** Where: the broker for topic, identity and size problems; the server for payload problems. */
  by: 'broker' | 'server';
  reason: Reason;
  /** The `seq` the refusal must carry (the refused reading's), if any. */
  seq?: number;
  /** Which rule, in words, for failure messages. */
  why: string;
}

/** An accepted reading: `ts` null means "no ts: the server's receive time". */
export interface ExpectedReading { ts: number | null; metrics: Record<string, number | boolean>; seq?: number }
export interface ExpectedEvent { ts: number | null; type: string; confidence: number; count: number; zone?: string; seq?: number }

export type Accepted =
  | { outcome: 'accepted'; channel: 'telemetry'; readings: ExpectedReading[] }
  | { outcome: 'accepted'; channel: 'event'; event: ExpectedEvent }
  | { outcome: 'accepted'; channel: 'status'; status: 'online' | 'offline' };

export type Expected = Refused | Accepted;

export interface OracleDevice { id: string; kind: string }

class Refusal extends Error {
  constructor(readonly reason: Reason, readonly why: string, readonly seq?: number) {
    super(why);
  }
}

// ---------------------------------------------------------------------------------------------
// PRECEDENCE: which reason wins when a message has several problems. README lists the reasons
// but not their order; this is the product's order (read in the files named at the top), judged
// sensible and written down here as the contract the fuzz run holds the product to:
//
// Broker (before the server sees the message), in this order:
//   1. topic_invalid      the topic is not city/v1/devices/{id}/{telemetry|event|status} with a
//                         valid id (publishing to .../rejections is topic_invalid too);
//   2. foreign_topic      a valid device topic, but not under the signed-in device's own id;
//   3. payload_too_large  more than 64 KiB.
//   Where a message goes is settled before what it carries is looked at.
// Server, per channel:
//   status:    the text, surrounding whitespace ignored, is `online` or `offline`, else
//              status_invalid (no JSON involved; any device kind may publish it).
//   telemetry/event:
//   1. wrong_channel      a camera on .../telemetry or a sensor on .../event, whatever the payload;
//   2. malformed_json     not UTF-8 JSON;
//   3. (telemetry) a top-level array: empty -> schema_invalid; more than 500 -> batch_too_large;
//      both before any item is looked at;
//   4. the FIRST bad item, in array order, refuses the whole message (all-or-nothing) and the
//      refusal carries that item's seq; within one item (or the one event):
//      a. not an object -> schema_invalid;
//      b. any property outside the contract -> unknown_property, even when other properties are
//         wrong too (an image or a plate number is named as such whatever else is wrong);
//      c. a property of the wrong shape (metrics not an object, ts neither number nor string,
//         seq not a non-negative whole number, an event's type/confidence/count/zone) -> schema_invalid;
//      d. (telemetry) metrics empty -> schema_invalid; then each metric in the object's order
//         (JSON text order; JavaScript lists integer-like names first): unknown_metric, then
//         wrong_type, then out_of_range for that metric; the first bad metric decides;
//      e. ts last: not a whole number of ms / not an RFC 3339 date-time of a real date, or
//         outside [2000, 2100) -> ts_invalid; more than 5 minutes ahead -> ts_in_future.
//   A refusal carries `seq` when the refused reading (the failing item, or the event) has a `seq`
//   that is a non-negative whole number; whole-message refusals (wrong_channel, malformed_json,
//   empty or oversize batch, status) carry none.
// ---------------------------------------------------------------------------------------------

export function parseTopic(topic: string): { id: string; channel: Channel } | null {
  const parts = topic.split('/');
  if (parts.length !== 5 || TOPIC_PREFIX.some((p, i) => parts[i] !== p)) return null;
  const [, , , id, channel] = parts as [string, string, string, string, string];
  if (!DEVICE_ID.test(id) || !(CHANNELS as readonly string[]).includes(channel)) return null;
  return { id, channel: channel as Channel };
}

/**
 * What must happen to `payload` published on `topic` by the signed-in `device`, at server time
 * `now` (only the 5-minute future window depends on it).
 */
export function expectedOutcome(device: OracleDevice, topic: string, payload: Buffer, now: number): Expected {
  const broker = (reason: Reason, why: string): Refused => ({ outcome: 'refused', by: 'broker', reason, why });
  const t = parseTopic(topic);
  if (!t || t.channel === 'rejections') return broker('topic_invalid', `topic "${topic.slice(0, 80)}" is not a device topic a device may publish to`);
  if (t.id !== device.id) return broker('foreign_topic', `${device.id} publishing under "${t.id}"`);
  if (payload.length > MAX_PAYLOAD_BYTES) return broker('payload_too_large', `${payload.length} bytes > ${MAX_PAYLOAD_BYTES}`);

  try {
    if (t.channel === 'status') return { outcome: 'accepted', channel: 'status', status: status(payload) };
    if (t.channel === 'telemetry') {
      if (device.kind === 'camera') throw new Refusal('wrong_channel', 'a camera publishing telemetry');
      return { outcome: 'accepted', channel: 'telemetry', readings: telemetry(decodeJson(payload), device.kind, now) };
    }
    if (device.kind !== 'camera') throw new Refusal('wrong_channel', `a ${device.kind} sensor publishing an event`);
    return { outcome: 'accepted', channel: 'event', event: cameraEvent(decodeJson(payload), now) };
  } catch (err) {
    if (!(err instanceof Refusal)) throw err;
    const refused: Refused = { outcome: 'refused', by: 'server', reason: err.reason, why: err.why };
    if (err.seq !== undefined) refused.seq = err.seq;
    return refused;
  }
}

/** Readings an accepted outcome stands for (a status or an event: 0). */
export function readingsOf(e: Expected): number {
  return e.outcome === 'accepted' && e.channel === 'telemetry' ? e.readings.length : 0;
}

// decided: surrounding whitespace is ignored (`echo online | mosquitto_pub -s` sends a newline).
function status(payload: Buffer): 'online' | 'offline' {
  const text = payload.toString('utf8').trim();
  if (text === 'online' || text === 'offline') return text;
  throw new Refusal('status_invalid', `status ${JSON.stringify(text.slice(0, 40))}`);
}

// decided: JSON is UTF-8 (RFC 8259 §8.1): a payload that is not valid UTF-8 is malformed_json, as is
// a leading byte-order mark (RFC 8259 lets a parser refuse it; it is not JSON whitespace).
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
function decodeJson(payload: Buffer): unknown {
  let text: string;
  try {
    text = UTF8.decode(payload);
  } catch {
    throw new Refusal('malformed_json', 'not UTF-8');
  }
  try {
    return JSON.parse(text); // decided: a repeated name keeps its last value, as JSON.parse does
  } catch {
    throw new Refusal('malformed_json', 'not JSON');
  }
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isWhole = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const seqIn = (item: unknown): number | undefined => (isPlainObject(item) && Object.hasOwn(item, 'seq') && isWhole(item.seq) && item.seq >= 0 ? item.seq : undefined);

function telemetry(decoded: unknown, kind: string, now: number): ExpectedReading[] {
  const specs = CATALOGUE_COPY[kind];
  if (!specs) throw new Error(`oracle: no catalogue entry for kind ${kind}`);
  const batch = Array.isArray(decoded);
  const items = batch ? decoded : [decoded];
  if (batch && items.length === 0) throw new Refusal('schema_invalid', 'empty batch');
  if (items.length > MAX_BATCH) throw new Refusal('batch_too_large', `batch of ${items.length} > ${MAX_BATCH}`);
  return items.map((item, i) => {
    try {
      return reading(item, specs, now);
    } catch (err) {
      if (err instanceof Refusal && batch) throw new Refusal(err.reason, `batch item ${i}: ${err.why}`, err.seq);
      throw err;
    }
  });
}

function reading(item: unknown, specs: Readonly<Record<string, Spec>>, now: number): ExpectedReading {
  const seq = seqIn(item);
  const refuse = (reason: Reason, why: string) => new Refusal(reason, why, seq);
  if (!isPlainObject(item)) throw refuse('schema_invalid', 'a reading that is not an object');
  const extra = Object.keys(item).find((k) => !TELEMETRY_FIELDS.has(k));
  if (extra !== undefined) throw refuse('unknown_property', `property ${JSON.stringify(extra)}`);
  if (!Object.hasOwn(item, 'metrics') || !isPlainObject(item.metrics)) throw refuse('schema_invalid', 'metrics missing or not an object');
  checkShapeOfTsAndSeq(item, refuse);
  const metrics = item.metrics;
  const names = Object.keys(metrics); // own names, "__proto__" included
  if (names.length === 0) throw refuse('schema_invalid', 'metrics empty');
  for (const name of names) {
    const spec = Object.hasOwn(specs, name) ? specs[name] : undefined;
    const value = metrics[name];
    if (!spec) throw refuse('unknown_metric', `metric ${JSON.stringify(name.slice(0, 40))}`);
    if (spec.type === 'boolean') {
      if (typeof value !== 'boolean') throw refuse('wrong_type', `${name} = ${JSON.stringify(value)?.slice(0, 40)}, not a boolean`);
      continue;
    }
    if (typeof value !== 'number' || !Number.isFinite(value)) throw refuse('wrong_type', `${name} = ${JSON.stringify(value)?.slice(0, 40)}, not a number`);
    if (value < spec.min || value > spec.max) throw refuse('out_of_range', `${name} = ${value} outside ${spec.min}..${spec.max}`);
  }
  const out: ExpectedReading = { ts: timestamp(item.ts, now, refuse), metrics: metrics as Record<string, number | boolean> };
  if (seq !== undefined) out.seq = seq;
  return out;
}

function checkShapeOfTsAndSeq(item: Record<string, unknown>, refuse: (reason: Reason, why: string) => Refusal): void {
  if (Object.hasOwn(item, 'ts') && typeof item.ts !== 'number' && typeof item.ts !== 'string') throw refuse('schema_invalid', `ts ${JSON.stringify(item.ts)?.slice(0, 40)}`);
  if (Object.hasOwn(item, 'seq') && !(isWhole(item.seq) && item.seq >= 0 && item.seq <= MAX_SEQ)) throw refuse('schema_invalid', `seq ${JSON.stringify(item.seq)?.slice(0, 40)}`);
}

function cameraEvent(decoded: unknown, now: number): ExpectedEvent {
  const seq = seqIn(decoded);
  const refuse = (reason: Reason, why: string) => new Refusal(reason, why, seq);
  if (!isPlainObject(decoded)) throw refuse('schema_invalid', 'an event that is not an object');
  const e = decoded;
  const extra = Object.keys(e).find((k) => !EVENT_FIELDS.has(k));
  if (extra !== undefined) throw refuse('unknown_property', `property ${JSON.stringify(extra)} in an event`);
  if (typeof e.type !== 'string' || !CAMERA_EVENT_TYPES_COPY.includes(e.type)) throw refuse('schema_invalid', `event type ${JSON.stringify(e.type)?.slice(0, 40)}`);
  if (typeof e.confidence !== 'number' || !(e.confidence >= 0 && e.confidence <= 1)) throw refuse('schema_invalid', `confidence ${JSON.stringify(e.confidence)?.slice(0, 40)}`);
  if (Object.hasOwn(e, 'count') && !(isWhole(e.count) && e.count >= EVENT_COUNT.min && e.count <= EVENT_COUNT.max)) throw refuse('schema_invalid', `count ${JSON.stringify(e.count)?.slice(0, 40)}`);
  if (Object.hasOwn(e, 'zone') && !(typeof e.zone === 'string' && isZoneName(e.zone))) throw refuse('schema_invalid', `zone ${JSON.stringify(e.zone)?.slice(0, 40)}`);
  checkShapeOfTsAndSeq(e, refuse);
  const out: ExpectedEvent = { ts: timestamp(e.ts, now, refuse), type: e.type, confidence: e.confidence, count: (e.count as number | undefined) ?? 1 };
  if (e.zone !== undefined) out.zone = e.zone as string;
  if (seq !== undefined) out.seq = seq;
  return out;
}

// RFC 3339 date-time: full date, time and offset; "T"/"Z" may be lower case and the separator a
// space (RFC 3339 §5.6 NOTE). decided: a leap second (:60) is refused; device clocks do not send one.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

function daysIn(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
}

/** Epoch ms of an RFC 3339 date-time, or null when it is not one (or not a real date). */
export function rfc3339(text: string): number | null {
  const m = RFC3339.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59) return null;
  let offsetMin = 0;
  if (!m[8]) {
    const [oh, om] = [Number(m[10]), Number(m[11])];
    if (oh > 23 || om > 59) return null;
    offsetMin = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const ms = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0; // finer than ms: truncated
  const utc = new Date(0);
  utc.setUTCFullYear(year, month - 1, day);
  utc.setUTCHours(hour, minute, second, ms);
  return utc.getTime() - offsetMin * 60_000;
}

function timestamp(ts: unknown, now: number, refuse: (reason: Reason, why: string) => Refusal): number | null {
  if (ts === undefined) return null;
  let ms: number;
  if (typeof ts === 'number') {
    if (!Number.isInteger(ts)) throw refuse('ts_invalid', `ts ${ts} is not whole milliseconds`);
    ms = ts;
  } else {
    const parsed = rfc3339(String(ts));
    if (parsed === null) throw refuse('ts_invalid', `ts ${JSON.stringify(String(ts).slice(0, 40))} is not an RFC 3339 date-time of a real date`);
    ms = parsed;
  }
  if (ms < EARLIEST_TS || ms >= LATEST_TS) throw refuse('ts_invalid', `ts ${ms} outside [2000-01-01, 2100-01-01)`);
  if (ms > now + FUTURE_TOLERANCE_MS) throw refuse('ts_in_future', `ts ${ms} is ${Math.round((ms - now) / 1000)} s ahead`);
  return ms;
}
