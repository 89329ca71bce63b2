// GET /api/replay's answer, built on request from what is stored: each sensor's readings downsampled
// by the store into the replay's buckets (queryReadings with a step, as the device charts read them),
// rolled up into cells (cells.ts), and the alert log's transitions (alerts.ts). Bounded by the
// caller (range, buckets); here the reads run a few at a time and yield to live traffic between them.
import {
  metricsOf, isSensorKind, REPLAY_MAX_EVENTS, REPLAY_ONLINE_WINDOW_MS,
  type BucketPoint, type ReplayResponse, type SensorKind,
} from '@citygrid/contract';
import type { City } from '@citygrid/contract/node';
import type { ReadScope } from '../auth/scope.js';
import { Errors } from '../errors.js';
import type { TimeSeriesStore } from '../stores/store.js';
import type { ReplayAlertSource } from './alerts.js';
import { cellSeries, sensorBuckets, type BucketGrid, type SensorBuckets } from './cells.js';

/** Sensors whose readings are read at once (InfluxDB answers over HTTP; SQLite one after another anyway). */
const READS_AT_ONCE = 4;

export interface ReplayRequest {
  from: number;
  to: number;
  step: number;
  scope: ReadScope;
}

export interface ReplaySources {
  city: City;
  store: TimeSeriesStore;
  alerts: ReplayAlertSource;
}

/**
 * Runs `work` over `items`, at most `n` at a time, in order of the results; after each item it lets the
 * event loop run (SQLite answers synchronously, so awaiting its reads alone would never let live
 * traffic through: a day of a 400-sensor city read in one go stalled the loop for 2.6 s).
 */
async function pool<T, R>(items: readonly T[], n: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i]!);
      await new Promise<void>((r) => setImmediate(r));
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}

export async function buildReplay({ city, store, alerts }: ReplaySources, q: ReplayRequest): Promise<ReplayResponse> {
  const start = Math.floor(q.from / q.step) * q.step;
  const buckets = Math.max(1, Math.ceil((q.to - start) / q.step));
  const window = Math.ceil(REPLAY_ONLINE_WINDOW_MS / q.step);
  const grid: BucketGrid = { start: start - window * q.step, step: q.step, lookback: window, buckets };

  const cells = city.cells.filter((c) => q.scope.cell(c.id, c.district));
  const inScope = new Set(cells.map((c) => c.id));
  const sensors = city.devices.filter((d) => isSensorKind(d.kind) && inScope.has(d.grid));

  let read: SensorBuckets[];
  try {
    read = await pool(sensors, READS_AT_ONCE, async (d) => {
      const kind = d.kind as SensorKind;
      const series = await store.queryReadings({ device: d.id, kind, metrics: Object.keys(metricsOf(kind)), from: grid.start, to: q.to, step: q.step, limit: 1 });
      return sensorBuckets(kind, series as { metric: string; points: BucketPoint[] }[], grid, window);
    });
  } catch (err) {
    throw Errors.STORE_UNAVAILABLE(`the readings of the period could not be read (${(err as Error).message.slice(0, 200)})`);
  }
  const series = await cellSeries(cells.map((c) => c.id), sensors.map((d, i) => ({ grid: d.grid, buckets: read[i]! })), buckets);

  const found = alerts.replay(start, q.to, REPLAY_MAX_EVENTS);
  if (found.events.length > REPLAY_MAX_EVENTS) {
    throw Errors.LIMIT_EXCEEDED(`the period holds more than ${REPLAY_MAX_EVENTS.toLocaleString('en-US')} alert transitions; replay a shorter one`);
  }
  const mine = <A extends { grid: string; district: string; assignees: readonly string[] }>(a: A) => q.scope.alert(a);
  return {
    from: start,
    to: q.to,
    step: q.step,
    buckets,
    sensors: sensors.length,
    cells: series.cells,
    online: series.online,
    readings: series.readings,
    alerts: found.open.filter(mine),
    events: found.events.filter((e) => mine(e.alert)).map(({ seq, ts, type, actor, note, alert }) => ({ seq, ts, type, actor, note, alert })),
  };
}
