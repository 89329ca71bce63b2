// Proves frozen rules need the value unchanged for F over at least 3 readings, report once, and clear on the first different value.
import { ruleSchema } from '@citygrid/contract';
import { describe, expect, it } from 'vitest';
import type { Condition, Observation, RuleDevice } from '../types.js';
import { createEvaluator } from './index.js';

const M = 60_000;
const AQ: RuleDevice = { id: 'aq-1', kind: 'air_quality', grid: 'g-001', district: 'jianghan' };
const pm25 = (ts: number, v: number | boolean): Observation => ({ type: 'reading', device: AQ, ts, metrics: { pm25: v } });

function only(conds: Condition[]): Condition {
  expect(conds).toHaveLength(1);
  return conds[0]!;
}
const stuckRule = (hold: string) => createEvaluator(ruleSchema.parse({
  id: 'sensor-stuck', kind: 'frozen', match: { kind: 'air_quality' }, metric: 'pm25', for: hold, severity: 'blue',
}), [AQ]);

describe('frozen', () => {
  it('fires when every reading for F had the same value', () => {
    const ev = stuckRule('2h');
    for (const min of [0, 30, 60, 90]) expect(ev.observe(pm25(min * M, 35), min * M)).toEqual([]);
    const stuck = only(ev.observe(pm25(120 * M, 35), 120 * M));
    expect(stuck).toMatchObject({
      key: 'aq-1', status: 'active', values: { pm25: 35, unchanged_min: 120 },
      detail: 'pm25 stuck at 35.0 µg/m³ for 2 h (5 identical readings)',
    });
    for (const min of [150, 180, 240]) expect(ev.observe(pm25(min * M, 35), min * M)).toEqual([]);
    expect(ev.tick(300 * M)).toEqual([]);
  });

  it('needs at least 3 readings even when two span F', () => {
    const ev = stuckRule('10m');
    expect(ev.observe(pm25(0, 35), 0)).toEqual([]);
    expect(ev.observe(pm25(10 * M, 35), 10 * M)).toEqual([]);
    expect(only(ev.observe(pm25(11 * M, 35), 11 * M)).status).toBe('active');
  });

  it('treats differences under 1e-9 as unchanged', () => {
    const ev = stuckRule('10m');
    ev.observe(pm25(0, 35), 0);
    ev.observe(pm25(5 * M, 35 + 1e-12), 5 * M);
    expect(only(ev.observe(pm25(10 * M, 35), 10 * M)).status).toBe('active');
  });

  it('clears on the first different value and then needs F again', () => {
    const ev = stuckRule('10m');
    for (const min of [0, 5]) ev.observe(pm25(min * M, 35), min * M);
    only(ev.observe(pm25(10 * M, 35), 10 * M));
    const moved = only(ev.observe(pm25(11 * M, 35.1), 11 * M));
    expect(moved).toMatchObject({ status: 'clear', values: { pm25: 35.1 }, detail: 'pm25 changed to 35.1 µg/m³ after 10 min at 35.0 µg/m³' });
    for (const min of [12, 15, 20]) expect(ev.observe(pm25(min * M, 35.1), min * M)).toEqual([]);
    expect(only(ev.observe(pm25(21 * M, 35.1), 21 * M)).status).toBe('active');
  });

  it('does not fire when the value keeps changing, and ignores booleans', () => {
    const ev = stuckRule('10m');
    for (let min = 0; min <= 60; min += 5) expect(ev.observe(pm25(min * M, 30 + (min % 2)), min * M)).toEqual([]);
    for (let min = 61; min <= 90; min += 5) expect(ev.observe(pm25(min * M, true), min * M)).toEqual([]);
  });
});
