// Proves the MQTT payload parsers accept what the contract allows and refuse everything else with the right rejection reason, index and seq.
import { describe, expect, it } from 'vitest';
import type { DeviceKind } from './catalogue.js';
import {
  FUTURE_TOLERANCE_MS, isZoneName, normaliseTs, parseCameraEvent, parseStatus, parseTelemetry,
} from './payloads.js';
import { REJECTION_REASON_CODES, RejectionError, type RejectionReason } from './rejections.js';
import { MAX_BATCH, MAX_PAYLOAD_BYTES } from './topics.js';

const NOW = Date.UTC(2026, 4, 1, 0, 30); // 2026-05-01T00:30:00Z
const MIN = 60_000;

const telemetry = (payload: unknown, kind: DeviceKind = 'air_quality') =>
  parseTelemetry(JSON.stringify(payload), 'aq-0001', kind, NOW);
const cameraEvent = (payload: unknown, kind: DeviceKind = 'camera') =>
  parseCameraEvent(JSON.stringify(payload), 'cam-0001', kind, NOW);

/** Runs fn and returns the RejectionError it throws; fails the test when it throws nothing or something else. */
function rejection(fn: () => unknown): RejectionError {
  let result: unknown;
  try {
    result = fn();
  } catch (err) {
    if (err instanceof RejectionError) return err;
    throw new Error(`expected a RejectionError, got ${String(err)}`);
  }
  throw new Error(`expected a RejectionError, but the payload was accepted: ${JSON.stringify(result)}`);
}

describe('parseTelemetry: accepted payloads', () => {
  it('accepts a single object and stamps it with the receive time when ts is absent', () => {
    const readings = telemetry({ metrics: { pm25: 35.5, pm10: 60 } });
    expect(readings).toEqual([{ device: 'aq-0001', ts: NOW, metrics: { pm25: 35.5, pm10: 60 } }]);
    expect(readings[0]).not.toHaveProperty('seq');
  });

  it('accepts a Buffer as well as a string', () => {
    const readings = parseTelemetry(Buffer.from('{"metrics":{"laeq":55}}'), 'noise-1', 'noise', NOW);
    expect(readings).toEqual([{ device: 'noise-1', ts: NOW, metrics: { laeq: 55 } }]);
  });

  it('accepts a batch of 500 readings in order, carrying ts and seq', () => {
    const batch = Array.from({ length: MAX_BATCH }, (_, i) => ({ ts: NOW - (MAX_BATCH - i) * 1000, metrics: { pm25: i % 100 }, seq: i }));
    expect(MAX_BATCH).toBe(500);
    const readings = telemetry(batch);
    expect(readings).toHaveLength(500);
    expect(readings[0]).toEqual({ device: 'aq-0001', ts: NOW - 500_000, metrics: { pm25: 0 }, seq: 0 });
    expect(readings[499]).toEqual({ device: 'aq-0001', ts: NOW - 1000, metrics: { pm25: 99 }, seq: 499 });
  });

  it('takes ts as epoch milliseconds', () => {
    const ts = NOW - 42_123;
    expect(telemetry({ ts, metrics: { pm25: 10 } })[0]!.ts).toBe(ts);
  });

  it('takes ts as RFC 3339 with an offset, with Z, and with fractional seconds', () => {
    expect(telemetry({ ts: '2026-05-01T08:00:00+08:00', metrics: { pm25: 10 } })[0]!.ts).toBe(Date.UTC(2026, 4, 1, 0, 0));
    expect(telemetry({ ts: '2026-04-30T19:15:00-05:00', metrics: { pm25: 10 } })[0]!.ts).toBe(Date.UTC(2026, 4, 1, 0, 15));
    expect(telemetry({ ts: '2026-05-01T00:10:00.250Z', metrics: { pm25: 10 } })[0]!.ts).toBe(Date.UTC(2026, 4, 1, 0, 10, 0, 250));
  });

  it('carries seq, including 0', () => {
    expect(telemetry({ metrics: { pm25: 1 }, seq: 0 })[0]!.seq).toBe(0);
    expect(telemetry({ metrics: { pm25: 1 }, seq: 123456 })[0]!.seq).toBe(123456);
  });

  it('accepts booleans for boolean metrics (manhole open, streetlight on)', () => {
    expect(telemetry({ metrics: { open: true, tilt_deg: 3 } }, 'manhole_cover')[0]!.metrics).toEqual({ open: true, tilt_deg: 3 });
    expect(telemetry({ metrics: { on: false, power_w: 0 } }, 'streetlight')[0]!.metrics).toEqual({ on: false, power_w: 0 });
  });

  it('accepts values exactly at the ends of the plausible range', () => {
    expect(telemetry({ metrics: { pm25: 0, pm10: 2000 } })[0]!.metrics).toEqual({ pm25: 0, pm10: 2000 });
    expect(telemetry({ metrics: { strain_ue: -3000 } }, 'bridge')[0]!.metrics).toEqual({ strain_ue: -3000 });
  });

  it('accepts ts exactly 5 minutes ahead of the server clock', () => {
    expect(FUTURE_TOLERANCE_MS).toBe(5 * MIN);
    expect(telemetry({ ts: NOW + 5 * MIN, metrics: { pm25: 1 } })[0]!.ts).toBe(NOW + 5 * MIN);
  });
});

