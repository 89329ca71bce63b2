// Proves the edge's acceptor: messages checked against the contract become bus messages with their
// identity; readings without ts get distinct, rising receipt stamps per device (a runaway lead is
// refused); a camera may use only its listed zones; topics and devices are checked for external brokers.
import { describe, expect, it } from 'vitest';
import { RejectionError } from '@citygrid/contract';
import { Acceptor, MAX_STAMP_LEAD_MS, messageKey } from './accept.js';

const T0 = Date.UTC(2026, 4, 1, 8, 0);
const wl = { id: 'wl-1', kind: 'water_level' as const };
const cam = { id: 'cam-1', kind: 'camera' as const, zones: ['gate-north'] };
const json = (v: unknown) => Buffer.from(JSON.stringify(v));
const refusal = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    if (err instanceof RejectionError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
};

describe('Acceptor', () => {
  it('turns a message into a bus message with its identity, and says whether a copy could be told apart', () => {
    const a = new Acceptor();
    const m = a.accept(wl, 'telemetry', json({ seq: 3, metrics: { level_cm: 4 } }), T0, false);
    expect(m).toMatchObject({ channel: 'telemetry', device: 'wl-1', receivedAt: T0, dup: false, identifiable: true, stamped: true, readings: [{ ts: T0, seq: 3, metrics: { level_cm: 4 } }] });
    expect(m.key).toBe(messageKey('wl-1', 'telemetry', json({ seq: 3, metrics: { level_cm: 4 } })));
    expect(a.accept(wl, 'telemetry', json({ metrics: { level_cm: 4 } }), T0, true)).toMatchObject({ identifiable: false, dup: true });
    expect(a.accept(wl, 'telemetry', json({ ts: T0 - 5, metrics: { level_cm: 4 } }), T0, false)).toMatchObject({ identifiable: true, stamped: false, readings: [{ ts: T0 - 5 }] });
    expect(a.accept(wl, 'status', Buffer.from('offline'), T0, false)).toMatchObject({ channel: 'status', online: false });
  });

  it('stamps readings without ts with distinct, rising receipt times per device, and refuses a runaway lead', () => {
    const a = new Acceptor();
    expect(a.stamp('wl-1', T0)).toBe(T0);
    expect(a.stamp('wl-1', T0)).toBe(T0 + 1); // same millisecond: the next one
    expect(a.stamp('mh-1', T0)).toBe(T0); // each device its own
    expect(a.stamp('wl-1', T0 + 100)).toBe(T0 + 100); // the clock moved on
    let last = 0;
    for (let i = 0; i <= MAX_STAMP_LEAD_MS; i++) last = a.stamp('tr-1', T0);
    expect(last).toBe(T0 + MAX_STAMP_LEAD_MS);
    expect(refusal(() => a.stamp('tr-1', T0)).reason).toBe('ts_invalid');
    expect(a.stamp('tr-1', T0 + 10_000)).toBe(T0 + 10_000); // and takes them again once time caught up
    const batch = a.accept(wl, 'telemetry', json([{ metrics: { level_cm: 1 } }, { metrics: { level_cm: 2 } }]), T0 + 200, false);
    expect(batch.channel === 'telemetry' && batch.readings.map((r) => r.ts)).toEqual([T0 + 200, T0 + 201]);
  });

  it("refuses a camera's zone that is not one of its zones, and anything the contract refuses", () => {
    const a = new Acceptor();
    expect(a.accept(cam, 'event', json({ type: 'crowding', confidence: 0.8, zone: 'gate-north' }), T0, false)).toMatchObject({ channel: 'event', event: { zone: 'gate-north' } });
    expect(refusal(() => a.accept(cam, 'event', json({ type: 'crowding', confidence: 0.8, zone: 'lane-2', seq: 4 }), T0, false))).toMatchObject({ reason: 'schema_invalid', seq: 4 });
    expect(refusal(() => a.accept(wl, 'telemetry', json({ metrics: { level_cm: 'deep' } }), T0, false)).reason).toBe('wrong_type');
  });

  it('checks the topic and the device of a message from an external broker', () => {
    const a = new Acceptor();
    const lookup = (id: string) => (id === 'wl-1' ? wl : undefined);
    expect(refusal(() => a.acceptFromTopic('city/v1/devices/wl-1/rejections', json({}), T0, false, lookup)).reason).toBe('topic_invalid');
    expect(refusal(() => a.acceptFromTopic('city/v1/devices/wl-9/telemetry', json({}), T0, false, lookup)).reason).toBe('unknown_device');
    expect(a.acceptFromTopic('city/v1/devices/wl-1/telemetry', json({ metrics: { level_cm: 1 } }), T0, false, lookup).device).toBe('wl-1');
  });

  it("takes a gateway's message for its own child as the child's, and refuses it for any other device", () => {
    const a = new Acceptor();
    const child = { id: 'wl-2', kind: 'water_level' as const, gateway: 'gw-1' };
    const devices = new Map<string, { id: string; kind: 'water_level'; gateway?: string }>([['wl-1', wl], ['wl-2', child]]);
    const lookup = (id: string) => devices.get(id);
    const bus = a.acceptFromTopic('city/v1/gateways/gw-1/devices/wl-2/telemetry', json({ metrics: { level_cm: 3 } }), T0, false, lookup);
    expect(bus).toMatchObject({ device: 'wl-2', channel: 'telemetry' });
    expect(bus.channel === 'telemetry' && bus.readings[0]).toMatchObject({ device: 'wl-2', metrics: { level_cm: 3 } });
    expect(refusal(() => a.acceptFromTopic('city/v1/gateways/gw-1/devices/wl-1/telemetry', json({ metrics: { level_cm: 3 } }), T0, false, lookup)).reason).toBe('foreign_child');
    expect(refusal(() => a.acceptFromTopic('city/v1/gateways/gw-9/devices/wl-2/telemetry', json({ metrics: { level_cm: 3 } }), T0, false, lookup)).reason).toBe('foreign_child');
    expect(refusal(() => a.acceptFromTopic('city/v1/gateways/gw-1/devices/wl-9/telemetry', json({}), T0, false, lookup)).reason).toBe('unknown_device');
  });
});
