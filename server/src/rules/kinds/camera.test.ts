// Proves camera rules count events (not objects) in a sliding window per grid cell or camera, ignore low confidence, and clear as events age out.
import { ruleSchema, type CameraEventType } from '@citygrid/contract';
import { describe, expect, it } from 'vitest';
import type { Condition, Observation, RuleDevice } from '../types.js';
import { createEvaluator } from './index.js';

const S = 1000;
const M = 60_000;
const cam = (id: string, grid: string): RuleDevice => ({ id, kind: 'camera', grid, district: 'jianghan' });
const C1 = cam('cam-1', 'g-001');
const C2 = cam('cam-2', 'g-001');
const C3 = cam('cam-3', 'g-002');

function only(conds: Condition[]): Condition {
  expect(conds).toHaveLength(1);
  return conds[0]!;
}
function parkingRule(extra: Record<string, unknown> = {}) {
  const ev = createEvaluator(ruleSchema.parse({
    id: 'parking-hotspot', kind: 'camera', match: { kind: 'camera' }, event: 'illegal_parking', count: 5, within: '10m',
    severity: 'blue', ...extra,
  }), [C1, C2, C3]);
  const event = (device: RuleDevice, ts: number, confidence = 0.9, type: CameraEventType = 'illegal_parking', count = 1) => {
    const o: Observation = { type: 'event', device, ts, event: type, confidence, count };
    return ev.observe(o, ts);
  };
  return { ev, event };
}

describe('camera', () => {
  it('fires at N events in the window, follows the count, and clears as events age out', () => {
    const { ev, event } = parkingRule();
    for (let k = 0; k < 4; k++) expect(event(C1, k * M)).toEqual([]);
    const on = only(event(C1, 4 * M));
    expect(on).toMatchObject({
      key: 'g-001', grid: 'g-001', district: 'jianghan', devices: ['cam-1'], status: 'active',
      values: { events: 5, window_min: 10 }, detail: '5 illegal_parking events in 10 min',
    });
    expect(only(event(C1, 5 * M)).values.events).toBe(6);
    expect(ev.tick(5 * M + S)).toEqual([]);
    expect(only(ev.tick(10 * M)).values.events).toBe(5); // the event at 0 aged out (exactly 10 min old)
    for (let t = 1; t < 60; t++) expect(ev.tick(10 * M + t * S)).toEqual([]);
    const off = only(ev.tick(11 * M));
    expect(off).toMatchObject({ status: 'clear', values: { events: 4 }, detail: '4 illegal_parking events in 10 min, under 5' });
    for (let t = 1; t < 20; t++) expect(ev.tick(11 * M + t * 10 * S)).toEqual([]);
  });

  it('aggregates the cameras of one grid cell and keeps cells independent', () => {
    const { ev, event } = parkingRule();
    for (let k = 0; k < 3; k++) expect(event(C3, k * S)).toEqual([]); // g-002
    expect(event(C1, 10 * S)).toEqual([]);
    expect(event(C2, 11 * S)).toEqual([]);
    expect(event(C1, 12 * S)).toEqual([]);
    expect(event(C2, 13 * S)).toEqual([]);
    const on = only(event(C2, 14 * S));
    expect(on).toMatchObject({ key: 'g-001', devices: ['cam-1', 'cam-2'], values: { events: 5 } });
    expect(on.detail).toBe('5 illegal_parking events in 10 min from 2 cameras');
    expect(ev.tick(20 * S)).toEqual([]); // g-002 still has 3
  });

  it('keys by camera with scope device', () => {
    const { event } = parkingRule({ scope: 'device' });
    for (let k = 0; k < 4; k++) {
      expect(event(C1, k * S)).toEqual([]);
      expect(event(C2, k * S)).toEqual([]);
    }
    expect(only(event(C2, 5 * S))).toMatchObject({ key: 'cam-2', devices: ['cam-2'], grid: 'g-001', status: 'active' });
  });

  it('ignores events under min_confidence (default 0.5) and of other types', () => {
    const { event } = parkingRule();
    for (let k = 0; k < 10; k++) expect(event(C1, k * S, 0.4)).toEqual([]);
    for (let k = 0; k < 10; k++) expect(event(C1, k * S, 0.9, 'crowding')).toEqual([]);
    const lenient = parkingRule({ min_confidence: 0.3 });
    for (let k = 0; k < 4; k++) expect(lenient.event(C1, k * S, 0.4)).toEqual([]);
    expect(only(lenient.event(C1, 4 * S, 0.4)).status).toBe('active');
  });

  it('counts events, not the objects each one reports', () => {
    const { event } = parkingRule();
    expect(event(C1, 0, 0.9, 'illegal_parking', 12)).toEqual([]);
  });

  it('does not count an event already older than the window', () => {
    const { ev } = parkingRule({ count: 1 });
    const old: Observation = { type: 'event', device: C1, ts: 0, event: 'illegal_parking', confidence: 0.9, count: 1 };
    expect(ev.observe(old, 11 * M)).toEqual([]);
    expect(ev.observe({ type: 'status', device: C1, ts: 11 * M, online: true }, 11 * M)).toEqual([]);
  });
});
