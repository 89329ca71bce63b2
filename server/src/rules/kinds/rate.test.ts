// Proves rate rules fire on a rise or fall of R within P (interpolating the value P ago), clear only under R/2, and clear when data is older than P.
import { ruleSchema } from '@citygrid/contract';
import { describe, expect, it } from 'vitest';
import type { Condition, Observation, RuleDevice } from '../types.js';
import { createEvaluator } from './index.js';

const M = 60_000;
const WL: RuleDevice = { id: 'wl-1', kind: 'water_level', grid: 'g-001', district: 'jianghan' };
const level = (ts: number, v: number): Observation => ({ type: 'reading', device: WL, ts, metrics: { level_cm: v } });

function only(conds: Condition[]): Condition {
  expect(conds).toHaveLength(1);
  return conds[0]!;
}
function rateRule(extra: Record<string, unknown>) {
  return createEvaluator(ruleSchema.parse({
    id: 'water-rising-fast', kind: 'rate', match: { kind: 'water_level' }, metric: 'level_cm', per: '5m', severity: 'yellow', ...extra,
  }), [WL]);
}

describe('rate', () => {
  it('fires on a rise of R within P and clears only when the change drops under R/2', () => {
    const ev = rateRule({ rise: 10 });
    const feed = (min: number, v: number) => ev.observe(level(min * M, v), min * M);
    for (const [min, v] of [[0, 10], [1, 12], [2, 14], [3, 16], [4, 18]] as const) expect(feed(min, v)).toEqual([]);
    const on = only(feed(5, 20)); // 20 − 10 over exactly 5 min
    expect(on).toMatchObject({ status: 'active', values: { level_cm: 20, change: 10, per_min: 5 }, detail: 'level_cm rose 10.0 cm in 5 min' });
    expect(only(feed(6, 22)).values).toEqual({ level_cm: 22, change: 10, per_min: 5 }); // the shown value follows
    expect(only(feed(7, 22)).values.change).toBe(8); // 22 − 14: under R, over R/2: still active
    expect(feed(7, 22)).toEqual([]); // the same reading again: nothing new
    expect(ev.tick(7 * M + 1000)).toEqual([]);
  });

  it('keeps the alert between R/2 and R, then clears', () => {
    const ev = rateRule({ rise: 10 });
    const feed = (min: number, v: number) => ev.observe(level(min * M, v), min * M);
    [[0, 10], [1, 12], [2, 14], [3, 16], [4, 18]].forEach(([m, v]) => feed(m!, v!));
    expect(only(feed(5, 20)).status).toBe('active');
    expect(only(feed(6, 20)).values.change).toBe(8); // 20 − 12
    expect(only(feed(7, 20)).values.change).toBe(6); // 20 − 14
    const off = only(feed(8, 20)); // 20 − 16 = 4 < 5
    expect(off).toMatchObject({ status: 'clear', values: { change: 4 } });
    expect(off.detail).toContain('level_cm rose 4.0 cm in 5 min');
    expect(feed(9, 20)).toEqual([]);
    expect(ev.tick(20 * M)).toEqual([]);
  });

  it('does not fire on a change just under R', () => {
    const ev = rateRule({ rise: 10 });
    [[0, 10], [2.5, 14.5], [5, 19.9]].forEach(([m, v]) => expect(ev.observe(level(m! * M, v!), m! * M)).toEqual([]));
  });

  it('interpolates the value P before the latest reading', () => {
    const ev = rateRule({ rise: 10 });
    expect(ev.observe(level(0, 10), 0)).toEqual([]);
    expect(ev.observe(level(4 * M, 14), 4 * M)).toEqual([]);
    // at 6 min the value 5 min earlier (1 min) lies on the line from 10 to 14: 11
    const on = only(ev.observe(level(6 * M, 24), 6 * M));
    expect(on.values.change).toBe(13);
  });

  it('uses the oldest reading while history is shorter than P', () => {
    const ev = rateRule({ rise: 10 });
    ev.observe(level(0, 10), 0);
    expect(only(ev.observe(level(M, 21), M))).toMatchObject({ status: 'active', detail: 'level_cm rose 11.0 cm in 5 min' });
  });

  it('fires on a fall and says so', () => {
    const ev = rateRule({ fall: 10 });
    ev.observe(level(0, 50), 0);
    expect(ev.observe(level(2 * M, 45), 2 * M)).toEqual([]);
    const on = only(ev.observe(level(3 * M, 38), 3 * M));
    expect(on).toMatchObject({ status: 'active', values: { change: -12 }, detail: 'level_cm fell 12.0 cm in 5 min' });
    expect(ev.observe(level(4 * M, 60), 4 * M)[0]?.status).toBe('clear'); // rising now: the fall is over
  });

  it('clears on tick when the latest data is older than P, once', () => {
    const ev = rateRule({ rise: 10 });
    ev.observe(level(0, 10), 0);
    expect(only(ev.observe(level(M, 25), M)).status).toBe('active');
    expect(ev.tick(6 * M)).toEqual([]); // exactly P old: still within
    const off = only(ev.tick(6 * M + 1000));
    expect(off).toMatchObject({ status: 'clear', detail: 'no level_cm data for over 5 min' });
    for (let i = 2; i < 50; i++) expect(ev.tick(6 * M + i * 1000)).toEqual([]);
  });
});
