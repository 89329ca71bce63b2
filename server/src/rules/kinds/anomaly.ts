// anomaly: a value far outside a device's own recent normal (its baseline), e.g. unusual noise at night.
import type { AnomalyRule } from '@citygrid/contract';
import type { Condition, RuleDevice, RuleEvaluator } from '../types.js';
import { fmtValue, readNumber, Reported, round, unitOf, whereDevice, withText, type Where, keeps } from './shared.js';

interface Baseline {
  where: Where;
  mean: number;
  variance: number;
  /** Readings learned so far. */
  samples: number;
  /** Time of the latest reading (learned or not), for the decay. */
  lastTs: number;
  /** When the current episode started, null while clear. */
  activeSince: number | null;
}

/**
 * Per device an exponentially weighted mean and variance with a time-based decay: a reading `dt` after
 * the previous one gets weight alpha = 1 − 2^(−dt / (baseline / 4)), so the past's weight halves every
 * quarter of the baseline period. Early on alpha is at least 1/n (a plain running mean and variance), so
 * the warm-up learns an unbiased baseline instead of clinging to the first reading. It may fire only
 * after `min_samples` readings (default 30): active when |value − mean| / std ≥ z, with std floored at
 * 1e-6 + 1% of |mean| so a flat baseline cannot divide by zero; clear when back under z/2.
 * Readings during an episode are not learned, so an episode never teaches the baseline that it is
 * normal; only after an episode has lasted a whole baseline period does learning resume, so that a
 * lasting change of level becomes the new normal instead of an alert that never ends.
 */
export function createAnomalyEvaluator(rule: AnomalyRule, _devices: RuleDevice[]): RuleEvaluator {
  const halfLife = rule.baseline / 4;
  const minSamples = rule.min_samples ?? 30;
  const unit = unitOf(rule.match.kind, rule.metric);
  const states = new Map<string, Baseline>();
  const reported = new Reported();

  function learn(b: Baseline, v: number, dt: number): void {
    const decay = halfLife > 0 ? 1 - 2 ** (-Math.max(0, dt) / halfLife) : 1;
    const alpha = Math.max(decay, 1 / (b.samples + 1));
    const diff = v - b.mean;
    const incr = alpha * diff;
    b.mean += incr;
    b.variance = (1 - alpha) * (b.variance + diff * incr);
    b.samples += 1;
  }

  return {
    rule,
    ...keeps({ states, reported: reported.last }),
    observe(o, now) {
      const v = readNumber(o, rule.metric);
      if (v === null) return [];
      let b = states.get(o.device.id);
      if (!b) {
        b = { where: whereDevice(o.device), mean: v, variance: 0, samples: 0, lastTs: o.ts, activeSince: null };
        states.set(o.device.id, b);
      }
      if (o.ts < b.lastTs) return []; // late, out-of-order reading: ignored
      const dt = o.ts - b.lastTs;
      b.lastTs = o.ts;
      if (b.samples < minSamples) {
        learn(b, v, dt);
        return [];
      }
      const std = Math.max(Math.sqrt(b.variance), 1e-6 + 0.01 * Math.abs(b.mean));
      const z = (v - b.mean) / std;
      const usual = `usual ${fmtValue(b.mean, unit)} ± ${fmtValue(std, unit)}`;
      const out: Condition[] = [];
      const values = { [rule.metric]: v, mean: round(b.mean), std: round(std, 3), z_score: round(z) };
      if (b.activeSince !== null) {
        if (Math.abs(z) < rule.z / 2) {
          b.activeSince = null;
          reported.report({ ...b.where, status: 'clear', values, detail: `${rule.metric} ${fmtValue(v, unit)}, back within the ${usual}` }, out);
          learn(b, v, dt);
          return out;
        }
        if (now - b.activeSince >= rule.baseline) learn(b, v, dt);
      } else if (Math.abs(z) >= rule.z) {
        b.activeSince = now;
      } else {
        learn(b, v, dt);
        return out;
      }
      reported.report(withText({ ...b.where, status: 'active', values }, {
        key: 'anomaly.active', params: { metric: rule.metric, value: v, unit, mean: b.mean, std, z, alert_z: rule.z },
      }), out);
      return out;
    },
    tick() {
      return [];
    },
  };
}
