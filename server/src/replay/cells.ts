// Replay's cells, pure: from each sensor's downsampled readings (min, max and count per bucket, as the
// store aggregates them) its state per bucket, then each cell's status per bucket by the live map's own
// roll-up (contract rollUpCells), sent as change lists. Unit-tested in cells.test.ts.
import {
  conditionOfMetric, metricsOf, rollUpCells, worstCondition,
  type BucketPoint, type Condition, type ReplayCellChange, type SensorKind,
} from '@citygrid/contract';

/** A sensor's state in a bucket: its worst condition then, or offline. */
export type SensorState = Condition | 'offline';
const STATES: readonly SensorState[] = ['ok', 'warn', 'alarm', 'offline'];
const CODE: Record<Condition, number> = { ok: 0, warn: 1, alarm: 2 };
const NO_DATA = -1;

export interface BucketGrid {
  /** Start of the first bucket the readings were asked from (the lookback's start), epoch ms, a multiple of step. */
  start: number;
  step: number;
  /** Buckets before the replay's first one, read only to know each sensor's state at its start. */
  lookback: number;
  /** Buckets replayed. */
  buckets: number;
}

export interface SensorBuckets {
  /** Per replayed bucket: the number of readings stored. */
  readings: Uint32Array;
  /** Per replayed bucket: an index into STATES. */
  states: Uint8Array;
}

/**
 * The worst condition of a bucket's readings: each metric's lowest and highest value judged as the
 * live device condition judges a value (conditionOfMetric), the worst of them all. The live map shows
 * the latest value's condition; a frame shows the worst moment within it, so a spike is never lost.
 */
function bucketConditions(kind: SensorKind, series: readonly { metric: string; points: readonly BucketPoint[] }[], grid: BucketGrid): { codes: Int8Array; counts: Uint32Array } {
  const total = grid.lookback + grid.buckets;
  const codes = new Int8Array(total).fill(NO_DATA);
  const counts = new Uint32Array(total);
  const specs = metricsOf(kind);
  for (const { metric, points } of series) {
    const spec = specs[metric];
    if (!spec) continue;
    const judge = (v: number) => conditionOfMetric(spec, spec.type === 'boolean' ? v !== 0 : v);
    for (const p of points) {
      const i = Math.floor((p.ts - grid.start) / grid.step);
      if (i < 0 || i >= total || p.count <= 0) continue;
      const worst = CODE[worstCondition([judge(p.min), judge(p.max)])];
      if (worst > codes[i]!) codes[i] = worst;
      // one message carries every metric it measured: the bucket's readings are its busiest metric's count
      if (p.count > counts[i]!) counts[i] = p.count;
    }
  }
  return { codes, counts };
}

/**
 * A sensor's state in each replayed bucket: online while it reported within `window` buckets up to and
 * including this one, in the condition of its latest bucket with readings; offline otherwise.
 */
export function sensorBuckets(kind: SensorKind, series: readonly { metric: string; points: readonly BucketPoint[] }[], grid: BucketGrid, window: number): SensorBuckets {
  const { codes, counts } = bucketConditions(kind, series, grid);
  const states = new Uint8Array(grid.buckets);
  const readings = new Uint32Array(grid.buckets);
  let lastData = -Infinity;
  let lastCode = 0;
  for (let i = 0; i < grid.lookback + grid.buckets; i++) {
    if (codes[i] !== NO_DATA) {
      lastData = i;
      lastCode = codes[i]!;
    }
    const out = i - grid.lookback;
    if (out < 0) continue;
    states[out] = i - lastData < window ? lastCode : STATES.indexOf('offline');
    readings[out] = counts[i]!;
  }
  return { states, readings };
}

/** Lets the event loop breathe between chunks of a long computation (live traffic goes on meanwhile). */
const breathe = () => new Promise<void>((r) => setImmediate(r));

export interface CellSeries {
  cells: Record<string, ReplayCellChange[]>;
  online: number[];
  readings: number[];
}

/**
 * Each cell's status per bucket, by rollUpCells over its sensors' states, as change lists; and the
 * city's sensors online and readings per bucket. The roll-up runs only for buckets where some sensor's
 * state changed (otherwise nothing can have).
 */
export async function cellSeries(cellIds: readonly string[], sensors: readonly { grid: string; buckets: SensorBuckets }[], buckets: number): Promise<CellSeries> {
  const cells: Record<string, ReplayCellChange[]> = {};
  for (const id of cellIds) cells[id] = [];
  const online: number[] = [];
  const readings: number[] = [];
  const last = new Map<string, string>();
  for (let b = 0; b < buckets; b++) {
    if (b % 50 === 49) await breathe();
    let up = 0;
    let stored = 0;
    let changed = b === 0;
    for (const s of sensors) {
      const st = s.buckets.states[b]!;
      if (st !== 3) up++;
      stored += s.buckets.readings[b]!;
      if (b > 0 && st !== s.buckets.states[b - 1]) changed = true;
    }
    online.push(up);
    readings.push(stored);
    if (!changed) continue;
    const rolled = rollUpCells(cellIds, sensors.map((s) => {
      const state = STATES[s.buckets.states[b]!]!;
      return { grid: s.grid, online: state !== 'offline', condition: state === 'offline' ? 'ok' : state };
    }));
    for (const [id, c] of rolled) {
      const key = `${c.condition}/${c.devices}/${c.online}/${c.alarm}/${c.warn}`;
      if (last.get(id) === key) continue;
      last.set(id, key);
      cells[id]!.push([b, c.condition, c.devices, c.online, c.alarm, c.warn]);
    }
  }
  return { cells, online, readings };
}
