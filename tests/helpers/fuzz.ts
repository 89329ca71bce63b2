// A seeded generator of hostile MQTT messages and HTTP requests for the fuzz tests: valid messages
// mutated in the ways devices and attackers actually get them wrong (broken JSON, wrong types,
// unknown or prototype-polluting keys, huge batches, deep nesting, bad timestamps, binary junk,
// foreign and malformed topics). What the system must do with each is decided by the independent
// oracle in fuzz-oracle.ts, never by the contract's own parsers.
import { mulberry32 } from '../../scripts/demo-city/devices.js';
import { deviceTopic, metricsOf, MAX_PAYLOAD_BYTES, type DeviceKind } from '@citygrid/contract';

/** A seeded PRNG (the demo city generator's mulberry32), so a fuzz run is repeatable from its seed. */
export const prng = mulberry32;

export interface FuzzDevice { id: string; kind: DeviceKind }
export interface FuzzMessage { topic: string; payload: Buffer }

const JUNK_VALUES: unknown[] = [
  null, true, false, 0, -1, 1.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER, '', 'x', '12', 'NaN', 'Infinity', '1e999',
  [], {}, [1, 2, 3], { a: 1 }, { __proto__: { polluted: true } }, 'x'.repeat(2000), '🌧️水位', '\u0000', '<script>alert(1)</script>',
  "'; DROP TABLE readings; --", '${jndi:ldap://x}', '2026-02-30T10:00:00Z', '2026-05-01T08:30:00+08:00',
];
const EVIL_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'image', 'plate', 'face', 'phone', 'name', ''];
const MAX_FUZZ_PACKET = 120 * 1024;
const ZONES = ['gate-north', 'lane-2', 'platform_b', 'exit-123', '鄂A12345', 'ab1234', '13800138000', 'Gate North', 'lane\n2', '', 'x'.repeat(40)];
const SEGMENT_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789-_.城市水位';

export class Fuzzer {
  readonly random: () => number;
  constructor(seed: number, private readonly devices: readonly FuzzDevice[]) {
    this.random = prng(seed);
  }

  int(max: number): number { return Math.floor(this.random() * max); }
  pick<T>(list: readonly T[]): T { return list[this.int(list.length)]!; }
  chance(p: number): boolean { return this.random() < p; }

  /** A valid payload for a device (telemetry, or an event for a camera). */
  valid(device: FuzzDevice, now: number): Record<string, unknown> {
    if (device.kind === 'camera') {
      const event: Record<string, unknown> = { type: this.pick(['illegal_parking', 'crowding', 'smoke_fire', 'stalled_vehicle']), confidence: Number(this.random().toFixed(2)), count: 1 + this.int(20), ts: now - this.int(60_000), seq: this.int(1e6) };
      // zone names, and what must never pass as one: a plate, a phone number, free text, a newline
      if (this.chance(0.3)) event.zone = this.pick(ZONES);
      return event;
    }
    const specs = metricsOf(device.kind);
    const metrics: Record<string, number | boolean> = {};
    for (const [name, spec] of Object.entries(specs)) {
      if (!this.chance(0.7)) continue;
      metrics[name] = spec.type === 'boolean' ? this.chance(0.5) : Number((spec.min + this.random() * (spec.max - spec.min)).toFixed(2));
    }
    if (Object.keys(metrics).length === 0) {
      const [name, spec] = Object.entries(specs)[0]!;
      metrics[name] = spec.type === 'boolean' ? false : spec.min;
    }
    return { ts: now - this.int(3_600_000), seq: this.int(1e6), metrics };
  }

  /** A random JSON-ish value, sometimes nested. */
  junk(depth = 0): unknown {
    if (depth < 3 && this.chance(0.15)) return this.chance(0.5) ? [this.junk(depth + 1), this.junk(depth + 1)] : { [this.pick(EVIL_KEYS)]: this.junk(depth + 1) };
    return this.pick(JUNK_VALUES);
  }