describe('parseTelemetry: refused payloads', () => {
  it('malformed_json: bytes that are not UTF-8, and a leading byte-order mark', () => {
    const bad = Buffer.concat([Buffer.from('{"metrics":{"level_cm":1,"'), Buffer.from([0xc3, 0x28]), Buffer.from('":1}}')]);
    expect(rejection(() => parseTelemetry(bad, 'wl-1', 'water_level', NOW)).reason).toBe('malformed_json');
    const zone = Buffer.concat([Buffer.from('{"type":"crowding","confidence":0.5,"zone":"'), Buffer.from([0xff]), Buffer.from('"}')]);
    expect(rejection(() => parseCameraEvent(zone, 'cam-0001', 'camera', NOW)).reason).toBe('malformed_json');
    expect(rejection(() => parseTelemetry(Buffer.from('\uFEFF{"metrics":{"level_cm":1}}'), 'wl-1', 'water_level', NOW)).reason).toBe('malformed_json');
    expect(parseTelemetry(Buffer.from('{"metrics":{"level_cm":1}}'), 'wl-1', 'water_level', NOW)).toHaveLength(1);
  });

  it('malformed_json: truncated JSON, empty payload, bare words', () => {
    for (const raw of ['{"metrics": {"pm25": 1}', '', 'pm25=12', "{'metrics':{}}"]) {
      expect(rejection(() => parseTelemetry(raw, 'aq-0001', 'air_quality', NOW)).reason, raw).toBe('malformed_json');
    }
  });

  it('schema_invalid: missing metrics', () => {
    const err = rejection(() => telemetry({ ts: NOW }));
    expect(err.reason).toBe('schema_invalid');
    expect(err.message).toContain('metrics');
  });

  it('schema_invalid: metrics not an object (number, array, null, string)', () => {
    for (const metrics of [5, [1, 2], null, 'pm25=1']) {
      expect(rejection(() => telemetry({ metrics })).reason, JSON.stringify(metrics)).toBe('schema_invalid');
    }
  });

  it('schema_invalid: empty metrics', () => {
    const err = rejection(() => telemetry({ metrics: {} }));
    expect(err.reason).toBe('schema_invalid');
    expect(err.message).toContain('metrics');
  });

  it('schema_invalid: empty batch', () => {
    expect(rejection(() => telemetry([])).reason).toBe('schema_invalid');
  });

  it('schema_invalid: seq negative or fractional, and then no seq is carried', () => {
    const negative = rejection(() => telemetry({ metrics: { pm25: 1 }, seq: -1 }));
    expect(negative.reason).toBe('schema_invalid');
    expect(negative.message).toContain('seq');
    expect(negative.seq).toBeUndefined();
    expect(rejection(() => telemetry({ metrics: { pm25: 1 }, seq: 1.5 })).reason).toBe('schema_invalid');
  });

  it('schema_invalid: a payload that is not an object (number, string, null) and ts of the wrong type', () => {
    for (const payload of [42, 'hello', null, true]) {
      expect(rejection(() => telemetry(payload)).reason, JSON.stringify(payload)).toBe('schema_invalid');
    }
    expect(rejection(() => telemetry({ ts: true, metrics: { pm25: 1 } })).reason).toBe('schema_invalid');
  });

  it('unknown_property: an extra top-level key, named in the message', () => {
    const err = rejection(() => telemetry({ metrics: { pm25: 1 }, temperature: 20 }));
    expect(err.reason).toBe('unknown_property');
    expect(err.message).toContain('temperature');
  });

  it('wrong_channel: a camera publishing telemetry', () => {
    expect(rejection(() => telemetry({ metrics: { pm25: 1 } }, 'camera')).reason).toBe('wrong_channel');
  });

  it('unknown_metric: a metric of another kind, named in the message', () => {
    const err = rejection(() => telemetry({ metrics: { laeq: 60 } }, 'air_quality'));
    expect(err.reason).toBe('unknown_metric');
    expect(err.message).toContain('laeq');
  });

  it('unknown_metric: names inherited from Object.prototype are not metrics', () => {
    // `constructor` / `toString` / `hasOwnProperty` exist on every object's prototype, not in the catalogue
    for (const name of ['constructor', 'toString', 'hasOwnProperty']) {
      const err = rejection(() => telemetry({ metrics: { [name]: 1 } }, 'air_quality'));
      expect(err.reason, name).toBe('unknown_metric');
    }
  });

  it('unknown_metric: a metric named "__proto__" is refused, not silently dropped (found by the fuzz oracle)', () => {
    // JSON.parse makes "__proto__" an ordinary own key; a copy of the metrics may lose it
    const parse = (raw: string) => parseTelemetry(raw, 'aq-0001', 'air_quality', NOW);
    for (const raw of ['{"metrics":{"__proto__":1,"pm25":5}}', '{"metrics":{"__proto__":{"pm25":1}}}', '[{"metrics":{"pm25":5}},{"metrics":{"__proto__":1},"seq":7}]']) {
      const err = rejection(() => parse(raw));
      expect(err.reason, raw).toBe('unknown_metric');
      expect(err.message, raw).toContain('__proto__');
    }
    expect(rejection(() => parse('[{"metrics":{"pm25":5}},{"metrics":{"__proto__":1},"seq":7}]')).seq).toBe(7);
  });

  it('wrong_type: a string for a number metric', () => {
    const err = rejection(() => telemetry({ metrics: { pm25: '35' } }));
    expect(err.reason).toBe('wrong_type');
    expect(err.message).toContain('pm25');
  });

  it('wrong_type: null for a number metric (NaN cannot be sent as JSON)', () => {
    expect(rejection(() => telemetry({ metrics: { pm25: null } })).reason).toBe('wrong_type');
    expect(rejection(() => parseTelemetry('{"metrics":{"pm25":"NaN"}}', 'aq-0001', 'air_quality', NOW)).reason).toBe('wrong_type');
  });

  it('wrong_type: a number or a string for a boolean metric', () => {
    expect(rejection(() => telemetry({ metrics: { open: 1 } }, 'manhole_cover')).reason).toBe('wrong_type');
    expect(rejection(() => telemetry({ metrics: { on: 'true' } }, 'streetlight')).reason).toBe('wrong_type');
  });

  it('out_of_range: below min and above max, naming the metric', () => {
    const below = rejection(() => telemetry({ metrics: { pm25: -1 } }));
    expect(below.reason).toBe('out_of_range');
    expect(below.message).toContain('pm25');
    expect(rejection(() => telemetry({ metrics: { pm25: 1000.5 } })).reason).toBe('out_of_range');
    expect(rejection(() => telemetry({ metrics: { laeq: 19 } }, 'noise')).reason).toBe('out_of_range');
    expect(rejection(() => telemetry({ metrics: { fill_pct: 101 } }, 'waste_bin')).reason).toBe('out_of_range');
  });

  it('ts_in_future: more than 5 minutes ahead, as epoch ms and as RFC 3339', () => {
    expect(rejection(() => telemetry({ ts: NOW + 5 * MIN + 1, metrics: { pm25: 1 } })).reason).toBe('ts_in_future');
    expect(rejection(() => telemetry({ ts: '2026-05-01T08:40:00+08:00', metrics: { pm25: 1 } })).reason).toBe('ts_in_future');
  });

  it('a ts far beyond the representable date range is still refused with a RejectionError', () => {
    // 1e20 ms is an integer and after 2000, but new Date(1e20) is an invalid date
    const err = rejection(() => telemetry({ ts: 1e20, metrics: { pm25: 1 } }));
    expect(['ts_in_future', 'ts_invalid']).toContain(err.reason);
  });

  it('ts_invalid: seconds instead of milliseconds', () => {
    const err = rejection(() => telemetry({ ts: 1_700_000_000, metrics: { pm25: 1 } }));
    expect(err.reason).toBe('ts_invalid');
    expect(err.message).toContain('1700000000');
  });

  it('ts_invalid: strings that are not RFC 3339 date-times', () => {
    for (const ts of ['yesterday', '2026-05-01', '2026-05-01T08:00:00', '1777595400000', 'Fri, 01 May 2026 00:00:00 GMT', '2026-13-01T00:00:00Z']) {
      expect(rejection(() => telemetry({ ts, metrics: { pm25: 1 } })).reason, ts).toBe('ts_invalid');
    }
  });

  it('ts_invalid: a calendar date that does not exist (30 February)', () => {
    expect(rejection(() => telemetry({ ts: '2026-02-30T08:00:00+08:00', metrics: { pm25: 1 } })).reason).toBe('ts_invalid');
  });

  it('ts_invalid: a fractional number of milliseconds', () => {
    expect(rejection(() => telemetry({ ts: NOW - 1000.5, metrics: { pm25: 1 } })).reason).toBe('ts_invalid');
  });

  it('batch_too_large: 501 items', () => {
    const batch = Array.from({ length: MAX_BATCH + 1 }, () => ({ metrics: { pm25: 1 } }));
    const err = rejection(() => telemetry(batch));
    expect(err.reason).toBe('batch_too_large');
    expect(err.message).toContain('501');
  });

  it('payload_too_large: a payload over 64 KiB is refused before it is parsed', () => {
    const big = JSON.stringify({ metrics: { pm25: 1 }, pad: 'x'.repeat(MAX_PAYLOAD_BYTES) });
    expect(rejection(() => parseTelemetry(big, 'aq-0001', 'air_quality', NOW)).reason).toBe('payload_too_large');
    expect(rejection(() => parseTelemetry(Buffer.from(big), 'aq-0001', 'air_quality', NOW)).reason).toBe('payload_too_large');
    // the limit is on bytes, not characters: 30 000 three-byte characters are 90 000 bytes
    expect(rejection(() => parseTelemetry(`"${'网'.repeat(30_000)}"`, 'aq-0001', 'air_quality', NOW)).reason).toBe('payload_too_large');
  });

  it('payload_too_large: exactly 64 KiB is not too large (it fails later, on its content)', () => {
    const head = '{"metrics":{"pm25":1},"pad":"';
    const exact = `${head}${'x'.repeat(MAX_PAYLOAD_BYTES - head.length - 2)}"}`;
    expect(Buffer.byteLength(exact)).toBe(MAX_PAYLOAD_BYTES);
    expect(rejection(() => parseTelemetry(exact, 'aq-0001', 'air_quality', NOW)).reason).toBe('unknown_property');
  });
});

