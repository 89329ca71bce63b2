// absence: a device that has sent nothing for a while, or that the broker reported offline.
import type { AbsenceRule } from '@citygrid/contract';
import type { Condition, Observation, RuleDevice, RuleEvaluator } from '../types.js';
import { fmtDuration, Reported, round, whereDevice, withText, keeps } from './shared.js';

type Reason = 'silent' | 'offline';
interface DeviceState {
  device: RuleDevice;
  /** When we last heard from it (receive time, `now`), null if never since the evaluator started. */
  lastSeen: number | null;
  offline: boolean;
  /** Why it is active, null while clear. */
  reason: Reason | null;
}

/**
 * Every device the rule was created with is watched, plus any other device it observes. Silence is
 * measured in receive time (`now`), from the last reading, event or online status; for a device never
 * heard from, from the evaluator's start, which is the first `now` it is given (the manager ticks it
 * right after creating it). A status `online: false` (the device's will) makes it active at once.
 * Values are taken when it becomes active and are not refreshed while the silence lasts (the alert's
 * start time shows how long), so a silent device is not an update every minute.
 */
export function createAbsenceEvaluator(rule: AbsenceRule, devices: RuleDevice[]): RuleEvaluator {
  const after = rule.after;
  const states = new Map<string, DeviceState>();
  const reported = new Reported();
  const clock: { start: number | null } = { start: null };
  for (const device of devices) states.set(device.id, { device, lastSeen: null, offline: false, reason: null });

  function stateOf(device: RuleDevice): DeviceState {
    let s = states.get(device.id);
    if (!s) {
      s = { device, lastSeen: null, offline: false, reason: null };
      states.set(device.id, s);
    }
    return s;
  }

  function silence(s: DeviceState, now: number): number {
    return now - (s.lastSeen ?? clock.start ?? now);
  }

  /** Reports a change of reason; `quiet` is the silence so far (for the values and the words). */
  function change(s: DeviceState, reason: Reason | null, quiet: number, out: Condition[]): void {
    if (reason === s.reason) return;
    const was = s.reason;
    s.reason = reason;
    const silent_min = round(quiet / 60_000, 1);
    const c: Omit<Condition, 'detail'> = {
      ...whereDevice(s.device),
      status: reason === null ? 'clear' : 'active',
      values: reason === 'offline' ? { silent_min, online: false } : { silent_min },
    };
    if (reason === 'offline') reported.report(withText(c, { key: 'absence.offline', params: {} }), out);
    else if (reason === 'silent') reported.report(withText(c, { key: 'absence.silent', params: { silent_ms: quiet, since_start: s.lastSeen === null } }), out);
    else reported.report({ ...c, detail: was === 'offline' ? 'device back online' : `data again after ${fmtDuration(quiet)} of silence` }, out);
  }

  function heard(o: Observation): boolean {
    return o.type !== 'status' || o.online;
  }

  return {
    rule,
    ...keeps({ states, reported: reported.last }, clock),
    observe(o, now) {
      clock.start ??= now;
      const s = stateOf(o.device);
      const out: Condition[] = [];
      const quiet = silence(s, now);
      if (heard(o)) {
        s.offline = false;
        change(s, null, quiet, out);
        s.lastSeen = now;
      } else {
        s.offline = true;
        change(s, 'offline', quiet, out);
      }
      return out;
    },
    tick(now) {
      clock.start ??= now;
      const out: Condition[] = [];
      for (const s of states.values()) {
        if (s.offline) continue; // already active for being offline
        const quiet = silence(s, now);
        if (quiet >= after) change(s, 'silent', quiet, out);
      }
      return out;
    },
  };
}