  /** One mutation of a payload object; returns the text to send. */
  mutate(obj: Record<string, unknown>): string | Buffer {
    const o: Record<string, unknown> = structuredClone(obj);
    const keys = Object.keys(o);
    switch (this.int(14)) {
      case 0: return Buffer.from(Array.from({ length: this.int(200) }, () => this.int(256))); // binary junk
      case 1: { const text = JSON.stringify(o); return text.slice(0, this.int(text.length)); } // truncated
      case 2: { // one character replaced
        const text = [...JSON.stringify(o)];
        text[this.int(text.length)] = this.pick(['"', '{', '}', ',', ':', '\\', 'x', '0', ' ', '\u0000']);
        return text.join('');
      }
      case 3: o[this.pick(keys)] = this.junk(); break; // a field's value replaced
      case 4: delete o[this.pick(keys)]; break; // a field removed
      case 5: return JSON.stringify(o).replace(/^\{/, `{${JSON.stringify(this.pick(EVIL_KEYS))}:${JSON.stringify(this.junk())},`); // an unknown or prototype key
      case 6: { // a metric renamed, or given a junk value
        const m = o.metrics;
        if (m && typeof m === 'object' && !Array.isArray(m)) {
          const names = Object.keys(m);
          if (this.chance(0.5) && names.length) (m as Record<string, unknown>)[this.pick(names)] = this.junk();
          else (m as Record<string, unknown>)[this.pick(EVIL_KEYS) || 'bogus'] = 1;
        } else o.type = this.junk();
        break;
      }
      case 7: return JSON.stringify(Array.from({ length: this.pick([0, 1, 2, 50, 500, 501, 700]) }, () => o)); // batches, some too big
      case 8: { const d = this.pick([10, 100, 1000, 10_000]); return '['.repeat(d) + ']'.repeat(this.chance(0.5) ? d : d - 1); } // deep nesting
      case 9: o.ts = this.pick([Math.floor(Date.now() / 1000), Date.now() + 3_600_000, Date.now() * 1000, 1.5, -1, '2026-13-01T00:00:00Z', 'yesterday', '2026-05-01', null]); break;
      case 10: o.seq = this.pick([-1, 1.5, '7', null, 2 ** 64]); break;
      case 11: return this.pick(['', ' ', 'null', 'true', '0', '[]', '{}', '"online"', 'online', 'offline', '\uFEFF{}']);
      case 12: return JSON.stringify(o).replace(/"metrics"/, '"metrics","metrics"'); // broken structure
      default: return JSON.stringify(this.junk());
    }
    return JSON.stringify(o);
  }

  /** A topic for `device`: mostly its own data topic, sometimes another's, a wrong channel or garbage. */
  topic(device: FuzzDevice): string {
    const r = this.random();
    const own = device.kind === 'camera' ? 'event' : 'telemetry';
    if (r < 0.82) return deviceTopic(device.id, own);
    if (r < 0.86) return deviceTopic(device.id, 'status');
    if (r < 0.90) return deviceTopic(device.id, own === 'event' ? 'telemetry' : 'event'); // wrong channel
    if (r < 0.94) return deviceTopic(this.pick(this.devices).id === device.id ? 'wl-0999' : this.pick(this.devices).id, own); // someone else's
    if (r < 0.96) return deviceTopic(device.id, 'rejections');
    // garbage: no wildcards, no $ (those end the connection, as MQTT says), up to 6 segments
    return Array.from({ length: 1 + this.int(6) }, () => Array.from({ length: this.int(12) }, () => this.pick([...SEGMENT_CHARS])).join('')).join('/') || 'x';
  }

  message(device: FuzzDevice, now: number): FuzzMessage {
    const topic = this.topic(device);
    if (topic.endsWith('/status')) return { topic, payload: Buffer.from(this.chance(0.3) ? this.pick(['online', 'offline']) : this.mutate({ status: 'online' })) };
    const base = this.valid(device, now);
    if (this.chance(0.001)) return { topic, payload: Buffer.from(JSON.stringify({ ...base, pad: 'x'.repeat(MAX_PAYLOAD_BYTES) })) }; // over 64 KiB
    const rounds = this.chance(0.15) ? 0 : 1 + this.int(2);
    let payload: string | Buffer = JSON.stringify(base);
    for (let i = 0; i < rounds; i++) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(payload.toString());
      } catch {
        break; // already broken: stop mutating
      }
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) break;
      payload = this.mutate(parsed as Record<string, unknown>);
    }
    const bytes = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
    // a packet over the broker's limit (~128 KiB) closes the connection, in-flight messages and all
    // (tests/integration/edge-preauth.test.ts); here it stays an oversized payload refused with a reason
    if (bytes.length > MAX_FUZZ_PACKET) return { topic, payload: Buffer.from(JSON.stringify({ ...base, pad: 'x'.repeat(MAX_PAYLOAD_BYTES) })) };
    return { topic, payload: bytes };
  }
}
