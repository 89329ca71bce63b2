// Proves anomaly rules stay quiet during warm-up, fire on a spike either way, are not taught by an episode (a second identical spike fires alike), and floor a flat baseline.
import { ruleSchema } from '@citygrid/contract';
import { describe, expect, it } from 'vitest';
import type { Condition, Observation, RuleDevice } from '../types.js';
import { createEvaluator } from './index.js';

const M = 60_000;
const NZ: RuleDevice = { id: 'nz-1', kind: 'noise', grid: 'g-001', district: 'jianghan' };
const NORMAL = [53, 55, 57]; // mean 55, std 1.63

function only(conds: Condition[]): Condition {
  expect(conds).toHaveLength(1);
  return conds[0]!;
}
/** An anomaly evaluator fed one laeq reading a minute by `feed(v)`. */
function noiseRule(extra: Record<string, unknown> = {}) {
  const ev = createEvaluator(ruleSchema.parse({
    id: 'noise-unusual', kind: 'anomaly', match: { kind: 'noise' }, metric: 'laeq', z: 4, baseline: '24h', severity: 'blue', ...extra,
  }), [NZ]);
  let minute = 0;
  const feed = (v: number): Condition[] => {
    minute += 1;
    const o: Observation = { type: 'reading', device: NZ, ts: minute * M, metrics: { laeq: v } };
    return ev.observe(o, minute * M);
  };
  const normal = (n: number) => {
    for (let i = 0; i < n; i++) expect(feed(NORMAL[i % 3]!)).toEqual([]);
  };
  return { ev, feed, normal };
}

describe('anomaly', () => {
  it('stays quiet during warm-up (min_samples), even for a wild value', () => {
    const { feed, normal } = noiseRule();
    normal(10);
    expect(feed(120)).toEqual([]);
    normal(18); // 29 readings so far: still warming up
  });

  it('fires on a spike, does not learn from the episode, clears, and fires alike on a second spike', () => {
    const { ev, feed, normal } = noiseRule();
    normal(39); // 13 whole cycles: mean exactly 55
    const first = only(feed(90));
    expect(first).toMatchObject({ key: 'nz-1', status: 'active', values: { laeq: 90, mean: 55 } });
    const z1 = Number(first.values.z_score);
    expect(z1).toBeCloseTo(35 / Math.sqrt(8 / 3), 1);
    expect(first.detail).toMatch(/^laeq 90\.0 dB\(A\), unusually high \(usual 55\.0 dB\(A\) ± 1\.6 dB\(A\), z 21\.4, alert at 4\)$/);
    for (let i = 0; i < 10; i++) expect(feed(90)).toEqual([]); // same value, same (unlearned) baseline: nothing new
    expect(ev.tick(60 * M)).toEqual([]);
    const back = only(feed(55));
    expect(back.status).toBe('clear');
    expect(back.detail).toContain('back within the usual 55.0 dB(A)');
    normal(10);
    const second = only(feed(90));
    expect(second.status).toBe('active');
    expect(Number(second.values.z_score)).toBeCloseTo(z1, 0);
    expect(Number(second.values.mean)).toBeCloseTo(55, 0);
  });

  it('keeps an episode active between z/2 and z, and updates the shown value', () => {
    const { feed, normal } = noiseRule();
    normal(40);
    only(feed(90));
    expect(only(feed(60)).status).toBe('active'); // z ≈ 3.1: above z/2
    expect(only(feed(57)).status).toBe('clear'); // z ≈ 1.2
  });

  it('fires on an unusually low value', () => {
    const { feed, normal } = noiseRule();
    normal(40);
    const low = only(feed(40));
    expect(low.status).toBe('active');
    expect(Number(low.values.z_score)).toBeLessThan(-4);
    expect(low.detail).toContain('unusually low');
  });

  it('floors the standard deviation of a flat baseline instead of dividing by zero', () => {
    const { feed } = noiseRule();
    for (let i = 0; i < 30; i++) expect(feed(50)).toEqual([]);
    const spike = only(feed(53)); // std floored at 0.5: z = 6
    expect(spike.values).toMatchObject({ mean: 50, std: 0.5, z_score: 6 });
    expect(only(feed(50)).status).toBe('clear');
    expect(feed(51)).toEqual([]); // z = 2: normal enough
  });

  it('learns again after an episode has lasted a whole baseline, so a lasting shift ends', () => {
    const { feed, normal } = noiseRule({ baseline: '1h', min_samples: 10 });
    normal(40);
    expect(only(feed(70)).status).toBe('active');
    for (let i = 1; i < 60; i++) expect(feed(70)).toEqual([]); // frozen baseline for an hour
    let clearedAfter = -1;
    for (let i = 60; i < 240 && clearedAfter < 0; i++) {
      if (feed(70).some((c) => c.status === 'clear')) clearedAfter = i;
    }
    expect(clearedAfter).toBeGreaterThan(60);
  });

  it('ignores other metrics and booleans', () => {
    const { ev } = noiseRule();
    expect(ev.observe({ type: 'reading', device: NZ, ts: 1, metrics: { other: 1 } }, 1)).toEqual([]);
    expect(ev.observe({ type: 'reading', device: NZ, ts: 2, metrics: { laeq: true } }, 2)).toEqual([]);
  });
});
