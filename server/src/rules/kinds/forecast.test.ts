// Proves forecast rules warn a lead time ahead (ETA ≤ within, with matching minutes in the words), recede, clear when reached or stale, and ignore noise.
import { ruleSchema } from '@citygrid/contract';
import { describe, expect, it } from 'vitest';
import type { Condition, Observation, RuleDevice } from '../types.js';
import { fitLine } from './forecast.js';
import { createEvaluator } from './index.js';

const S = 1000;
const M = 60_000;
const WL: RuleDevice = { id: 'wl-1', kind: 'water_level', grid: 'g-001', district: 'jianghan' };
const NOISE = [0.4, -0.3, 0.1, -0.5, 0.2, 0.5, -0.1, -0.4, 0.3, -0.2];

function forecastRule(extra: Record<string, unknown> = {}) {
  const ev = createEvaluator(ruleSchema.parse({
    id: 'flooding-forecast', kind: 'forecast', match: { kind: 'water_level' }, metric: 'level_cm',
    crosses: 30, within: '15m', window: '10m', severity: 'yellow', ...extra,
  }), [WL]);
  /** One reading every 30 s: `at(i, v)` sends reading i (at i × 30 s). */
  const at = (i: number, v: number): Condition[] => {
    const o: Observation = { type: 'reading', device: WL, ts: i * 30 * S, metrics: { level_cm: v } };
    return ev.observe(o, i * 30 * S);
  };
  return { ev, at };
}

describe('forecast', () => {
  it('warns when a level rising 1 cm/min will reach 30 within 15 min: around 15 cm, well before 30', () => {
    const { ev, at } = forecastRule();
    let first: Condition | undefined;
    let i = 0;
    for (; i <= 40 && !first; i++) first = at(i, 10 + i / 2)[0];
    expect(first).toBeDefined();
    const value = Number(first!.values.level_cm);
    expect(value).toBeGreaterThanOrEqual(14.5);
    expect(value).toBeLessThanOrEqual(16);
    expect(first!.status).toBe('active');
    expect(first!.detail).toBe('expected to reach 30 cm in about 15 min (now 15.0 cm, rising 1.0 cm/min)');
    expect(first!.values).toEqual({ level_cm: 15, crosses: 30, eta_min: 15, slope_per_min: 1 });
    // as it rises the lead time shrinks, and the words keep matching the values
    for (; i < 38; i++) {
      const c = at(i, 10 + i / 2);
      for (const u of c) {
        const n = Number(/in about (\d+) min/.exec(u.detail)?.[1]);
        expect(n).toBe(u.values.eta_min);
        expect(Math.abs(n - (30 - (10 + i / 2)))).toBeLessThanOrEqual(1);
      }
    }
    expect(ev.tick(38 * 30 * S)).toEqual([]);
  });

  it('clears with "reached" when the value gets there, and does not forecast the way back', () => {
    const { at } = forecastRule();
    for (let i = 0; i < 40; i++) at(i, 10 + i / 2); // 10 → 29.5
    const reached = at(40, 30);
    expect(reached).toHaveLength(1);
    expect(reached[0]).toMatchObject({ status: 'clear', detail: 'level_cm reached 30 cm (now 30.0 cm)' });
    for (let i = 41; i < 50; i++) expect(at(i, 30 + (i - 40) / 2)).toEqual([]); // still rising past it
    for (let i = 50; i < 70; i++) expect(at(i, 35 - (i - 50) / 2)).toEqual([]); // receding: not "expected to reach"
  });

  it('recedes when the rise stops', () => {
    const { at } = forecastRule();
    const seen: Condition[] = [];
    for (let i = 0; i <= 20; i++) seen.push(...at(i, 10 + i / 2)); // up to 20 cm
    expect(seen.some((c) => c.status === 'active')).toBe(true);
    const after: Condition[] = [];
    for (let i = 21; i <= 41; i++) after.push(...at(i, 20)); // flat for 10 min
    const cleared = after.filter((c) => c.status === 'clear');
    expect(cleared).toHaveLength(1);
    expect(cleared[0]!.detail).toMatch(/^level_cm no longer (expected to reach 30 cm within 22\.5 min|heading for 30 cm) \(now 20\.0 cm\)$/);
    expect(after.at(-1)?.status).toBe('clear');
  });

  it('does not fire on noise around a flat level, far from or near the level', () => {
    for (const base of [10, 28]) {
      const { ev, at } = forecastRule();
      for (let i = 0; i < 240; i++) {
        expect(at(i, base + NOISE[i % NOISE.length]!)).toEqual([]);
        expect(ev.tick(i * 30 * S + S)).toEqual([]);
      }
    }
  });

  it('forecasts a falling value towards a level below it', () => {
    const { at } = forecastRule({ crosses: 5 });
    let first: Condition | undefined;
    for (let i = 0; i <= 30 && !first; i++) first = at(i, 20 - i / 2)[0];
    expect(first?.status).toBe('active');
    expect(first?.detail).toMatch(/^expected to reach 5 cm in about \d+ min \(now [\d.]+ cm, falling 1\.0 cm\/min\)$/);
    expect(Number(first?.values.slope_per_min)).toBeCloseTo(-1, 6);
  });

  it('needs min_points spanning a third of the window', () => {
    const { at } = forecastRule();
    // steep, but only 4 points, then 5 points within 2 min (< 10 min / 3)
    for (let i = 0; i < 4; i++) expect(at(i, 10 + 3 * i)).toEqual([]);
    const ev2 = forecastRule();
    for (let k = 0; k < 5; k++) {
      const o: Observation = { type: 'reading', device: WL, ts: k * 25 * S, metrics: { level_cm: 10 + k } };
      expect(ev2.ev.observe(o, k * 25 * S)).toEqual([]);
    }
  });

  it('withdraws a stale forecast on tick when no data came for a whole window, once', () => {
    const { ev, at } = forecastRule();
    for (let i = 0; i <= 12; i++) at(i, 10 + i / 2); // active by now (level 16)
    const lastTs = 12 * 30 * S;
    expect(ev.tick(lastTs + 10 * M)).toEqual([]);
    const stale = ev.tick(lastTs + 10 * M + S);
    expect(stale).toHaveLength(1);
    expect(stale[0]).toMatchObject({ status: 'clear', detail: 'no level_cm data for 10 min; forecast withdrawn' });
    for (let k = 2; k < 30; k++) expect(ev.tick(lastTs + 10 * M + k * S)).toEqual([]);
  });

  it('fits a least-squares line: slope per minute and the fitted value now', () => {
    const fit = fitLine([{ ts: 0, v: 1 }, { ts: M, v: 3 }, { ts: 2 * M, v: 5 }]);
    expect(fit?.slope).toBeCloseTo(2, 9);
    expect(fit?.now).toBeCloseTo(5, 9);
    expect(fitLine([{ ts: 0, v: 1 }, { ts: 0, v: 2 }, { ts: 0, v: 3 }])).toBeNull();
  });
});
