// Shared by the rule kinds: what was last reported per key (each change reported once), and how
// values, units and durations are written in alert details.
import { metricsOf, renderDetail, type AlertDetail, type DeviceKind } from '@citygrid/contract';
import type { Condition, EvaluatorState, Observation, RuleDevice, RuleEvaluator } from '../types.js';

export type Status = Condition['status'];
/** Who a condition is about: the key and where it is. */
export type Where = Pick<Condition, 'key' | 'devices' | 'grid' | 'district'>;

export function whereDevice(d: RuleDevice): Where {
  return { key: d.id, devices: [d.id], grid: d.grid, district: d.district };
}

/**
 * The last condition reported for each key. `report` passes a condition on only when it is news:
 * a new status, or (while active) new values or devices. Unchanged conditions are never repeated,
 * and a key that was never pending/active is never reported clear.
 */
export class Reported {
  /** By key: the status and values last reported (part of the evaluator's saved state). */
  readonly last = new Map<string, { status: Status; sig: string }>();

  status(key: string): Status {
    return this.last.get(key)?.status ?? 'clear';
  }

  report(c: Condition, out: Condition[]): void {
    const prev = this.last.get(c.key);
    const sig = JSON.stringify([c.values, c.devices]);
    if (c.status === (prev?.status ?? 'clear') && (c.status !== 'active' || prev?.sig === sig)) return;
    if (c.status === 'clear') this.last.delete(c.key);
    else this.last.set(c.key, { status: c.status, sig });
    out.push(c);
  }
}

/** The rule's metric from a reading as a finite number; booleans (true = 1) only when allowed. */
export function readNumber(o: Observation, metric: string, allowBoolean = false): number | null {
  if (o.type !== 'reading') return null;
  const v = o.metrics[metric];
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'boolean' && allowBoolean) return v ? 1 : 0;
  return null;
}

/** The catalogue unit of a metric for a device kind ('' when unknown or boolean). */
export function unitOf(kind: DeviceKind, metric: string): string {
  const spec = metricsOf(kind)[metric];
  return spec?.type === 'number' ? spec.unit : '';
}

// How numbers, units and durations are written: the contract's, shared with the alert texts' catalogue.
export { fmtDuration, fmtLevel, fmtNum, fmtValue, perMinute } from '@citygrid/contract';

/** A condition whose detail is a catalogue key: the English rendering becomes its `detail`. */
export function withText<C extends Omit<Condition, 'detail' | 'text'>>(c: C, text: AlertDetail): C & Pick<Condition, 'detail' | 'text'> {
  return { ...c, text, detail: renderDetail(text, 'en') };
}

/** Rounds to `digits` decimals (values shown on alerts; avoids float noise like 0.30000000000000004). */
export function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f + 0; // + 0 turns -0 into 0
}

/** One numeric reading of a device, for the kinds that keep a short history. */
export interface TimedValue { ts: number; v: number }

/** Appends a reading to time-ordered samples (same ts: replaced); false for a late, out-of-order one, which is ignored. */
export function pushSample(samples: TimedValue[], ts: number, v: number): boolean {
  const last = samples[samples.length - 1];
  if (last && ts < last.ts) return false;
  if (last && ts === last.ts) last.v = v;
  else samples.push({ ts, v });
  return true;
}

/**
 * save() and restore() for an evaluator whose state is the given Maps (restored in place, so the
 * evaluator's own references stay valid) and, optionally, a record of scalars it reads from.
 */
export function keeps(maps: Record<string, Map<string, unknown>>, scalars?: Record<string, unknown>): Pick<RuleEvaluator, 'save' | 'restore'> {
  return {
    save: (): EvaluatorState => ({ maps, ...(scalars ? { scalars } : {}) }),
    restore(state) {
      for (const [name, map] of Object.entries(maps)) {
        map.clear();
        for (const [k, v] of state.maps[name] ?? []) map.set(k, v);
      }
      if (scalars && state.scalars) Object.assign(scalars, state.scalars);
    },
  };
}
