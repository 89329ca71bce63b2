// Proves createEvaluator picks the evaluator by kind, refuses composite rules, and that no kind ever reports an unchanged condition twice.
import { ruleSchema, type RuleDef } from '@citygrid/contract';
import { describe, expect, it } from 'vitest';
import type { Condition, Observation, RuleDevice } from '../types.js';
import { createEvaluator } from './index.js';

const dev = (id: string, kind: RuleDevice['kind'], grid: string): RuleDevice => ({ id, kind, grid, district: 'jianghan' });
const RULES: Record<string, { rule: Record<string, unknown>; devices: RuleDevice[]; metric: string }> = {
  threshold: { rule: { kind: 'threshold', match: { kind: 'water_level' }, metric: 'level_cm', above: 30, for: '20s', clear_below: 20 }, devices: [dev('wl-1', 'water_level', 'g-1'), dev('wl-2', 'water_level', 'g-2')], metric: 'level_cm' },
  rate: { rule: { kind: 'rate', match: { kind: 'water_level' }, metric: 'level_cm', rise: 8, per: '2m' }, devices: [dev('wl-1', 'water_level', 'g-1')], metric: 'level_cm' },
  absence: { rule: { kind: 'absence', match: { kind: 'gas' }, after: '1m' }, devices: [dev('gas-1', 'gas', 'g-1'), dev('gas-2', 'gas', 'g-2')], metric: 'ch4' },
  frozen: { rule: { kind: 'frozen', match: { kind: 'air_quality' }, metric: 'pm25', for: '1m' }, devices: [dev('aq-1', 'air_quality', 'g-1')], metric: 'pm25' },
  anomaly: { rule: { kind: 'anomaly', match: { kind: 'noise' }, metric: 'laeq', z: 3, baseline: '10m', min_samples: 10 }, devices: [dev('nz-1', 'noise', 'g-1')], metric: 'laeq' },
  forecast: { rule: { kind: 'forecast', match: { kind: 'water_level' }, metric: 'level_cm', crosses: 30, within: '5m', window: '3m' }, devices: [dev('wl-1', 'water_level', 'g-1')], metric: 'level_cm' },
  camera: { rule: { kind: 'camera', match: { kind: 'camera' }, event: 'crowding', count: 3, within: '1m' }, devices: [dev('cam-1', 'camera', 'g-1'), dev('cam-2', 'camera', 'g-1'), dev('cam-3', 'camera', 'g-2')], metric: '' },
};
const parse = (kind: string): RuleDef => ruleSchema.parse({ id: `r-${kind}`, severity: 'blue', ...RULES[kind]!.rule });

/** A small deterministic random generator (LCG), so failures replay. */
function random(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

describe('createEvaluator', () => {
  it('builds the evaluator of each kind for its rule', () => {
    for (const kind of Object.keys(RULES)) {
      const rule = parse(kind);
      expect(createEvaluator(rule, RULES[kind]!.devices).rule).toBe(rule);
    }
  });

  it('refuses composite rules: the alert manager evaluates them', () => {
    const rule = ruleSchema.parse({ id: 'waterlogging-incident', kind: 'composite', within: '10m', all: ['a', { camera: 'stalled_vehicle' }], severity: 'red' });
    expect(() => createEvaluator(rule, [])).toThrow(/composite rules are evaluated by the alert manager/);
  });

  it.each(Object.keys(RULES))('%s never reports an unchanged condition twice, nor clears what it never raised', (kind) => {
    const { devices, metric } = RULES[kind]!;
    const ev = createEvaluator(parse(kind), devices);
    const rnd = random(kind.length * 7919);
    const last = new Map<string, Condition>();
    let now = 1_700_000_000_000;
    let raised = 0;
    const check = (conds: Condition[]) => {
      for (const c of conds) {
        const prev = last.get(c.key);
        if (!prev) expect(c.status).not.toBe('clear');
        else if (prev.status === c.status) {
          expect(c.status).toBe('active');
          expect(JSON.stringify([c.values, c.devices])).not.toBe(JSON.stringify([prev.values, prev.devices]));
        }
        last.set(c.key, c);
        if (c.status === 'active') raised += 1;
      }
    };
    let level = 10;
    for (let step = 0; step < 4000; step++) {
      now += Math.floor(rnd() * 8000);
      const device = devices[Math.floor(rnd() * devices.length)]!;
      const r = rnd();
      if (r < 0.5) {
        check(ev.tick(now));
        check(ev.tick(now)); // the same moment twice: nothing new the second time
        expect(ev.tick(now)).toEqual([]);
        continue;
      }
      // phases: drifting up, steady, stuck, spikes, silence
      const phase = Math.floor(step / 400) % 5;
      if (phase === 4) continue;
      level = phase === 0 ? level + rnd() * 2 : phase === 2 ? level : 10 + rnd() * 3;
      if (phase === 3 && rnd() < 0.1) level = 60;
      if (level > 45) level = phase === 3 ? level : 10;
      let o: Observation;
      if (kind === 'camera') o = { type: 'event', device, ts: now, event: 'crowding', confidence: rnd(), count: 2 };
      else if (kind === 'absence' && r > 0.95) o = { type: 'status', device, ts: now, online: rnd() < 0.5 };
      else o = { type: 'reading', device, ts: now, metrics: { [metric]: Math.round(level * 10) / 10 } };
      check(ev.observe(o, now));
    }
    expect(raised).toBeGreaterThan(0); // the run did exercise the condition
  });
});
