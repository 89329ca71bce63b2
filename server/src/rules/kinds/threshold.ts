// threshold: a value above (or below) a level, optionally held for a time, cleared at a separate level.
import type { ThresholdRule } from '@citygrid/contract';
import type { Condition, RuleDevice, RuleEvaluator } from '../types.js';
import { fmtLevel, fmtValue, readNumber, Reported, unitOf, whereDevice, withText, type Status, type Where, keeps } from './shared.js';

interface DeviceState {
  where: Where;
  /** The latest reading as received (booleans stay booleans) and as a number (true = 1). */
  raw: number | boolean;
  value: number;
  ts: number;
  /** When the value went past the level (start of the hold), null while it is not past. */
  since: number | null;
}

/**
 * Pending while the value is past the level but the hold (`for`) has not run yet; active once it has
 * (checked on every reading and every tick, so a device that goes quiet past the level still fires).
 * A pending condition clears as soon as the value is no longer past the level; an active one only
 * past the clear level (`clear_below` / `clear_above`, default the level itself). A clear level on
 * the wrong side of the level is treated as the level, so a value cannot raise and clear at once.
 */
export function createThresholdEvaluator(rule: ThresholdRule, _devices: RuleDevice[]): RuleEvaluator {
  const upward = rule.above !== undefined;
  const level = rule.above ?? rule.below ?? 0; // the schema guarantees exactly one of above / below
  const clearLevel = upward ? Math.min(rule.clear_below ?? level, level) : Math.max(rule.clear_above ?? level, level);
  const hold = rule.for ?? 0;
  const unit = unitOf(rule.match.kind, rule.metric);
  const side = upward ? 'above' : 'below';
  const states = new Map<string, DeviceState>();
  const reported = new Reported();

  const isPast = (v: number) => (upward ? v > level : v < level);
  const isCleared = (v: number) => (upward ? v < clearLevel : v > clearLevel);

  /** Why it cleared (English; a note in the alert's history). */
  function clearDetail(s: DeviceState, was: Status): string {
    const head = `${rule.metric} ${fmtValue(s.raw, unit)}`;
    if (was === 'pending') return `${head}, no longer ${side} ${fmtLevel(level, unit)}`;
    return `${head}, back ${upward ? 'below' : 'above'} ${fmtLevel(clearLevel, unit)}`;
  }

  function evaluate(s: DeviceState, now: number, out: Condition[]): void {
    const was = reported.status(s.where.key);
    let status: Status;
    if (was === 'active') status = isCleared(s.value) ? 'clear' : 'active';
    else if (s.since === null) status = 'clear';
    else status = now - s.since >= hold ? 'active' : 'pending';
    const c = { ...s.where, status, values: { [rule.metric]: s.raw, level } };
    const params = { metric: rule.metric, value: s.raw, unit, side, level, hold_ms: hold } as const;
    if (status === 'clear') reported.report({ ...c, detail: clearDetail(s, was) }, out);
    else reported.report(withText(c, { key: status === 'active' ? 'threshold.active' : 'threshold.pending', params }), out);
  }

  return {
    rule,
    ...keeps({ states, reported: reported.last }),
    observe(o, now) {
      const value = readNumber(o, rule.metric, true);
      if (value === null || o.type !== 'reading') return [];
      const raw = o.metrics[rule.metric] ?? value;
      let s = states.get(o.device.id);
      if (s && o.ts < s.ts) return []; // an older reading arriving late does not replace the latest
      if (!s) {
        s = { where: whereDevice(o.device), raw, value, ts: o.ts, since: null };
        states.set(o.device.id, s);
      }
      s.raw = raw;
      s.value = value;
      s.ts = o.ts;
      if (!isPast(value)) s.since = null;
      else if (s.since === null) s.since = Math.min(o.ts, now);
      const out: Condition[] = [];
      evaluate(s, now, out);
      return out;
    },
    tick(now) {
      const out: Condition[] = [];
      for (const s of states.values()) if (reported.status(s.where.key) === 'pending') evaluate(s, now, out);
      return out;
    },
  };
}
