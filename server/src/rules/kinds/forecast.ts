// forecast (预测): an early warning that a value's trend will cross a level within a lead time.
import type { ForecastRule } from '@citygrid/contract';
import type { Condition, RuleDevice, RuleEvaluator } from '../types.js';
import { fmtDuration, fmtLevel, fmtValue, readNumber, Reported, round, unitOf, whereDevice, withText, type Where, pushSample, type TimedValue, keeps } from './shared.js';

type Sample = TimedValue;
interface DeviceState {
  where: Where;
  samples: Sample[];
  /** Direction of the active forecast: +1 rising to the level, −1 falling to it. */
  dir: 1 | -1;
  /** Set when an active forecast came true (the value reached the level in direction `dir`): no new
   *  forecast, in either direction, until the value is back on the side it came from. */
  reached: boolean;
}

/** A least-squares line through the samples, x in minutes before the latest sample. */
export interface Fit { slope: number; now: number; stderr: number }

export function fitLine(samples: Sample[]): Fit | null {
  const last = samples[samples.length - 1];
  const n = samples.length;
  if (!last || n < 3) return null;
  const xs = samples.map((s) => (s.ts - last.ts) / 60_000);
  const mx = xs.reduce((a, x) => a + x, 0) / n;
  const my = samples.reduce((a, s) => a + s.v, 0) / n;
  let sxx = 0;
  let sxy = 0;
  samples.forEach((s, i) => {
    const dx = (xs[i] ?? 0) - mx;
    sxx += dx * dx;
    sxy += dx * (s.v - my);
  });
  if (sxx === 0) return null;
  const slope = sxy / sxx;
  const intercept = my - slope * mx; // the fitted value at the latest sample (x = 0)
  let ssr = 0;
  samples.forEach((s, i) => {
    ssr += (s.v - (intercept + slope * (xs[i] ?? 0))) ** 2;
  });
  return { slope, now: intercept, stderr: Math.sqrt(ssr / (n - 2) / sxx) };
}

/**
 * On each reading a line is fitted to the device's readings in the last `window` (at least
 * `min_points`, default 5, spanning at least a third of the window). The crossing is predicted in the
 * direction of the trend: upwards while the latest value is below the level, downwards while above.
 * ETA = (level − fitted value now) / slope, counted as 0 when the fit is already past the level.
 * Fires when ETA ≤ `within` and the trend is clear of noise (slope at least 2 standard errors);
 * clears when the prediction recedes (ETA > 1.5 × within, slope flat or away, or under 1 standard
 * error), when the value reaches the level ("reached": the threshold rule takes over), or on tick
 * when no reading came for a whole window. A level once reached is not forecast again, in either
 * direction, until the value is back on its original side, so a receding flood is not "expected".
 */
export function createForecastEvaluator(rule: ForecastRule, _devices: RuleDevice[]): RuleEvaluator {
  const level = rule.crosses;
  const lead = rule.within;
  const minPoints = rule.min_points ?? 5;
  const unit = unitOf(rule.match.kind, rule.metric);
  const states = new Map<string, DeviceState>();
  const reported = new Reported();
  const lvl = fmtLevel(level, unit);

  function clear(s: DeviceState, v: number, detail: string, out: Condition[]): void {
    reported.report({ ...s.where, status: 'clear', values: { [rule.metric]: v, crosses: level }, detail }, out);
  }

  function evaluate(s: DeviceState, out: Condition[]): void {
    const last = s.samples[s.samples.length - 1];
    if (!last) return;
    const v = last.v;
    const active = reported.status(s.where.key) === 'active';
    const now = `now ${fmtValue(v, unit)}`;
    if (active && (s.dir > 0 ? v >= level : v <= level)) {
      s.reached = true;
      clear(s, v, `${rule.metric} reached ${lvl} (${now})`, out);
      return;
    }
    if (s.reached) {
      if (s.dir > 0 ? v >= level : v <= level) return;
      s.reached = false;
    }
    const dir = v < level ? 1 : v > level ? -1 : 0;
    const first = s.samples[0];
    const fit = first && last.ts - first.ts >= rule.window / 3 && s.samples.length >= minPoints ? fitLine(s.samples) : null;
    const towards = dir !== 0 && fit !== null && fit.slope * dir > 0;
    if (!fit || !towards) {
      if (active) clear(s, v, `${rule.metric} no longer heading for ${lvl} (${now})`, out);
      return;
    }
    const eta = Math.max(0, (level - fit.now) / fit.slope); // minutes
    const clearness = fit.stderr > 0 ? Math.abs(fit.slope) / fit.stderr : Infinity;
    const keep = active ? eta <= 1.5 * (lead / 60_000) && clearness >= 1 : eta <= lead / 60_000 && clearness >= 2;
    if (!keep) {
      if (active) clear(s, v, `${rule.metric} no longer expected to reach ${lvl} within ${fmtDuration(lead * 1.5)} (${now})`, out);
      return;
    }
    s.dir = dir > 0 ? 1 : -1;
    const etaMin = Math.max(1, Math.round(eta));
    reported.report(withText({
      ...s.where, status: 'active',
      values: { [rule.metric]: v, crosses: level, eta_min: etaMin, slope_per_min: round(fit.slope, 3) },
    }, { key: 'forecast.active', params: { metric: rule.metric, level, unit, eta_min: etaMin, value: v, slope_per_min: fit.slope } }), out);
  }

  return {
    rule,
    ...keeps({ states, reported: reported.last }),
    observe(o, _now) {
      const v = readNumber(o, rule.metric);
      if (v === null) return [];
      let s = states.get(o.device.id);
      if (!s) {
        s = { where: whereDevice(o.device), samples: [], dir: 1, reached: false };
        states.set(o.device.id, s);
      }
      if (!pushSample(s.samples, o.ts, v)) return []; // late, out-of-order reading: ignored
      while ((s.samples[0]?.ts ?? Infinity) < o.ts - rule.window) s.samples.shift();
      const out: Condition[] = [];
      evaluate(s, out);
      return out;
    },
    tick(now) {
      const out: Condition[] = [];
      for (const s of states.values()) {
        const last = s.samples[s.samples.length - 1];
        if (!last || now - last.ts <= rule.window) continue;
        s.samples = []; // stale: the next forecast starts from fresh readings
        if (reported.status(s.where.key) === 'active') {
          clear(s, last.v, `no ${rule.metric} data for ${fmtDuration(rule.window)}; forecast withdrawn`, out);
        }
      }
      return out;
    },
  };
}
