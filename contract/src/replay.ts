// Incident replay (GET /api/replay): the city as it was over a past range, rebuilt from the stored
// readings (downsampled by the store into buckets of `step`) and the alert log, never a recording.
// The answer is compact: each cell's status only where it changes, per-bucket KPI series, and the
// alert transitions with the alert as it was after each.
import type { Alert, AlertEvent } from './alerts.js';
import type { GridCellStatus } from './api.js';

const MINUTE = 60_000; // ms

/** The longest range one replay covers (ms: 24 hours). */
export const REPLAY_MAX_RANGE_MS = 24 * 60 * MINUTE;
/** Buckets (frames) of one replay at most: 24 h at 1 min. */
export const REPLAY_MAX_BUCKETS = 1_440;
/** The shortest bucket (ms). */
export const REPLAY_MIN_STEP_MS = 1_000;
/** Alert transitions in one replay at most (beyond: CG_LIMIT_EXCEEDED, asking for a shorter range). */
export const REPLAY_MAX_EVENTS = 20_000;
/**
 * A sensor counts as online in a bucket when it reported within this long before the bucket's end
 * (ms: 10 minutes). The store keeps readings, not the devices' status messages, so this is how
 * replay tells a silent device from a reporting one.
 */
export const REPLAY_ONLINE_WINDOW_MS = 10 * MINUTE;
/** Bucket widths the server picks from when the request names none: the finest with at most REPLAY_DEFAULT_BUCKETS. */
export const REPLAY_STEPS_MS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600].map((s) => s * 1000);
export const REPLAY_DEFAULT_BUCKETS = 720;

type CellCondition = GridCellStatus['condition'];

/**
 * A cell's status from bucket `bucket` on, until its next change: the same roll-up as the live map
 * (contract rollUpCells) over the cell's sensors. [bucket, condition, sensors, online, alarm, warn].
 */
export type ReplayCellChange = [bucket: number, condition: CellCondition, devices: number, online: number, alarm: number, warn: number];

/** An alert transition in the range, with the alert as it was after it (the log keeps that copy). */
export type ReplayAlertEvent = Omit<AlertEvent, 'alertId'>;

/** GET /api/replay?from=&to=&step= (a grid worker: their cells and alerts only). */
export interface ReplayResponse {
  /** Start of the first bucket (`from` rounded down to a multiple of `step`) and the end of the range (epoch ms). */
  from: number;
  to: number;
  /** Bucket width (ms): one frame of the replay. Bucket i covers [from + i·step, from + (i+1)·step). */
  step: number;
  buckets: number;
  /** Sensors (devices with readings: cameras send events, not readings) in the cells replayed. */
  sensors: number;
  /** Each cell's status changes, the first at bucket 0. */
  cells: Record<string, ReplayCellChange[]>;
  /** Per bucket: sensors online, and readings stored. */
  online: number[];
  readings: number[];
  /** The alerts open at `from`, as they were then. */
  alerts: Alert[];
  /** Transitions (every alert event except the periodic 'updated') from `from` to `to`, oldest first. */
  events: ReplayAlertEvent[];
}

/** The bucket width the server uses when the request names none. */
export function defaultReplayStep(rangeMs: number): number {
  return REPLAY_STEPS_MS.find((s) => Math.ceil(rangeMs / s) <= REPLAY_DEFAULT_BUCKETS) ?? REPLAY_STEPS_MS[REPLAY_STEPS_MS.length - 1]!;
}
