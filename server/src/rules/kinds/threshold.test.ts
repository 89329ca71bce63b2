// Proves threshold rules hold before firing (a dip clears the pending), keep hysteresis, handle `below` and booleans, and fire on tick for a quiet device.
import { ruleSchema } from '@citygrid/contract';
import { describe, expect, it } from 'vitest';
import type { Condition, Observation, RuleDevice } from '../types.js';
import { createEvaluator } from './index.js';

const S = 1000;
const WL: RuleDevice = { id: 'wl-1', kind: 'water_level', grid: 'g-001', district: 'jianghan' };
const TR: RuleDevice = { id: 'tr-1', kind: 'traffic', grid: 'g-002', district: 'wuchang' };
const MH: RuleDevice = { id: 'mh-1', kind: 'manhole_cover', grid: 'g-003', district: 'hongshan' };
const reading = (device: RuleDevice, ts: number, metrics: Record<string, number | boolean>): Observation =>
  ({ type: 'reading', device, ts, metrics });
const level = (ts: number, v: number) => reading(WL, ts, { level_cm: v });

function only(conds: Condition[]): Condition {
  expect(conds).toHaveLength(1);
  return conds[0]!;
}
function flooding(extra: Record<string, unknown> = {}) {
  return createEvaluator(ruleSchema.parse({
    id: 'underpass-flooding', kind: 'threshold', match: { kind: 'water_level' }, metric: 'level_cm',
    above: 30, severity: 'orange', ...extra,
  }), [WL]);
}

describe('threshold', () => {
  it('is pending while the hold runs, then active, and never repeats itself', () => {
    const ev = flooding({ for: '30s', clear_below: 20 });
    const pending = only(ev.observe(level(0, 34.2), 0));
    expect(pending).toMatchObject({ key: 'wl-1', devices: ['wl-1'], grid: 'g-001', district: 'jianghan', status: 'pending' });
    expect(ev.tick(10 * S)).toEqual([]);
    expect(ev.observe(level(20 * S, 33), 20 * S)).toEqual([]); // pending: a new value is not news
    const active = only(ev.tick(30 * S));
    expect(active.status).toBe('active');
    expect(active.values).toEqual({ level_cm: 33, level: 30 });
    expect(active.detail).toBe('level_cm 33.0 cm, above 30 cm for 30 s');
    for (let t = 31; t < 100; t++) expect(ev.tick(t * S)).toEqual([]);
  });

  it('clears a pending condition when the value dips before the hold expires', () => {
    const ev = flooding({ for: '30s', clear_below: 20 });
    only(ev.observe(level(0, 34), 0));
    const dip = only(ev.observe(level(10 * S, 29), 10 * S));
    expect(dip.status).toBe('clear');
    expect(dip.detail).toBe('level_cm 29.0 cm, no longer above 30 cm');
    expect(ev.tick(40 * S)).toEqual([]);
    expect(only(ev.observe(level(50 * S, 35), 50 * S)).status).toBe('pending'); // the hold starts again
    expect(ev.tick(79 * S)).toEqual([]);
    expect(only(ev.tick(80 * S)).status).toBe('active');
  });

  it('becomes active on tick for a device that went quiet past the level', () => {
    const ev = flooding({ for: '30s' });
    expect(only(ev.observe(level(0, 34), 0)).status).toBe('pending');
    for (const t of [1, 10, 20, 29]) expect(ev.tick(t * S)).toEqual([]);
    expect(only(ev.tick(30 * S))).toMatchObject({ status: 'active', values: { level_cm: 34, level: 30 } });
  });

  it('keeps hysteresis: active at 34, still active at 25 with clear_below 20, clear at 19', () => {
    const ev = flooding({ clear_below: 20 });
    const on = only(ev.observe(level(0, 34), 0));
    expect(on).toMatchObject({ status: 'active', detail: 'level_cm 34.0 cm, above 30 cm' });
    const update = only(ev.observe(level(S, 25), S)); // still active; the shown value follows
    expect(update).toMatchObject({ status: 'active', values: { level_cm: 25, level: 30 } });
    expect(ev.observe(level(2 * S, 25), 2 * S)).toEqual([]); // same values: nothing new
    expect(ev.tick(3 * S)).toEqual([]);
    const off = only(ev.observe(level(4 * S, 19), 4 * S));
    expect(off).toMatchObject({ status: 'clear', detail: 'level_cm 19.0 cm, back below 20 cm' });
    expect(ev.observe(level(5 * S, 18), 5 * S)).toEqual([]);
  });

  it('clears at the level itself when no clear level is given', () => {
    const ev = flooding();
    only(ev.observe(level(0, 31), 0));
    expect(ev.observe(level(S, 30), S)[0]?.status).toBe('active'); // exactly at the level: not below it
    expect(only(ev.observe(level(2 * S, 29.9), 2 * S)).status).toBe('clear');
  });

  it('handles below rules with clear_above', () => {
    const ev = createEvaluator(ruleSchema.parse({
      id: 'traffic-jam', kind: 'threshold', match: { kind: 'traffic' }, metric: 'speed',
      below: 8, for: '1m', clear_above: 15, severity: 'yellow',
    }), [TR]);
    const speed = (ts: number, v: number) => reading(TR, ts, { speed: v });
    expect(ev.observe(speed(0, 9), 0)).toEqual([]);
    expect(only(ev.observe(speed(S, 5), S)).status).toBe('pending');
    const active = only(ev.tick(61 * S));
    expect(active).toMatchObject({ status: 'active', key: 'tr-1', detail: 'speed 5.0 km/h, below 8 km/h for 1 min' });
    expect(only(ev.observe(speed(70 * S, 12), 70 * S)).status).toBe('active');
    expect(only(ev.observe(speed(80 * S, 16), 80 * S))).toMatchObject({ status: 'clear', detail: 'speed 16.0 km/h, back above 15 km/h' });
  });

  it('treats booleans as 1 and 0 for above: 0.5 and keeps them as booleans in values', () => {
    const ev = createEvaluator(ruleSchema.parse({
      id: 'manhole-open', kind: 'threshold', match: { kind: 'manhole_cover' }, metric: 'open', above: 0.5, severity: 'red',
    }), [MH]);
    const open = (ts: number, v: boolean) => reading(MH, ts, { open: v, tilt_deg: 1 });
    expect(only(ev.observe(open(0, true), 0))).toMatchObject({ status: 'active', values: { open: true, level: 0.5 } });
    expect(only(ev.observe(open(S, false), S)).status).toBe('clear');
  });

  it('ignores readings without the metric, non-numbers, events, statuses and late readings', () => {
    const ev = flooding();
    expect(ev.observe(reading(WL, 0, { other: 99 }), 0)).toEqual([]);
    expect(ev.observe({ type: 'status', device: WL, ts: 0, online: false }, 0)).toEqual([]);
    only(ev.observe(level(10 * S, 40), 10 * S));
    expect(ev.observe(level(5 * S, 10), 10 * S)).toEqual([]); // older than the latest: ignored
    expect(ev.observe(reading(WL, 11 * S, { level_cm: Number.NaN }), 11 * S)).toEqual([]);
  });
});