describe('parseTelemetry: batches are all-or-nothing', () => {
  it('names the bad item index, carries its seq and refuses the whole batch', () => {
    const batch = [
      { ts: NOW - 3000, metrics: { pm25: 10 }, seq: 40 },
      { ts: NOW - 2000, metrics: { pm25: 11 }, seq: 41 },
      { ts: NOW - 1000, metrics: { pm25: 5000 }, seq: 42 },
      { ts: NOW, metrics: { pm25: 12 }, seq: 43 },
    ];
    const err = rejection(() => telemetry(batch));
    expect(err.reason).toBe('out_of_range');
    expect(err.message).toMatch(/\b2\b/);
    expect(err.message).toContain('item 2');
    expect(err.seq).toBe(42);
  });

  it('keeps the specific reason of a bad item (unknown_property, ts_invalid) and leaves seq unset when it had none', () => {
    const extra = rejection(() => telemetry([{ metrics: { pm25: 1 } }, { metrics: { pm25: 1 }, image: 'base64...' }]));
    expect(extra.reason).toBe('unknown_property');
    expect(extra.message).toContain('item 1');
    expect(extra.seq).toBeUndefined();
    const ts = rejection(() => telemetry([{ metrics: { pm25: 1 }, seq: 1 }, { metrics: { pm25: 1 }, seq: 2 }, { ts: 1_700_000_000, metrics: { pm25: 1 }, seq: 3 }]));
    expect(ts.reason).toBe('ts_invalid');
    expect(ts.message).toContain('item 2');
    expect(ts.seq).toBe(3);
  });

  it('refuses a batch whose item is not an object', () => {
    const err = rejection(() => telemetry([{ metrics: { pm25: 1 } }, 7]));
    expect(err.reason).toBe('schema_invalid');
    expect(err.message).toContain('item 1');
  });
});

