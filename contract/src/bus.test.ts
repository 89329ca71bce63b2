import { describe, expect, it } from 'vitest';
import { decodeEnvelope, encodeEnvelope, type BusMessage } from './bus.js';

const message = (i: number): BusMessage => ({
  channel: 'telemetry', device: 'wl-001', receivedAt: 1_700_000_000_000 + i, dup: false, key: `wl-001\0telemetry\0k${i}`,
  identifiable: true, stamped: false, readings: [{ device: 'wl-001', ts: 1_700_000_000_000 + i, metrics: { level_cm: 20 + i }, seq: i }],
});

describe('bus envelopes', () => {
  it('reads a stream message written by the edge before batches (issue 13\'s format)', () => {
    // bytes as the edge of 7ff94aa wrote them: one device message per stream message
    const old = '{"m":{"channel":"telemetry","device":"wl-001","receivedAt":1700000000000,"dup":false,"key":"wl-001\\u0000telemetry\\u0000abc=","identifiable":true,"stamped":false,"readings":[{"device":"wl-001","ts":1700000000000,"metrics":{"level_cm":20},"seq":1}]}}';
    const e = decodeEnvelope(new TextEncoder().encode(old));
    expect(e && 'm' in e && e.m.channel === 'telemetry' && e.m.readings).toEqual([{ device: 'wl-001', ts: 1_700_000_000_000, metrics: { level_cm: 20 }, seq: 1 }]);
  });

  it('carries a batch of device messages in order', () => {
    const b = [message(1), message(2), message(3)];
    expect(decodeEnvelope(encodeEnvelope({ b }))).toEqual({ b, malformed: 0 });
  });

  it('skips and counts the members of a batch that are not device messages, keeping the rest', () => {
    const bytes = new TextEncoder().encode(JSON.stringify({ b: [message(1), { device: 'x' }, null, message(2), { ...message(3), channel: 'nope' }] }));
    expect(decodeEnvelope(bytes)).toEqual({ b: [message(1), message(2)], malformed: 3 });
  });

  it('carries a resident\'s report (the receipt, category and place; never its text) and refuses a malformed one', () => {
    const p = { receipt: 'ABCD-EFGH', category: 'waterlogging' as const, grid: 'wuchang-006', district: 'wuchang', ts: 1_700_000_000_000 };
    expect(decodeEnvelope(encodeEnvelope({ p }))).toEqual({ p });
    // extra fields (a text) are not carried on
    expect(decodeEnvelope(new TextEncoder().encode(JSON.stringify({ p: { ...p, text: 'call 13812345678' } })))).toEqual({ p });
    for (const bad of [{ ...p, receipt: 'abcd' }, { ...p, category: 'fire' }, { ...p, ts: '1' }, { ...p, grid: 1 }, null]) {
      expect(decodeEnvelope(new TextEncoder().encode(JSON.stringify({ p: bad }))), JSON.stringify(bad)).toBeNull();
    }
  });

  it('gives null for what is not an envelope', () => {
    for (const bad of ['{"b":{}}', '{"m":{"device":1}}', '[]', 'not json', '{"x":1}']) {
      expect(decodeEnvelope(new TextEncoder().encode(bad)), bad).toBeNull();
    }
  });
});
