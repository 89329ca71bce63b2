// rate: a value rising (or falling) by at least R within a period P.
import type { RateRule } from '@citygrid/contract';
import type { Condition, RuleDevice, RuleEvaluator } from '../types.js';
import { fmtDuration, fmtLevel, fmtValue, readNumber, Reported, round, unitOf, whereDevice, withText, type Where, pushSample, type TimedValue, keeps } from './shared.js';

type Sample = TimedValue;
interface DeviceState { where: Where; samples: Sample[] }

/**
 * The change over the period is the latest value minus the value P before the latest reading.
 * That earlier value is interpolated linearly between the last sample at or before that moment and
 * the first one after it (one sample before the window is kept for this). While a device's history is
 * shorter than P, the oldest sample is used instead: a change of R seen in less than P is also at
 * least R within P. Active at a change of R or more in the rule's direction; clear once it drops under
 * R/2 (hysteresis), or when the device's latest reading is older than P (checked on tick).
 */
export function createRateEvaluator(rule: RateRule, _devices: RuleDevice[]): RuleEvaluator {
  const upward = rule.rise !== undefined;
  const needed = rule.rise ?? rule.fall ?? 0; // the schema guarantees exactly one of rise / fall
  const period = rule.per;
  const unit = unitOf(rule.match.kind, rule.metric);
  const states = new Map<string, DeviceState>();
  const reported = new Reported();
  const EPS = 1e-9;

  /** Latest value minus the value one period before the latest sample. */
  function changeOver(samples: Sample[]): number {
    const last = samples[samples.length - 1];
    const first = samples[0];
    const next = samples[1];
    if (!last || !first || !next) return 0;
    const t0 = last.ts - period;
    if (first.ts >= t0) return last.v - first.v;
    const at = first.v + ((next.v - first.v) * (t0 - first.ts)) / (next.ts - first.ts);
    return last.v - at;
  }

  function describe(change: number): string {
    const verb = change > 0 ? 'rose' : change < 0 ? 'fell' : 'changed';
    return `${rule.metric} ${verb} ${fmtValue(Math.abs(change), unit)} in ${fmtDuration(period)}`;
  }

  function evaluate(s: DeviceState, out: Condition[]): void {
    const last = s.samples[s.samples.length - 1];
    if (!last) return;
    const change = changeOver(s.samples);
    const towards = upward ? change : -change;
    const was = reported.status(s.where.key);
    const active = was === 'active' ? towards >= needed / 2 - EPS : towards >= needed - EPS;
    const values = { [rule.metric]: last.v, change: round(change), per_min: round(period / 60_000) };
    if (active) {
      reported.report(withText({ ...s.where, status: 'active', values }, { key: 'rate.active', params: { metric: rule.metric, change, unit, per_ms: period } }), out);
      return;
    }
    const detail = `${describe(change)}, under ${fmtLevel(needed / 2, unit)} (half the alert level of ${fmtLevel(needed, unit)})`;
    reported.report({ ...s.where, status: 'clear', values, detail }, out);
  }

  return {
    rule,
    ...keeps({ states, reported: reported.last }),
    observe(o, _now) {
      const v = readNumber(o, rule.metric);
      if (v === null) return [];
      let s = states.get(o.device.id);
      if (!s) {
        s = { where: whereDevice(o.device), samples: [] };
        states.set(o.device.id, s);
      }
      if (!pushSample(s.samples, o.ts, v)) return []; // late, out-of-order reading: ignored
      // keep the samples inside the period plus the last one at or before its start
      while (s.samples.length > 2 && (s.samples[1]?.ts ?? Infinity) <= o.ts - period) s.samples.shift();
      const out: Condition[] = [];
      evaluate(s, out);
      return out;
    },
    tick(now) {
      const out: Condition[] = [];
      for (const s of states.values()) {
        const last = s.samples[s.samples.length - 1];
        if (!last || now - last.ts <= period || reported.status(s.where.key) !== 'active') continue;
        reported.report({
          ...s.where, status: 'clear',
          values: { [rule.metric]: last.v, per_min: round(period / 60_000) },
          detail: `no ${rule.metric} data for over ${fmtDuration(period)}`,
        }, out);
      }
      return out;
    },
  };
}