describe('seq on refusals of single objects', () => {
  it('is carried on the RejectionError whatever the reason', () => {
    expect(rejection(() => telemetry({ metrics: { pm25: -5 }, seq: 9 })).seq).toBe(9);
    expect(rejection(() => telemetry({ metrics: { nope: 1 }, seq: 10 })).seq).toBe(10);
    expect(rejection(() => telemetry({ metrics: { pm25: 1 }, seq: 11, extra: 1 })).seq).toBe(11);
    expect(rejection(() => telemetry({ ts: NOW + 10 * MIN, metrics: { pm25: 1 }, seq: 12 })).seq).toBe(12);
    expect(rejection(() => cameraEvent({ type: 'crowding', confidence: 2, seq: 13 })).seq).toBe(13);
  });

  it('is absent when the payload had none', () => {
    expect(rejection(() => telemetry({ metrics: { pm25: -5 } })).seq).toBeUndefined();
  });
});

describe('parseCameraEvent', () => {
  it('accepts an event with every field', () => {
    const ts = NOW - 30_000;
    expect(cameraEvent({ ts, type: 'illegal_parking', confidence: 0.87, count: 3, zone: 'north-gate', seq: 7 })).toEqual({
      device: 'cam-0001', ts, type: 'illegal_parking', confidence: 0.87, count: 3, zone: 'north-gate', seq: 7,
    });
  });

  it('defaults ts to now and count to 1, and omits zone and seq when absent', () => {
    const event = cameraEvent({ type: 'smoke_fire', confidence: 1 });
    expect(event).toEqual({ device: 'cam-0001', ts: NOW, type: 'smoke_fire', confidence: 1, count: 1 });
    expect(event).not.toHaveProperty('zone');
    expect(event).not.toHaveProperty('seq');
  });

  it('takes ts as RFC 3339', () => {
    expect(cameraEvent({ ts: '2026-05-01T08:29:00+08:00', type: 'crowding', confidence: 0.5 }).ts).toBe(Date.UTC(2026, 4, 1, 0, 29));
  });

  it('unknown_property: an image is refused', () => {
    const err = rejection(() => cameraEvent({ type: 'illegal_parking', confidence: 0.9, image: 'iVBORw0KGgo=' }));
    expect(err.reason).toBe('unknown_property');
    expect(err.message).toContain('image');
  });

  it('unknown_property: a plate number is refused', () => {
    const err = rejection(() => cameraEvent({ type: 'illegal_parking', confidence: 0.9, plate: '鄂A12345', seq: 5 }));
    expect(err.reason).toBe('unknown_property');
    expect(err.message).toContain('plate');
    expect(err.seq).toBe(5);
  });

  it('wrong_channel: a sensor publishing events', () => {
    expect(rejection(() => cameraEvent({ type: 'crowding', confidence: 0.5 }, 'water_level')).reason).toBe('wrong_channel');
  });

  it('schema_invalid: a zone that is not a zone name (a plate, a phone number, free text, a newline), without echoing it', () => {
    for (const zone of ['鄂A12345', 'a12345', 'ab1234', '13800138000', 'Gate North', 'gate\nnorth', 'zhang san', 'x'.repeat(33), '-lane', '2nd-lane', 'Lane-2']) {
      const err = rejection(() => cameraEvent({ type: 'illegal_parking', confidence: 0.9, zone, seq: 3 }));
      expect(err.reason, zone).toBe('schema_invalid');
      expect(err.message, zone).toContain('zone');
      expect(err.message, zone).not.toContain(zone);
      expect(err.seq, zone).toBe(3);
    }
    for (const zone of ['gate-north', 'lane-2', 'platform_b', 'z', `a${'b'.repeat(31)}`, 'exit-123']) {
      expect(cameraEvent({ type: 'illegal_parking', confidence: 0.9, zone }).zone, zone).toBe(zone);
    }
    expect(isZoneName('lane-2024')).toBe(false);
  });

  it('schema_invalid: unknown type, confidence outside 0..1, count 0, empty zone, missing type', () => {
    expect(rejection(() => cameraEvent({ type: 'fight', confidence: 0.5 })).reason).toBe('schema_invalid');
    expect(rejection(() => cameraEvent({ type: 'crowding', confidence: 1.5 })).reason).toBe('schema_invalid');
    expect(rejection(() => cameraEvent({ type: 'crowding', confidence: -0.1 })).reason).toBe('schema_invalid');
    expect(rejection(() => cameraEvent({ type: 'crowding', confidence: 0.5, count: 0 })).reason).toBe('schema_invalid');
    expect(rejection(() => cameraEvent({ type: 'crowding', confidence: 0.5, zone: '' })).reason).toBe('schema_invalid');
    expect(rejection(() => cameraEvent({ confidence: 0.5 })).reason).toBe('schema_invalid');
  });

  it('malformed_json, payload_too_large, ts_invalid and ts_in_future apply to events too', () => {
    expect(rejection(() => parseCameraEvent('{"type":', 'cam-0001', 'camera', NOW)).reason).toBe('malformed_json');
    expect(rejection(() => parseCameraEvent(`"${'x'.repeat(MAX_PAYLOAD_BYTES)}"`, 'cam-0001', 'camera', NOW)).reason).toBe('payload_too_large');
    expect(rejection(() => cameraEvent({ ts: 1_700_000_000, type: 'crowding', confidence: 0.5 })).reason).toBe('ts_invalid');
    expect(rejection(() => cameraEvent({ ts: NOW + 6 * MIN, type: 'crowding', confidence: 0.5 })).reason).toBe('ts_in_future');
  });
});

