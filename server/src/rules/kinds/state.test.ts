// Every rule kind's state survives a snapshot: an evaluator restored from what another saved (through
// v8's structured clone, as cluster mode stores it) reports exactly what the original does from then
// on; and, the control, a fresh evaluator given the same later input would not (so the state matters).
import { deserialize, serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { ruleSchema, type RuleDef } from '@citygrid/contract';
import type { Condition, EvaluatorState, Observation, RuleDevice, RuleEvaluator } from '../types.js';
import { createEvaluator } from './index.js';

const S = 1000;
const M = 60_000;
const T = Date.UTC(2026, 4, 1, 8, 0);
const dev = (kind: RuleDevice['kind'], id = `${kind}-1`): RuleDevice => ({ id, kind, grid: 'c-a', district: 'east' });
const reading = (d: RuleDevice, at: number, metrics: Record<string, number>): Step => ({ at, ob: { type: 'reading', device: d, ts: at, metrics } });
type Step = { at: number; ob?: Observation };

interface Case { rule: Record<string, unknown>; device: RuleDevice; before: Step[]; after: Step[] }

const wl = dev('water_level');
const noise = dev('noise');
const cam = dev('camera');
const cases: Case[] = [
  {
    rule: { id: 'hold', kind: 'threshold', match: { kind: 'water_level' }, metric: 'level_cm', above: 30, for: '60s', severity: 'red' },
    device: wl, before: [0, 20, 40].map((s) => reading(wl, T + s * S, { level_cm: 35 })), after: [reading(wl, T + 61 * S, { level_cm: 36 })],
  },
  {
    rule: { id: 'rise', kind: 'rate', match: { kind: 'water_level' }, metric: 'level_cm', rise: 5, per: '5m', severity: 'orange' },
    device: wl, before: [0, 1, 2].map((m) => reading(wl, T + m * M, { level_cm: 10 + 2 * m })), after: [reading(wl, T + 3 * M, { level_cm: 16 })],
  },
  {
    rule: { id: 'quiet', kind: 'absence', match: { kind: 'water_level' }, after: '5m', severity: 'yellow' },
    device: wl, before: [{ at: T }, reading(wl, T + S, { level_cm: 10 })], after: [{ at: T + 6 * M }],
  },
  {
    rule: { id: 'stuck', kind: 'frozen', match: { kind: 'water_level' }, metric: 'level_cm', for: '10m', severity: 'blue' },
    device: wl, before: [0, 2, 4, 6].map((m) => reading(wl, T + m * M, { level_cm: 12.5 })), after: [8, 10, 11].map((m) => reading(wl, T + m * M, { level_cm: 12.5 })),
  },
  {
    rule: { id: 'odd', kind: 'anomaly', match: { kind: 'noise' }, metric: 'db', z: 3, baseline: '1h', min_samples: 30, severity: 'yellow' },
    device: noise, before: Array.from({ length: 40 }, (_, i) => reading(noise, T + i * M, { db: 50 + (i % 3) - 1 })), after: [reading(noise, T + 41 * M, { db: 80 })],
  },
  {
    rule: { id: 'soon', kind: 'forecast', match: { kind: 'water_level' }, metric: 'level_cm', crosses: 30, within: '15m', window: '10m', severity: 'orange' },
    device: wl, before: [0, 1, 2, 3, 4].map((m) => reading(wl, T + m * M, { level_cm: 10 + 2 * m })), after: [reading(wl, T + 5 * M, { level_cm: 20 })],
  },
  {
    rule: { id: 'cars', kind: 'camera', match: { kind: 'camera' }, event: 'stalled_vehicle', count: 3, within: '10m', severity: 'orange' },
    device: cam,
    before: [0, 1].map((m) => ({ at: T + m * M, ob: { type: 'event', device: cam, ts: T + m * M, event: 'stalled_vehicle', confidence: 0.9, count: 1 } as Observation })),
    after: [{ at: T + 2 * M, ob: { type: 'event', device: cam, ts: T + 2 * M, event: 'stalled_vehicle', confidence: 0.9, count: 1 } as Observation }],
  },
  {
    rule: { id: 'junk', kind: 'refusals', match: { kind: 'water_level' }, count: 3, within: '10m', severity: 'blue' },
    device: wl,
    before: [0, 1].map((m) => ({ at: T + m * M, ob: { type: 'refusal', device: wl, ts: T + m * M, reason: 'schema_invalid', count: 1 } as Observation })),
    after: [{ at: T + 2 * M, ob: { type: 'refusal', device: wl, ts: T + 2 * M, reason: 'schema_invalid', count: 1 } as Observation }],
  },
];

function run(e: RuleEvaluator, steps: Step[]): Condition[] {
  const out: Condition[] = [];
  for (const s of steps) {
    if (s.ob) out.push(...e.observe(s.ob, s.at));
    out.push(...e.tick(s.at));
  }
  return out;
}

describe('rule state snapshots', () => {
  it('covers every rule kind but composite', () => {
    const kinds = new Set(cases.map((c) => c.rule.kind));
    expect([...kinds].sort()).toEqual(['absence', 'anomaly', 'camera', 'forecast', 'frozen', 'rate', 'refusals', 'threshold']);
  });

  for (const c of cases) {
    it(`${String(c.rule.kind)}: restored from a snapshot, it carries on as the original would`, () => {
      const rule = ruleSchema.parse(c.rule) as Exclude<RuleDef, { kind: 'composite' }>;
      const original = createEvaluator(rule, [c.device]);
      run(original, c.before);
      const stored = serialize(original.save());
      const restored = createEvaluator(rule, [c.device]);
      restored.restore(deserialize(stored) as EvaluatorState);
      const fresh = createEvaluator(rule, [c.device]);
      const fromFresh = run(fresh, c.after);
      const fromRestored = run(restored, c.after);
      const fromOriginal = run(original, c.after);
      expect(fromOriginal.some((x) => x.status === 'active'), 'the original reports the condition').toBe(true);
      expect(fromRestored).toEqual(fromOriginal);
      expect(fromFresh.some((x) => x.status === 'active'), 'a fresh evaluator would not (the control)').toBe(false);
    });
  }
});
