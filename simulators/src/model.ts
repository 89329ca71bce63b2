// What every signal model looks like, and the helper that keeps values inside the catalogue.
import { CATALOGUE, type SensorKind } from '@citygrid/contract';
import type { Environment } from './environment.js';

export type Metrics = Record<string, number | boolean>;

/** One device's signals: `sample(t)` gives its metrics at simulated time `t` (epoch ms). */
export interface SignalModel {
  sample(t: number): Metrics;
}

export interface ModelContext {
  deviceId: string;
  /** Simulation seed: with the device id it fixes the device's character and its noise. */
  seed: number;
  env: Environment;
}

export type ModelFactory = (ctx: ModelContext) => SignalModel;

/** Rounds to `decimals` and clamps into the catalogue's plausible range for `kind.metric`. */
export function fit(kind: SensorKind, metric: string, value: number, decimals = 1): number {
  const spec = CATALOGUE[kind][metric];
  if (!spec || spec.type !== 'number') throw new Error(`${kind}.${metric} is not a number metric in the catalogue`);
  const factor = 10 ** decimals;
  const rounded = Math.round((Number.isFinite(value) ? value : spec.min) * factor) / factor;
  return Math.min(spec.max, Math.max(spec.min, rounded)) + 0; // + 0 turns -0 into 0
}

export const HOUR = 3_600_000;
export const MINUTE = 60_000;
