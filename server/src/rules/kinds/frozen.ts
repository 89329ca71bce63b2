// frozen: a sensor repeating exactly the same value for a long time (stuck, not measuring).
import type { FrozenRule } from '@citygrid/contract';
import type { Condition, RuleDevice, RuleEvaluator } from '../types.js';
import { fmtDuration, fmtValue, readNumber, Reported, round, unitOf, whereDevice, withText, type Where, keeps } from './shared.js';

interface DeviceState {
  where: Where;
  /** The current run of identical readings: its value, first and last reading times, and length. */
  value: number;
  first: number;
  last: number;
  readings: number;
}

const SAME = 1e-9;

/**
 * Active once every reading for at least `for` (by the readings' own times, at least 3 of them) had
 * the same value; clear on the first different value. Only readings count as evidence: a device that
 * stops sending is the absence rule's business, so tick does nothing. The values (and how long it had
 * been unchanged) are taken when it becomes active; more identical readings change nothing.
 */
export function createFrozenEvaluator(rule: FrozenRule, _devices: RuleDevice[]): RuleEvaluator {
  const unit = unitOf(rule.match.kind, rule.metric);
  const states = new Map<string, DeviceState>();
  const reported = new Reported();

  return {
    rule,
    ...keeps({ states, reported: reported.last }),
    observe(o, _now) {
      const v = readNumber(o, rule.metric);
      if (v === null) return [];
      const s = states.get(o.device.id);
      if (!s) {
        states.set(o.device.id, { where: whereDevice(o.device), value: v, first: o.ts, last: o.ts, readings: 1 });
        return [];
      }
      if (o.ts < s.last) return []; // late, out-of-order reading: ignored
      const out: Condition[] = [];
      const key = s.where.key;
      if (Math.abs(v - s.value) < SAME) {
        s.last = o.ts;
        s.readings += 1;
        const unchanged = s.last - s.first;
        if (reported.status(key) !== 'active' && s.readings >= 3 && unchanged >= rule.for) {
          reported.report(withText({
            ...s.where, status: 'active',
            values: { [rule.metric]: s.value, unchanged_min: round(unchanged / 60_000, 1) },
          }, { key: 'frozen.active', params: { metric: rule.metric, value: s.value, unit, unchanged_ms: unchanged, readings: s.readings } }), out);
        }
        return out;
      }
      const unchanged = s.last - s.first;
      reported.report({
        ...s.where, status: 'clear',
        values: { [rule.metric]: v, unchanged_min: round(unchanged / 60_000, 1) },
        detail: `${rule.metric} changed to ${fmtValue(v, unit)} after ${fmtDuration(unchanged)} at ${fmtValue(s.value, unit)}`,
      }, out);
      Object.assign(s, { value: v, first: o.ts, last: o.ts, readings: 1 });
      return out;
    },
    tick() {
      return [];
    },
  };
}
