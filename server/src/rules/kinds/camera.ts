// camera: at least N events of one type within a sliding window, per grid cell or per camera.
import type { CameraRule } from '@citygrid/contract';
import type { Condition, RuleDevice, RuleEvaluator } from '../types.js';
import { fmtDuration, Reported, round, withText, keeps } from './shared.js';

interface Hit { ts: number; device: string }
interface KeyState { key: string; grid: string; district: string; hits: Hit[] }

/**
 * Counts events (not the objects each one reports in `count`) of the rule's type with confidence at
 * least `min_confidence` (default 0.5) whose time lies within the last `within` before `now`. Key: the
 * grid cell (scope 'grid', devices = the cameras that contributed) or the camera (scope 'device').
 * Active at `count` events or more; clear when fewer remain, on tick as events age out.
 */
export function createCameraEvaluator(rule: CameraRule, _devices: RuleDevice[]): RuleEvaluator {
  const minConfidence = rule.min_confidence ?? 0.5;
  const byGrid = rule.scope !== 'device';
  const states = new Map<string, KeyState>();
  const reported = new Reported();
  const windowMin = round(rule.within / 60_000);
  const inWindow = `in ${fmtDuration(rule.within)}`;

  function evaluate(s: KeyState, now: number, out: Condition[]): void {
    s.hits = s.hits.filter((h) => h.ts > now - rule.within);
    const n = s.hits.length;
    const devices = [...new Set(s.hits.map((h) => h.device))];
    const active = n >= rule.count;
    const c = {
      key: s.key, grid: s.grid, district: s.district,
      devices: byGrid ? devices : [s.key],
      status: active ? 'active' as const : 'clear' as const,
      values: { events: n, window_min: windowMin },
    };
    if (active) {
      const params = { event: rule.event, count: n, window_ms: rule.within, cameras: byGrid ? devices.length : 1 };
      reported.report(withText(c, { key: 'camera.active', params }), out);
    } else reported.report({ ...c, detail: `${n} ${rule.event} event${n === 1 ? '' : 's'} ${inWindow}, under ${rule.count}` }, out);
    if (n === 0) states.delete(s.key);
  }

  return {
    rule,
    ...keeps({ states, reported: reported.last }),
    observe(o, now) {
      if (o.type !== 'event' || o.event !== rule.event || o.confidence < minConfidence) return [];
      const key = byGrid ? o.device.grid : o.device.id;
      let s = states.get(key);
      if (!s) {
        s = { key, grid: o.device.grid, district: o.device.district, hits: [] };
        states.set(key, s);
      }
      s.hits.push({ ts: o.ts, device: o.device.id });
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