describe('parseStatus', () => {
  it('accepts online and offline, as string or Buffer, ignoring surrounding whitespace', () => {
    expect(parseStatus('online')).toBe('online');
    expect(parseStatus(Buffer.from('offline'))).toBe('offline');
    expect(parseStatus(' online\n')).toBe('online');
  });

  it('status_invalid: anything else', () => {
    for (const raw of ['ONLINE', '', 'on', '{"status":"online"}', 'online offline']) {
      const err = rejection(() => parseStatus(raw));
      expect(err.reason, raw).toBe('status_invalid');
    }
  });
});

describe('normaliseTs', () => {
  it('defaults to now, keeps epoch ms, converts RFC 3339', () => {
    expect(normaliseTs(undefined, NOW)).toBe(NOW);
    expect(normaliseTs(NOW - 1, NOW)).toBe(NOW - 1);
    expect(normaliseTs('2026-05-01T00:00:00Z', NOW)).toBe(Date.UTC(2026, 4, 1));
    expect(normaliseTs('2026-05-01 08:00:00+08:00', NOW)).toBe(Date.UTC(2026, 4, 1));
  });

  it('accepts exactly 5 minutes ahead and refuses 1 ms more', () => {
    expect(normaliseTs(NOW + FUTURE_TOLERANCE_MS, NOW)).toBe(NOW + FUTURE_TOLERANCE_MS);
    expect(rejection(() => normaliseTs(NOW + FUTURE_TOLERANCE_MS + 1, NOW)).reason).toBe('ts_in_future');
  });

  it('refuses dates before 2000 (seconds sent as milliseconds) and puts the given seq on the error', () => {
    const err = rejection(() => normaliseTs(1_700_000_000, NOW, 77));
    expect(err.reason).toBe('ts_invalid');
    expect(err.seq).toBe(77);
    expect(rejection(() => normaliseTs('1999-12-31T23:59:59Z', NOW)).reason).toBe('ts_invalid');
  });
});

