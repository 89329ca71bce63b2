// Proves the refusals rule: N refused messages (summed-up reports count as many) within the window
// raise it for that device, only for the listed reasons, and it clears as they age out.
import { describe, expect, it } from 'vitest';
import { refusalsRule } from '@citygrid/contract';
import type { RuleDevice } from '../types.js';
import { createRefusalsEvaluator } from './refusals.js';

const wl: RuleDevice = { id: 'wl-1', kind: 'water_level', grid: 'g-1', district: 'east' };
const rule = refusalsRule.parse({ id: 'flooding', kind: 'refusals', reasons: ['rate_limited'], count: 100, within: '1m', severity: 'blue' });
const T = 1_000_000;

describe('refusals rule', () => {
  it('fires at `count` refusals within the window, counting summed-up reports, and clears as they age out', () => {
    const e = createRefusalsEvaluator(rule, [wl]);
    expect(e.observe({ type: 'refusal', device: wl, ts: T, reason: 'rate_limited', count: 60 }, T)).toEqual([]); // under the count: nothing to report yet
    const [c] = e.observe({ type: 'refusal', device: wl, ts: T + 5000, reason: 'rate_limited', count: 40 }, T + 5000);
    expect(c).toMatchObject({ key: 'wl-1', status: 'active', values: { refused: 100 } });
    expect(c!.detail).toContain('100 messages refused in 1 min (rate_limited)');
    expect(e.tick(T + 30_000)).toEqual([]); // unchanged
    expect(e.tick(T + 61_000)).toMatchObject([{ status: 'clear', values: { refused: 40 } }]);
  });

  it('ignores other reasons and other observations', () => {
    const e = createRefusalsEvaluator(rule, [wl]);
    expect(e.observe({ type: 'refusal', device: wl, ts: T, reason: 'wrong_type', count: 500 }, T)).toEqual([]);
    expect(e.observe({ type: 'reading', device: wl, ts: T, metrics: { level_cm: 3 } }, T)).toEqual([]);
  });

  it('takes any device kind when match is left out', () => {
    expect(rule.match).toEqual({});
  });
});
