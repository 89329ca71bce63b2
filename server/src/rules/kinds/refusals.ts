// refusals: at least N refused messages from one device within a sliding window (optionally only
// some reasons): a sensor that is misconfigured after installation, or one flooding the broker.
import type { RefusalsRule } from '@citygrid/contract';
import type { Condition, RuleDevice, RuleEvaluator } from '../types.js';
import { fmtDuration, Reported, withText, keeps } from './shared.js';

interface Hit { ts: number; n: number; reason: string }
/** Hits in time order; `sum` is their total, kept as they come and age out (no rescans: a flooding device refuses thousands). */
interface KeyState { device: RuleDevice; hits: Hit[]; head: number; sum: number; reasons: Map<string, number> }

/**
 * Counts refusals (a summed-up report counts as its `count`) whose time lies within the last `within`.
 * Key: the device. Active at `count` or more; clear when fewer remain, on tick as refusals age out.
 */
export function createRefusalsEvaluator(rule: RefusalsRule, _devices: RuleDevice[]): RuleEvaluator {
  const reasons = rule.reasons ? new Set<string>(rule.reasons) : null;
  const states = new Map<string, KeyState>();
  const reported = new Reported();
  const inWindow = `in ${fmtDuration(rule.within)}`;

  function evaluate(s: KeyState, now: number, out: Condition[]): void {
    while (s.head < s.hits.length && s.hits[s.head]!.ts <= now - rule.within) {
      const h = s.hits[s.head++]!;
      s.sum -= h.n;
      const left = (s.reasons.get(h.reason) ?? 0) - 1;
      if (left > 0) s.reasons.set(h.reason, left);
      else s.reasons.delete(h.reason);
    }
    if (s.head > 1024 && s.head * 2 > s.hits.length) {
      s.hits = s.hits.slice(s.head);
      s.head = 0;
    }
    const n = s.sum;
    const c = { key: s.device.id, grid: s.device.grid, district: s.device.district, devices: [s.device.id], values: { refused: n } };
    if (n >= rule.count) {
      reported.report(withText({ ...c, status: 'active' }, { key: 'refusals.active', params: { count: n, window_ms: rule.within, reasons: [...s.reasons.keys()] } }), out);
    } else reported.report({ ...c, status: 'clear', detail: `${n} refused ${inWindow}, under ${rule.count}` }, out);
    if (n === 0) states.delete(s.device.id);
  }

  return {
    rule,
    ...keeps({ states, reported: reported.last }),
    observe(o, now) {
      if (o.type !== 'refusal' || (reasons && !reasons.has(o.reason))) return [];
      let s = states.get(o.device.id);
      if (!s) {
        s = { device: o.device, hits: [], head: 0, sum: 0, reasons: new Map() };
        states.set(o.device.id, s);
      }
      s.hits.push({ ts: o.ts, n: o.count, reason: o.reason });
      s.sum += o.count;
      s.reasons.set(o.reason, (s.reasons.get(o.reason) ?? 0) + 1);
      const out: Condition[] = [];
      evaluate(s, now, out);
      return out;
    },
    tick(now) {
      const out: Condition[] = [];
      for (const s of [...states.values()]) evaluate(s, now, out);
      return out;
    },
  };
}