// Every reason the server's validate step can produce from a payload, with one minimal example each.
// unknown_device and topic_invalid depend on the topic, bad_credentials and foreign_topic on the broker:
// they are covered by the broker and pipeline tests (rate_limited and client_id_taken too).
const NOT_FROM_PAYLOADS = ['unknown_device', 'device_disabled', 'bad_credentials', 'foreign_topic', 'foreign_child', 'topic_invalid', 'rate_limited', 'client_id_taken'] as const;
type PayloadReason = Exclude<RejectionReason, (typeof NOT_FROM_PAYLOADS)[number]>;
const EXAMPLES: Record<PayloadReason, () => unknown> = {
  payload_too_large: () => parseTelemetry('x'.repeat(MAX_PAYLOAD_BYTES + 1), 'aq-0001', 'air_quality', NOW),
  malformed_json: () => parseTelemetry('{', 'aq-0001', 'air_quality', NOW),
  schema_invalid: () => telemetry({ ts: NOW }),
  unknown_property: () => telemetry({ metrics: { pm25: 1 }, x: 1 }),
  wrong_channel: () => telemetry({ metrics: { pm25: 1 } }, 'camera'),
  unknown_metric: () => telemetry({ metrics: { speed: 1 } }),
  wrong_type: () => telemetry({ metrics: { pm25: '1' } }),
  out_of_range: () => telemetry({ metrics: { pm25: 1001 } }),
  ts_in_future: () => telemetry({ ts: NOW + 6 * MIN, metrics: { pm25: 1 } }),
  ts_invalid: () => telemetry({ ts: 'now', metrics: { pm25: 1 } }),
  batch_too_large: () => telemetry(Array.from({ length: 501 }, () => ({ metrics: { pm25: 1 } }))),
  status_invalid: () => parseStatus('maybe'),
};

describe('REJECTION_REASONS coverage', () => {
  const payloadReasons = REJECTION_REASON_CODES.filter((r) => !(NOT_FROM_PAYLOADS as readonly string[]).includes(r));

  it('has an example for every reason that is not about topics or credentials', () => {
    expect(Object.keys(EXAMPLES).sort()).toEqual([...payloadReasons].sort());
  });

  it.each(payloadReasons)('%s is produced by its example', (reason) => {
    const example = EXAMPLES[reason as PayloadReason];
    expect(example, `an example for ${reason}`).toBeDefined();
    expect(rejection(example).reason).toBe(reason);
  });
});
